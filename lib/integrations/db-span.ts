import type { QueryTextMode } from '../config/integration-options.js';
import { NOOP_SPAN } from '../core/non-recording-span.js';
import { exceptionAttributes } from '../core/span.js';
import { SpanKind, SpanStatusCode, type Attributes, type Span } from '../core/types.js';
import type { ActiveHost } from './integration.js';
import { sanitizeSql, sqlShape, type SqlDialect, type SqlShape } from './sql-text.js';

/** One database or cache call, as an integration reads it from its library. */
export interface DbCall {
  /** `db.system.name`: postgresql, mysql, mariadb, redis, mongodb. */
  readonly system: string;
  /** `db.namespace`: the database (SQL), the database index (Redis), the db name (Mongo). */
  readonly namespace?: string;
  /** `db.operation.name`; read from the statement when it is SQL and this is unset. */
  readonly operation?: string;
  /** `db.collection.name`; read from the statement when it names one table. */
  readonly collection?: string;
  /**
   * The statement as the app wrote it; recorded as the host's `queryText` setting says.
   * `valuesInlined`: the client already wrote the bound values into it (mysql2's `query()`
   * with values), so it is recorded sanitized even when `queryText` is `'raw'`.
   */
  readonly sql?: {
    readonly text: string;
    readonly dialect: SqlDialect;
    readonly valuesInlined?: boolean;
  };
  /** A statement that is not SQL (a Redis command with its values replaced), recorded as is. */
  readonly queryText?: string;
  readonly serverAddress?: string;
  readonly serverPort?: number;
  /** The span name when the conventions' `{summary}` / `{operation} {target}` does not fit (Redis: `SET`). */
  readonly name?: string;
  /** More attributes (`db.operation.batch.size`, ...). */
  readonly attributes?: Attributes;
}

interface SqlFacts {
  readonly sanitized: string;
  readonly shape: SqlShape;
}

// An app runs the same few statements over and over (the N+1 loop most of all): each is
// sanitized and read once.
const MAX_CACHED = 512;
const cache = new Map<string, SqlFacts>();

function sqlFacts(text: string, dialect: SqlDialect): SqlFacts {
  const key = dialect === 'mysql' ? `m${text}` : `p${text}`;
  let facts = cache.get(key);
  if (facts === undefined) {
    const sanitized = sanitizeSql(text, dialect);
    facts = { sanitized, shape: sqlShape(sanitized) };
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
    cache.set(key, facts);
  }
  return facts;
}

function queryTextOf(
  call: DbCall,
  facts: SqlFacts | undefined,
  mode: QueryTextMode,
): string | undefined {
  if (mode === false) return undefined;
  if (call.sql === undefined) return call.queryText;
  return mode === 'raw' && call.sql.valuesInlined !== true ? call.sql.text : facts?.sanitized;
}

/**
 * Opens the CLIENT span of a database call, named and attributed by the OpenTelemetry
 * database conventions: `{summary}` (`SELECT users`), else `{operation} {collection}`, else
 * the system. Undefined when the call is not traced (sampled out, suppressed, disabled):
 * the caller then does nothing more.
 */
export function startDbSpan(active: ActiveHost, call: DbCall): Span | undefined {
  const facts = call.sql === undefined ? undefined : sqlFacts(call.sql.text, call.sql.dialect);
  const operation = call.operation ?? facts?.shape.operation;
  const tables = facts?.shape.tables;
  const collection = call.collection ?? (tables?.length === 1 ? tables[0] : undefined);
  const summary = facts?.shape.summary;
  const target = collection ?? call.namespace;
  const name =
    call.name ??
    summary ??
    (operation === undefined
      ? call.system
      : target === undefined
        ? operation
        : `${operation} ${target}`);
  const span = active.host.tracer.startSpan(
    name,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': call.system,
        'db.namespace': call.namespace,
        'db.operation.name': operation,
        'db.collection.name': collection,
        'db.query.summary': summary,
        'db.query.text': queryTextOf(call, facts, active.host.settings.queryText),
        'server.address': call.serverAddress,
        'server.port': call.serverPort,
        ...call.attributes,
      },
    },
    active.context,
  );
  // A database span has no header to carry: a dropped one (unsampled) costs nothing more.
  return span === NOOP_SPAN || !span.isRecording() ? undefined : span;
}

/**
 * Ends a database span: on failure `error.type` (the error's own code, else `statusCode`, else
 * its class), `db.response.status_code` (`statusCode`, else the error's code), an exception
 * event and the error status. `statusCode` null says the server gave none (a client-side
 * error such as ECONNREFUSED, whose code is then only its `error.type`).
 */
export function endDbSpan(span: Span, error?: unknown, statusCode?: string | number | null): void {
  try {
    if (error !== undefined) {
      const status = statusCode === null ? undefined : (statusCode ?? codeOf(error));
      if (status !== undefined) span.setAttribute('db.response.status_code', String(status));
      const type = codeOf(error) ?? status;
      span.setAttribute('error.type', type !== undefined ? String(type) : errorClass(error));
      span.addEvent('exception', exceptionAttributes(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
    }
  } finally {
    span.end();
  }
}

function codeOf(error: unknown): string | number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? code : undefined;
}

function errorClass(error: unknown): string {
  if (error instanceof Error) return error.constructor?.name || error.name || 'Error';
  return '_OTHER';
}

function messageOf(error: unknown): string | undefined {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : undefined;
}

/** For tests: forget the cached statements. */
export function clearSqlCache(): void {
  cache.clear();
}
