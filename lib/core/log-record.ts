import type { ExportResult } from './span-exporter.js';
import type { Resource } from './types.js';

/**
 * The log data model shared by the logger, the pipeline and the log exporters. Plain
 * types and pure helpers: no Nest, no I/O.
 */

/** Severity names, lowest first (OpenTelemetry's short names, lower case). */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Level names accepted in options: ours plus Nest's `verbose` (trace) and `log` (info). */
export type LogLevelName = LogLevel | 'verbose' | 'log';

export const LOG_LEVELS: readonly LogLevel[] = Object.freeze([
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
]);

/** OpenTelemetry SeverityNumber of each level (the first of its range). */
export const LOG_SEVERITY: Readonly<Record<LogLevel, number>> = Object.freeze({
  trace: 1,
  debug: 5,
  info: 9,
  warn: 13,
  error: 17,
  fatal: 21,
});

const ALIASES: Readonly<Record<string, LogLevel>> = { verbose: 'trace', log: 'info' };

/** A level name or alias as a level; undefined when it is neither. */
export function toLogLevel(name: unknown): LogLevel | undefined {
  if (typeof name !== 'string') return undefined;
  const lower = name.toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(lower) ? (lower as LogLevel) : ALIASES[lower];
}

/** Fields a record carries besides the standard ones: bound by a run context or given by a call. */
export type LogFields = Record<string, unknown>;

/** An error attached to a record. */
export interface LogError {
  /** The error's class name (`TypeError`) or `Error` for non-Error values. */
  type: string;
  message: string;
  stack?: string;
}

/** One log line, as the pipeline hands it to the stdout writer and the exporters. */
export interface LogRecord {
  /** High-resolution time, like span times: milliseconds since `performance.timeOrigin`. */
  readonly time: number;
  readonly level: LogLevel;
  readonly message: string;
  /** The Nest logger context (`new Logger('UsersService')`). */
  readonly context: string | undefined;
  /** Ids of the span active when the line was logged. */
  readonly traceId: string | undefined;
  readonly spanId: string | undefined;
  /** W3C trace flags of that span (bit 0: sampled). */
  readonly traceFlags: number | undefined;
  readonly correlationId: string | undefined;
  /** Bound fields (run context) and the call's own fields, secrets redacted. */
  readonly fields: Readonly<LogFields>;
  readonly error: LogError | undefined;
  /** The app's resource: `service.name`, `deployment.environment.name`, `host.name`… */
  readonly resource: Resource;
  /** `log` for a logged line; `span` for a finished span shipped as a line. */
  readonly source: 'log' | 'span';
}

/**
 * Sends log records somewhere. Like a SpanExporter: one batch per call, the outcome
 * reported (never thrown), called by a log processor only, never on the request path.
 */
export interface LogExporter {
  export(records: readonly LogRecord[]): Promise<ExportResult>;
  /** Sends anything the exporter buffers itself. */
  forceFlush?(): Promise<void>;
  /** Releases connections. Called once, after the last export. */
  shutdown(): Promise<void>;
}

/** The resource facts log formats use, read from the resource's attributes. */
export interface ResourceInfo {
  service: string;
  environment: string | undefined;
  version: string | undefined;
  host: string | undefined;
}

const resourceInfoCache = new WeakMap<Resource, ResourceInfo>();

export function resourceInfo(resource: Resource): ResourceInfo {
  let info = resourceInfoCache.get(resource);
  if (info === undefined) {
    const a = resource.attributes;
    info = {
      service: stringOr(a['service.name']) ?? 'unknown_service:node',
      environment: stringOr(a['deployment.environment.name']),
      version: stringOr(a['service.version']),
      host: stringOr(a['host.name']),
    };
    resourceInfoCache.set(resource, info);
  }
  return info;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** An error as a LogError: its class, message and stack; other thrown values as text. */
export function toLogError(error: unknown): LogError {
  if (error instanceof Error) {
    const out: LogError = {
      type: error.constructor?.name || error.name || 'Error',
      message: error.message,
    };
    if (typeof error.stack === 'string') out.stack = error.stack;
    return out;
  }
  return { type: 'Error', message: typeof error === 'string' ? error : safeString(error) };
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
