import { BatchQueue, type BatchExporter, type FailureReporter } from '../core/batch-queue.js';
import type { ExporterStats } from '../core/exporter-stats.js';
import { spanKindName, spanStatusName } from '../export/spans/console-format.js';
import type { SpanProcessor } from '../core/span-processor.js';
import { SpanStatusCode, TraceFlags, type ReadableSpan } from '../core/types.js';
import { DEFAULT_LOG_BATCH, type BatchLogProcessorOptions } from './batch-log-processor.js';
import {
  LOG_SEVERITY,
  type LogError,
  type LogExporter,
  type LogFields,
  type LogRecord,
} from '../core/log-record.js';

/**
 * A finished span as a log line, for log platforms that should show spans too: the
 * span's name as the message, its attributes as fields, kind, duration, status and
 * parent as `span.*` fields, and a failed span's exception as the error.
 */
export function spanToLogRecord(span: ReadableSpan): LogRecord {
  const failed = span.status.code === SpanStatusCode.ERROR;
  const fields: LogFields = { ...span.attributes };
  fields['span.kind'] = spanKindName(span.kind);
  fields['span.duration_ms'] = Math.round(span.durationMs * 1000) / 1000;
  fields['span.status'] = spanStatusName(span.status.code);
  if (span.parentSpanId !== undefined) fields['span.parent_id'] = span.parentSpanId;
  const correlationId = span.attributes['correlation.id'];
  return {
    time: span.startTime,
    level: failed ? 'error' : 'info',
    message: span.name,
    context: 'span',
    traceId: span.traceId,
    spanId: span.spanId,
    traceFlags: span.traceFlags,
    correlationId: typeof correlationId === 'string' ? correlationId : undefined,
    fields,
    error: failed ? spanError(span) : undefined,
    resource: span.resource,
    source: 'span',
  };
}

function spanError(span: ReadableSpan): LogError {
  const event = span.events.find((e) => e.name === 'exception');
  const a = event?.attributes ?? {};
  const error: LogError = {
    type: typeof a['exception.type'] === 'string' ? a['exception.type'] : 'Error',
    message:
      typeof a['exception.message'] === 'string'
        ? a['exception.message']
        : (span.status.message ?? ''),
  };
  if (typeof a['exception.stacktrace'] === 'string') error.stack = a['exception.stacktrace'];
  return error;
}

/**
 * Ships finished spans through a log exporter, as log lines, on a queue of their own
 * (the same BatchQueue as everything else). Spans are kept as they are until export, so
 * the request path pays for a queue slot only. The log pipeline owns the exporter: this
 * processor never shuts it down.
 */
export class SpanLogProcessor implements SpanProcessor {
  private readonly queue: BatchQueue<ReadableSpan>;
  private readonly minSeverity: number;

  constructor(
    exporter: LogExporter,
    options: BatchLogProcessorOptions = {},
    report: FailureReporter = () => {},
    name = exporter.constructor?.name || 'LogExporter',
  ) {
    const { level, ...batch } = options;
    this.minSeverity = level === undefined ? 0 : LOG_SEVERITY[level];
    // A retry passes the same array again: converting it once keeps the records (and an
    // exporter's record of which chunks it already delivered) the same.
    const converted = new WeakMap<readonly ReadableSpan[], LogRecord[]>();
    const adapter: BatchExporter<ReadableSpan> = {
      export: (spans) => {
        let records = converted.get(spans);
        if (records === undefined) {
          records = spans.map(spanToLogRecord);
          converted.set(spans, records);
        }
        return exporter.export(records);
      },
      shutdown: () => Promise.resolve(),
    };
    this.queue = new BatchQueue(adapter, { ...DEFAULT_LOG_BATCH, ...batch }, report, {
      items: 'spans',
      queue: 'span',
      exporter: `${name} (spans)`,
    });
  }

  onEnd(span: ReadableSpan): void {
    if ((span.traceFlags & TraceFlags.SAMPLED) === 0) return;
    const level = span.status.code === SpanStatusCode.ERROR ? 'error' : 'info';
    if (LOG_SEVERITY[level] < this.minSeverity) return;
    this.queue.add(span);
  }

  forceFlush(): Promise<void> {
    return this.queue.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.queue.shutdown();
  }

  stats(): ExporterStats {
    return this.queue.stats();
  }
}
