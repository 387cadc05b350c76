import { hrTimeToUnixNanos } from '../../core/clock.js';
import { fitLogRecord, formatLogJsonLine } from '../../core/log-format.js';
import { resourceInfo, type LogRecord } from '../../core/log-record.js';

/**
 * Pure log record → Grafana Loki push API mapping (`POST /loki/api/v1/push`, JSON). A
 * stream per label set, with few, low-cardinality labels (service, environment, level and
 * the user's static ones); everything else, trace ids included, stays in the JSON line,
 * where `| json` and derived fields find it. Timestamps are epoch nanoseconds as strings.
 */

export interface LokiFormatOptions {
  /** Static labels on every stream, e.g. `{ team: 'checkout' }`. Keep them few and fixed. */
  labels?: Readonly<Record<string, string>>;
}

export interface LokiStream {
  stream: Record<string, string>;
  /** `[epoch nanoseconds, line]`, oldest first. */
  values: [string, string][];
}

export interface LokiPushRequest {
  streams: LokiStream[];
}

export interface LokiLimits {
  /** Largest push body; a batch above it is split. @default 1 MiB */
  maxRequestBytes: number;
  /** Longest line; longer ones are cut (Loki's default `max_line_size` is 256 KB). @default 256000 */
  maxLineBytes: number;
}

export const LOKI_LIMITS: Readonly<LokiLimits> = Object.freeze({
  maxRequestBytes: 1024 * 1024,
  maxLineBytes: 256_000,
});

/** Loki's label name syntax (Prometheus'). */
export const LOKI_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The stream labels of a record: `service`, `environment` (when set), `level`, then the static ones. */
export function lokiLabels(
  record: LogRecord,
  options: LokiFormatOptions = {},
): Record<string, string> {
  const info = resourceInfo(record.resource);
  const labels: Record<string, string> = { ...options.labels, service: info.service };
  if (info.environment !== undefined) labels.environment = info.environment;
  labels.level = record.level;
  return labels;
}

/** One push request for these records (no splitting). */
export function toLokiPush(
  records: readonly LogRecord[],
  options: LokiFormatOptions = {},
  maxLineBytes = LOKI_LIMITS.maxLineBytes,
): LokiPushRequest {
  return pushOf(lokiEntries(records, options, maxLineBytes));
}

interface Entry {
  key: string;
  labels: Record<string, string>;
  ns: bigint;
  index: number;
  line: string;
}

function lokiEntries(
  records: readonly LogRecord[],
  options: LokiFormatOptions,
  maxLineBytes: number,
): Entry[] {
  return records.map((record, index) => {
    const labels = lokiLabels(record, options);
    return {
      key: streamKey(labels),
      labels,
      ns: hrTimeToUnixNanos(record.time),
      index,
      line: formatLogJsonLine(fitLogRecord(record, maxLineBytes)),
    };
  });
}

function pushOf(entries: readonly Entry[]): LokiPushRequest {
  const streams = new Map<string, { stream: Record<string, string>; entries: Entry[] }>();
  for (const entry of entries) {
    let group = streams.get(entry.key);
    if (group === undefined) {
      group = { stream: entry.labels, entries: [] };
      streams.set(entry.key, group);
    }
    group.entries.push(entry);
  }
  return {
    streams: [...streams.values()].map(({ stream, entries: list }) => ({
      stream,
      // Loki wants each stream in time order; the index keeps equal times in log order.
      values: list
        .toSorted((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : a.index - b.index))
        .map((e): [string, string] => [e.ns.toString(), e.line]),
    })),
  };
}

function streamKey(labels: Record<string, string>): string {
  return JSON.stringify(
    Object.keys(labels)
      .toSorted()
      .map((k) => [k, labels[k]]),
  );
}

// `{"streams":[]}` and, per stream, `{"stream":…,"values":[]},`.
const BODY_OVERHEAD = 16;
const STREAM_OVERHEAD = 24;

/** The push bodies for a batch, each under `maxRequestBytes`, records in order across them. */
export function encodeLokiPush(
  records: readonly LogRecord[],
  options: LokiFormatOptions = {},
  limits: LokiLimits = LOKI_LIMITS,
): string[] {
  const bodies: string[] = [];
  let chunk: Entry[] = [];
  let keys = new Set<string>();
  let bytes = BODY_OVERHEAD;
  for (const entry of lokiEntries(records, options, limits.maxLineBytes)) {
    let size = Buffer.byteLength(JSON.stringify([entry.ns.toString(), entry.line])) + 1;
    if (!keys.has(entry.key)) size += Buffer.byteLength(entry.key) + STREAM_OVERHEAD;
    if (chunk.length > 0 && bytes + size > limits.maxRequestBytes) {
      bodies.push(JSON.stringify(pushOf(chunk)));
      chunk = [];
      keys = new Set();
      bytes = BODY_OVERHEAD;
      size = Buffer.byteLength(JSON.stringify([entry.ns.toString(), entry.line])) + 1;
      size += Buffer.byteLength(entry.key) + STREAM_OVERHEAD;
    }
    chunk.push(entry);
    keys.add(entry.key);
    bytes += size;
  }
  if (chunk.length > 0) bodies.push(JSON.stringify(pushOf(chunk)));
  return bodies;
}
