import { afterEach, describe, expect, it } from 'vitest';
import { InMemorySpanExporter } from '../../../../lib/export/spans/in-memory-span-exporter.js';
import { SimpleSpanProcessor } from '../../../../lib/core/simple-span-processor.js';
import { ExportResultCode } from '../../../../lib/core/span-exporter.js';
import { Tracer } from '../../../../lib/core/tracer.js';

function tracerFor(exporter: InMemorySpanExporter): Tracer {
  return new Tracer({
    processor: new SimpleSpanProcessor(exporter),
    resource: { attributes: { 'service.name': 'orders' } },
  });
}

function endSpans(tracer: Tracer, names: string[]): void {
  for (const name of names) tracer.startSpan(name).end();
}

describe('InMemorySpanExporter', () => {
  let exporter: InMemorySpanExporter;
  afterEach(async () => {
    await exporter.shutdown();
  });

  it('holds each span as soon as it ends, oldest first, with its parentage', () => {
    exporter = new InMemorySpanExporter();
    const tracer = tracerFor(exporter);
    tracer.withSpan('root', () => {
      tracer.withSpan('child', () => {});
    });
    const [child, root] = exporter.getFinishedSpans();
    expect([child?.name, root?.name]).toEqual(['child', 'root']);
    expect(child?.parentSpanId).toBe(root?.spanId);
    expect(child?.traceId).toBe(root?.traceId);
    expect(root?.parentSpanId).toBeUndefined();
  });

  it('drops the oldest spans when the ring is full and counts them', () => {
    exporter = new InMemorySpanExporter({ maxSpans: 3 });
    endSpans(tracerFor(exporter), ['s1', 's2', 's3', 's4', 's5']);
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['s3', 's4', 's5']);
    expect(exporter.droppedSpans).toBe(2);
  });

  it('holds ten thousand spans by default before dropping any', async () => {
    exporter = new InMemorySpanExporter();
    endSpans(tracerFor(exporter), ['one']);
    const span = exporter.getFinishedSpans()[0]!;
    await exporter.export(Array.from({ length: 9_999 }, () => span));
    expect(exporter.droppedSpans).toBe(0);
    await exporter.export([span]);
    expect(exporter.droppedSpans).toBe(1);
    expect(exporter.getFinishedSpans()).toHaveLength(10_000);
  });

  it('rejects a maxSpans that is not a positive integer, naming the option', () => {
    exporter = new InMemorySpanExporter();
    expect(() => new InMemorySpanExporter({ maxSpans: 0 })).toThrow(/"maxSpans".*positive integer/);
    expect(() => new InMemorySpanExporter({ maxSpans: 1.5 })).toThrow(/"maxSpans"/);
  });

  it('finds spans by trace id, by name and by predicate', () => {
    exporter = new InMemorySpanExporter();
    const tracer = tracerFor(exporter);
    tracer.withSpan('first', () => tracer.withSpan('inner', () => {}));
    tracer.withSpan('second', (span) => span.setAttribute('n', 2));
    const [firstTrace, secondTrace] = exporter.getTraceIds();
    expect(exporter.getTraceIds()).toHaveLength(2);
    expect(exporter.getSpansByTraceId(firstTrace!).map((span) => span.name)).toEqual([
      'inner',
      'first',
    ]);
    expect(exporter.getSpansByTraceId(secondTrace!).map((span) => span.name)).toEqual(['second']);
    expect(exporter.findSpan('inner')?.traceId).toBe(firstTrace);
    expect(exporter.findSpan((span) => span.attributes.n === 2)?.name).toBe('second');
    expect(exporter.findSpan('missing')).toBeUndefined();
  });

  it('lists trace ids in the order their first span arrived, still ordered after the ring wraps', () => {
    exporter = new InMemorySpanExporter({ maxSpans: 4 });
    const tracer = tracerFor(exporter);
    endSpans(tracer, ['a', 'b', 'c', 'd', 'e', 'f']);
    const names = exporter.getFinishedSpans().map((span) => span.name);
    expect(names).toEqual(['c', 'd', 'e', 'f']);
    expect(exporter.getTraceIds()).toEqual(exporter.getFinishedSpans().map((span) => span.traceId));
  });

  it('forgets all spans and the drop count on reset', () => {
    exporter = new InMemorySpanExporter({ maxSpans: 1 });
    const tracer = tracerFor(exporter);
    endSpans(tracer, ['a', 'b']);
    exporter.reset();
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(exporter.droppedSpans).toBe(0);
    endSpans(tracer, ['c']);
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['c']);
  });

  it('waitForSpans resolves once enough spans have ended later on', async () => {
    exporter = new InMemorySpanExporter();
    const tracer = tracerFor(exporter);
    const waiting = exporter.waitForSpans(2);
    setTimeout(() => endSpans(tracer, ['late-1']), 5);
    setTimeout(() => endSpans(tracer, ['late-2']), 10);
    const spans = await waiting;
    expect(spans.map((span) => span.name)).toEqual(['late-1', 'late-2']);
  });

  it('waitForSpans resolves at once when the spans are already held', async () => {
    exporter = new InMemorySpanExporter();
    endSpans(tracerFor(exporter), ['a', 'b', 'c']);
    await expect(exporter.waitForSpans(2)).resolves.toHaveLength(3);
  });

  it('waitForSpans rejects after the timeout, saying how many spans arrived', async () => {
    exporter = new InMemorySpanExporter();
    endSpans(tracerFor(exporter), ['only-one']);
    await expect(exporter.waitForSpans(3, 20)).rejects.toThrow(
      'expected 3 spans within 20 ms, but only 1 arrived',
    );
  });

  it('waitForSpans rejects at once when more spans are asked for than the ring can hold', async () => {
    exporter = new InMemorySpanExporter({ maxSpans: 2 });
    await expect(exporter.waitForSpans(3)).rejects.toThrow(/at most 2 \(option "maxSpans"\)/);
  });

  it('stops accepting spans after shutdown but keeps those it holds', async () => {
    exporter = new InMemorySpanExporter();
    const tracer = tracerFor(exporter);
    endSpans(tracer, ['before']);
    await exporter.shutdown();
    const result = await exporter.export(exporter.getFinishedSpans());
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toMatch(/after shutdown/);
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['before']);
  });

  it('rejects pending waits on shutdown instead of leaving them to time out', async () => {
    exporter = new InMemorySpanExporter();
    const waiting = exporter.waitForSpans(1, 10_000);
    await exporter.shutdown();
    await expect(waiting).rejects.toThrow(/shut down while waiting for 1 spans/);
  });

  it('reports success from export and has nothing to flush', async () => {
    exporter = new InMemorySpanExporter();
    await expect(exporter.export([])).resolves.toEqual({ code: ExportResultCode.SUCCESS });
    await expect(exporter.forceFlush()).resolves.toBeUndefined();
  });
});
