import { tracingChannel } from 'node:diagnostics_channel';
import { exceptionAttributes } from '../core/span.js';
import { bindChannelContext, localRootSpan, type TraceContext } from '../core/trace-context.js';
import { SpanKind, SpanStatusCode, type Span } from '../core/types.js';
import type { ActiveHost, Integration, IntegrationHosts } from './integration.js';
import { atLeast, findPackage } from './package-lookup.js';

/**
 * GraphQL through graphql-js 17, which publishes a TracingChannel per phase (graphql/
 * diagnostics.js): `graphql:parse`, `graphql:validate`, `graphql:execute`,
 * `graphql:subscribe` and `graphql:resolve`. graphql 16 publishes none: nothing is traced.
 *
 * Spans after the OpenTelemetry GraphQL conventions: the operation span `query GetUser`
 * (`graphql.operation.type`, `graphql.operation.name`, `graphql.document` with its literal
 * values replaced by `?`), whose context is active while the operation runs, so the
 * resolvers' spans (a `@Traced()` service) are its children; `graphql.parse` and
 * `graphql.validate` inside a request; the operation's name and type also on the request's
 * server span (whose name stays `POST /graphql`, the HTTP convention). A span per field
 * resolver only when an app asks (`integrations: { graphql: { resolvers: true } }`): the
 * resolve channel is subscribed the first time such an app runs an operation, so graphql
 * wraps no resolver otherwise. Below the root, fields that return a built-in scalar or use
 * the default resolver get no span (see `worthASpan`).
 */

// What graphql-js puts on each channel's message (graphql/diagnostics.d.ts), as read here.
interface DocumentLike {
  readonly kind: string;
  readonly loc?: { readonly source?: { readonly body?: unknown } };
}
interface ValidateMessage {
  readonly document: DocumentLike;
  error?: unknown;
  result?: readonly unknown[];
}
interface ExecuteMessage {
  readonly document: DocumentLike;
  readonly operationName: string | undefined;
  readonly operationType: string | undefined;
  error?: unknown;
  result?: unknown;
}
interface ResolveMessage {
  readonly fieldName: string;
  readonly parentType: string;
  readonly fieldType: string;
  readonly fieldPath: string;
  readonly isDefaultResolver: boolean;
  error?: unknown;
  result?: unknown;
}

type Phase = 'parse' | 'validate' | 'execute' | 'resolve';

/** Sanitized documents kept by source text (see `documentText`). */
const MAX_SOURCES = 256;

// The span of a call in flight, on the library's own message object: it goes with the
// message, nothing here keeps it after the call ends.
const SPAN = Symbol('nestjs-tracing.graphql.span');
type Carrier = { [SPAN]?: Span };

/** The part of graphql-js that prints a document (the app's own copy, loaded once). */
interface GraphqlPrinter {
  visit(document: unknown, visitor: unknown): unknown;
  print(document: unknown): string;
}

const MIN_VERSION = '17.0';

export const graphqlIntegration: Integration = {
  name: 'graphql',
  installed() {
    const found = findPackage('graphql');
    return found !== undefined && atLeast(found.version, MIN_VERSION);
  },
  enable(hosts) {
    return enableGraphql(hosts);
  },
};

function enableGraphql(hosts: IntegrationHosts): () => void {
  // Loaded on the first document printed: an app that has graphql installed but runs no
  // operation never loads it.
  let printer: GraphqlPrinter | null | undefined;
  const documents = new WeakMap<object, string>();
  const bySource = new Map<string, string>();
  const undo: (() => void)[] = [];
  let resolveBound = false;

  const documentText = (active: ActiveHost, document: DocumentLike): string | undefined => {
    const mode = active.host.settings.queryText;
    if (mode === false) return undefined;
    if (mode === 'raw') {
      const body = document.loc?.source?.body;
      if (typeof body === 'string') return body;
    }
    printer ??= loadPrinter() ?? null;
    if (printer === null) return undefined;
    let text = documents.get(document);
    if (text === undefined) {
      // A server that parses each request anew (no document cache) sends the same few
      // queries over and over: each source is sanitized once (a bounded cache, in memory only).
      const body = mode === 'sanitized' ? document.loc?.source?.body : undefined;
      if (typeof body === 'string') text = bySource.get(body);
      if (text === undefined) {
        try {
          text = mode === 'raw' ? printer.print(document) : sanitizedDocument(printer, document);
        } catch {
          return undefined;
        }
        if (typeof body === 'string') {
          if (bySource.size >= MAX_SOURCES) bySource.delete(bySource.keys().next().value!);
          bySource.set(body, text);
        }
      }
      documents.set(document, text);
    }
    return text;
  };

  const start = (phase: Phase, message: unknown): TraceContext | undefined => {
    const active = hosts.current('graphql');
    if (active === undefined) return undefined;
    switch (phase) {
      case 'parse':
      case 'validate': {
        // Only inside a unit of work: the schema's own SDL is parsed at boot.
        if (active.context.span === undefined) return undefined;
        const span = open(active, `graphql.${phase}`);
        if (span !== undefined) (message as Carrier)[SPAN] = span;
        return undefined;
      }
      case 'execute': {
        const m = message as ExecuteMessage;
        const type = m.operationType;
        const name = m.operationName;
        if (active.host.settings.graphqlResolvers && !resolveBound) bindResolve();
        const span = open(
          active,
          type === undefined ? 'GraphQL Operation' : name ? `${type} ${name}` : type,
        );
        if (span === undefined) return undefined;
        span.setAttribute('graphql.operation.type', type);
        span.setAttribute('graphql.operation.name', name);
        span.setAttribute('graphql.document', documentText(active, m.document));
        const root = localRootSpan(active.context);
        if (root !== undefined && (root as { kind?: SpanKind }).kind === SpanKind.SERVER) {
          root.setAttribute('graphql.operation.type', type);
          root.setAttribute('graphql.operation.name', name);
        }
        (message as Carrier)[SPAN] = span;
        return childContext(active, span);
      }
      case 'resolve': {
        const m = message as ResolveMessage;
        if (!active.host.settings.graphqlResolvers || !worthASpan(m)) return undefined;
        const span = open(active, `${m.parentType}.${m.fieldName}`);
        if (span === undefined) return undefined;
        span.setAttribute('graphql.field.name', m.fieldName);
        span.setAttribute('graphql.field.path', m.fieldPath);
        span.setAttribute('graphql.field.type', m.fieldType);
        span.setAttribute('graphql.parent.name', m.parentType);
        (message as Carrier)[SPAN] = span;
        return childContext(active, span);
      }
    }
  };

  const subscribe = (name: string, phase: Phase): void => {
    const channel = tracingChannel(name);
    const unbind = bindChannelContext(channel.start as never, (message) => {
      try {
        return start(phase, message);
      } catch {
        return undefined;
      }
    });
    // A sync call ends at `end` (its result or error is set by then); a call that returned
    // a promise ends at `asyncEnd`.
    const handlers = {
      start: noop,
      end: (message: unknown) => {
        if (settled(message)) safeFinish(phase, message);
      },
      asyncStart: noop,
      asyncEnd: (message: unknown) => safeFinish(phase, message),
      error: noop,
    };
    channel.subscribe(handlers);
    undo.push(() => {
      unbind();
      channel.unsubscribe(handlers);
    });
  };

  const bindResolve = (): void => {
    resolveBound = true;
    subscribe('graphql:resolve', 'resolve');
  };

  subscribe('graphql:parse', 'parse');
  subscribe('graphql:validate', 'validate');
  subscribe('graphql:execute', 'execute');
  subscribe('graphql:subscribe', 'execute');
  return () => {
    for (const fn of undo.splice(0)) fn();
    resolveBound = false;
  };
}

/** Ends the span of a finished call: its error, a validation's errors, an operation's errors. */
function finish(phase: Phase, message: unknown): void {
  const carrier = message as Carrier;
  const span = carrier[SPAN];
  if (span === undefined) return;
  delete carrier[SPAN];
  try {
    const m = message as { error?: unknown; result?: unknown };
    if (m.error !== undefined) fail(span, m.error, errorType(m.error, phase));
    else if (phase === 'validate') {
      const errors = (m as ValidateMessage).result;
      if (errors !== undefined && errors.length > 0) {
        fail(span, errors[0], 'GRAPHQL_VALIDATION_FAILED', false);
        span.setAttribute('graphql.validation.error_count', errors.length);
      }
    } else if (phase === 'execute') {
      const errors = (m.result as { errors?: readonly unknown[] } | undefined)?.errors;
      if (errors !== undefined && errors.length > 0) {
        fail(span, errors[0], errorType(errors[0], phase), false);
      }
    }
  } finally {
    span.end();
  }
}

function safeFinish(phase: Phase, message: unknown): void {
  try {
    finish(phase, message);
  } catch {
    // Never into graphql.
  }
}

function noop(): void {}

const BUILT_IN_SCALARS = new Set(['String', 'Int', 'Float', 'Boolean', 'ID']);

/**
 * A root field always; below the root, a field whose resolver the app wrote, unless it
 * returns a built-in scalar: @nestjs/graphql (code first) gives every field a resolver that
 * reads the property, so `isDefaultResolver` alone would open a span per `id` and `name`.
 */
function worthASpan(m: ResolveMessage): boolean {
  if (!m.fieldPath.includes('.')) return true;
  if (m.isDefaultResolver) return false;
  return !BUILT_IN_SCALARS.has(m.fieldType.replace(/[[\]!]/g, ''));
}

function settled(message: unknown): boolean {
  const m = message as object;
  return 'error' in m || 'result' in m;
}

function open(active: ActiveHost, name: string): Span | undefined {
  const span = active.host.tracer.startSpan(name, { kind: SpanKind.INTERNAL }, active.context);
  return span.isRecording() ? span : undefined;
}

function childContext(active: ActiveHost, span: Span): TraceContext {
  return active.context.tracer === undefined
    ? active.host.tracer.createContext(span, undefined, undefined)
    : active.context.withSpan(span);
}

function fail(span: Span, error: unknown, type: string, exception = true): void {
  span.setAttribute('error.type', type);
  if (exception) span.addEvent('exception', exceptionAttributes(error));
  const message = (error as { message?: unknown } | undefined)?.message;
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: typeof message === 'string' ? message : undefined,
  });
}

/**
 * `error.type`: the error's `extensions.code` (Apollo's and most servers' codes), a syntax
 * error's `GRAPHQL_PARSE_FAILED`, else the class of the error (of its original error for a
 * GraphQLError wrapping a resolver's throw).
 */
function errorType(error: unknown, phase: Phase): string {
  if (typeof error !== 'object' || error === null) return '_OTHER';
  const e = error as {
    extensions?: { code?: unknown };
    originalError?: unknown;
    name?: unknown;
    code?: unknown;
  };
  const code = e.extensions?.code;
  if (typeof code === 'string') return code;
  if (phase === 'parse' && e.name === 'GraphQLError') return 'GRAPHQL_PARSE_FAILED';
  const original = e.originalError;
  if (original instanceof Error) return errorType(original, phase);
  if (typeof e.code === 'string') return e.code;
  if (error instanceof Error) return error.constructor?.name || error.name || 'Error';
  return typeof e.name === 'string' ? e.name : '_OTHER';
}

function loadPrinter(): GraphqlPrinter | undefined {
  try {
    const graphql = findPackage('graphql')?.load() as Partial<GraphqlPrinter> | undefined;
    if (typeof graphql?.visit === 'function' && typeof graphql.print === 'function') {
      return graphql as GraphqlPrinter;
    }
  } catch {
    // No document text then.
  }
  return undefined;
}

// Literal values in a document: each becomes `?` (printed as an enum value would be).
// Lists and input objects keep their shape; variables are left as they are (their values
// are never read).
const LITERAL_KINDS = [
  'IntValue',
  'FloatValue',
  'StringValue',
  'BooleanValue',
  'NullValue',
  'EnumValue',
] as const;
const PLACEHOLDER = { kind: 'EnumValue', value: '?' };
const SANITIZER: Record<string, { leave: () => unknown }> = Object.fromEntries(
  LITERAL_KINDS.map((kind) => [kind, { leave: () => PLACEHOLDER }]),
);

/** The document printed with every literal value replaced by `?` (never a value). */
export function sanitizedDocument(printer: GraphqlPrinter, document: unknown): string {
  return printer.print(printer.visit(document, SANITIZER));
}
