import { AssertionError } from 'node:assert';
import { describe, expect, it } from 'vitest';
import { InMemorySpanExporter } from '../../../lib/export/spans/in-memory-span-exporter.js';
import { SimpleSpanProcessor } from '../../../lib/core/simple-span-processor.js';
import { Tracer } from '../../../lib/core/tracer.js';
import { SpanKind, type ReadableSpan } from '../../../lib/core/types.js';
import { expectAttributes, expectParent, findSpan, findSpans } from '../../../lib/testing/index.js';

/** A request span with two children, as an app would export them (children first). */
function recorded() {
  const exporter = new InMemorySpanExporter();
  const tracer = new Tracer({
    processor: new SimpleSpanProcessor(exporter),
    resource: { attributes: { 'service.name': 'users' } },
  });
  tracer.withSpan(
    'GET /users/:id',
    (server) => {
      server.setAttributes({ 'http.route': '/users/:id', 'http.response.status_code': 200 });
      tracer.withSpan('UsersService.findOne', (span) => {
        span.setAttributes({ 'user.id': '42', tags: ['a', 'b'] });
        tracer.startSpan('db.query').end();
      });
    },
    { kind: SpanKind.SERVER },
  );
  tracer.startSpan('elsewhere').end();
  return exporter;
}

function thrown(fn: () => unknown): AssertionError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AssertionError) return error;
    throw error;
  }
  throw new Error('expected an AssertionError');
}

describe('findSpan', () => {
  it('finds a span by name, name pattern, query or predicate, in an exporter or an array', () => {
    const exporter = recorded();
    expect(findSpan(exporter, 'db.query').name).toBe('db.query');
    expect(findSpan(exporter, /^GET /).kind).toBe(SpanKind.SERVER);
    expect(
      findSpan(exporter, { kind: SpanKind.SERVER, attributes: { 'http.route': '/users/:id' } })
        .name,
    ).toBe('GET /users/:id');
    expect(findSpan(exporter, { parentSpanId: null, name: /else/ }).name).toBe('elsewhere');
    expect(
      findSpan(exporter.getFinishedSpans(), (s) => s.attributes['user.id'] === '42').name,
    ).toBe('UsersService.findOne');
    expect(findSpans(exporter, { parentSpanId: null }).map((s) => s.name)).toEqual([
      'GET /users/:id',
      'elsewhere',
    ]);
  });

  it('throws an assertion error that lists the spans there are when none matches', () => {
    const error = thrown(() => findSpan(recorded(), 'GET /orders'));
    expect(error.message).toBe(
      'findSpan: no span named "GET /orders"; there are 4 spans: "db.query", ' +
        '"UsersService.findOne", "GET /users/:id", "elsewhere"',
    );
    expect(thrown(() => findSpan([], { kind: SpanKind.CLIENT })).message).toBe(
      'findSpan: no span with kind 2; there are no spans at all',
    );
  });
});

describe('expectParent', () => {
  it('passes for a direct child and explains why otherwise', () => {
    const exporter = recorded();
    const server = findSpan(exporter, 'GET /users/:id');
    const service = findSpan(exporter, 'UsersService.findOne');
    const db = findSpan(exporter, 'db.query');
    expectParent(service, server);
    expectParent(db, service);
    expect(thrown(() => expectParent(db, server)).message).toBe(
      `expectParent: expected span "db.query" to be a child of "GET /users/:id" (span ${server.spanId}), but its parent is span ${service.spanId}`,
    );
    expect(thrown(() => expectParent(server, service)).message).toContain('but it has no parent');
    const other: ReadableSpan = findSpan(exporter, 'elsewhere');
    expect(thrown(() => expectParent(other, server)).message).toContain(
      `but it is in trace ${other.traceId}, the parent in trace ${server.traceId}`,
    );
  });
});

describe('expectAttributes', () => {
  it('passes when the expected attributes are there, whatever else is', () => {
    const span = findSpan(recorded(), 'UsersService.findOne');
    expect(() =>
      expectAttributes(span, { 'user.id': '42', tags: ['a', 'b'], missing: undefined }),
    ).not.toThrow();
    expect(() => expectAttributes(span, { 'user.id': /^\d+$/ })).not.toThrow();
  });

  it('lists every mismatch: wrong value, missing, present when it should not be, not matching', () => {
    const span = findSpan(recorded(), 'GET /users/:id');
    const error = thrown(() =>
      expectAttributes(span, {
        'http.response.status_code': 201,
        'user.id': '42',
        'http.route': undefined,
        'http.request.method': /GET/,
      }),
    );
    expect(error.message).toBe(
      [
        'expectAttributes: span "GET /users/:id" does not have the expected attributes:',
        '  http.response.status_code: expected 201, got 200',
        '  user.id: expected "42", but it is absent',
        '  http.route: expected absent, got "/users/:id"',
        '  http.request.method: expected a string matching /GET/, but it is absent',
      ].join('\n'),
    );
    // The diff shows only the keys asked about.
    expect(error.actual).toEqual({
      'http.response.status_code': 200,
      'user.id': undefined,
      'http.route': '/users/:id',
      'http.request.method': undefined,
    });
  });
});
