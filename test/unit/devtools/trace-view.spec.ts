import { describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode, type ReadableSpan } from '../../../lib/core/types.js';
import { buildTraceView, summarizeTrace } from '../../../lib/devtools/trace-view.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
/** 2026-01-02T03:04:05.000Z in epoch nanoseconds. */
const EPOCH = 1_767_323_045_000_000_000n;

interface Shape {
  name: string;
  id: string;
  parent?: string;
  remoteParent?: boolean;
  /** Milliseconds after EPOCH. */
  start: number;
  end: number;
  service?: string;
  error?: string;
  kind?: SpanKind;
  attributes?: Record<string, string | number>;
}

/** A finished span at exact epoch times, as a span received from another process has them. */
function span(shape: Shape): ReadableSpan {
  const start = EPOCH + BigInt(Math.round(shape.start * 1e6));
  const end = EPOCH + BigInt(Math.round(shape.end * 1e6));
  const spanId = shape.id.padStart(16, '0');
  return {
    name: shape.name,
    kind: shape.kind ?? SpanKind.INTERNAL,
    traceId: TRACE,
    spanId,
    parentSpanId: shape.parent?.padStart(16, '0'),
    parentIsRemote: shape.remoteParent ?? false,
    traceFlags: 1,
    traceState: undefined,
    // High-resolution times of another clock: the view must not rely on them.
    startTime: shape.start + 1e9,
    endTime: shape.end + 1e9,
    durationMs: shape.end - shape.start,
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    attributes: shape.attributes ?? {},
    events: [],
    links: [],
    status: shape.error
      ? { code: SpanStatusCode.ERROR, message: shape.error }
      : { code: SpanStatusCode.UNSET },
    resource: { attributes: { 'service.name': shape.service ?? 'gateway' } },
    instrumentationScope: { name: 'test' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    ended: true,
    spanContext: () => ({ traceId: TRACE, spanId, traceFlags: 1 }),
  };
}

describe('buildTraceView', () => {
  it('orders spans depth-first from the root, siblings by start time, with depth and offsets', () => {
    const spans = [
      span({ name: 'second child', id: '3', parent: '1', start: 6, end: 9 }),
      span({ name: 'grandchild', id: '4', parent: '2', start: 2, end: 3 }),
      span({ name: 'first child', id: '2', parent: '1', start: 1, end: 5 }),
      span({ name: 'root', id: '1', start: 0, end: 10 }),
    ];
    const view = buildTraceView(TRACE, spans, 0);
    expect(view.spans.map((s) => [s.name, s.depth, s.offsetMs])).toEqual([
      ['root', 0, 0],
      ['first child', 1, 1],
      ['grandchild', 2, 2],
      ['second child', 1, 6],
    ]);
    expect(view.summary).toMatchObject({ rootName: 'root', durationMs: 10, spanCount: 4 });
  });

  it('gives each span its self time: its duration minus the union of its children', () => {
    const spans = [
      span({ name: 'root', id: '1', start: 0, end: 10 }),
      // Overlapping children (parallel calls) count once; a child past the end is clipped.
      span({ name: 'a', id: '2', parent: '1', start: 1, end: 4 }),
      span({ name: 'b', id: '3', parent: '1', start: 3, end: 5 }),
      span({ name: 'c', id: '4', parent: '1', start: 8, end: 12 }),
    ];
    const bySelf = Object.fromEntries(
      buildTraceView(TRACE, spans, 0).spans.map((s) => [s.name, s.selfTimeMs]),
    );
    expect(bySelf).toEqual({ root: 4, a: 3, b: 2, c: 4 });
  });

  it('places spans of several services on one axis by their epoch times', () => {
    const spans = [
      span({ name: 'GET /orders', id: '1', start: 0, end: 20, kind: SpanKind.SERVER }),
      span({
        name: 'GET /products',
        id: '2',
        parent: '1',
        start: 5,
        end: 15,
        kind: SpanKind.CLIENT,
      }),
      span({
        name: 'GET /products/:sku',
        id: '3',
        parent: '2',
        remoteParent: true,
        start: 7.5,
        end: 13.25,
        service: 'catalog',
        kind: SpanKind.SERVER,
      }),
    ];
    const view = buildTraceView(TRACE, spans, 0);
    expect(view.spans.map((s) => [s.service, s.depth, s.offsetMs, s.durationMs])).toEqual([
      ['gateway', 0, 0, 20],
      ['gateway', 1, 5, 10],
      ['catalog', 2, 7.5, 5.75],
    ]);
    expect(view.summary.services).toEqual(['gateway', 'catalog']);
  });

  it('shows spans whose parent has not arrived as roots after the real root', () => {
    const spans = [
      span({ name: 'orphan', id: '9', parent: '8', start: 1, end: 2 }),
      span({ name: 'root', id: '1', start: 3, end: 4 }),
    ];
    expect(buildTraceView(TRACE, spans, 0).spans.map((s) => [s.name, s.depth])).toEqual([
      ['root', 0],
      ['orphan', 0],
    ]);
  });

  it('shows every span of a parent cycle once instead of looping', () => {
    const spans = [
      span({ name: 'a', id: '1', parent: '2', start: 0, end: 1 }),
      span({ name: 'b', id: '2', parent: '1', start: 0.5, end: 1 }),
    ];
    expect(
      buildTraceView(TRACE, spans, 0)
        .spans.map((s) => s.name)
        .toSorted(),
    ).toEqual(['a', 'b']);
  });

  it('attaches records where the lookup finds one', () => {
    const spans = [span({ name: 'call', id: '1', start: 0, end: 1, kind: SpanKind.CLIENT })];
    const record = {
      id: 1,
      method: 'GET',
      url: 'http://x/y',
      ok: true,
      startedAt: '2026-01-02T03:04:05.000Z',
      durationMs: 1,
      request: { headers: {} },
    };
    const view = buildTraceView(TRACE, spans, 0, (s) => (s.name === 'call' ? record : undefined));
    expect(view.spans[0]!.record).toBe(record);
  });
});

describe('summarizeTrace', () => {
  it('takes route, method, status code and correlation id from the root server span', () => {
    const summary = summarizeTrace(
      TRACE,
      [
        span({ name: 'db', id: '2', parent: '1', start: 1, end: 2, error: 'timeout' }),
        span({
          name: 'GET /orders/:id',
          id: '1',
          start: 0,
          end: 3,
          kind: SpanKind.SERVER,
          attributes: {
            'http.route': '/orders/:id',
            'http.request.method': 'GET',
            'http.response.status_code': 503,
            'correlation.id': 'abc',
          },
        }),
      ],
      2,
    );
    expect(summary).toEqual({
      traceId: TRACE,
      rootName: 'GET /orders/:id',
      service: 'gateway',
      services: ['gateway'],
      startTime: '2026-01-02T03:04:05.000Z',
      startTimeUnixNano: EPOCH.toString(),
      durationMs: 3,
      status: 'error',
      errorCount: 1,
      spanCount: 2,
      droppedSpans: 2,
      complete: true,
      route: '/orders/:id',
      method: 'GET',
      statusCode: 503,
      correlationId: 'abc',
    });
  });

  it('is complete with a root continued from another process, not with orphans only', () => {
    const continued = span({
      name: 'in',
      id: '1',
      parent: 'f',
      remoteParent: true,
      start: 0,
      end: 1,
    });
    const orphan = span({ name: 'child', id: '2', parent: '9', start: 0, end: 1 });
    expect(summarizeTrace(TRACE, [continued], 0).complete).toBe(true);
    expect(summarizeTrace(TRACE, [orphan], 0)).toMatchObject({
      complete: false,
      rootName: 'child',
    });
  });
});
