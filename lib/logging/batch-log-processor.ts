import { BatchQueue, type BatchQueueOptions, type FailureReporter } from '../core/batch-queue.js';
import type { ExporterStats } from '../core/exporter-stats.js';
import {
  LOG_SEVERITY,
  type LogExporter,
  type LogLevel,
  type LogRecord,
} from '../core/log-record.js';
import type { LogProcessor } from './log-processor.js';

export interface BatchLogProcessorOptions extends BatchQueueOptions {
  /** Lowest level this exporter ships (the logger's own level filter applies first). */
  level?: LogLevel;
}

/** What log queues default to: logs are read sooner than traces, so they wait less. */
export const DEFAULT_LOG_BATCH: Readonly<BatchQueueOptions> = Object.freeze({
  maxQueueSize: 4096,
  maxExportBatchSize: 512,
  scheduledDelayMs: 1000,
});

/**
 * Queues log records for one exporter and ships them in batches, with the span
 * pipeline's queue cap, retries (backoff, jitter, Retry-After), per-export timeout and
 * shutdown deadline: it is the same BatchQueue.
 */
export class BatchLogProcessor implements LogProcessor {
  private readonly queue: BatchQueue<LogRecord>;
  private readonly minSeverity: number;

  constructor(
    readonly exporter: LogExporter,
    options: BatchLogProcessorOptions = {},
    report: FailureReporter = () => {},
  ) {
    const { level, ...batch } = options;
    this.minSeverity = level === undefined ? 0 : LOG_SEVERITY[level];
    this.queue = new BatchQueue<LogRecord>(exporter, { ...DEFAULT_LOG_BATCH, ...batch }, report, {
      items: 'log records',
      queue: 'log',
    });
  }

  onEmit(record: LogRecord): void {
    if (LOG_SEVERITY[record.level] < this.minSeverity) return;
    this.queue.add(record);
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
