import type { ExporterStats } from '../core/exporter-stats.js';
import { now } from '../core/clock.js';
import { NOOP_SPAN } from '../core/non-recording-span.js';
import { createResource } from '../core/resource.js';
import type { SpanProcessor } from '../core/span-processor.js';
import { currentContext, type TraceContext } from '../core/trace-context.js';
import type { Tracer } from '../core/tracer.js';
import type { AttributesInput, Resource } from '../core/types.js';
import { FieldRedactor } from './log-fields.js';
import {
  formatLogJsonLine,
  formatLogPrettyLine,
  logRecordToJson,
  stringifyLogJson,
} from '../core/log-format.js';
import { LogOutput, type LogDestination } from './log-output.js';
import type { LogProcessor } from './log-processor.js';
import {
  LOG_LEVELS,
  LOG_SEVERITY,
  type LogError,
  type LogFields,
  type LogLevel,
  type LogRecord,
} from '../core/log-record.js';

export interface LogPipelineOptions {
  /** The app's resource (service, environment, host), as spans carry it. */
  resource: Resource;
  /** Lowest level written and exported. @default 'info' */
  level?: LogLevel;
  /** `json`: one JSON object per line. `pretty`: readable lines for development. @default 'json' */
  format?: 'json' | 'pretty';
  /** Where lines are written; `false` writes none (exporters only). @default process.stdout */
  destination?: LogDestination | false;
  /** Lines held while the destination is slow before lines are dropped. @default 10000 */
  maxBufferedLines?: number;
  /** Record each line as an event on the active span. @default false */
  spanEvents?: boolean;
  /** Field names redacted besides the built-in secret-looking ones. */
  redactKeys?: readonly string[];
  /** One per log exporter. */
  processors?: readonly LogProcessor[];
  /** Processors shipping spans through the same exporters: flushed before those close. */
  spanProcessors?: readonly SpanProcessor[];
  /** Runs first at shutdown: the tracer's flush, so spans still held upstream reach the span queues. */
  beforeShutdown?: () => Promise<void>;
}

/** One line to log, before the pipeline adds time, ids, bound fields and the resource. */
export interface LogInput {
  level: LogLevel;
  message: string;
  context?: string;
  /** The call's own fields; nested values are allowed and redacted by key. */
  fields?: Readonly<Record<string, unknown>>;
  error?: LogError;
}

const EMPTY_FIELDS: Readonly<LogFields> = Object.freeze({});
const DEFAULT_MAX_BUFFERED_LINES = 10_000;

/**
 * Turns log calls into records and fans them out: the local destination (stdout), an
 * event on the active span when asked, and the log exporters' queues. Every step is
 * cheap and none throws, so logging never slows or breaks the request that logs.
 * Lines logged while the library exports (a suppressed context) go to the destination
 * only: an exporter's own trouble must never be shipped back through itself.
 */
export class LogPipeline {
  readonly resource: Resource;
  private readonly enabledLevels: Record<LogLevel, boolean>;
  private readonly output: LogOutput | undefined;
  private readonly redactor: FieldRedactor;
  private readonly spanEvents: boolean;
  private readonly processors: readonly LogProcessor[];
  private readonly spanProcessors: readonly SpanProcessor[];
  private readonly beforeShutdown: (() => Promise<void>) | undefined;
  private shutdownPromise: Promise<void> | undefined;

  constructor(options: LogPipelineOptions) {
    this.resource = options.resource;
    this.enabledLevels = levelsFrom(options.level ?? 'info');
    this.redactor = new FieldRedactor(options.redactKeys);
    this.spanEvents = options.spanEvents === true;
    this.processors = options.processors ?? [];
    this.spanProcessors = options.spanProcessors ?? [];
    this.beforeShutdown = options.beforeShutdown;
    const destination =
      options.destination === undefined ? process.stdout : options.destination || undefined;
    if (destination !== undefined) {
      const pretty = options.format === 'pretty';
      const color = pretty && isColorTerminal(destination);
      this.output = new LogOutput({
        destination,
        format: pretty ? (r) => formatLogPrettyLine(r, color) : formatLogJsonLine,
        maxBufferedLines: options.maxBufferedLines ?? DEFAULT_MAX_BUFFERED_LINES,
        droppedLine: (count) => this.droppedLine(count, pretty),
      });
    }
  }

  isLevelEnabled(level: LogLevel): boolean {
    return this.enabledLevels[level];
  }

  /** Everything from `level` up. */
  setLevel(level: LogLevel): void {
    Object.assign(this.enabledLevels, levelsFrom(level));
  }

  /** Exactly these levels (Nest's `setLogLevels`). */
  setEnabledLevels(levels: Iterable<LogLevel>): void {
    const on = new Set(levels);
    for (const level of LOG_LEVELS) this.enabledLevels[level] = on.has(level);
  }

  /**
   * Logs one line in `context` (the current one by default): its span's ids, its
   * correlation id and its bound fields go into the record.
   */
  emit(input: LogInput, context: TraceContext | undefined = currentContext()): void {
    if (!this.enabledLevels[input.level]) return;
    try {
      const span = context?.span;
      const active = span !== undefined && span !== NOOP_SPAN ? span : undefined;
      const spanContext = active?.spanContext();
      let fields: Readonly<LogFields> = EMPTY_FIELDS;
      if (context?.fields !== undefined) fields = this.redactor.bound(context.fields);
      if (input.fields !== undefined) {
        const own = this.redactor.nested(input.fields);
        fields = fields === EMPTY_FIELDS ? own : { ...fields, ...own };
      }
      const record: LogRecord = {
        time: now(),
        level: input.level,
        message: input.message,
        context: input.context,
        traceId: spanContext?.traceId,
        spanId: spanContext?.spanId,
        traceFlags: spanContext?.traceFlags,
        correlationId: context?.correlationId,
        fields,
        error: input.error,
        resource: this.resource,
        source: 'log',
      };
      this.output?.write(record);
      if (this.spanEvents && active !== undefined && active.isRecording()) {
        active.addEvent('log', spanEventAttributes(record));
      }
      if (context?.suppressed === true) return;
      for (const processor of this.processors) processor.onEmit(record);
    } catch {
      // A logger that throws would turn a log line into an outage.
    }
  }

  /**
   * The library's own warnings about the log pipeline (an exporter failing): written to
   * the destination only, never exported, so a broken exporter cannot feed on itself.
   */
  writeInternal(level: LogLevel, message: string): void {
    if (!this.enabledLevels[level] || this.output === undefined) return;
    this.output.write({
      time: now(),
      level,
      message,
      context: 'TraceLogger',
      traceId: undefined,
      spanId: undefined,
      traceFlags: undefined,
      correlationId: undefined,
      fields: EMPTY_FIELDS,
      error: undefined,
      resource: this.resource,
      source: 'log',
    });
  }

  /** Writes queued lines now and exports everything queued. */
  async forceFlush(): Promise<void> {
    this.output?.flush();
    await Promise.all([
      ...this.spanProcessors.map((p) => p.forceFlush()),
      ...this.processors.map((p) => p.forceFlush()),
    ]);
  }

  /**
   * Flushes the spans shipped as log lines, then the log queues (each within its
   * deadline), then writes what is left for the destination. Idempotent.
   */
  shutdown(): Promise<void> {
    return (this.shutdownPromise ??= this.stop());
  }

  /** Nest calls this at app shutdown: the pipeline is one of TracingModule's providers. */
  onApplicationShutdown(): Promise<void> {
    return this.shutdown();
  }

  /** What each log exporter's queue has done: exported, dropped, failed, retried. */
  stats(): ExporterStats[] {
    return [...this.processors, ...this.spanProcessors].flatMap((p) =>
      p.stats ? [p.stats()] : [],
    );
  }

  /** Lines the destination could not take in time and that were dropped. */
  get droppedLines(): number {
    return this.output?.dropped ?? 0;
  }

  private async stop(): Promise<void> {
    unregisterLogPipeline(this);
    if (this.spanProcessors.length > 0) await this.beforeShutdown?.().catch(() => undefined);
    // Tracer shutdown may come later (the module's own hook runs last); shutting the span
    // queues first lets them use the exporters before those close. Both are idempotent.
    await Promise.allSettled(this.spanProcessors.map((p) => p.shutdown()));
    await Promise.allSettled(this.processors.map((p) => p.shutdown()));
    this.output?.close();
  }

  private droppedLine(count: number, pretty: boolean): string {
    const record: LogRecord = {
      time: now(),
      level: 'warn',
      message: `${count} log lines were dropped: the log destination could not keep up`,
      context: 'TraceLogger',
      traceId: undefined,
      spanId: undefined,
      traceFlags: undefined,
      correlationId: undefined,
      fields: { dropped_lines: count },
      error: undefined,
      resource: this.resource,
      source: 'log',
    };
    return pretty ? formatLogPrettyLine(record) : stringifyLogJson(logRecordToJson(record));
  }
}

function levelsFrom(level: LogLevel): Record<LogLevel, boolean> {
  const min = LOG_SEVERITY[level];
  const out = {} as Record<LogLevel, boolean>;
  for (const name of LOG_LEVELS) out[name] = LOG_SEVERITY[name] >= min;
  return out;
}

function spanEventAttributes(record: LogRecord): AttributesInput {
  const attributes: AttributesInput = {
    'log.severity': record.level,
    'log.message': record.message,
    'log.context': record.context,
  };
  if (record.error !== undefined) {
    attributes['exception.type'] = record.error.type;
    attributes['exception.message'] = record.error.message;
    attributes['exception.stacktrace'] = record.error.stack;
  }
  return attributes;
}

function isColorTerminal(destination: LogDestination): boolean {
  return (
    (destination === process.stdout || destination === process.stderr) &&
    (destination as NodeJS.WriteStream).isTTY === true &&
    !process.env.NO_COLOR
  );
}

// Which pipeline a log call made outside DI (a run context, a standalone TraceLogger)
// goes to: the one of the tracer that owns the current context, else the latest app's.
const pipelines = new WeakMap<Tracer, LogPipeline>();
const order: LogPipeline[] = [];
let fallback: LogPipeline | undefined;

export function registerLogPipeline(tracer: Tracer, pipeline: LogPipeline): void {
  pipelines.set(tracer, pipeline);
  order.push(pipeline);
}

export function unregisterLogPipeline(pipeline: LogPipeline): void {
  const index = order.indexOf(pipeline);
  if (index !== -1) order.splice(index, 1);
}

/**
 * The pipeline for `tracer`, else the most recently started app's, else one made on
 * first use that writes JSON lines to stdout (service name from OTEL_SERVICE_NAME).
 */
export function logPipelineFor(tracer: Tracer | undefined): LogPipeline {
  const own = tracer === undefined ? undefined : pipelines.get(tracer);
  if (own !== undefined && order.includes(own)) return own;
  return order.at(-1) ?? (fallback ??= defaultLogPipeline());
}

function defaultLogPipeline(): LogPipeline {
  return new LogPipeline({
    resource: createResource({
      serviceName: process.env.OTEL_SERVICE_NAME?.trim() || 'unknown_service:node',
    }),
  });
}
