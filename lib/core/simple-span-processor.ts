import { ExportResultCode, type SpanExporter } from './span-exporter.js';
import type { SpanProcessor } from './span-processor.js';
import { runSuppressed } from './trace-context.js';
import { TraceFlags, type ReadableSpan } from './types.js';

export type ExportErrorHandler = (error: Error, exporter: SpanExporter) => void;

/**
 * Hands each sampled span to its exporter as it ends, one span per export. Meant for
 * the in-memory exporter and for tests; production exporters get a batching processor.
 */
export class SimpleSpanProcessor implements SpanProcessor {
  private readonly pending = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    readonly exporter: SpanExporter,
    private readonly onError: ExportErrorHandler = () => {},
  ) {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.traceFlags & TraceFlags.SAMPLED) === 0) return;
    let exported: Promise<void>;
    try {
      exported = runSuppressed(() => this.exporter.export([span])).then(
        (result) => {
          if (result.code !== ExportResultCode.SUCCESS) {
            this.onError(result.error ?? new Error('export failed'), this.exporter);
          }
        },
        (error: unknown) => this.onError(toError(error), this.exporter),
      );
    } catch (error) {
      this.onError(toError(error), this.exporter);
      return;
    }
    this.pending.add(exported);
    void exported.finally(() => this.pending.delete(exported));
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.pending);
    await this.exporter.forceFlush?.();
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.forceFlush();
    this.stopped = true;
    await this.exporter.shutdown();
  }
}

export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
