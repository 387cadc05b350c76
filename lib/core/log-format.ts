import { hrTimeToUnixMillis } from './clock.js';
import { cutUtf8 } from './redaction/redaction.js';
import { resourceInfo, type LogError, type LogLevel, type LogRecord } from './log-record.js';

/**
 * Pure log formatting: the JSON line every backend ships (and stdout prints), and the
 * readable line for development. No I/O, so the writer and the exporters share it.
 */

/** One record as a JSON object: the standard keys first, then the fields. */
export interface LogJson {
  /** ISO 8601, UTC, millisecond precision. */
  timestamp: string;
  level: LogLevel;
  message: string;
  context?: string;
  service: string;
  environment?: string;
  version?: string;
  trace_id?: string;
  span_id?: string;
  correlation_id?: string;
  error?: LogError;
  [field: string]: unknown;
}

/** Keys a field may not take over: they are the line's own. */
export const RESERVED_LOG_KEYS: ReadonlySet<string> = new Set([
  'timestamp',
  'level',
  'message',
  'context',
  'service',
  'environment',
  'version',
  'trace_id',
  'span_id',
  'correlation_id',
  'error',
]);

export function logRecordToJson(record: LogRecord): LogJson {
  const info = resourceInfo(record.resource);
  // Built in the documented key order: JSON keeps insertion order.
  const out = {
    timestamp: new Date(hrTimeToUnixMillis(record.time)).toISOString(),
    level: record.level,
    message: record.message,
  } as LogJson;
  if (record.context !== undefined) out.context = record.context;
  out.service = info.service;
  if (info.environment !== undefined) out.environment = info.environment;
  if (info.version !== undefined) out.version = info.version;
  if (record.traceId !== undefined) out.trace_id = record.traceId;
  if (record.spanId !== undefined) out.span_id = record.spanId;
  if (record.correlationId !== undefined) out.correlation_id = record.correlationId;
  const fields = record.fields;
  for (const key in fields) {
    if (RESERVED_LOG_KEYS.has(key)) continue;
    const value = fields[key];
    if (value === undefined) continue;
    if (key === '__proto__') {
      Object.defineProperty(out, key, { value, enumerable: true, writable: true });
    } else out[key] = value;
  }
  if (record.error !== undefined) out.error = { ...record.error };
  return out;
}

/** The record as one line of JSON, without the newline. Never throws. */
export function formatLogJsonLine(record: LogRecord): string {
  return stringifyLogJson(logRecordToJson(record));
}

/** JSON.stringify that turns bigints into strings and never throws. */
export function stringifyLogJson(value: object): string {
  try {
    return JSON.stringify(value, bigintReplacer);
  } catch (error) {
    // A getter that throws or a cycle in a field the redactor did not see: keep the line.
    const json = value as Partial<LogJson>;
    return JSON.stringify({
      timestamp: json.timestamp,
      level: json.level,
      message: json.message,
      trace_id: json.trace_id,
      span_id: json.span_id,
      format_error: error instanceof Error ? error.message : String(error),
    });
  }
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * The record cut so that its JSON line fits in `maxBytes` of UTF-8, for backends with a
 * per-line limit: the stack goes first, then the message, then the fields; a cut record
 * carries `truncated: true`. Backends that wrap the line in more JSON pass a smaller limit.
 */
export function fitLogRecord(record: LogRecord, maxBytes: number): LogRecord {
  let line = formatLogJsonLine(record);
  if (line.length * 3 <= maxBytes || Buffer.byteLength(line) <= maxBytes) return record;
  let fitted: LogRecord = { ...record, fields: { ...record.fields, truncated: true } };
  const excess = () => Buffer.byteLength(line) - maxBytes;
  // Every byte cut from a value takes at least one byte off its JSON (escapes take more),
  // so cutting the excess plus room for the ellipsis is always enough.
  const cut = (value: string) =>
    cutUtf8(value, Math.max(0, Buffer.byteLength(value) - excess() - 8)).text + '…';
  line = formatLogJsonLine(fitted);
  if (excess() > 0 && fitted.error?.stack !== undefined) {
    fitted = { ...fitted, error: { ...fitted.error, stack: cut(fitted.error.stack) } };
    line = formatLogJsonLine(fitted);
  }
  if (excess() > 0) {
    fitted = { ...fitted, message: cut(fitted.message) };
    line = formatLogJsonLine(fitted);
  }
  if (excess() > 0) {
    fitted = { ...fitted, fields: { truncated: true } };
    line = formatLogJsonLine(fitted);
  }
  if (excess() > 0 && fitted.error !== undefined) {
    fitted = { ...fitted, error: { type: fitted.error.type, message: cut(fitted.error.message) } };
  }
  return fitted;
}

/** The JSON line of the record cut to fit in `maxBytes` (see `fitLogRecord`). */
export function formatLogJsonLineWithin(record: LogRecord, maxBytes: number): string {
  return formatLogJsonLine(fitLogRecord(record, maxBytes));
}

const LEVEL_LABELS: Readonly<Record<LogLevel, string>> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO ',
  warn: 'WARN ',
  error: 'ERROR',
  fatal: 'FATAL',
};

const LEVEL_COLORS: Readonly<Record<LogLevel, string>> = {
  trace: '\u001b[90m',
  debug: '\u001b[35m',
  info: '\u001b[32m',
  warn: '\u001b[33m',
  error: '\u001b[31m',
  fatal: '\u001b[1;31m',
};
const DIM = '\u001b[2m';
const RESET = '\u001b[0m';

/**
 * A line for a person at a terminal: time, level, context, message, then the ids and
 * fields as `key=value`, and an error's stack on the lines below.
 */
export function formatLogPrettyLine(record: LogRecord, color = false): string {
  const time = new Date(hrTimeToUnixMillis(record.time)).toISOString().slice(11, 23);
  const level = color
    ? `${LEVEL_COLORS[record.level]}${LEVEL_LABELS[record.level]}${RESET}`
    : LEVEL_LABELS[record.level];
  let line = `${time} ${level} `;
  if (record.context !== undefined)
    line += color ? `\u001b[33m[${record.context}]${RESET} ` : `[${record.context}] `;
  line += record.message;
  let extra = '';
  if (record.traceId !== undefined) extra += ` trace_id=${record.traceId}`;
  if (record.correlationId !== undefined && record.correlationId !== record.traceId) {
    extra += ` correlation_id=${record.correlationId}`;
  }
  for (const key in record.fields) {
    const value = record.fields[key];
    if (value === undefined) continue;
    extra += ` ${key}=${typeof value === 'string' ? value : stringifyLogJson({ v: value }).slice(5, -1)}`;
  }
  if (extra !== '') line += color ? `${DIM}${extra}${RESET}` : extra;
  const error = record.error;
  if (error !== undefined) {
    const detail = error.stack ?? `${error.type}: ${error.message}`;
    line += '\n' + detail.replace(/^/gm, '    ');
  }
  return line;
}
