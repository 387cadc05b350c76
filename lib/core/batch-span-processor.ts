import { BatchQueue, type BatchQueueOptions, type FailureReporter } from './batch-queue.js';
import type { ExporterStats } from './exporter-stats.js';
import type { SpanExporter } from './span-exporter.js';
import type { SpanProcessor } from './span-processor.js';
import { TraceFlags, type ReadableSpan } from './types.js';

export type { FailureReporter } from './batch-queue.js';

/** The batch queue's options, with spans as the items. */
export type BatchSpanProcessorOptions = BatchQueueOptions;

/**
 * Queues ended spans and exports them in batches off the request path. The queue is a
 * fixed ring: when it is full new spans are dropped and counted, never blocking the
 * caller. Failed batches are retried with exponential backoff and jitter, honouring
 * Retry-After; batches go out one at a time, so a down backend is not flooded.
 */
export class BatchSpanProcessor implements SpanProcessor {
  private readonly queue: BatchQueue<ReadableSpan>;

  constructor(
    readonly exporter: SpanExporter,
    options: BatchSpanProcessorOptions = {},
    report: FailureReporter = () => {},
  ) {
    this.queue = new BatchQueue<ReadableSpan>(exporter, options, report);
  }

  onEnd(span: ReadableSpan): void {
    if ((span.traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.queue.add(span);
  }

  /** Exports everything queued so far, waiting for retries too. */
  forceFlush(): Promise<void> {
    return this.queue.forceFlush();
  }

  /** Flushes within `shutdownTimeoutMs`, then shuts the exporter down. Idempotent. */
  shutdown(): Promise<void> {
    return this.queue.shutdown();
  }

  stats(): ExporterStats {
    return this.queue.stats();
  }
}
