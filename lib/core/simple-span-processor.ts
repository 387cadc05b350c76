import { ExportResultCode, type SpanExporter } from './span-exporter.js';
import type { ExporterStats } from './exporter-stats.js';
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
  private shutdownPromise: Promise<void> | undefined;
  private exported = 0;
  private failed = 0;
  private lastError: ExporterStats['lastError'];

  constructor(
    readonly exporter: SpanExporter,
    private readonly onError: ExportErrorHandler = () => {},
  ) {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.traceFlags & TraceFlags.SAMPLED) === 0) return;
    const exported = this.exportOne(span);
    this.pending.add(exported);
    void exported.finally(() => this.pending.delete(exported));
  }

  /** Never rejects: whatever the exporter or error handler does is reported, not thrown. */
  private async exportOne(span: ReadableSpan): Promise<void> {
    try {
      const result = await runSuppressed(() => this.exporter.export([span]));
      if (result?.code === ExportResultCode.SUCCESS) this.exported++;
      else this.report(result?.error ?? new Error('export failed'));
    } catch (error) {
      this.report(toError(error));
    }
  }

  stats(): ExporterStats {
    return {
      exporter: this.exporter.constructor?.name || 'exporter',
      exported: this.exported,
      dropped: 0,
      failed: this.failed,
      retried: 0,
      queueLength: this.pending.size,
      ...(this.lastError ? { lastError: { ...this.lastError } } : {}),
    };
  }

  private report(error: Error): void {
    this.failed++;
    this.lastError = { message: error.message, at: new Date().toISOString() };
    try {
      this.onError(error, this.exporter);
    } catch {
      // An error handler that throws must not turn into an unhandled rejection.
    }
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.pending);
    await this.exporter.forceFlush?.();
  }

  shutdown(): Promise<void> {
    return (this.shutdownPromise ??= this.flushAndStop());
  }

  private async flushAndStop(): Promise<void> {
    await this.forceFlush();
    this.stopped = true;
    await this.exporter.shutdown();
  }
}

export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
