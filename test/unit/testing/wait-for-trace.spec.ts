import { describe, expect, it } from 'vitest';
import { InMemorySpanExporter } from '../../../lib/export/spans/in-memory-span-exporter.js';
import { SimpleSpanProcessor } from '../../../lib/core/simple-span-processor.js';
import { Tracer } from '../../../lib/core/tracer.js';
import { SpanKind } from '../../../lib/core/types.js';
import { waitForTrace } from '../../../lib/testing/index.js';

function setup() {
  const exporter = new InMemorySpanExporter();
  const tracer = new Tracer({
    processor: new SimpleSpanProcessor(exporter),
    resource: { attributes: { 'service.name': 'users' } },
  });
  return { exporter, tracer };
}

describe('waitForTrace', () => {
  it('resolves once the root has ended and every span has its parent', async () => {
    const { exporter, tracer } = setup();
    const root = tracer.startSpan('GET /users/:id', { kind: SpanKind.SERVER });
    const child = tracer.startSpan('UsersService.findOne', {
      parent: root.spanContext(),
    });
    let settled = false;
    const waiting = waitForTrace(exporter).then((trace) => {
      settled = true;
      return trace;
    });
    child.end();
    await new Promise((resolve) => setTimeout(resolve, 30));
    // The child alone waits for its parent.
    expect(settled).toBe(false);
    root.end();
    const trace = await waiting;
    expect(trace.traceId).toBe(root.spanContext().traceId);
    expect(trace.root.name).toBe('GET /users/:id');
    expect(trace.spans.map((s) => s.name)).toEqual(['GET /users/:id', 'UsersService.findOne']);
  });

  it('picks the trace by id or by one of its spans', async () => {
    const { exporter, tracer } = setup();
    const first = tracer.withSpan('first', (s) => s.spanContext().traceId);
    const second = tracer.withSpan('second', (s) => {
      tracer.startSpan('inner', { attributes: { 'order.id': 7 } }).end();
      return s.spanContext().traceId;
    });
    expect((await waitForTrace(exporter)).traceId).toBe(first);
    expect((await waitForTrace(exporter, { traceId: second })).root.name).toBe('second');
    expect(
      (await waitForTrace(exporter, { span: { attributes: { 'order.id': 7 } } })).traceId,
    ).toBe(second);
  });

  it('treats a span continued from another process as a root', async () => {
    const { exporter, tracer } = setup();
    tracer
      .startSpan('GET /products/:sku', {
        kind: SpanKind.SERVER,
        parent: {
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
          spanId: '00f067aa0ba902b7',
          traceFlags: 1,
          isRemote: true,
        },
      })
      .end();
    const trace = await waitForTrace(exporter);
    expect(trace.root.parentSpanId).toBe('00f067aa0ba902b7');
  });

  it('waits for minSpans when work ends after the root', async () => {
    const { exporter, tracer } = setup();
    const root = tracer.startSpan('job');
    root.end();
    const waiting = waitForTrace(exporter, { minSpans: 2, timeoutMs: 1000 });
    setTimeout(() => tracer.startSpan('late', { parent: root.spanContext() }).end(), 20);
    expect((await waiting).spans.map((s) => s.name)).toEqual(['job', 'late']);
  });

  it('rejects after the timeout, saying what each unfinished trace lacks', async () => {
    const { exporter, tracer } = setup();
    const root = tracer.startSpan('GET /slow');
    tracer.startSpan('step', { parent: root.spanContext() }).end();
    const traceId = root.spanContext().traceId;
    await expect(waitForTrace(exporter, { timeoutMs: 50 })).rejects.toThrow(
      `waitForTrace: no finished trace within 50 ms; unfinished: ${traceId} (1 spans) waits for the parent of "step"`,
    );
    await expect(
      waitForTrace(exporter, { span: 'GET /fast', traceId: 'f'.repeat(32), timeoutMs: 20 }),
    ).rejects.toThrow(
      `waitForTrace: no finished trace with trace id ${'f'.repeat(32)} and a span named "GET /fast" within 20 ms; no matching spans arrived`,
    );
  });
});
