import type { SpanProcessor } from '../core/span-processor.js';
import { SpanKind, SpanStatusCode, type ReadableSpan } from '../core/types.js';
import type { RequestWindow } from './request-window.js';
import type { SpanMetrics } from './span-metrics.js';

/**
 * Turns ended spans into metrics and the health window, on the request path: it only
 * increments counters the span's labels already point at, and never throws.
 *
 * It asks for unsampled spans too (`wantsUnsampled`): with a sampler that keeps 10% of
 * traces, request counts and error rates must still count every request. The tracer
 * then records every span (a recorded span per call is the price), and the exporting
 * processors keep skipping the unsampled ones, so what is exported does not change.
 */
export class SpanMetricsProcessor implements SpanProcessor {
  readonly wantsUnsampled = true;

  constructor(
    private readonly metrics: SpanMetrics | undefined,
    private readonly window: RequestWindow | undefined,
  ) {}

  onEnd(span: ReadableSpan): void {
    try {
      this.metrics?.record(span);
      const window = this.window;
      if (window !== undefined) {
        const kind = span.kind;
        if (kind === SpanKind.SERVER || kind === SpanKind.CONSUMER) {
          window.recordRequest(
            span.endTime,
            span.durationMs,
            span.status.code === SpanStatusCode.ERROR,
          );
        }
        if (span.parentSpanId === undefined || span.parentIsRemote) {
          window.recordTrace(span.endTime);
        }
      }
    } catch {
      // Metrics must never break the request that ended the span.
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
