import { currentContext, runWithContext } from '../core/trace-context.js';
import type { Span } from '../core/types.js';
import { endDbSpan, startDbSpan, type DbCall } from './db-span.js';
import type { ActiveHost, Integration, IntegrationHosts } from './integration.js';
import { atLeast, findPackage } from './package-lookup.js';

/*
 * PostgreSQL through `pg` (8.x). pg publishes no diagnostics channel, so this is the one
 * integration that wraps its library: `Client.prototype.query` (every pool query and every
 * ORM on pg goes through a Client's query), `Client.prototype.connect` (a span per new
 * connection: rare with a pool, and where its time goes when it is not), and pg-pool's
 * `Pool.prototype.connect` (only to run a queued checkout's callback in its caller's trace
 * context: pg-pool hands a waiting caller the client another caller released, from the
 * releaser's async flow). All three are wrapped on the app's own pg (the instance its
 * `import pg from 'pg'` or `require('pg')` gets) when an app wants the integration, and put
 * back when none does. `pg.native` is left alone (its lazy getter is never read). To be
 * replaced by channels when pg publishes them.
 */

const MIN_VERSION = '8.0';

/** Marks a wrapper (its value: the original), so a second enable, from any copy of this library, is a no-op. */
const WRAPPED = Symbol.for('nestjs-tracing.pg.wrapped');

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
type Wrapped = AnyFunction & { [WRAPPED]?: AnyFunction };

interface PgClientLike {
  database?: unknown;
  host?: unknown;
  port?: unknown;
}

interface PgModuleLike {
  Client?: { prototype?: object };
  Pool?: { prototype?: object };
}

/** What the pg integration reads from a query's arguments. */
interface QueryShape {
  readonly text: string | undefined;
  readonly values: readonly unknown[] | undefined;
}

export const pgIntegration: Integration = {
  name: 'pg',
  installed() {
    const found = findPackage('pg');
    return found !== undefined && atLeast(found.version, MIN_VERSION);
  },
  enable(hosts) {
    const pg = findPackage('pg')?.load() as PgModuleLike | undefined;
    return instrumentPg(pg, hosts);
  },
};

/**
 * Wraps `pg`'s Client query and connect and pg-pool's connect on `pg` (the module object);
 * returns what unwraps them (each only if still ours). Exported for tests.
 */
export function instrumentPg(pg: PgModuleLike | undefined, hosts: IntegrationHosts): () => void {
  const undo: Array<() => void> = [];
  const client = pg?.Client?.prototype;
  if (client !== undefined) {
    undo.push(wrapMethod(client, 'query', (original) => tracedQuery(original, hosts)));
    undo.push(wrapMethod(client, 'connect', (original) => tracedConnect(original, hosts)));
  }
  const pool = owner(pg?.Pool?.prototype, 'connect');
  if (pool !== undefined) {
    undo.push(wrapMethod(pool, 'connect', (original) => contextKeepingConnect(original, hosts)));
  }
  return () => {
    for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
  };
}

/** The object on `proto`'s chain that holds `key` itself (pg's BoundPool inherits pg-pool's). */
function owner(proto: object | undefined, key: string): object | undefined {
  for (let o = proto; o != null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object) {
    if (Object.prototype.hasOwnProperty.call(o, key)) return o;
  }
  return undefined;
}

function wrapMethod(
  target: object,
  key: string,
  make: (original: AnyFunction) => AnyFunction,
): () => void {
  const slots = target as Record<string, unknown>;
  const original = slots[key];
  if (typeof original !== 'function' || (original as Wrapped)[WRAPPED] !== undefined) {
    return () => {};
  }
  const wrapper = make(original as AnyFunction) as Wrapped;
  Object.defineProperty(wrapper, WRAPPED, { value: original });
  Object.defineProperty(wrapper, 'name', { value: (original as AnyFunction).name });
  Object.defineProperty(wrapper, 'length', { value: (original as AnyFunction).length });
  slots[key] = wrapper;
  return () => {
    if (slots[key] === wrapper) slots[key] = original;
  };
}

function currentHost(hosts: IntegrationHosts): ActiveHost | undefined {
  try {
    return hosts.current('pg');
  } catch {
    return undefined;
  }
}

function tracedQuery(original: AnyFunction, hosts: IntegrationHosts): AnyFunction {
  return function query(this: unknown, config: unknown, values: unknown, callback: unknown) {
    // Calls pg rejects (no query, a callback that is not a function) go to pg untraced.
    if (config == null || (typeof config !== 'string' && typeof config !== 'object')) {
      return Reflect.apply(original, this, arguments);
    }
    const active = currentHost(hosts);
    if (active === undefined) return Reflect.apply(original, this, arguments);
    const submittable = typeof (config as { submit?: unknown }).submit === 'function';
    let slot = -1;
    if (!submittable) {
      if (typeof values === 'function') slot = 1;
      else if (callback !== undefined && callback !== null && callback !== false) {
        if (typeof callback !== 'function') return Reflect.apply(original, this, arguments);
        slot = 2;
      } else if (typeof config === 'object' && hasCallback(config)) slot = 3;
    }
    let shape: QueryShape;
    let span: Span | undefined;
    try {
      shape = queryShape(config, values);
      span = startDbSpan(active, dbCall(this as PgClientLike, shape.text, undefined));
    } catch {
      span = undefined;
    }
    if (span === undefined) return Reflect.apply(original, this, arguments);
    const end = once(span, shape!.values);

    if (submittable) {
      hookSubmittable(config as Submittable, end);
      return callThrough(original, this, arguments, end);
    }
    if (slot >= 0) {
      const args = Array.prototype.slice.call(arguments) as unknown[];
      if (slot === 3) {
        // The callback in the config object: pg takes a third argument over it, and copies
        // the config, so the caller's object is left as it is.
        const own = (config as { callback: AnyFunction }).callback;
        while (args.length < 2) args.push(undefined);
        args[2] = endingCallback(own, end);
      } else {
        args[slot] = endingCallback(args[slot] as AnyFunction, end);
      }
      return callThrough(original, this, args, end);
    }
    return followResult(callThrough(original, this, arguments, end), end, 'query failed');
  };
}

/**
 * Ends the span when pg's promise settles (at once for anything else), and returns the app's
 * promise followed: it settles with the same value or error, and a rejection nobody handles
 * is still reported as unhandled.
 */
function followResult(result: unknown, end: (error: unknown) => void, failed: string): unknown {
  if (!isThenable(result)) {
    end(undefined);
    return result;
  }
  return result.then(
    (value) => {
      end(undefined);
      return value;
    },
    (error: unknown) => {
      end(error === undefined ? new Error(failed) : error);
      throw error;
    },
  );
}

function tracedConnect(original: AnyFunction, hosts: IntegrationHosts): AnyFunction {
  return function connect(this: unknown, callback: unknown) {
    const active = currentHost(hosts);
    if (active === undefined || (callback != null && typeof callback !== 'function')) {
      return Reflect.apply(original, this, arguments);
    }
    let span: Span | undefined;
    try {
      span = startDbSpan(active, dbCall(this as PgClientLike, undefined, 'connect'));
    } catch {
      span = undefined;
    }
    if (span === undefined) return Reflect.apply(original, this, arguments);
    const end = once(span, undefined);
    if (typeof callback === 'function') {
      return callThrough(original, this, [endingCallback(callback as AnyFunction, end)], end);
    }
    return followResult(callThrough(original, this, arguments, end), end, 'connect failed');
  };
}

/**
 * pg-pool's `connect(callback)`: the callback of a checkout that waited for a client runs
 * from the async flow of whoever released that client, so it is run in its caller's trace
 * context instead (only the tracing context: the app's own async-local stores are untouched).
 */
function contextKeepingConnect(original: AnyFunction, hosts: IntegrationHosts): AnyFunction {
  return function connect(this: unknown, callback: unknown) {
    if (typeof callback !== 'function') return Reflect.apply(original, this, arguments);
    const context = currentContext();
    if (context === undefined || currentHost(hosts) === undefined) {
      return Reflect.apply(original, this, arguments);
    }
    const cb = callback as AnyFunction;
    const args = Array.prototype.slice.call(arguments) as unknown[];
    args[0] = function (this: unknown) {
      const inner = arguments;
      return runWithContext(context, () => Reflect.apply(cb, this, inner));
    };
    return Reflect.apply(original, this, args);
  };
}

/** Calls pg; a synchronous throw ends the span with it and is rethrown as it was. */
function callThrough(
  original: AnyFunction,
  self: unknown,
  args: ArrayLike<unknown>,
  end: (error: unknown) => void,
): unknown {
  try {
    return Reflect.apply(original, self, args);
  } catch (error) {
    end(error === undefined ? new Error('query failed') : error);
    throw error;
  }
}

function endingCallback(callback: AnyFunction, end: (error: unknown) => void): AnyFunction {
  return function (this: unknown, error: unknown) {
    end(error == null ? undefined : error);
    return Reflect.apply(callback, this, arguments);
  };
}

/** Ends the span once (pg may report an error, then readiness); never throws. */
function once(span: Span, values: readonly unknown[] | undefined): (error: unknown) => void {
  let done = false;
  return (error) => {
    if (done) return;
    done = true;
    try {
      if (error === undefined) endDbSpan(span);
      else endDbSpan(span, withoutValues(error, values), sqlState(error));
    } catch {
      // Tracing never changes what the query returns.
    }
  };
}

/** pg.Query's field for an error found in a row, reported when the server says it is ready. */
const CANCELED = '_canceledDueToError';

/** The parts of a Submittable (pg.Query, pg-cursor, pg-query-stream) the client drives. */
interface Submittable {
  handleError?: AnyFunction;
  handleReadyForQuery?: AnyFunction;
}

/**
 * A Submittable ends when the client hands it readiness (the cursor closed or drained, the
 * stream ended) or an error. Its two handlers are wrapped on the instance, not listened to:
 * an 'error' listener would swallow an error the app leaves unhandled.
 */
function hookSubmittable(query: Submittable, end: (error: unknown) => void): void {
  const onError = query.handleError;
  const onReady = query.handleReadyForQuery;
  if (typeof onError !== 'function' || typeof onReady !== 'function') {
    // Not driven the way pg drives its own: nothing tells when it ends.
    end(undefined);
    return;
  }
  const ownError = Object.prototype.hasOwnProperty.call(query, 'handleError');
  const ownReady = Object.prototype.hasOwnProperty.call(query, 'handleReadyForQuery');
  const hookError = function (this: unknown, error: unknown) {
    finish(error ?? new Error('query failed'));
    return Reflect.apply(onError, this, arguments);
  };
  const hookReady = function (this: unknown) {
    // Ended before the query says so (its 'end' event, a cursor's read callback), unless
    // it was canceled by a row it could not parse: then it reports the error from here.
    if (!(this as Record<string, unknown>)[CANCELED]) finish(undefined);
    try {
      return Reflect.apply(onReady, this, arguments);
    } finally {
      finish(undefined);
    }
  };
  const finish = (error: unknown) => {
    end(error);
    try {
      if (query.handleError === hookError) {
        if (ownError) query.handleError = onError;
        else delete query.handleError;
      }
      if (query.handleReadyForQuery === hookReady) {
        if (ownReady) query.handleReadyForQuery = onReady;
        else delete query.handleReadyForQuery;
      }
    } catch {
      // A frozen or exotic query keeps our (finished) hooks; they only call through.
    }
  };
  query.handleError = hookError;
  query.handleReadyForQuery = hookReady;
}

function hasCallback(config: object): boolean {
  return typeof (config as { callback?: unknown }).callback === 'function';
}

function isThenable(value: unknown): value is Promise<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function queryShape(config: unknown, values: unknown): QueryShape {
  if (typeof config === 'string') {
    return { text: config, values: Array.isArray(values) ? values : undefined };
  }
  const q = config as { text?: unknown; values?: unknown; cursor?: { text?: unknown } };
  const text =
    typeof q.text === 'string'
      ? q.text
      : typeof q.cursor?.text === 'string' // pg-query-stream keeps it on its cursor
        ? q.cursor.text
        : undefined;
  const bound = Array.isArray(values) ? values : Array.isArray(q.values) ? q.values : undefined;
  return { text, values: bound };
}

function dbCall(
  client: PgClientLike,
  text: string | undefined,
  operation: string | undefined,
): DbCall {
  const host = typeof client.host === 'string' && client.host !== '' ? client.host : undefined;
  const port =
    typeof client.port === 'number'
      ? client.port
      : typeof client.port === 'string'
        ? Number.parseInt(client.port, 10) || undefined
        : undefined;
  // A Unix socket directory is the address as given; it has no port (pg adds it to the
  // socket's file name).
  const socket = host !== undefined && host.startsWith('/');
  return {
    system: 'postgresql',
    namespace:
      typeof client.database === 'string' && client.database !== '' ? client.database : undefined,
    operation,
    sql: text === undefined ? undefined : { text, dialect: 'postgresql' },
    serverAddress: host,
    serverPort: socket ? undefined : port,
  };
}

/** The SQLSTATE of a server error (`42P01`), none for a client-side one (ECONNREFUSED). */
function sqlState(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
}

/**
 * A server error that quotes a bound value (`invalid input syntax for type integer: "abc"`)
 * is recorded with the value replaced by `?`; the app's error object is not changed.
 */
function withoutValues(error: unknown, values: readonly unknown[] | undefined): unknown {
  if (values === undefined || values.length === 0 || !(error instanceof Error)) return error;
  const secrets: string[] = [];
  for (const value of values) {
    const text = valueText(value);
    if (text !== undefined && text !== '') secrets.push(text);
  }
  if (secrets.length === 0) return error;
  secrets.sort((a, b) => b.length - a.length);
  const scrub = (s: string): string => {
    let out = s;
    for (const secret of secrets) {
      // Short values only where quoted, so "1" does not eat every digit of the message.
      out = secret.length >= 4 ? out.split(secret).join('?') : out.split(`"${secret}"`).join('"?"');
    }
    return out;
  };
  const message = scrub(error.message);
  const stack = error.stack === undefined ? undefined : scrub(error.stack);
  if (message === error.message && stack === error.stack) return error;
  const shown = Object.create(error) as Error;
  Object.defineProperty(shown, 'message', { value: message });
  Object.defineProperty(shown, 'stack', { value: stack });
  return shown;
}

function valueText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
      return String(value);
    case 'object':
      if (value === null) return undefined;
      if (value instanceof Date) return undefined;
      if (ArrayBuffer.isView(value)) return undefined;
      try {
        return JSON.stringify(value);
      } catch {
        return undefined;
      }
    default:
      return undefined;
  }
}
