import { describe, expect, it, vi } from 'vitest';
import { InMemorySpanExporter } from '../../../lib/export/spans/in-memory-span-exporter.js';
import { MultiSpanProcessor } from '../../../lib/core/multi-span-processor.js';
import { NonRecordingSpan } from '../../../lib/core/non-recording-span.js';
import { FunctionSampler, SamplingDecision } from '../../../lib/core/samplers.js';
import {
  SimpleSpanProcessor,
  type ExportErrorHandler,
} from '../../../lib/core/simple-span-processor.js';
import {
  ExportResultCode,
  SUCCESS,
  type ExportResult,
  type SpanExporter,
} from '../../../lib/core/span-exporter.js';
import type { SpanProcessor } from '../../../lib/core/span-processor.js';
import { activeContext } from '../../../lib/core/trace-context.js';
import { Tracer, type TracerConfig } from '../../../lib/core/tracer.js';
import type { ReadableSpan, Span } from '../../../lib/core/types.js';

function tracerWith(processor: SpanProcessor, config: Partial<TracerConfig> = {}): Tracer {
  return new Tracer({ processor, resource: { attributes: { 'service.name': 't' } }, ...config });
}

/** An exporter whose behaviour each test sets; records what it was given. */
function fakeExporter(exportImpl: SpanExporter['export']) {
  const exported: ReadableSpan[][] = [];
  const exporter = {
    export: vi.fn<SpanExporter['export']>((spans) => {
      exported.push([...spans]);
      return exportImpl(spans);
    }),
    forceFlush: vi.fn<() => Promise<void>>(() => Promise.resolve()),
    shutdown: vi.fn<() => Promise<void>>(() => Promise.resolve()),
  } satisfies SpanExporter;
  return { exporter, exported };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Settles pending promise callbacks. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('SimpleSpanProcessor', () => {
  it('exports each sampled span as it ends, one span per export', () => {
    const exporter = new InMemorySpanExporter();
    const tracer = tracerWith(new SimpleSpanProcessor(exporter));
    tracer.startSpan('one').end();
    tracer.startSpan('two').end();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['one', 'two']);
  });

  it('does not export spans without the sampled flag', () => {
    const { exporter, exported } = fakeExporter(() => Promise.resolve(SUCCESS));
    const processor = new SimpleSpanProcessor(exporter);
    let decision: SamplingDecision = SamplingDecision.RECORD_ONLY;
    const tracer = tracerWith(processor, { sampler: new FunctionSampler(() => decision) });
    tracer.startSpan('record-only').end();
    decision = SamplingDecision.RECORD_AND_SAMPLE;
    tracer.startSpan('sampled').end();
    expect(exported.map((batch) => batch.map((s) => s.name))).toEqual([['sampled']]);
  });

  it('keeps span.end() safe and reports the error when export throws synchronously', () => {
    const error = new Error('exporter exploded');
    const { exporter } = fakeExporter(() => {
      throw error;
    });
    const onError = vi.fn<ExportErrorHandler>();
    const tracer = tracerWith(new SimpleSpanProcessor(exporter, onError));
    const span = tracer.startSpan('op');
    expect(() => span.end()).not.toThrow();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledWith(error, exporter);
  });

  it('keeps span.end() safe and reports the error when export rejects', async () => {
    const error = new Error('connection refused');
    const { exporter } = fakeExporter(() => Promise.reject(error));
    const onError = vi.fn<ExportErrorHandler>();
    const processor = new SimpleSpanProcessor(exporter, onError);
    const span = tracerWith(processor).startSpan('op');
    expect(() => span.end()).not.toThrow();
    await processor.forceFlush();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledWith(error, exporter);
  });

  it('wraps a rejection that is not an Error in an Error carrying its text', async () => {
    const { exporter } = fakeExporter(() => Promise.reject('HTTP 503'));
    const onError = vi.fn<ExportErrorHandler>();
    const processor = new SimpleSpanProcessor(exporter, onError);
    tracerWith(processor).startSpan('op').end();
    await processor.forceFlush();
    const reported = onError.mock.calls[0]![0];
    expect(reported).toBeInstanceOf(Error);
    expect(reported.message).toBe('HTTP 503');
  });

  it('reports the error of a FAILED result', async () => {
    const error = new Error('HTTP 500');
    const { exporter } = fakeExporter(() =>
      Promise.resolve({ code: ExportResultCode.FAILED, error }),
    );
    const onError = vi.fn<ExportErrorHandler>();
    const processor = new SimpleSpanProcessor(exporter, onError);
    const span = tracerWith(processor).startSpan('op');
    expect(() => span.end()).not.toThrow();
    await processor.forceFlush();
    expect(onError).toHaveBeenCalledWith(error, exporter);
  });

  it('reports a generic error for a FAILED result without one', async () => {
    const { exporter } = fakeExporter(() => Promise.resolve({ code: ExportResultCode.FAILED }));
    const onError = vi.fn<ExportErrorHandler>();
    const processor = new SimpleSpanProcessor(exporter, onError);
    tracerWith(processor).startSpan('op').end();
    await processor.forceFlush();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]![0]).toBeInstanceOf(Error);
    expect(onError.mock.calls[0]![0].message).toMatch(/export failed/);
  });

  it('does not call the error handler on success', async () => {
    const { exporter } = fakeExporter(() => Promise.resolve(SUCCESS));
    const onError = vi.fn<ExportErrorHandler>();
    const processor = new SimpleSpanProcessor(exporter, onError);
    tracerWith(processor).startSpan('op').end();
    await processor.forceFlush();
    expect(exporter.export).toHaveBeenCalledTimes(1);
    expect(onError).not.toHaveBeenCalled();
  });

  it('reports an exporter that resolves without a result instead of rejecting in the background', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // A JavaScript exporter written as `async export() { await send() }` resolves undefined.
      const { exporter } = fakeExporter(
        () => Promise.resolve(undefined) as unknown as Promise<ExportResult>,
      );
      const onError = vi.fn<ExportErrorHandler>();
      const processor = new SimpleSpanProcessor(exporter, onError);
      tracerWith(processor).startSpan('op').end();
      await expect(processor.forceFlush()).resolves.toBeUndefined();
      await settle();
      await settle();
      expect(onError).toHaveBeenCalledTimes(1);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('makes forceFlush wait for exports still in flight, then flush the exporter', async () => {
    const gate = deferred<ExportResult>();
    const { exporter } = fakeExporter(() => gate.promise);
    const processor = new SimpleSpanProcessor(exporter);
    tracerWith(processor).startSpan('slow').end();
    let flushed = false;
    const flush = processor.forceFlush().then(() => {
      flushed = true;
    });
    await settle();
    expect(flushed).toBe(false);
    expect(exporter.forceFlush).not.toHaveBeenCalled();
    gate.resolve(SUCCESS);
    await flush;
    expect(flushed).toBe(true);
    expect(exporter.forceFlush).toHaveBeenCalledTimes(1);
  });

  it('resolves forceFlush at once when nothing is pending', async () => {
    const { exporter } = fakeExporter(() => Promise.resolve(SUCCESS));
    await expect(new SimpleSpanProcessor(exporter).forceFlush()).resolves.toBeUndefined();
  });

  it('waits for pending exports before shutting the exporter down', async () => {
    const order: string[] = [];
    const gate = deferred<ExportResult>();
    const { exporter } = fakeExporter(() => gate.promise.then((r) => (order.push('export'), r)));
    exporter.shutdown.mockImplementation(() => {
      order.push('shutdown');
      return Promise.resolve();
    });
    const processor = new SimpleSpanProcessor(exporter);
    tracerWith(processor).startSpan('op').end();
    const shutdown = processor.shutdown();
    await settle();
    expect(order).toEqual([]);
    gate.resolve(SUCCESS);
    await shutdown;
    expect(order).toEqual(['export', 'shutdown']);
  });

  it('shuts the exporter down once when shutdown is called twice in a row', async () => {
    const { exporter } = fakeExporter(() => Promise.resolve(SUCCESS));
    const processor = new SimpleSpanProcessor(exporter);
    await processor.shutdown();
    await processor.shutdown();
    expect(exporter.shutdown).toHaveBeenCalledTimes(1);
  });

  it('shuts the exporter down once when shutdown is called twice at the same time', async () => {
    const { exporter } = fakeExporter(() => Promise.resolve(SUCCESS));
    const processor = new SimpleSpanProcessor(exporter);
    await Promise.all([processor.shutdown(), processor.shutdown()]);
    expect(exporter.shutdown).toHaveBeenCalledTimes(1);
  });

  it('does not export spans that end after shutdown', async () => {
    const { exporter } = fakeExporter(() => Promise.resolve(SUCCESS));
    const processor = new SimpleSpanProcessor(exporter);
    const tracer = tracerWith(processor);
    tracer.startSpan('before').end();
    await processor.shutdown();
    const late = tracer.startSpan('after');
    expect(() => late.end()).not.toThrow();
    expect(exporter.export).toHaveBeenCalledTimes(1);
    expect(exporter.export.mock.calls[0]![0].map((s) => s.name)).toEqual(['before']);
  });

  it('runs export with tracing suppressed, so the exporter’s own work is never traced', async () => {
    let tracer!: Tracer;
    const inside: { sync?: Span; afterAwait?: Span; suppressed?: boolean } = {};
    const { exporter } = fakeExporter(async () => {
      inside.sync = tracer.startSpan('exporter-http-call');
      inside.suppressed = activeContext().suppressed;
      await new Promise((resolve) => setTimeout(resolve, 1));
      inside.afterAwait = tracer.startSpan('exporter-after-await');
      return SUCCESS;
    });
    const processor = new SimpleSpanProcessor(exporter);
    tracer = tracerWith(processor);
    await tracer.withSpan('request', async () => {
      await Promise.resolve();
    });
    await processor.forceFlush();
    expect(exporter.export).toHaveBeenCalledTimes(1);
    expect(inside.suppressed).toBe(true);
    expect(inside.sync).toBeInstanceOf(NonRecordingSpan);
    expect(inside.sync!.isRecording()).toBe(false);
    expect(inside.afterAwait).toBeInstanceOf(NonRecordingSpan);
    expect(inside.afterAwait!.isRecording()).toBe(false);
    // The request span is still traced normally outside the export.
    expect(tracer.startSpan('after').isRecording()).toBe(true);
  });
});

function fakeProcessor() {
  return {
    onStart: vi.fn<NonNullable<SpanProcessor['onStart']>>(),
    onEnd: vi.fn<SpanProcessor['onEnd']>(),
    forceFlush: vi.fn<() => Promise<void>>(() => Promise.resolve()),
    shutdown: vi.fn<() => Promise<void>>(() => Promise.resolve()),
  } satisfies SpanProcessor;
}

describe('MultiSpanProcessor', () => {
  it('hands every started and ended span to each processor', () => {
    const a = fakeProcessor();
    const b = fakeProcessor();
    const tracer = tracerWith(new MultiSpanProcessor([a, b]));
    const span = tracer.startSpan('op');
    expect(a.onStart).toHaveBeenCalledWith(span);
    expect(b.onStart).toHaveBeenCalledWith(span);
    span.end();
    expect(a.onEnd).toHaveBeenCalledWith(span);
    expect(b.onEnd).toHaveBeenCalledWith(span);
  });

  it('exports each span through every exporter', () => {
    const first = new InMemorySpanExporter();
    const second = new InMemorySpanExporter();
    const tracer = tracerWith(
      new MultiSpanProcessor([new SimpleSpanProcessor(first), new SimpleSpanProcessor(second)]),
    );
    tracer.startSpan('op').end();
    expect(first.getFinishedSpans().map((s) => s.name)).toEqual(['op']);
    expect(second.getFinishedSpans().map((s) => s.name)).toEqual(['op']);
  });

  it('accepts processors without onStart', () => {
    const onEnd = vi.fn<SpanProcessor['onEnd']>();
    const bare: SpanProcessor = {
      onEnd,
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
    const tracer = tracerWith(new MultiSpanProcessor([bare, fakeProcessor()]));
    expect(() => tracer.startSpan('op').end()).not.toThrow();
    expect(onEnd).toHaveBeenCalledTimes(1);
  });

  it('flushes and shuts down every processor', async () => {
    const a = fakeProcessor();
    const b = fakeProcessor();
    const multi = new MultiSpanProcessor([a, b]);
    await multi.forceFlush();
    expect(a.forceFlush).toHaveBeenCalledTimes(1);
    expect(b.forceFlush).toHaveBeenCalledTimes(1);
    await multi.shutdown();
    expect(a.shutdown).toHaveBeenCalledTimes(1);
    expect(b.shutdown).toHaveBeenCalledTimes(1);
  });

  it('waits for the slowest processor to flush', async () => {
    const gate = deferred<void>();
    const slow = fakeProcessor();
    slow.forceFlush.mockImplementation(() => gate.promise);
    let done = false;
    const flush = new MultiSpanProcessor([fakeProcessor(), slow]).forceFlush().then(() => {
      done = true;
    });
    await settle();
    expect(done).toBe(false);
    gate.resolve();
    await flush;
    expect(done).toBe(true);
  });
});
