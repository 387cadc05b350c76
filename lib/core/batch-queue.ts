import { ExportResultCode, type ExportResult } from './span-exporter.js';
import type { ExporterStats } from './exporter-stats.js';
import { runSuppressed } from './trace-context.js';

export interface BatchQueueOptions {
  /** Items held while waiting to be exported; beyond it items are dropped and counted. @default 2048 */
  maxQueueSize?: number;
  /** Most items per export call. @default 512 */
  maxExportBatchSize?: number;
  /** Longest an item waits before its batch is sent. @default 5000 */
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

/** How the queue reports a failure; called once per kind of failure. */
export type FailureReporter = (kind: string, message: string) => void;

/** Where a batch goes: a span exporter, a log exporter, or an adapter between them. */
export interface BatchExporter<T> {
  export(items: readonly T[]): Promise<ExportResult>;
  forceFlush?(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Words for the reports, so a log queue does not talk about spans. */
export interface BatchQueueLabels {
  /** Plural item noun: "spans", "log records". */
  items: string;
  /** Queue adjective: "span queue of X is full". */
  queue: string;
  /** The exporter's name in reports and stats. @default its class name */
  exporter?: string;
}

type Resolved = Required<BatchQueueOptions>;

/** A batch taken from the queue; `abandoned` once shutdown counted it as failed. */
interface BatchInFlight<T> {
  readonly items: T[];
  abandoned: boolean;
}

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

/** A Retry-After longer than this gives the batch up rather than holding it. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

const SPAN_LABELS: BatchQueueLabels = { items: 'spans', queue: 'span' };

/**
 * Queues items and exports them in batches off the caller's path. The queue is a fixed
 * ring: when it is full new items are dropped and counted, never blocking the caller.
 * Failed batches are retried with exponential backoff and jitter, honouring
 * Retry-After; batches go out one at a time, so a down backend is not flooded. Exports
 * run with tracing suppressed, so an exporter's own HTTP calls are never traced.
 */
export class BatchQueue<T> {
  private readonly options: Resolved;
  private readonly ring: (T | undefined)[];
  private head = 0;
  private length = 0;
  private timer: NodeJS.Timeout | undefined;
  private exporting: Promise<void> | undefined;
  private exportingDone: (() => void) | undefined;
  /** The batch being exported or waiting to be retried; at most one at a time. */
  private inFlight: BatchInFlight<T> | undefined;
  private shutdownPromise: Promise<void> | undefined;
  private flushWaiters = 0;
  private stopped = false;
  private readonly reported = new Set<string>();
  private readonly counters = { exported: 0, dropped: 0, failed: 0, retried: 0 };
  private lastError: ExporterStats['lastError'];
  private readonly labels: BatchQueueLabels;

  constructor(
    readonly exporter: BatchExporter<T>,
    options: BatchQueueOptions = {},
    private readonly report: FailureReporter = () => {},
    labels: BatchQueueLabels = SPAN_LABELS,
  ) {
    this.options = resolveOptions(options);
    this.labels = labels;
    this.ring = Array.from<T | undefined>({ length: this.options.maxQueueSize });
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Queues one item; O(1), never throws, drops (and counts) when the queue is full. */
  add(item: T): void {
    if (this.stopped) {
      // Ended after shutdown: never sent, but counted, so the stats miss nothing.
      this.counters.dropped++;
      return;
    }
    const { maxQueueSize, maxExportBatchSize } = this.options;
    if (this.length === maxQueueSize) {
      this.counters.dropped++;
      // Said once; the message is not even built again for every item dropped after it
      // (it was 4% of a loop that ends spans faster than they can leave).
      if (!this.reported.has('queue-full')) {
        this.reportOnce(
          'queue-full',
          `${this.labels.queue} queue of ${this.exporterName} is full (${maxQueueSize}); dropping ${this.labels.items} until it drains`,
        );
      }
      return;
    }
    this.ring[(this.head + this.length) % maxQueueSize] = item;
    this.length++;
    if (this.exporting !== undefined) return;
    // A full batch starts exporting now, not on a timer: a burst of awaited calls that
    // never yields to the event loop would otherwise fill the queue before a timer fires.
    if (this.length >= maxExportBatchSize) {
      this.clearTimer();
      void this.startExport(false);
    } else if (this.timer === undefined) this.schedule(this.options.scheduledDelayMs);
  }

  /** Exports everything queued so far, waiting for retries too. */
  async forceFlush(): Promise<void> {
    this.clearTimer();
    // While someone waits for the flush, retry delays keep the process alive.
    this.flushWaiters++;
    try {
      while (this.exporting !== undefined || this.length > 0) {
        await (this.exporting ?? this.startExport(true));
      }
      await this.exporter.forceFlush?.();
    } finally {
      this.flushWaiters--;
    }
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
    return this.labels.exporter ?? (this.exporter.constructor?.name || 'exporter');
  }

  private async flushAndStop(deadlineMs: number): Promise<void> {
    const started = performance.now();
    let timeout: NodeJS.Timeout | undefined;
    // Not unref'd: while shutting down, this timer keeps the process alive until the
    // flush ends or the deadline passes, so items are not lost to an early exit.
    const deadline = new Promise<'timeout'>((resolve) => {
      timeout = setTimeout(() => resolve('timeout'), deadlineMs);
    });
    const outcome = await Promise.race([this.forceFlush().then(() => 'done' as const), deadline]);
    clearTimeout(timeout);
    this.stopped = true;
    this.clearTimer();
    if (outcome === 'timeout') this.giveUpAtDeadline(deadlineMs);
    // The exporter may wait for requests in flight: it gets what is left of the deadline.
    const left = Math.max(0, deadlineMs - (performance.now() - started));
    let shutdownTimer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.exporter.shutdown(),
        new Promise<void>((resolve) => {
          shutdownTimer = setTimeout(resolve, left);
        }),
      ]);
    } catch (error) {
      this.reportOnce('shutdown', `${this.exporterName} failed to shut down: ${messageOf(error)}`);
    } finally {
      clearTimeout(shutdownTimer);
    }
  }

  /**
   * Counts what the deadline cut off: the batch in an unfinished export (or waiting to be
   * retried) as failed, the queued items as dropped, and says how many and why.
   */
  private giveUpAtDeadline(deadlineMs: number): void {
    const inFlight = this.inFlight;
    let unfinished = 0;
    if (inFlight !== undefined && !inFlight.abandoned) {
      inFlight.abandoned = true;
      unfinished = inFlight.items.length;
      this.counters.failed += unfinished;
    }
    const queued = this.length;
    this.counters.dropped += queued;
    this.dropQueue();
    const items = this.labels.items;
    const message =
      `shutdown deadline (${deadlineMs} ms) reached: ` +
      `${unfinished} ${items} in an export that did not finish, ${queued} queued ${items} not sent`;
    // The stats say why the last items were lost, as they do for any failure.
    if (unfinished + queued > 0) this.lastError = { message, at: new Date().toISOString() };
    this.reportOnce('shutdown-timeout', `${this.exporterName}: ${message}`);
  }

  private schedule(delayMs: number): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.startExport(true);
    }, delayMs);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /**
   * Exports batches, one at a time; only one run is under way. With `all` false (a batch
   * just filled up) it stops once less than a full batch is left, so a steady stream of
   * items goes out in full batches rather than a trickle of tiny ones.
   */
  private startExport(all: boolean): Promise<void> {
    if (this.exporting !== undefined) return this.exporting;
    const run = new Promise<void>((resolve) => {
      this.exportingDone = resolve;
    });
    this.exporting = run;
    // May end at once (an exporter that throws): `run` is resolved by then.
    this.exportNext(all);
    return run;
  }

  /**
   * Sends the next batch and, from the callback of its export, the one after: no chain of
   * awaits between batches, so an exporter that answers at once costs one microtask per
   * batch, and a loop that ends spans while awaiting only resolved promises (never giving
   * a timer its turn) is drained as fast as it fills the queue.
   */
  private exportNext(all: boolean): void {
    if (this.length === 0) {
      this.finishExport();
      return;
    }
    const batch: BatchInFlight<T> = { items: this.takeBatch(), abandoned: false };
    this.inFlight = batch;
    const next = (): void => {
      if (this.inFlight === batch) this.inFlight = undefined;
      // A full batch (or, when flushing, anything) left: sent from this microtask.
      if (this.length >= (all ? 1 : this.options.maxExportBatchSize)) this.exportNext(all);
      else this.finishExport();
    };
    this.send(batch.items, (result) => {
      if (result.code === ExportResultCode.SUCCESS) {
        this.countSuccess(batch, result);
        next();
      } else void this.exportWithRetries(batch, result).then(next, next);
    });
  }

  private finishExport(): void {
    const done = this.exportingDone;
    this.exporting = undefined;
    this.exportingDone = undefined;
    // Less than a full batch left: it waits for the timer.
    if (this.length > 0 && !this.stopped && this.timer === undefined) {
      this.schedule(this.options.scheduledDelayMs);
    }
    done?.();
  }

  private takeBatch(): T[] {
    const size = Math.min(this.length, this.options.maxExportBatchSize);
    const batch: T[] = [];
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

  /** Counts a delivered batch; the items a partial success refused are lost, so failed. */
  private countSuccess(batch: BatchInFlight<T>, result: ExportResult): void {
    const size = batch.items.length;
    const rejected = Math.min(size, Math.max(0, Math.trunc(result.rejected ?? 0) || 0));
    this.counters.exported += size - rejected;
    this.counters.failed += rejected;
    // Counted as failed at the shutdown deadline, delivered since: moved, not counted twice.
    if (batch.abandoned) this.counters.failed -= size;
  }

  /** Retries one batch after a failed first attempt until it is delivered or given up; counts it once. */
  private async exportWithRetries(batch: BatchInFlight<T>, first: ExportResult): Promise<void> {
    const { maxRetries, retryInitialDelayMs, retryMaxDelayMs } = this.options;
    const items = this.labels.items;
    const size = batch.items.length;
    let result = first;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) result = await new Promise((resolve) => this.send(batch.items, resolve));
      if (result.code === ExportResultCode.SUCCESS) {
        this.countSuccess(batch, result);
        return;
      }
      // Shutdown's deadline has counted and reported it already.
      if (batch.abandoned) return;
      const error = result.error ?? new Error('export failed');
      this.lastError = { message: error.message, at: new Date().toISOString() };
      if (!result.retryable || attempt >= maxRetries || this.stopped) {
        this.counters.failed += size;
        this.reportOnce(
          `failed:${failureKind(error)}`,
          result.retryable
            ? `${this.exporterName} gave up on ${size} ${items} after ${attempt + 1} attempts: ${error.message}`
            : `${this.exporterName} rejected ${size} ${items} (not retried): ${error.message}`,
        );
        return;
      }
      const retryAfter = result.retryAfterMs ?? 0;
      if (retryAfter > MAX_RETRY_AFTER_MS) {
        this.counters.failed += size;
        this.reportOnce(
          `failed:${failureKind(error)}`,
          `${this.exporterName} was asked to retry after ${Math.round(retryAfter / 1000)} s, longer than batches are held; ${size} ${items} given up: ${error.message}`,
        );
        return;
      }
      if (attempt === 0) {
        // Said at once, so an outage is visible before its first batch is given up.
        this.reportOnce(
          `retrying:${failureKind(error)}`,
          `${this.exporterName} failed and will retry (further failures of this kind are not logged): ${error.message}`,
        );
      }
      this.counters.retried++;
      const backoff = Math.min(retryMaxDelayMs, retryInitialDelayMs * 2 ** attempt);
      // Full jitter spreads retries of many instances; Retry-After is the earliest retry.
      await sleep(Math.max(retryAfter, Math.random() * backoff), this.flushWaiters > 0);
      if (batch.abandoned) return;
    }
  }

  /**
   * One export call, answered through `done` exactly once: the exporter's result, its
   * failure, or a timeout after `exportTimeoutMs`.
   */
  private send(batch: T[], done: (result: ExportResult) => void): void {
    let settled = false;
    const settle = (result: ExportResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      done(result);
    };
    const timeout = setTimeout(
      () =>
        settle({
          code: ExportResultCode.FAILED,
          retryable: true,
          error: new Error(`export timed out after ${this.options.exportTimeoutMs} ms`),
        }),
      this.options.exportTimeoutMs,
    );
    timeout.unref();
    try {
      runSuppressed(() => this.exporter.export(batch)).then(
        (result) =>
          settle(
            result ?? {
              code: ExportResultCode.FAILED,
              error: new Error('exporter returned no result'),
            },
          ),
        (error: unknown) => settle({ code: ExportResultCode.FAILED, error: toError(error) }),
      );
    } catch (error) {
      settle({ code: ExportResultCode.FAILED, error: toError(error) });
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
export const BATCH_OPTION_NAMES = Object.keys(DEFAULTS) as (keyof BatchQueueOptions)[];

/**
 * A message for the first value out of range (named `${path}.${key}`), or undefined. Keys
 * are config/'s to check (it suggests the intended one); the queue refuses unknown ones
 * plainly when it is built.
 */
export function findInvalidBatchValue(
  options: BatchQueueOptions,
  path = 'batch',
): string | undefined {
  for (const key of Object.keys(options) as (keyof Resolved)[]) {
    const value = options[key];
    if (value === undefined) continue;
    const min = key === 'maxRetries' || key === 'scheduledDelayMs' ? 0 : 1;
    if (!Number.isInteger(value) || value < min) {
      return `option "${path}.${key}" must be an integer of at least ${min}; got ${String(value)}`;
    }
  }
  return undefined;
}

function resolveOptions(options: BatchQueueOptions): Resolved {
  const unknown = Object.keys(options).find((key) => !BATCH_OPTION_NAMES.includes(key as never));
  if (unknown !== undefined) {
    throw new Error(
      `unknown option "batch.${unknown}"; known options are ${BATCH_OPTION_NAMES.join(', ')}`,
    );
  }
  const invalid = findInvalidBatchValue(options);
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

/** What kind of failure an error is, for logging each kind once: a status, an errno code. */
function failureKind(error: Error): string {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const match = /\bHTTP (\d{3})\b/.exec(e.message);
    if (match) return match[1]!;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return /timed out/.test(error.message) ? 'timeout' : error.name;
}

/** A delay that keeps the process alive only when someone is waiting for it. */
function sleep(ms: number, keepAlive: boolean): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    if (!keepAlive) t.unref();
  });
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function messageOf(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}
