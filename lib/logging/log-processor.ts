import type { ExporterStats } from '../core/exporter-stats.js';
import type { LogRecord } from '../core/log-record.js';

/**
 * Receives every log record the pipeline emits. `onEmit` is on the request path: it
 * must be cheap and never throw; exporting belongs in the background.
 */
export interface LogProcessor {
  onEmit(record: LogRecord): void;
  /** Exports everything already handed to the processor. */
  forceFlush(): Promise<void>;
  /** Flushes, then releases the exporter. Safe to call more than once. */
  shutdown(): Promise<void>;
  /** What the processor's exporter pipeline has done, for self-telemetry. */
  stats?(): ExporterStats;
}
