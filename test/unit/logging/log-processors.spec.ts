import { afterEach, describe, expect, it } from 'vitest';
import { createResource } from '../../../lib/core/resource.js';
import { activeContext } from '../../../lib/core/trace-context.js';
import { ExportResultCode, type ExportResult } from '../../../lib/core/span-exporter.js';
import { Tracer } from '../../../lib/core/tracer.js';
import { AlwaysOffSampler } from '../../../lib/core/samplers.js';
import { SpanKind, SpanStatusCode } from '../../../lib/core/types.js';
import { BatchLogProcessor } from '../../../lib/logging/batch-log-processor.js';
import type { LogExporter, LogRecord } from '../../../lib/core/log-record.js';
import { SpanLogProcessor, spanToLogRecord } from '../../../lib/logging/span-log-processor.js';

const resource = createResource({ serviceName: 'proc' });

class ScriptedLogExporter implements LogExporter {
  readonly batches: LogRecord[][] = [];
  readonly suppressed: boolean[] = [];
  shutdowns = 0;
  constructor(private readonly answer: (call: number) => ExportResult = () => ({ code: 0 })) {}
  async export(records: readonly LogRecord[]): Promise<ExportResult> {
    this.suppressed.push(activeContext().suppressed);
    this.batches.push([...records]);
    return this.answer(this.batches.length - 1);
  }
  async shutdown(): Promise<void> {
    this.shutdowns++;
  }
}

function record(level: LogRecord['level'], message: string): LogRecord {
  return {
    time: performance.now(),
    level,
    message,
    context: undefined,
    traceId: undefined,
    spanId: undefined,
    traceFlags: undefined,
    correlationId: undefined,
    fields: {},
    error: undefined,
    resource,
    source: 'log',
  };
}

const open: { shutdown(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.shutdown()));
});

describe('BatchLogProcessor', () => {
  it('batches records off the caller’s path, exports with tracing suppressed, and honours its level', async () => {
    const exporter = new ScriptedLogExporter();
    const processor = new BatchLogProcessor(exporter, { level: 'warn', scheduledDelayMs: 60_000 });
    open.push(processor);
    processor.onEmit(record('info', 'skipped'));
    processor.onEmit(record('warn', 'kept'));
    processor.onEmit(record('error', 'kept too'));
    expect(exporter.batches).toEqual([]);
    await processor.forceFlush();
    expect(exporter.batches.map((b) => b.map((r) => r.message))).toEqual([['kept', 'kept too']]);
    expect(exporter.suppressed).toEqual([true]);
    expect(processor.stats()).toMatchObject({ exporter: 'ScriptedLogExporter', exported: 2 });
  });

  it('retries a retryable failure and talks about log records when it gives up or drops', async () => {
    const reports: string[] = [];
    const exporter = new ScriptedLogExporter(() => ({
      code: ExportResultCode.FAILED,
      retryable: true,
      error: new Error('HTTP 503'),
    }));
    const processor = new BatchLogProcessor(
      exporter,
      { maxRetries: 1, retryInitialDelayMs: 1, maxQueueSize: 2, scheduledDelayMs: 60_000 },
      (_kind, message) => reports.push(message),
    );
    open.push(processor);
    // The first two fill a batch that leaves the queue at once; two more fill the queue again.
    for (let i = 0; i < 5; i++) processor.onEmit(record('info', `r${i}`));
    await processor.forceFlush();
    expect(exporter.batches.map((b) => b.map((r) => r.message))).toEqual([
      ['r0', 'r1'],
      ['r0', 'r1'],
      ['r2', 'r3'],
      ['r2', 'r3'],
    ]);
    expect(processor.stats()).toMatchObject({ failed: 4, dropped: 1, retried: 2 });
    expect(reports).toContain(
      'log queue of ScriptedLogExporter is full (2); dropping log records until it drains',
    );
    expect(reports).toContain(
      'ScriptedLogExporter gave up on 2 log records after 2 attempts: HTTP 503',
    );
    expect(reports.join('\n')).not.toMatch(/\bspans?\b/);
  });
});

function tracerWith(processor: SpanLogProcessor, sampled = true) {
  return new Tracer({
    processor,
    resource,
    sampler: sampled ? undefined : new AlwaysOffSampler(),
    // Unsampled spans still reach the processors, as with metrics on: they must skip them.
    recordUnsampled: !sampled,
  });
}

describe('SpanLogProcessor', () => {
  it('ships sampled spans as log records through the log exporter and never shuts it down', async () => {
    const exporter = new ScriptedLogExporter();
    const processor = new SpanLogProcessor(exporter, { scheduledDelayMs: 60_000 });
    tracerWith(processor).startSpan('GET /orders', { kind: SpanKind.SERVER }).end();
    tracerWith(processor, false).startSpan('unsampled').end();
    await processor.shutdown();
    expect(exporter.batches.flat().map((r) => [r.message, r.source])).toEqual([
      ['GET /orders', 'span'],
    ]);
    expect(exporter.shutdowns).toBe(0);
    expect(processor.stats().exporter).toBe('ScriptedLogExporter (spans)');
  });

  it('keeps only failed spans for an exporter whose level is above info', async () => {
    const exporter = new ScriptedLogExporter();
    const processor = new SpanLogProcessor(exporter, { level: 'error' });
    open.push(processor);
    const tracer = tracerWith(processor);
    tracer.startSpan('fine').end();
    tracer.startSpan('broken').setStatus({ code: SpanStatusCode.ERROR, message: 'x' }).end();
    await processor.forceFlush();
    expect(exporter.batches.flat().map((r) => r.message)).toEqual(['broken']);
  });

  it('hands the exporter the same records when a batch is retried', async () => {
    const exporter = new ScriptedLogExporter((call) =>
      call === 0
        ? { code: ExportResultCode.FAILED, retryable: true, error: new Error('HTTP 503') }
        : { code: ExportResultCode.SUCCESS },
    );
    const processor = new SpanLogProcessor(exporter, { retryInitialDelayMs: 1 });
    open.push(processor);
    tracerWith(processor).startSpan('retried').end();
    await processor.forceFlush();
    expect(exporter.batches).toHaveLength(2);
    expect(exporter.batches[1]![0]).toBe(exporter.batches[0]![0]);
  });
});

describe('spanToLogRecord', () => {
  it('makes the span’s name the message, its attributes fields, and its exception the error', () => {
    const tracer = new Tracer({
      processor: { onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} },
      resource,
    });
    const span = tracer.startSpan('charge', {
      kind: SpanKind.CLIENT,
      attributes: { 'payment.provider': 'acme', 'correlation.id': 'c-9' },
    });
    const error = new TypeError('card declined');
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
    span.end();
    const converted = spanToLogRecord(span as unknown as Parameters<typeof spanToLogRecord>[0]);
    expect(converted).toMatchObject({
      level: 'error',
      message: 'charge',
      context: 'span',
      source: 'span',
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
      correlationId: 'c-9',
      fields: { 'payment.provider': 'acme', 'span.kind': 'client', 'span.status': 'error' },
      error: { type: 'TypeError', message: 'card declined' },
    });
    expect(converted.fields['span.duration_ms']).toEqual(expect.any(Number));
    expect(converted.error?.stack).toContain('TypeError: card declined');
  });
});
