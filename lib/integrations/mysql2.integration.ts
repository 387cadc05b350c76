import { tracingChannel } from 'node:diagnostics_channel';
import { bindChannelContext, currentContext, type TraceContext } from '../core/trace-context.js';
import { activeDbCall, subscribeChannelSpans, type ChannelMessage } from './channel-spans.js';
import { endDbSpan, startDbSpan } from './db-span.js';
import type { Integration, IntegrationHosts } from './integration.js';
import { atLeast, findPackage } from './package-lookup.js';

/** The first mysql2 that publishes `mysql2:query` / `mysql2:execute` (lib/tracing.js). */
export const MYSQL2_MIN_VERSION = '3.20';

/** What mysql2 publishes for `query()` and `execute()` (lib/base/connection.js). */
interface StatementMessage {
  /** `query()`: the statement with its values already written in; `execute()`: as written. */
  readonly query?: unknown;
  /** The bound values: never read beyond "are there any". */
  readonly values?: unknown;
  readonly database?: string;
  readonly serverAddress?: string;
  readonly serverPort?: number;
}

interface ConnectMessage extends ChannelMessage {
  readonly serverAddress?: string;
  readonly serverPort?: number;
}

// Servers whose handshake said MariaDB: `db.system.name` is `mariadb` for them.
const MAX_SERVERS = 256;
const mariaDbServers = new Set<string>();

const serverKey = (address: string | undefined, port: number | undefined): string =>
  `${address}:${port}`;

function hasValues(values: unknown): boolean {
  if (values === undefined || values === null) return false;
  if (Array.isArray(values)) return values.length > 0;
  return typeof values === 'object';
}

/** mysql2 errors: `code` ER_NO_SUCH_TABLE (error.type), `errno` 1146 (the server's number). */
function errno(error: unknown): number | undefined {
  const value = (error as { errno?: unknown } | null | undefined)?.errno;
  return typeof value === 'number' ? value : undefined;
}

function subscribeStatements(
  hosts: IntegrationHosts,
  name: string,
  inlinesValues: boolean,
): () => void {
  return subscribeChannelSpans<StatementMessage>(name, {
    open(message) {
      const active = activeDbCall(hosts, 'mysql2');
      if (active === undefined) return undefined;
      const text = typeof message.query === 'string' ? message.query : undefined;
      const { serverAddress, serverPort } = message;
      return startDbSpan(active, {
        system: mariaDbServers.has(serverKey(serverAddress, serverPort)) ? 'mariadb' : 'mysql',
        namespace: message.database || undefined,
        sql:
          text === undefined
            ? undefined
            : {
                text,
                dialect: 'mysql',
                valuesInlined: inlinesValues && hasValues(message.values),
              },
        serverAddress,
        serverPort,
      });
    },
    close(span, message, error) {
      // A new connection's first statement can start before its handshake was read.
      if (mariaDbServers.has(serverKey(message.serverAddress, message.serverPort))) {
        span.setAttribute('db.system.name', 'mariadb');
      }
      endDbSpan(span, error, error === undefined ? undefined : errno(error));
    },
  });
}

const poolBinding = { count: 0, dispose: (): void => {} };

/**
 * `pool.getConnection()` hands a connection to its callback from whichever flow freed it (a
 * caller that waited gets it from another request's release): that callback, where the
 * pool's `query()`/`execute()` then runs, is put back in the caller's context.
 */
function keepPoolCallerContext(): () => void {
  // One binding of the process's context store, however many registries enable this (tests).
  if (poolBinding.count++ === 0) {
    const channel = tracingChannel<TraceContext, object>('mysql2:pool:connect');
    const callers = new WeakMap<object, TraceContext>();
    const subscribers = {
      start(message: object): void {
        const context = currentContext();
        if (context !== undefined) callers.set(message, context);
      },
      end(): void {},
      asyncStart(): void {},
      asyncEnd(message: object): void {
        callers.delete(message);
      },
      error(): void {},
    };
    channel.subscribe(subscribers);
    const unbind = bindChannelContext<object>(channel.asyncStart as never, (message) =>
      callers.get(message),
    );
    poolBinding.dispose = () => {
      unbind();
      channel.unsubscribe(subscribers);
    };
  }
  let bound = true;
  return () => {
    if (!bound) return;
    bound = false;
    if (--poolBinding.count === 0) poolBinding.dispose();
  };
}

/**
 * MySQL and MariaDB through mysql2, from the TracingChannels it publishes since 3.20:
 * `mysql2:query` and `mysql2:execute` (callback, promise and event-emitter calls alike, pools
 * included); `mysql2:connect` only to read the server's handshake (MariaDB or MySQL),
 * `mysql2:pool:connect` only to run a pooled call in its caller's context. Neither the
 * handshake nor the wait for a pooled connection gets a span.
 */
export const mysql2Integration: Integration = {
  name: 'mysql2',
  installed() {
    const found = findPackage('mysql2');
    return found !== undefined && atLeast(found.version, MYSQL2_MIN_VERSION);
  },
  enable(hosts) {
    const unsubscribeQuery = subscribeStatements(hosts, 'mysql2:query', true);
    const unsubscribeExecute = subscribeStatements(hosts, 'mysql2:execute', false);
    const unbindPool = keepPoolCallerContext();
    const connect = tracingChannel<unknown, ConnectMessage>('mysql2:connect');
    const handshake = {
      start(): void {},
      end(): void {},
      asyncStart(): void {},
      asyncEnd(message: ConnectMessage): void {
        try {
          const version = (message.result as { serverVersion?: unknown } | undefined)
            ?.serverVersion;
          if (typeof version !== 'string' || !version.includes('MariaDB')) return;
          if (mariaDbServers.size >= MAX_SERVERS) mariaDbServers.clear();
          mariaDbServers.add(serverKey(message.serverAddress, message.serverPort));
        } catch {
          // Never breaks the connection it watches.
        }
      },
      error(): void {},
    };
    connect.subscribe(handshake);
    return () => {
      unsubscribeQuery();
      unsubscribeExecute();
      unbindPool();
      connect.unsubscribe(handshake);
    };
  },
};
