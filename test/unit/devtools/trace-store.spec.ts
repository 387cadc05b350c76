import { afterEach, describe, expect, it, vi } from 'vitest';
import { FunctionSampler } from '../../../lib/core/samplers.js';
import { Tracer } from '../../../lib/core/tracer.js';
import { SpanKind, SpanStatusCode, type ReadableSpan } from '../../../lib/core/types.js';
import { TraceStore } from '../../../lib/devtools/trace-store.js';

function storeWith(options: Partial<ConstructorParameters<typeof TraceStore>[0]> = {}) {
  const store = new TraceStore({ maxTraces: 10, maxSpansPerTrace: 100, ...options });
  const tracer = new Tracer({
    processor: store,
    resource: { attributes: { 'service.name': 'shop' } },
  });
  return { store, tracer };
}

/** One finished trace: a server span with `children` child spans. */
function request(
  tracer: Tracer,
  name: string,
  attributes: Record<string, string | number> = {},
  children = 1,
): string {
  return tracer.withSpan(
    name,
    (server) => {
      server.setAttributes(attributes);
      for (let i = 0; i < children; i++) tracer.startSpan(`step ${i}`).end();
      return server.spanContext().traceId;
    },
    { kind: SpanKind.SERVER },
  );
}

describe('TraceStore', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('groups ended spans by trace id and lists traces newest first', () => {
    const { store, tracer } = storeWith();
    const a = request(tracer, 'GET /a', {}, 2);
    const b = request(tracer, 'GET /b');
    const list = store.list();
    expect(list.traces.map((t) => [t.traceId, t.rootName, t.spanCount])).toEqual([
      [b, 'GET /b', 2],
      [a, 'GET /a', 3],
    ]);
    expect(store.getTrace(a)!.spans.map((s) => s.name)).toEqual(['step 0', 'step 1', 'GET /a']);
  });

  it('drops the oldest trace when it holds maxTraces, and counts it', () => {
    const { store, tracer } = storeWith({ maxTraces: 2 });
    const first = request(tracer, 'one');
    request(tracer, 'two');
    request(tracer, 'three');
    expect(store.size).toBe(2);
    expect(store.getTrace(first)).toBeUndefined();
    expect(store.list()).toMatchObject({ total: 2, maxTraces: 2, droppedTraces: 1 });
    expect(store.list().traces.map((t) => t.rootName)).toEqual(['three', 'two']);
  });

  it('keeps at most maxSpansPerTrace spans of a trace and counts the rest as dropped', () => {
    const { store, tracer } = storeWith({ maxSpansPerTrace: 3 });
    const id = request(tracer, 'big', {}, 5);
    expect(store.getTrace(id)).toMatchObject({ droppedSpans: 3 });
    expect(store.getTrace(id)!.spans).toHaveLength(3);
    expect(store.list().traces[0]).toMatchObject({ spanCount: 3, droppedSpans: 3 });
  });

  it('keeps no unsampled span, as no exporter shows them', () => {
    const store = new TraceStore({ maxTraces: 10, maxSpansPerTrace: 10 });
    const tracer = new Tracer({
      processor: store,
      resource: { attributes: {} },
      recordUnsampled: true,
      sampler: new FunctionSampler(() => false),
    });
    tracer.startSpan('dropped').end();
    expect(store.size).toBe(0);
  });

  it("does not keep the server spans of the viewer's own path, should they be traced", () => {
    const { store, tracer } = storeWith({ ignorePath: '/_tracing' });
    request(tracer, 'GET', { 'url.path': '/_tracing/api/traces' }, 0);
    request(tracer, 'GET', { 'url.path': '/_tracing' }, 0);
    request(tracer, 'GET /_tracing-shop', { 'url.path': '/_tracing-shop' }, 0);
    expect(store.list().traces.map((t) => t.rootName)).toEqual(['GET /_tracing-shop']);
  });

  it('filters by status, route, correlation id, trace id prefix, service and limit', () => {
    const { store, tracer } = storeWith();
    const ok = request(tracer, 'GET /orders/:id', {
      'http.route': '/orders/:id',
      'url.path': '/orders/1',
      'correlation.id': 'c-1',
    });
    const failed = tracer.withSpan(
      'GET /pay',
      (span) => {
        span.setAttributes({ 'http.route': '/pay', 'correlation.id': 'c-2' });
        const child = tracer.startSpan('charge');
        child.setStatus({ code: SpanStatusCode.ERROR, message: 'declined' });
        child.end();
        return span.spanContext().traceId;
      },
      { kind: SpanKind.SERVER },
    );
    const ids = (query: Parameters<TraceStore['list']>[0]) =>
      store.list(query).traces.map((t) => t.traceId);
    expect(ids({ status: 'error' })).toEqual([failed]);
    expect(ids({ status: 'ok' })).toEqual([ok]);
    expect(ids({ route: 'ORDERS/1' })).toEqual([ok]);
    expect(ids({ route: '/pay' })).toEqual([failed]);
    expect(ids({ correlationId: 'c-2' })).toEqual([failed]);
    expect(ids({ correlationId: 'c' })).toEqual([]);
    expect(ids({ traceId: ok.slice(0, 6).toUpperCase() })).toEqual([ok]);
    expect(ids({ service: 'shop' })).toEqual([failed, ok]);
    expect(ids({ service: 'other' })).toEqual([]);
    expect(ids({ limit: 1 })).toEqual([failed]);
    expect(store.list({ status: 'error' }).traces[0]).toMatchObject({ errorCount: 1 });
  });

  it('tells listeners which traces changed, once per burst of spans', async () => {
    vi.useFakeTimers();
    const { store, tracer } = storeWith();
    const heard: (readonly string[])[] = [];
    const unsubscribe = store.subscribe((ids) => heard.push(ids));
    const a = request(tracer, 'a', {}, 3);
    const b = request(tracer, 'b');
    expect(heard).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(heard).toEqual([[a, b]]);
    unsubscribe();
    request(tracer, 'c');
    await vi.advanceTimersByTimeAsync(100);
    expect(heard).toHaveLength(1);
  });

  it('keeps notifying the other listeners when one throws', async () => {
    vi.useFakeTimers();
    const { store, tracer } = storeWith();
    const heard: (readonly string[])[] = [];
    store.subscribe(() => {
      throw new Error('gone');
    });
    store.subscribe((ids) => heard.push(ids));
    const id = request(tracer, 'a');
    await vi.advanceTimersByTimeAsync(100);
    expect(heard).toEqual([[id]]);
  });

  it('forgets everything on clear and tells listeners with an empty change', () => {
    const { store, tracer } = storeWith({ maxTraces: 1 });
    request(tracer, 'a');
    request(tracer, 'b');
    const heard: (readonly string[])[] = [];
    store.subscribe((ids) => heard.push(ids));
    store.clear();
    expect(store.list()).toMatchObject({ traces: [], total: 0, droppedTraces: 0 });
    expect(heard).toEqual([[]]);
  });

  it('files received spans with the local ones of their trace, once each', () => {
    const { store, tracer } = storeWith();
    const id = request(tracer, 'GET /local');
    const local = store.getTrace(id)!.spans;
    const remote: ReadableSpan = {
      ...local[0]!,
      name: 'remote work',
      spanId: 'aaaaaaaaaaaaaaaa',
      resource: { attributes: { 'service.name': 'catalog' } },
      spanContext: () => local[0]!.spanContext(),
    } as ReadableSpan;
    store.addReceived([remote, remote, local[1]!]);
    expect(store.getTrace(id)!.spans.map((s) => s.name)).toEqual([
      'step 0',
      'GET /local',
      'remote work',
    ]);
    expect(store.list().traces[0]!.services).toEqual(['shop', 'catalog']);
  });

  it('stops notifying after shutdown but stays readable', async () => {
    vi.useFakeTimers();
    const { store, tracer } = storeWith();
    const heard: (readonly string[])[] = [];
    store.subscribe((ids) => heard.push(ids));
    request(tracer, 'a');
    await store.shutdown();
    await vi.advanceTimersByTimeAsync(200);
    expect(heard).toEqual([]);
    expect(store.size).toBe(1);
  });
});
