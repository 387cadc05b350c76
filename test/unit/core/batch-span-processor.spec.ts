import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchSpanProcessor } from '../../../lib/core/batch-span-processor.js';
import {
  ExportResultCode,
  type ExportResult,
  type SpanExporter,
} from '../../../lib/core/span-exporter.js';
import { activeContext } from '../../../lib/core/trace-context.js';
import { Tracer } from '../../../lib/core/tracer.js';
import { AlwaysOffSampler } from '../../../lib/core/samplers.js';
import type { ReadableSpan } from '../../../lib/core/types.js';

/** An exporter whose answers the test scripts, recording every batch it is given. */
class ScriptedExporter implements SpanExporter {
  readonly batches: string[][] = [];
  readonly suppressedDuringExport: boolean[] = [];
  shutdowns = 0;
  constructor(
    private readonly answer: (call: number) => ExportResult | Promise<ExportResult> = () => ({
      code: ExportResultCode.SUCCESS,
    }),
  ) {}
  async export(spans: readonly ReadableSpan[]): Promise<ExportResult> {
    this.suppressedDuringExport.push(activeContext().suppressed);
    const call = this.batches.length;
    this.batches.push(spans.map((s) => s.name));
    return this.answer(call);
  }
  async shutdown(): Promise<void> {
    this.shutdowns++;
  }
  get exportedNames(): string[] {
    return this.batches.flat();
  }
}

function tracerFor(processor: BatchSpanProcessor, sampled = true): Tracer {
  return new Tracer({
    processor,
    resource: { attributes: { 'service.name': 'batch' } },
    sampler: sampled ? undefined : new AlwaysOffSampler(),
  });
}

function endSpans(tracer: Tracer, count: number, prefix = 's'): void {
  for (let i = 0; i < count; i++) tracer.startSpan(`${prefix}${i}`).end();
}

// A batch job or script: spans ended in a loop whose awaits are all of settled promises,
// so no timer or I/O callback ever runs until it is over.
async function burst(tracer: Tracer, count: number, spansPerAwait: number): Promise<void> {
  for (let i = 1; i <= count; i++) {
    tracer.startSpan('burst').end();
    if (i % spansPerAwait === 0) await Promise.resolve();
  }
}

/** Takes each batch at once; `inMicrotask` answers one microtask later instead. */
function countingExporter(inMicrotask: boolean) {
  const success: ExportResult = { code: ExportResultCode.SUCCESS };
  const done = Promise.resolve(success);
  return {
    received: 0,
    export(spans: readonly ReadableSpan[]): Promise<ExportResult> {
      this.received += spans.length;
      return inMicrotask ? Promise.resolve().then(() => success) : done;
    },
    async shutdown(): Promise<void> {},
  };
}

const processors: BatchSpanProcessor[] = [];
function create(
  exporter: SpanExporter,
  options: ConstructorParameters<typeof BatchSpanProcessor>[1] = {},
  report?: (k: string, m: string) => void,
) {
  const p = new BatchSpanProcessor(exporter, options, report);
  processors.push(p);
  return p;
}

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(processors.splice(0).map((p) => p.shutdown()));
});

describe('BatchSpanProcessor', () => {
  it('exports queued spans in batches of at most maxExportBatchSize, in order', async () => {
    const exporter = new ScriptedExporter();
    const processor = create(exporter, { maxExportBatchSize: 4, scheduledDelayMs: 60_000 });
    endSpans(tracerFor(processor), 10);
    await processor.forceFlush();
    expect(exporter.batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(exporter.exportedNames).toEqual(Array.from({ length: 10 }, (_, i) => `s${i}`));
    expect(processor.stats()).toMatchObject({
      exported: 10,
      dropped: 0,
      failed: 0,
      queueLength: 0,
    });
  });

  it('sends a batch as soon as it is full, without waiting for the delay', async () => {
    const exporter = new ScriptedExporter();
    const processor = create(exporter, { maxExportBatchSize: 3, scheduledDelayMs: 60_000 });
    endSpans(tracerFor(processor), 3);
    await vi.waitFor(() => expect(exporter.batches).toEqual([['s0', 's1', 's2']]));
  });

  it('sends a partial batch once the scheduled delay passes', async () => {
    vi.useFakeTimers();
    const exporter = new ScriptedExporter();
    const processor = create(exporter, { scheduledDelayMs: 1000 });
    endSpans(tracerFor(processor), 2);
    await vi.advanceTimersByTimeAsync(999);
    expect(exporter.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exporter.batches).toEqual([['s0', 's1']]);
  });

  it('drops and counts spans beyond the queue size, reporting it once, without blocking', async () => {
    const reports: string[] = [];
    const exporter = new ScriptedExporter();
    const processor = create(
      exporter,
      { maxQueueSize: 5, maxExportBatchSize: 5, scheduledDelayMs: 60_000 },
      (kind) => reports.push(kind),
    );
    // The first five start an export at once, which takes them out of the queue; the
    // export is async, so the next five fill the queue again and the last two are dropped.
    endSpans(tracerFor(processor), 12);
    expect(processor.stats().dropped).toBe(2);
    expect(reports).toEqual(['queue-full']);
    await processor.forceFlush();
    expect(exporter.exportedNames).toEqual(Array.from({ length: 10 }, (_, i) => `s${i}`));
  });

  it('drops nothing in a burst of awaited calls that never yields to the event loop', async () => {
    const exporter = new ScriptedExporter();
    const processor = create(exporter, { scheduledDelayMs: 60_000 });
    const tracer = tracerFor(processor);
    for (let i = 0; i < 20_000; i++) await tracer.withSpan('burst', async () => i);
    await processor.forceFlush();
    expect(processor.stats()).toMatchObject({ dropped: 0, exported: 20_000 });
    // Full batches, not a trickle of tiny exports while one is in flight.
    const sizes = exporter.batches.map((b) => b.length);
    expect(sizes.slice(0, -1).every((n) => n === 512)).toBe(true);
    expect(sizes).toHaveLength(Math.ceil(20_000 / 512));
  });

  it.each([
    { name: 'a synchronous exporter', inMicrotask: false, spansPerAwait: 1 },
    { name: 'a synchronous exporter', inMicrotask: false, spansPerAwait: 256 },
    { name: 'an exporter answering in a microtask', inMicrotask: true, spansPerAwait: 1 },
    { name: 'an exporter answering in a microtask', inMicrotask: true, spansPerAwait: 256 },
  ])(
    'delivers a burst of 100,000 spans that never yields to the event loop to $name ($spansPerAwait spans per await)',
    async ({ inMicrotask, spansPerAwait }) => {
      const exporter = countingExporter(inMicrotask);
      const processor = create(exporter, { scheduledDelayMs: 60_000 });
      await burst(tracerFor(processor), 100_000, spansPerAwait);
      // Still inside the burst: only the last partial batch waits (for the timer).
      const during = processor.stats();
      expect(during.dropped).toBe(0);
      expect(during.exported).toBe(100_000 - (100_000 % 512));
      expect(during.queueLength).toBe(100_000 % 512);
      await processor.forceFlush();
      expect(processor.stats()).toMatchObject({ exported: 100_000, dropped: 0, failed: 0 });
      expect(exporter.received).toBe(100_000);
    },
  );

  it('keeps the queue bound in a burst when the export never completes, counting the drops', async () => {
    const reports: string[] = [];
    const exporter = new ScriptedExporter(() => new Promise<ExportResult>(() => {}));
    const processor = create(exporter, { scheduledDelayMs: 60_000, shutdownTimeoutMs: 1 }, (kind) =>
      reports.push(kind),
    );
    await burst(tracerFor(processor), 100_000, 256);
    // One batch of 512 in the export that never answers, 2048 queued, the rest dropped.
    expect(exporter.batches.map((b) => b.length)).toEqual([512]);
    expect(processor.stats()).toMatchObject({
      exported: 0,
      queueLength: 2048,
      dropped: 100_000 - 512 - 2048,
    });
    expect(reports).toEqual(['queue-full']);
  });

  it('never queues unsampled spans', async () => {
    const exporter = new ScriptedExporter();
    const processor = create(exporter);
    endSpans(tracerFor(processor, false), 3);
    await processor.forceFlush();
    expect(exporter.batches).toEqual([]);
  });

  it('retries a retryable failure, honouring Retry-After, then delivers the same batch', async () => {
    const exporter = new ScriptedExporter((call) =>
      call < 2
        ? {
            code: ExportResultCode.FAILED,
            retryable: true,
            retryAfterMs: 30,
            error: new Error('HTTP 503'),
          }
        : { code: ExportResultCode.SUCCESS },
    );
    const processor = create(exporter, { retryInitialDelayMs: 1, retryMaxDelayMs: 100 });
    endSpans(tracerFor(processor), 2);
    const started = performance.now();
    await processor.forceFlush();
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect(exporter.batches).toEqual([
      ['s0', 's1'],
      ['s0', 's1'],
      ['s0', 's1'],
    ]);
    expect(processor.stats()).toMatchObject({ exported: 2, retried: 2, failed: 0 });
    expect(processor.stats().lastError?.message).toBe('HTTP 503');
  });

  it('gives up after maxRetries and counts the batch as failed, reporting once per kind', async () => {
    const reports: string[] = [];
    const exporter = new ScriptedExporter(() => ({
      code: ExportResultCode.FAILED,
      retryable: true,
      error: new Error('HTTP 502'),
    }));
    const processor = create(
      exporter,
      { maxRetries: 2, retryInitialDelayMs: 1, maxExportBatchSize: 1 },
      (kind, message) => reports.push(`${kind}: ${message}`),
    );
    endSpans(tracerFor(processor), 2);
    await processor.forceFlush();
    expect(exporter.batches).toHaveLength(6);
    expect(processor.stats()).toMatchObject({ failed: 2, retried: 4, exported: 0 });
    expect(reports).toEqual([
      'retrying:502: ScriptedExporter failed and will retry (further failures of this kind are not logged): HTTP 502',
      'failed:502: ScriptedExporter gave up on 1 spans after 3 attempts: HTTP 502',
    ]);
  });

  it('honours a Retry-After longer than the backoff cap, and gives up on one beyond five minutes', async () => {
    let call = 0;
    const exporter = new ScriptedExporter(() =>
      ++call === 1
        ? {
            code: ExportResultCode.FAILED,
            retryable: true,
            retryAfterMs: 80,
            error: new Error('HTTP 429'),
          }
        : { code: ExportResultCode.SUCCESS },
    );
    const processor = create(exporter, { retryInitialDelayMs: 1, retryMaxDelayMs: 5 });
    endSpans(tracerFor(processor), 1);
    const started = performance.now();
    await processor.forceFlush();
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    expect(processor.stats()).toMatchObject({ exported: 1, retried: 1 });

    const patient = new ScriptedExporter(() => ({
      code: ExportResultCode.FAILED,
      retryable: true,
      retryAfterMs: 3_600_000,
      error: new Error('HTTP 503'),
    }));
    const giving = create(patient);
    endSpans(tracerFor(giving), 1);
    await giving.forceFlush();
    expect(giving.stats()).toMatchObject({ failed: 1, retried: 0 });
  });

  it('does not retry a final failure such as HTTP 400', async () => {
    const exporter = new ScriptedExporter(() => ({
      code: ExportResultCode.FAILED,
      retryable: false,
      error: new Error('HTTP 400: bad'),
    }));
    const processor = create(exporter, { retryInitialDelayMs: 1 });
    endSpans(tracerFor(processor), 3);
    await processor.forceFlush();
    expect(exporter.batches).toHaveLength(1);
    expect(processor.stats()).toMatchObject({ failed: 3, retried: 0 });
  });

  it('treats a thrown or rejected export, or one with no result, as a failure and carries on', async () => {
    let call = 0;
    const exporter: SpanExporter = {
      export: () => {
        call++;
        if (call === 1) throw new Error('sync throw');
        if (call === 2) return Promise.reject(new Error('rejected'));
        if (call === 3) return Promise.resolve(undefined as unknown as ExportResult);
        return Promise.resolve({ code: ExportResultCode.SUCCESS });
      },
      shutdown: async () => {},
    };
    const processor = create(exporter, { maxExportBatchSize: 1 });
    endSpans(tracerFor(processor), 4);
    await processor.forceFlush();
    expect(processor.stats()).toMatchObject({ failed: 3, exported: 1 });
  });

  it('times out an export that never answers and retries it', async () => {
    let call = 0;
    const exporter: SpanExporter = {
      export: () =>
        ++call === 1
          ? new Promise<ExportResult>(() => {})
          : Promise.resolve({ code: ExportResultCode.SUCCESS }),
      shutdown: async () => {},
    };
    const processor = create(exporter, { exportTimeoutMs: 20, retryInitialDelayMs: 1 });
    endSpans(tracerFor(processor), 1);
    await processor.forceFlush();
    expect(call).toBe(2);
    expect(processor.stats()).toMatchObject({ exported: 1, retried: 1 });
    expect(processor.stats().lastError?.message).toBe('export timed out after 20 ms');
  });

  it('runs exports with tracing suppressed', async () => {
    const exporter = new ScriptedExporter();
    const processor = create(exporter);
    endSpans(tracerFor(processor), 1);
    await processor.forceFlush();
    expect(exporter.suppressedDuringExport).toEqual([true]);
  });

  it('flushes on shutdown, shuts the exporter down once, and ignores later spans', async () => {
    const exporter = new ScriptedExporter();
    const processor = create(exporter, { scheduledDelayMs: 60_000 });
    const tracer = tracerFor(processor);
    endSpans(tracer, 3);
    await Promise.all([processor.shutdown(), processor.shutdown()]);
    expect(exporter.exportedNames).toEqual(['s0', 's1', 's2']);
    expect(exporter.shutdowns).toBe(1);
    endSpans(tracer, 1, 'late');
    await processor.forceFlush();
    expect(exporter.exportedNames).toEqual(['s0', 's1', 's2']);
    // Not sent, but counted: the stats account for every span ended.
    expect(processor.stats()).toMatchObject({ exported: 3, dropped: 1, failed: 0 });
  });

  it('stops waiting at the shutdown deadline and counts what it could not send', async () => {
    const reports: string[] = [];
    const exporter = new ScriptedExporter(() => ({
      code: ExportResultCode.FAILED,
      retryable: true,
      retryAfterMs: 10_000,
      error: new Error('HTTP 503'),
    }));
    const messages: string[] = [];
    const processor = create(
      exporter,
      { maxExportBatchSize: 2, retryMaxDelayMs: 10_000, shutdownTimeoutMs: 100 },
      (kind, message) => {
        reports.push(kind);
        messages.push(message);
      },
    );
    endSpans(tracerFor(processor), 5);
    await processor.shutdown();
    expect(reports).toContain('shutdown-timeout');
    // The batch waiting to be retried is given up (failed), the queued ones never sent (dropped).
    expect(processor.stats()).toMatchObject({ exported: 0, dropped: 3, failed: 2 });
    expect(messages).toContain(
      'ScriptedExporter: shutdown deadline (100 ms) reached: 2 spans in an export that did not finish, 3 queued spans not sent',
    );
    expect(exporter.shutdowns).toBe(1);
  });

  it('counts an export still unanswered at the shutdown deadline as failed, once', async () => {
    const messages: string[] = [];
    let answer: ((result: ExportResult) => void) | undefined;
    const exporter = new ScriptedExporter(
      () => new Promise<ExportResult>((resolve) => (answer = resolve)),
    );
    const processor = create(exporter, { maxExportBatchSize: 4, shutdownTimeoutMs: 50 }, (_k, m) =>
      messages.push(m),
    );
    endSpans(tracerFor(processor), 10);
    await processor.shutdown();
    expect(exporter.batches).toHaveLength(1);
    expect(processor.stats()).toMatchObject({ exported: 0, dropped: 6, failed: 4, queueLength: 0 });
    expect(messages).toEqual([
      'ScriptedExporter: shutdown deadline (50 ms) reached: 4 spans in an export that did not finish, 6 queued spans not sent',
    ]);
    expect(processor.stats().lastError?.message).toBe(
      'shutdown deadline (50 ms) reached: 4 spans in an export that did not finish, 6 queued spans not sent',
    );
    // A failure that arrives later was counted already.
    answer!({ code: ExportResultCode.FAILED, retryable: false, error: new Error('HTTP 400') });
    await processor.forceFlush();
    expect(processor.stats()).toMatchObject({ exported: 0, dropped: 6, failed: 4 });
  });

  it('moves a batch delivered after the shutdown deadline from failed to exported', async () => {
    let answer: ((result: ExportResult) => void) | undefined;
    const exporter = new ScriptedExporter(
      () => new Promise<ExportResult>((resolve) => (answer = resolve)),
    );
    const processor = create(exporter, { shutdownTimeoutMs: 50 });
    endSpans(tracerFor(processor), 3);
    await processor.shutdown();
    expect(processor.stats()).toMatchObject({ exported: 0, dropped: 0, failed: 3 });
    answer!({ code: ExportResultCode.SUCCESS });
    await vi.waitFor(() => expect(processor.stats()).toMatchObject({ exported: 3, failed: 0 }));
  });

  it('rejects invalid options with the option name', () => {
    expect(() => new BatchSpanProcessor(new ScriptedExporter(), { maxQueueSize: 0 })).toThrow(
      /option "batch.maxQueueSize" must be an integer of at least 1; got 0/,
    );
    expect(() => new BatchSpanProcessor(new ScriptedExporter(), { scheduledDelayMs: 1.5 })).toThrow(
      /"batch.scheduledDelayMs"/,
    );
    const unknown = { scheduledDelayMillis: 5 } as never;
    expect(() => new BatchSpanProcessor(new ScriptedExporter(), unknown)).toThrow(
      /^unknown option "batch.scheduledDelayMillis"; known options are .*scheduledDelayMs/,
    );
  });

  it('clamps the batch size to the queue size', async () => {
    const exporter = new ScriptedExporter();
    const processor = create(exporter, { maxQueueSize: 3, maxExportBatchSize: 10 });
    endSpans(tracerFor(processor), 3);
    await vi.waitFor(() => expect(exporter.batches).toEqual([['s0', 's1', 's2']]));
  });
});
