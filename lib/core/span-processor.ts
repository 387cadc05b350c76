import type { ExporterStats } from './exporter-stats.js';
import type { ReadableSpan, Span } from './types.js';

/**
 * Receives spans as they start and end. `onEnd` is on the request path: it must be
 * cheap and never throw; exporting belongs in the background.
 */
export interface SpanProcessor {
  onStart?(span: Span & ReadableSpan): void;
  onEnd(span: ReadableSpan): void;
  /** Exports everything already handed to the processor. */
  forceFlush(): Promise<void>;
  /** Flushes, then releases the exporter. Safe to call more than once. */
  shutdown(): Promise<void>;
  /**
   * Set by processors that need every span, sampled or not (e.g. metrics): the tracer
   * then records spans the sampler drops, and exporting processors still skip them.
   */
  readonly wantsUnsampled?: boolean;
  /** What the processor's exporter pipeline has done, for self-telemetry. */
  stats?(): ExporterStats;
}
