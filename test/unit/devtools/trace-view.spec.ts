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

/** A database CLIENT span, as the integrations' startDbSpan shapes it. */
const db = (
  id: string,
  parent: string,
  start: number,
  ms: number,
  attributes: Record<string, string | number>,
  error?: string,
) =>
  span({
    name: String(attributes['db.query.summary'] ?? attributes['db.operation.name'] ?? 'db'),
    id,
    parent,
    start,
    end: start + ms,
    kind: SpanKind.CLIENT,
    error,
    attributes,
  });

describe('buildTraceView: repeated queries (N+1)', () => {
  const user = {
    'db.system.name': 'postgresql',
    'db.query.summary': 'SELECT users',
    'db.query.text': 'SELECT * FROM users WHERE id = $1',
  };

  it('marks the parent of 12 calls of one query shape with the count and total time', () => {
    const spans = [
      span({ name: 'GET /orders', id: '1', start: 0, end: 100, kind: SpanKind.SERVER }),
      span({ name: 'OrdersService.list', id: '2', parent: '1', start: 1, end: 90 }),
      db('a0', '2', 1, 2, {
        ...user,
        'db.query.text': 'SELECT * FROM orders',
        'db.query.summary': 'SELECT orders',
      }),
      ...Array.from({ length: 12 }, (_, i) =>
        db(`b${i}`, '2', 5 + i * 5, 3 + (i % 2) * 0.5, user, i === 3 ? 'timeout' : undefined),
      ),
      // The same query from another system is another shape.
      ...Array.from({ length: 4 }, (_, i) =>
        db(`c${i}`, '2', 70 + i, 1, { ...user, 'db.system.name': 'mysql' }),
      ),
    ];
    const view = buildTraceView(TRACE, spans, 0);
    const service = view.spans.find((s) => s.name === 'OrdersService.list')!;
    expect(service.repeatedQueries).toEqual([
      {
        system: 'postgresql',
        query: 'SELECT * FROM users WHERE id = $1',
        name: 'SELECT users',
        count: 12,
        totalMs: 39,
        errors: 1,
      },
    ]);
    // Only the direct parent is marked: not the server span, not the calls.
    expect(view.spans.filter((s) => s.repeatedQueries !== undefined)).toHaveLength(1);
  });

  it('needs 5 calls of one shape; summary stands in for a missing text, span name for both', () => {
    const redis = { 'db.system.name': 'redis', 'db.operation.name': 'GET' };
    const four = [
      span({ name: 'root', id: '1', start: 0, end: 50 }),
      ...Array.from({ length: 4 }, (_, i) => db(`a${i}`, '1', i, 1, user)),
      ...Array.from({ length: 4 }, (_, i) => db(`b${i}`, '1', 10 + i, 1, redis)),
    ];
    expect(buildTraceView(TRACE, four, 0).spans[0]!.repeatedQueries).toBeUndefined();

    const summaryOnly = { 'db.system.name': 'postgresql', 'db.query.summary': 'SELECT users' };
    const five = [...four, db('a4', '1', 20, 1, summaryOnly), db('b4', '1', 30, 2, redis)];
    // Four calls with the text and one with only the summary: two shapes, neither repeated.
    expect(buildTraceView(TRACE, five, 0).spans[0]!.repeatedQueries).toEqual([
      { system: 'redis', query: 'GET', name: 'GET', count: 5, totalMs: 6, errors: 0 },
    ]);
  });

  it('counts a collapsed span as the calls it stands for', () => {
    const spans = [
      span({ name: 'root', id: '1', start: 0, end: 50 }),
      db('a', '1', 1, 2, user),
      db('b', '1', 5, 40, {
        ...user,
        'nestjs.collapsed.count': 30,
        'nestjs.collapsed.duration_ms': 61.5,
      }),
    ];
    expect(buildTraceView(TRACE, spans, 0).spans[0]!.repeatedQueries).toMatchObject([
      { count: 31, totalMs: 63.5 },
    ]);
  });
});
