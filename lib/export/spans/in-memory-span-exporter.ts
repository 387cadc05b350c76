import {
  ExportResultCode,
  SUCCESS,
  type ExportResult,
  type SpanExporter,
} from '../../core/span-exporter.js';
import type { ReadableSpan } from '../../core/types.js';

export interface InMemorySpanExporterOptions {
  /** Most spans held; when full the oldest are dropped and counted. Default 10_000. */
  maxSpans?: number;
}

interface Waiter {
  count: number;
  resolve: (spans: ReadableSpan[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const DEFAULT_MAX_SPANS = 10_000;
// One shared settled promise: export sits behind every ended span in tests, so it allocates nothing.
const EXPORTED = Promise.resolve(SUCCESS);

/**
 * Keeps finished spans in memory for tests and debugging. A bounded ring, so a
 * long-running app that leaves it on cannot grow without limit.
 */
export class InMemorySpanExporter implements SpanExporter {
  readonly maxSpans: number;
  private readonly ring: ReadableSpan[] = [];
  /** Index of the oldest span once the ring is full. */
  private head = 0;
  private dropped = 0;
  private stopped = false;
  private waiters: Waiter[] = [];

  constructor(options: InMemorySpanExporterOptions = {}) {
    const maxSpans = options.maxSpans ?? DEFAULT_MAX_SPANS;
    if (!Number.isInteger(maxSpans) || maxSpans < 1) {
      throw new Error(
        `InMemorySpanExporter: option "maxSpans" must be a positive integer, got ${String(maxSpans)}`,
      );
    }
    this.maxSpans = maxSpans;
  }

  /** How many spans were pushed out of the full ring since the last reset. */
  get droppedSpans(): number {
    return this.dropped;
  }

  export(spans: readonly ReadableSpan[]): Promise<ExportResult> {
    if (this.stopped) {
      return Promise.resolve({
        code: ExportResultCode.FAILED,
        error: new Error('InMemorySpanExporter: export called after shutdown'),
      });
    }
    for (const span of spans) this.push(span);
    if (this.waiters.length > 0) this.settleWaiters();
    return EXPORTED;
  }

  /** Every span held, oldest first. A fresh array each call. */
  getFinishedSpans(): ReadableSpan[] {
    if (this.head === 0) return this.ring.slice();
    return this.ring.slice(this.head).concat(this.ring.slice(0, this.head));
  }

  getSpansByTraceId(traceId: string): ReadableSpan[] {
    return this.getFinishedSpans().filter((span) => span.traceId === traceId);
  }

  /** The oldest span with this name, or the oldest matching the predicate. */
  findSpan(match: string | ((span: ReadableSpan) => boolean)): ReadableSpan | undefined {
    const predicate =
      typeof match === 'string' ? (span: ReadableSpan) => span.name === match : match;
    return this.getFinishedSpans().find(predicate);
  }

  /** Distinct trace ids, in the order their first span arrived. */
  getTraceIds(): string[] {
    const ids = new Set<string>();
    for (const span of this.getFinishedSpans()) ids.add(span.traceId);
    return [...ids];
  }

  /** Forgets every span and the drop count; pending waiters keep waiting for new spans. */
  reset(): void {
    this.ring.length = 0;
    this.head = 0;
    this.dropped = 0;
  }

  /**
   * Resolves with the spans held as soon as there are at least `count`; rejects after
   * `timeoutMs`. Spans end asynchronously in real apps, so tests wait instead of sleeping.
   */
  waitForSpans(count: number, timeoutMs = 2000): Promise<ReadableSpan[]> {
    if (this.ring.length >= count) return Promise.resolve(this.getFinishedSpans());
    if (count > this.maxSpans) {
      return Promise.reject(
        new Error(
          `InMemorySpanExporter: cannot wait for ${count} spans, the ring holds at most ${this.maxSpans} (option "maxSpans")`,
        ),
      );
    }
    if (this.stopped) return Promise.reject(this.shutdownError(count));
    return new Promise<ReadableSpan[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.removeWaiter(waiter);
        reject(
          new Error(
            `InMemorySpanExporter: expected ${count} spans within ${timeoutMs} ms, but only ${this.ring.length} arrived`,
          ),
        );
      }, timeoutMs);
      // A forgotten wait must not keep the test process alive.
      timer.unref();
      const waiter: Waiter = { count, resolve, reject, timer };
      this.waiters.push(waiter);
    });
  }

  /** Stops accepting spans; those held stay readable, e.g. after `app.close()`. */
  shutdown(): Promise<void> {
    this.stopped = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(this.shutdownError(waiter.count));
    }
    return Promise.resolve();
  }

  /** Nothing is buffered beyond the ring itself. */
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  private push(span: ReadableSpan): void {
    if (this.ring.length < this.maxSpans) {
      this.ring.push(span);
      return;
    }
    this.ring[this.head] = span;
    this.head = (this.head + 1) % this.maxSpans;
    this.dropped++;
  }

  private settleWaiters(): void {
    const held = this.ring.length;
    const ready = this.waiters.filter((waiter) => waiter.count <= held);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => waiter.count > held);
    const spans = this.getFinishedSpans();
    for (const waiter of ready) {
      clearTimeout(waiter.timer);
      waiter.resolve(spans.slice());
    }
  }

  private removeWaiter(waiter: Waiter): void {
    this.waiters = this.waiters.filter((other) => other !== waiter);
  }

  private shutdownError(count: number): Error {
    return new Error(
      `InMemorySpanExporter: shut down while waiting for ${count} spans (${this.ring.length} held)`,
    );
  }
}
