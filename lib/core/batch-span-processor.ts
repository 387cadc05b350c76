import { ExportResultCode, type ExportResult, type SpanExporter } from './span-exporter.js';
import type { SpanProcessor } from './span-processor.js';
import { runSuppressed } from './trace-context.js';
import { TraceFlags, type ReadableSpan } from './types.js';

export interface BatchSpanProcessorOptions {
  /** Spans held while waiting to be exported; beyond it spans are dropped and counted. @default 2048 */
  maxQueueSize?: number;
  /** Most spans per export call. @default 512 */
  maxExportBatchSize?: number;
  /** Longest a span waits before its batch is sent. @default 5000 */
  scheduledDelayMs?: number;
  /** Deadline for one export call. @default 30000 */
  exportTimeoutMs?: number;
  /** Retries of a batch after a retryable failure (network, 429, 502-504). @default 5 */
  maxRetries?: number;
  /** First retry delay; doubles each retry, with jitter, up to retryMaxDelayMs. @default 1000 */
  retryInitialDelayMs?: number;
  /** @default 30000 */
  retryMaxDelayMs?: number;
  /** How long shutdown may spend flushing before it drops what is left. @default 10000 */
  shutdownTimeoutMs?: number;
}

/** What one exporter's pipeline has done so far. */
export interface ExporterStats {
  exporter: string;
  /** Spans the backend accepted. */
  exported: number;
  /** Spans never sent because the queue was full. */
  dropped: number;
  /** Spans given up on after a final failure or exhausted retries. */
  failed: number;
  /** Retry attempts made. */
  retried: number;
  queueLength: number;
  lastError?: { message: string; at: string };
}

/** How the processor reports a failure; called once per kind of failure. */
export type FailureReporter = (kind: string, message: string) => void;

type Resolved = Required<BatchSpanProcessorOptions>;

const DEFAULTS: Resolved = {
  maxQueueSize: 2048,
  maxExportBatchSize: 512,
  scheduledDelayMs: 5000,
  exportTimeoutMs: 30_000,
  maxRetries: 5,
  retryInitialDelayMs: 1000,
  retryMaxDelayMs: 30_000,
  shutdownTimeoutMs: 10_000,
};

/**
 * Queues ended spans and exports them in batches off the request path. The queue is a
 * fixed ring: when it is full new spans are dropped and counted, never blocking the
 * caller. Failed batches are retried with exponential backoff and jitter, honouring
 * Retry-After; batches go out one at a time, so a down backend is not flooded.
 */
export class BatchSpanProcessor implements SpanProcessor {
  private readonly options: Resolved;
  private readonly ring: (ReadableSpan | undefined)[];
  private head = 0;
  private length = 0;
  private timer: NodeJS.Timeout | undefined;
  private exporting: Promise<void> | undefined;
  private shutdownPromise: Promise<void> | undefined;
  private stopped = false;
  private readonly reported = new Set<string>();
  private readonly counters = { exported: 0, dropped: 0, failed: 0, retried: 0 };
  private lastError: ExporterStats['lastError'];

  constructor(
    readonly exporter: SpanExporter,
    options: BatchSpanProcessorOptions = {},
    private readonly report: FailureReporter = () => {},
  ) {
    this.options = resolveOptions(options);
    this.ring = Array.from<ReadableSpan | undefined>({ length: this.options.maxQueueSize });
  }

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.traceFlags & TraceFlags.SAMPLED) === 0) return;
    const { maxQueueSize, maxExportBatchSize } = this.options;
    if (this.length === maxQueueSize) {
      this.counters.dropped++;
      this.reportOnce(
        'queue-full',
        `span queue of ${this.exporterName} is full (${maxQueueSize}); dropping spans until it drains`,
      );
      return;
    }
    this.ring[(this.head + this.length) % maxQueueSize] = span;
    this.length++;
    if (this.exporting !== undefined) return;
    // A full batch starts exporting now, not on a timer: a burst of awaited calls that
    // never yields to the event loop would otherwise fill the queue before a timer fires.
    if (this.length >= maxExportBatchSize) {
      this.clearTimer();
      void this.startExport();
    } else if (this.timer === undefined) this.schedule(this.options.scheduledDelayMs);
  }

  /** Exports everything queued so far, waiting for retries too. */
  async forceFlush(): Promise<void> {
    this.clearTimer();
    while (this.exporting !== undefined || this.length > 0) {
      await (this.exporting ?? this.startExport());
    }
    await this.exporter.forceFlush?.();
  }

  /** Flushes within `shutdownTimeoutMs`, then shuts the exporter down. Idempotent. */
  shutdown(): Promise<void> {
    return (this.shutdownPromise ??= this.flushAndStop(this.options.shutdownTimeoutMs));
  }

  stats(): ExporterStats {
    return {
      exporter: this.exporterName,
      ...this.counters,
      queueLength: this.length,
      ...(this.lastError ? { lastError: { ...this.lastError } } : {}),
    };
  }

  private get exporterName(): string {
    return this.exporter.constructor?.name || 'exporter';
  }

  private async flushAndStop(deadlineMs: number): Promise<void> {
    let timeout: NodeJS.Timeout | undefined;
    // Not unref'd: while shutting down, this timer keeps the process alive until the
    // flush ends or the deadline passes, so spans are not lost to an early exit.
    const deadline = new Promise<'timeout'>((resolve) => {
      timeout = setTimeout(() => resolve('timeout'), deadlineMs);
    });
    const outcome = await Promise.race([this.forceFlush().then(() => 'done' as const), deadline]);
    clearTimeout(timeout);
    this.stopped = true;
    this.clearTimer();
    if (outcome === 'timeout') {
      const lost = this.length;
      this.counters.dropped += lost;
      this.dropQueue();
      this.reportOnce(
        'shutdown-timeout',
        `flushing ${this.exporterName} did not finish within ${deadlineMs} ms; ${lost} queued spans were dropped`,
      );
    }
    try {
      await this.exporter.shutdown();
    } catch (error) {
      this.reportOnce('shutdown', `${this.exporterName} failed to shut down: ${messageOf(error)}`);
    }
  }

  private schedule(delayMs: number): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.startExport();
    }, delayMs);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Exports batches until the queue is empty; only one runs at a time. */
  private startExport(): Promise<void> {
    this.exporting ??= this.drain().finally(() => {
      this.exporting = undefined;
      // Spans that arrived during the last export wait for the next tick of the timer.
      if (this.length > 0 && !this.stopped && this.timer === undefined) {
        this.schedule(
          this.length >= this.options.maxExportBatchSize ? 0 : this.options.scheduledDelayMs,
        );
      }
    });
    return this.exporting;
  }

  private async drain(): Promise<void> {
    while (this.length > 0) {
      await this.exportBatch(this.takeBatch());
    }
  }

  private takeBatch(): ReadableSpan[] {
    const size = Math.min(this.length, this.options.maxExportBatchSize);
    const batch: ReadableSpan[] = [];
    const capacity = this.options.maxQueueSize;
    for (let i = 0; i < size; i++) {
      const index = (this.head + i) % capacity;
      batch.push(this.ring[index]!);
      this.ring[index] = undefined;
    }
    this.head = (this.head + size) % capacity;
    this.length -= size;
    return batch;
  }

  private dropQueue(): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.length = 0;
  }

  private async exportBatch(batch: ReadableSpan[]): Promise<void> {
    const { maxRetries, retryInitialDelayMs, retryMaxDelayMs } = this.options;
    for (let attempt = 0; ; attempt++) {
      const result = await this.exportWithTimeout(batch);
      if (result.code === ExportResultCode.SUCCESS) {
        this.counters.exported += batch.length;
        return;
      }
      const error = result.error ?? new Error('export failed');
      this.lastError = { message: error.message, at: new Date().toISOString() };
      if (!result.retryable || attempt >= maxRetries || this.stopped) {
        this.counters.failed += batch.length;
        this.reportOnce(
          `failed:${failureKind(error)}`,
          result.retryable
            ? `${this.exporterName} gave up on ${batch.length} spans after ${attempt + 1} attempts: ${error.message}`
            : `${this.exporterName} rejected ${batch.length} spans (not retried): ${error.message}`,
        );
        return;
      }
      this.counters.retried++;
      const backoff = Math.min(retryMaxDelayMs, retryInitialDelayMs * 2 ** attempt);
      // Full jitter spreads retries of many instances; Retry-After is a floor.
      const delay = Math.max(result.retryAfterMs ?? 0, Math.random() * backoff);
      await sleep(Math.min(delay, retryMaxDelayMs));
    }
  }

  private async exportWithTimeout(batch: ReadableSpan[]): Promise<ExportResult> {
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = new Promise<ExportResult>((resolve) => {
      timeout = setTimeout(
        () =>
          resolve({
            code: ExportResultCode.FAILED,
            retryable: true,
            error: new Error(`export timed out after ${this.options.exportTimeoutMs} ms`),
          }),
        this.options.exportTimeoutMs,
      );
      timeout.unref();
    });
    try {
      const exported = runSuppressed(() => this.exporter.export(batch)).then(
        (result) =>
          result ?? {
            code: ExportResultCode.FAILED,
            error: new Error('exporter returned no result'),
          },
        (error: unknown) => ({ code: ExportResultCode.FAILED, error: toError(error) }),
      );
      return await Promise.race([exported, timedOut]);
    } catch (error) {
      return { code: ExportResultCode.FAILED, error: toError(error) };
    } finally {
      clearTimeout(timeout);
    }
  }

  private reportOnce(kind: string, message: string): void {
    if (this.reported.has(kind)) return;
    this.reported.add(kind);
    try {
      this.report(kind, message);
    } catch {
      // A reporter that throws must not break the export loop.
    }
  }
}

/** The option names, for validation by callers that merge options from several places. */
export const BATCH_OPTION_NAMES = Object.keys(DEFAULTS) as (keyof BatchSpanProcessorOptions)[];

/** A message for the first invalid option (named `${path}.${key}`), or undefined. */
export function findInvalidBatchOption(
  options: BatchSpanProcessorOptions,
  path = 'batch',
): string | undefined {
  for (const key of Object.keys(options) as (keyof Resolved)[]) {
    if (!(key in DEFAULTS)) {
      return `unknown option "${path}.${key}"; known options are ${BATCH_OPTION_NAMES.join(', ')}`;
    }
    const value = options[key];
    if (value === undefined) continue;
    const min = key === 'maxRetries' || key === 'scheduledDelayMs' ? 0 : 1;
    if (!Number.isInteger(value) || value < min) {
      return `option "${path}.${key}" must be an integer of at least ${min}; got ${String(value)}`;
    }
  }
  return undefined;
}

function resolveOptions(options: BatchSpanProcessorOptions): Resolved {
  const invalid = findInvalidBatchOption(options);
  if (invalid !== undefined) throw new Error(invalid);
  const resolved: Resolved = { ...DEFAULTS };
  for (const key of BATCH_OPTION_NAMES) {
    const value = options[key];
    if (value !== undefined) resolved[key] = value;
  }
  // As in OpenTelemetry: a batch can never be larger than the queue.
  if (resolved.maxExportBatchSize > resolved.maxQueueSize) {
    resolved.maxExportBatchSize = resolved.maxQueueSize;
  }
  return resolved;
}

function failureKind(error: Error): string {
  const match = /^HTTP (\d{3})/.exec(error.message);
  if (match) return match[1]!;
  return (error as { code?: string }).code ?? error.name;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref();
  });
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function messageOf(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}
