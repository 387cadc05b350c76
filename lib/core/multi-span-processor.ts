import type { ExporterStats } from './exporter-stats.js';
import type { SpanProcessor } from './span-processor.js';
import type { ReadableSpan, Span } from './types.js';

/** Fans every span out to several processors, each with its own exporter and queue. */
export class MultiSpanProcessor implements SpanProcessor {
  constructor(readonly processors: readonly SpanProcessor[]) {}

  onStart(span: Span & ReadableSpan): void {
    for (const p of this.processors) p.onStart?.(span);
  }

  onEnd(span: ReadableSpan): void {
    for (const p of this.processors) p.onEnd(span);
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.processors.map((p) => p.forceFlush()));
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.processors.map((p) => p.shutdown()));
  }

  /** One entry per exporter pipeline. */
  allStats(): ExporterStats[] {
    return this.processors.flatMap((p) => (p.stats ? [p.stats()] : []));
  }
}

/** The processor of a tracer with no exporters. */
export const NOOP_PROCESSOR: SpanProcessor = Object.freeze({
  onEnd() {},
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
});
