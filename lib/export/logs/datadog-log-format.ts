import { hrTimeToUnixMillis } from '../../core/clock.js';
import { stringifyLogJson, fitLogRecord } from '../../core/log-format.js';
import { resourceInfo, type LogLevel, type LogRecord } from '../../core/log-record.js';

/**
 * Pure log record → Datadog logs intake v2 mapping (no I/O). The reserved attributes
 * (`ddsource`, `ddtags`, `hostname`, `service`, `message`, `status`, `timestamp`) are set
 * from the record and its resource; the trace ids are given both as Datadog links logs to
 * traces (`dd.trace_id` / `dd.span_id`: the lower 64 bits as unsigned decimal) and as the
 * OpenTelemetry hex ids (`trace_id` / `span_id`).
 */

export interface DatadogFormatOptions {
  /** @default the resource's `service.name` */
  service?: string;
  /** @default the resource's `host.name` */
  hostname?: string;
  /** The integration that produced the logs. @default 'nodejs' */
  ddsource?: string;
  /**
   * Tags as `key:value` pairs. `env:` and `version:` are added from the resource's
   * environment and version when not given (Datadog's unified service tagging).
   */
  ddtags?: readonly string[];
}

/** One entry of the intake's JSON array. */
export interface DatadogLog {
  ddsource: string;
  ddtags?: string;
  hostname?: string;
  service: string;
  message: string;
  /** Datadog status: debug, info, warn, error, critical. */
  status: string;
  /** Epoch milliseconds. */
  timestamp: number;
  logger?: { name: string };
  dd?: { trace_id: string; span_id: string };
  trace_id?: string;
  span_id?: string;
  correlation_id?: string;
  error?: { kind: string; message: string; stack?: string };
  [field: string]: unknown;
}

/** The intake's limits per request (its documentation: 5 MB, 1 MB per log, 1000 logs). */
export interface DatadogLimits {
  maxEntries: number;
  maxPayloadBytes: number;
  maxEntryBytes: number;
}

export const DATADOG_LIMITS: Readonly<DatadogLimits> = Object.freeze({
  maxEntries: 1000,
  maxPayloadBytes: 5_000_000,
  maxEntryBytes: 1_000_000,
});

const STATUS: Readonly<Record<LogLevel, string>> = {
  trace: 'debug',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'critical',
};

const RESERVED = new Set([
  'ddsource',
  'ddtags',
  'hostname',
  'service',
  'message',
  'status',
  'timestamp',
  'logger',
  'dd',
  'trace_id',
  'span_id',
  'correlation_id',
  'error',
]);

/** An OpenTelemetry id (hex) as Datadog's: its lower 64 bits as an unsigned decimal. */
export function toDatadogId(hexId: string): string {
  return BigInt.asUintN(64, BigInt(`0x${hexId.slice(-16)}`)).toString();
}

export function toDatadogLog(record: LogRecord, options: DatadogFormatOptions = {}): DatadogLog {
  const info = resourceInfo(record.resource);
  const out: DatadogLog = {
    ddsource: options.ddsource ?? 'nodejs',
    service: options.service ?? info.service,
    message: record.message,
    status: STATUS[record.level],
    timestamp: Math.round(hrTimeToUnixMillis(record.time)),
  };
  const tags = ddtagsFor(options.ddtags, info.environment, info.version);
  if (tags !== '') out.ddtags = tags;
  const hostname = options.hostname ?? info.host;
  if (hostname !== undefined) out.hostname = hostname;
  if (record.context !== undefined) out.logger = { name: record.context };
  if (record.traceId !== undefined && record.spanId !== undefined) {
    out.dd = { trace_id: toDatadogId(record.traceId), span_id: toDatadogId(record.spanId) };
    out.trace_id = record.traceId;
    out.span_id = record.spanId;
  }
  if (record.correlationId !== undefined) out.correlation_id = record.correlationId;
  for (const key in record.fields) {
    const value = record.fields[key];
    if (value === undefined || RESERVED.has(key)) continue;
    if (key === '__proto__') {
      Object.defineProperty(out, key, { value, enumerable: true, writable: true });
    } else out[key] = value;
  }
  if (record.error !== undefined) {
    out.error = { kind: record.error.type, message: record.error.message };
    if (record.error.stack !== undefined) out.error.stack = record.error.stack;
  }
  return out;
}

function ddtagsFor(
  given: readonly string[] | undefined,
  environment: string | undefined,
  version: string | undefined,
): string {
  const tags = given === undefined ? [] : [...given];
  if (environment !== undefined && !tags.some((t) => t.startsWith('env:'))) {
    tags.push(`env:${environment}`);
  }
  if (version !== undefined && !tags.some((t) => t.startsWith('version:'))) {
    tags.push(`version:${version}`);
  }
  return tags.join(',');
}

// Room for the Datadog keys around the fields, which the record's own line does not have.
const ENVELOPE_BYTES = 1024;

/**
 * The request bodies for a batch: JSON arrays of at most `maxEntries` logs and
 * `maxPayloadBytes` bytes (uncompressed), each log cut to `maxEntryBytes`, in order.
 */
export function encodeDatadogLogs(
  records: readonly LogRecord[],
  options: DatadogFormatOptions = {},
  limits: DatadogLimits = DATADOG_LIMITS,
): string[] {
  const bodies: string[] = [];
  let entries: string[] = [];
  let bytes = 2;
  for (const record of records) {
    const fitted = fitLogRecord(record, limits.maxEntryBytes - ENVELOPE_BYTES);
    const entry = stringifyLogJson(toDatadogLog(fitted, options));
    const size = Buffer.byteLength(entry) + 1;
    if (
      entries.length > 0 &&
      (entries.length >= limits.maxEntries || bytes + size > limits.maxPayloadBytes)
    ) {
      bodies.push(`[${entries.join(',')}]`);
      entries = [];
      bytes = 2;
    }
    entries.push(entry);
    bytes += size;
  }
  if (entries.length > 0) bodies.push(`[${entries.join(',')}]`);
  return bodies;
}
