import { describe, expect, it, vi } from 'vitest';
import { RecordingSpan } from '../../../lib/core/span.js';
import type { SpanProcessor } from '../../../lib/core/span-processor.js';
import { Tracer } from '../../../lib/core/tracer.js';
import {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type AttributeValue,
  type ReadableSpan,
  type Span,
  type SpanLimits,
} from '../../../lib/core/types.js';

const TRACE_ID_RE = /^[0-9a-f]{32}$/;
const SPAN_ID_RE = /^[0-9a-f]{16}$/;
const NS_PER_MS = 1_000_000n;

function setup(limits?: Partial<SpanLimits>) {
  const ended: ReadableSpan[] = [];
  const processor: SpanProcessor = {
    onEnd: vi.fn<SpanProcessor['onEnd']>((span) => {
      ended.push(span);
    }),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const tracer = new Tracer({
    processor,
    resource: { attributes: { 'service.name': 't' } },
    limits,
  });
  return { tracer, processor, ended };
}

/** The span as exporters see it; every started span here is sampled. */
function readable(span: Span): RecordingSpan {
  expect(span).toBeInstanceOf(RecordingSpan);
  return span as RecordingSpan;
}

/** |a - b| in nanoseconds. */
function nsApart(a: bigint, b: bigint): bigint {
  return a > b ? a - b : b - a;
}

describe('RecordingSpan attributes', () => {
  it('keeps string, number, boolean and homogeneous array values', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    span.setAttribute('s', 'text');
    span.setAttribute('n', 42.5);
    span.setAttribute('b', false);
    span.setAttributes({ ss: ['a', 'b'], ns: [1, 2], bs: [true, false] });
    expect(span.attributes).toEqual({
      s: 'text',
      n: 42.5,
      b: false,
      ss: ['a', 'b'],
      ns: [1, 2],
      bs: [true, false],
    });
  });

  it('drops attributes beyond the count limit and counts them', () => {
    const { tracer, ended } = setup({ attributeCountLimit: 3 });
    const span = tracer.startSpan('op');
    span.setAttributes({ a: 1, b: 2, c: 3, d: 4 });
    span.setAttribute('e', 5);
    span.end();
    expect(ended[0]!.attributes).toEqual({ a: 1, b: 2, c: 3 });
    expect(ended[0]!.droppedAttributesCount).toBe(2);
  });

  it('counts attributes given at span start toward the limit', () => {
    const { tracer } = setup({ attributeCountLimit: 2 });
    const span = readable(tracer.startSpan('op', { attributes: { a: 1, b: 2, c: 3 } }));
    span.setAttribute('d', 4);
    expect(span.attributes).toEqual({ a: 1, b: 2 });
    expect(span.droppedAttributesCount).toBe(2);
  });

  it('overwrites an existing key at the limit without counting a drop', () => {
    const { tracer } = setup({ attributeCountLimit: 2 });
    const span = readable(tracer.startSpan('op'));
    span.setAttribute('a', 1).setAttribute('b', 2);
    span.setAttribute('a', 10);
    span.setAttribute('b', 'twenty');
    expect(span.attributes).toEqual({ a: 10, b: 'twenty' });
    expect(span.droppedAttributesCount).toBe(0);
  });

  it('counts an attribute named like an Object.prototype member toward the limit', () => {
    const { tracer } = setup({ attributeCountLimit: 1 });
    const span = readable(tracer.startSpan('op'));
    span.setAttribute('a', 1);
    span.setAttribute('constructor', 'x');
    span.setAttribute('toString', 'y');
    expect(Object.keys(span.attributes)).toEqual(['a']);
    expect(span.droppedAttributesCount).toBe(2);
  });

  it('stores an attribute named __proto__ as an ordinary own key', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    span.setAttribute('__proto__', ['polluted']);
    span.setAttribute('plain', 'x');
    expect(Object.hasOwn(span.attributes, '__proto__')).toBe(true);
    expect(span.attributes['__proto__']).toEqual(['polluted']);
    const enumerated: string[] = [];
    for (const key in span.attributes) enumerated.push(key);
    expect(enumerated.toSorted()).toEqual(['__proto__', 'plain']);
  });

  it('truncates string values to the value length limit', () => {
    const { tracer } = setup({ attributeValueLengthLimit: 5 });
    const span = readable(tracer.startSpan('op', { attributes: { early: 'abcdefgh' } }));
    span.setAttribute('late', '0123456789');
    span.setAttribute('exact', '12345');
    expect(span.attributes).toEqual({ early: 'abcde', late: '01234', exact: '12345' });
  });

  it('truncates each item of a string array to the value length limit', () => {
    const { tracer } = setup({ attributeValueLengthLimit: 3 });
    const span = readable(tracer.startSpan('op'));
    span.setAttribute('list', ['abcdef', 'xy', 'klmn']);
    expect(span.attributes['list']).toEqual(['abc', 'xy', 'klm']);
  });

  it('leaves numbers and booleans untouched by the value length limit', () => {
    const { tracer } = setup({ attributeValueLengthLimit: 2 });
    const span = readable(tracer.startSpan('op'));
    span.setAttributes({ n: 123456789, b: true, ns: [123456, 7] });
    expect(span.attributes).toEqual({ n: 123456789, b: true, ns: [123456, 7] });
  });

  it('ignores objects, mixed arrays, null and undefined values', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    const set = (key: string, value: unknown) =>
      span.setAttribute(key, value as AttributeValue | null | undefined);
    set('object', { nested: true });
    set('mixed', ['a', 1]);
    set('objects', [{ a: 1 }]);
    set('nul', null);
    set('undef', undefined);
    set('fn', () => 1);
    span.setAttributes({ alsoNull: null, alsoUndefined: undefined, kept: 'yes' });
    expect(span.attributes).toEqual({ kept: 'yes' });
  });

  it('keeps the previous value when a key is set to an invalid value', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    span.setAttribute('k', 'first');
    span.setAttribute('k', null);
    span.setAttribute('k', { bad: 1 } as unknown as AttributeValue);
    expect(span.attributes['k']).toBe('first');
  });

  it('does not let invalid values use up the count limit', () => {
    const { tracer } = setup({ attributeCountLimit: 1 });
    const span = readable(tracer.startSpan('op'));
    span.setAttribute('bad', { x: 1 } as unknown as AttributeValue);
    span.setAttribute('good', 'v');
    expect(span.attributes).toEqual({ good: 'v' });
  });
});

describe('RecordingSpan events and links', () => {
  it('records events with their name, attributes and time', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    const at = new Date(Date.now() - 5);
    span.addEvent('cache.miss', { key: 'user:1' }, at);
    expect(span.events).toHaveLength(1);
    expect(span.events[0]!.name).toBe('cache.miss');
    expect(span.events[0]!.attributes).toEqual({ key: 'user:1' });
    expect(span.events[0]!.time).toBeCloseTo(at.getTime() - performance.timeOrigin, 3);
  });

  it('drops events beyond the event limit and counts them', () => {
    const { tracer, ended } = setup({ eventCountLimit: 2 });
    const span = tracer.startSpan('op');
    span.addEvent('e1').addEvent('e2').addEvent('e3').addEvent('e4');
    span.end();
    expect(ended[0]!.events.map((e) => e.name)).toEqual(['e1', 'e2']);
    expect(ended[0]!.droppedEventsCount).toBe(2);
  });

  it('holds event attributes to the count and length limits and counts the dropped ones', () => {
    const { tracer } = setup({ attributeCountLimit: 2, attributeValueLengthLimit: 4 });
    const span = readable(tracer.startSpan('op'));
    span.addEvent('e', { a: 'abcdefgh', b: 2, c: 3 });
    expect(span.events[0]!.attributes).toEqual({ a: 'abcd', b: 2 });
    expect(span.events[0]!.droppedAttributesCount).toBe(1);
  });

  it('drops links beyond the link limit, including links given at start, and counts them', () => {
    const { tracer, ended } = setup({ linkCountLimit: 2 });
    const other = tracer.startSpan('other').spanContext();
    const span = tracer.startSpan('op', {
      links: [{ context: other }, { context: other, attributes: { n: 2 } }, { context: other }],
    });
    span.addLink({ context: other });
    span.end();
    expect(ended.at(-1)!.links).toEqual([
      { context: other },
      { context: other, attributes: { n: 2 } },
    ]);
    expect(ended.at(-1)!.droppedLinksCount).toBe(2);
  });

  it('holds link attributes to the attribute count and value length limits', () => {
    const { tracer } = setup({ attributeCountLimit: 2, attributeValueLengthLimit: 3 });
    const other = tracer.startSpan('other').spanContext();
    const span = readable(tracer.startSpan('op'));
    span.addLink({ context: other, attributes: { a: 'abcdef', b: 2, c: 3 } });
    expect(span.links[0]!.attributes).toEqual({ a: 'abc', b: 2 });
  });
});

describe('RecordingSpan.recordException', () => {
  it('records a TypeError as an exception event with its type, message and stack', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    const error = new TypeError('x is not a function');
    span.recordException(error);
    expect(span.events).toHaveLength(1);
    expect(span.events[0]!.name).toBe('exception');
    expect(span.events[0]!.attributes).toEqual({
      'exception.type': 'TypeError',
      'exception.message': 'x is not a function',
      'exception.stacktrace': error.stack,
    });
    expect(String(span.events[0]!.attributes!['exception.stacktrace'])).toContain(
      'TypeError: x is not a function',
    );
  });

  it('uses the class name as the type of a custom Error subclass that does not set name', () => {
    class PaymentDeclinedError extends Error {}
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    span.recordException(new PaymentDeclinedError('card declined'));
    expect(span.events[0]!.attributes).toMatchObject({
      'exception.type': 'PaymentDeclinedError',
      'exception.message': 'card declined',
    });
    expect(span.events[0]!.attributes!['exception.stacktrace']).toEqual(expect.any(String));
  });

  it('uses the name a custom Error subclass sets for itself', () => {
    class NotFound extends Error {
      override name = 'NotFoundError';
    }
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    span.recordException(new NotFound('no user 7'));
    expect(span.events[0]!.attributes).toMatchObject({
      'exception.type': 'NotFoundError',
      'exception.message': 'no user 7',
    });
  });

  it('records a plain Error with type Error', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    span.recordException(new Error('plain'));
    expect(span.events[0]!.attributes).toMatchObject({
      'exception.type': 'Error',
      'exception.message': 'plain',
    });
  });

  it('records a thrown string as the exception message', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    span.recordException('out of stock');
    expect(span.events[0]!.name).toBe('exception');
    expect(span.events[0]!.attributes).toEqual({ 'exception.message': 'out of stock' });
  });

  it('records a plain object with name and message as type and message', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    span.recordException({ name: 'RpcError', message: 'deadline exceeded', code: 4 });
    expect(span.events[0]!.attributes).toEqual({
      'exception.type': 'RpcError',
      'exception.message': 'deadline exceeded',
    });
  });

  it('records a plain object without a message as its JSON text', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    span.recordException({ status: 503, reason: 'down' });
    expect(span.events[0]!.attributes).toEqual({
      'exception.message': '{"status":503,"reason":"down"}',
    });
  });

  it('records a circular object without throwing', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    const circular: Record<string, unknown> = { a: 1 };
    circular['self'] = circular;
    expect(() => span.recordException(circular)).not.toThrow();
    expect(span.events[0]!.attributes).toEqual({ 'exception.message': '[object Object]' });
  });

  it('records the exception at an explicit time', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    const at = Date.now() - 100;
    span.recordException(new Error('late'), at);
    expect(span.events[0]!.time).toBeCloseTo(at - performance.timeOrigin, 3);
  });
});

describe('RecordingSpan.setStatus', () => {
  it('starts UNSET and ignores an UNSET status', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    expect(span.status).toEqual({ code: SpanStatusCode.UNSET });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'bad' });
    span.setStatus({ code: SpanStatusCode.UNSET });
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad' });
  });

  it('keeps the message of an ERROR status', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'db timeout' });
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'db timeout' });
  });

  it('drops the message of an OK status', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    span.setStatus({ code: SpanStatusCode.OK, message: 'ignored' });
    expect(span.status).toEqual({ code: SpanStatusCode.OK });
  });

  it('treats OK as final: a later ERROR does not replace it', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    span.setStatus({ code: SpanStatusCode.OK });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'too late' });
    expect(span.status).toEqual({ code: SpanStatusCode.OK });
  });

  it('lets OK replace an earlier ERROR', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'retrying' });
    span.setStatus({ code: SpanStatusCode.OK });
    expect(span.status).toEqual({ code: SpanStatusCode.OK });
  });
});

describe('RecordingSpan.end', () => {
  it('hands the span to the processor once, however often it is ended', () => {
    const { tracer, processor } = setup();
    const span = readable(tracer.startSpan('op'));
    span.end();
    const endTime = span.endTime;
    span.end(Date.now() + 60_000);
    span.end();
    expect(processor.onEnd).toHaveBeenCalledTimes(1);
    expect(processor.onEnd).toHaveBeenCalledWith(span);
    expect(span.endTime).toBe(endTime);
    expect(span.ended).toBe(true);
  });

  it('stops recording once ended', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    expect(span.isRecording()).toBe(true);
    span.end();
    expect(span.isRecording()).toBe(false);
  });

  it('ignores attributes, events, links, exceptions, status and renames after it ends', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op', { attributes: { before: 1 } }));
    span.end();
    span.setAttribute('after', 2);
    span.setAttributes({ after2: 3 });
    span.addEvent('late');
    span.addLink({ context: span.spanContext() });
    span.recordException(new Error('late'));
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'late' });
    span.updateName('renamed');
    expect(span.attributes).toEqual({ before: 1 });
    expect(span.events).toEqual([]);
    expect(span.links).toEqual([]);
    expect(span.status).toEqual({ code: SpanStatusCode.UNSET });
    expect(span.name).toBe('op');
    expect(span.droppedAttributesCount).toBe(0);
    expect(span.droppedEventsCount).toBe(0);
    expect(span.droppedLinksCount).toBe(0);
  });

  it('can be renamed before it ends', () => {
    const { tracer, ended } = setup();
    const span = tracer.startSpan('GET');
    span.updateName('GET /users/:id');
    span.end();
    expect(ended[0]!.name).toBe('GET /users/:id');
  });
});

describe('RecordingSpan times', () => {
  it('converts explicit Date start and end times to epoch nanoseconds', () => {
    const { tracer } = setup();
    const start = new Date('2024-05-01T10:00:00.000Z');
    const end = new Date('2024-05-01T10:00:01.250Z');
    const span = readable(tracer.startSpan('op', { startTime: start }));
    span.end(end);
    const startNs = BigInt(start.getTime()) * NS_PER_MS;
    const endNs = BigInt(end.getTime()) * NS_PER_MS;
    expect(nsApart(span.startTimeUnixNano, startNs)).toBeLessThan(NS_PER_MS);
    expect(nsApart(span.endTimeUnixNano, endNs)).toBeLessThan(NS_PER_MS);
    expect(span.durationMs).toBeCloseTo(1250, 3);
  });

  it('converts explicit epoch-millisecond start and end times to epoch nanoseconds', () => {
    const { tracer } = setup();
    const startMs = Date.now() - 2_000;
    const endMs = startMs + 37.5;
    const span = readable(tracer.startSpan('op', { startTime: startMs }));
    span.end(endMs);
    expect(typeof span.startTimeUnixNano).toBe('bigint');
    expect(nsApart(span.startTimeUnixNano, BigInt(startMs) * NS_PER_MS)).toBeLessThan(NS_PER_MS);
    expect(nsApart(span.endTimeUnixNano, BigInt(startMs) * NS_PER_MS + 37_500_000n)).toBeLessThan(
      NS_PER_MS,
    );
    expect(span.durationMs).toBeCloseTo(37.5, 3);
    expect(span.endTimeUnixNano - span.startTimeUnixNano).toBeGreaterThan(37_000_000n);
    expect(span.endTimeUnixNano - span.startTimeUnixNano).toBeLessThan(38_000_000n);
  });

  it('clamps an end time before the start time to the start time', () => {
    const { tracer, ended } = setup();
    const start = Date.now();
    const span = tracer.startSpan('op', { startTime: start });
    span.end(start - 10_000);
    expect(ended[0]!.endTime).toBe(ended[0]!.startTime);
    expect(ended[0]!.endTimeUnixNano).toBe(ended[0]!.startTimeUnixNano);
    expect(ended[0]!.durationMs).toBe(0);
  });

  it('stamps start and end with the current epoch time in nanoseconds', async () => {
    const { tracer } = setup();
    const before = BigInt(Date.now()) * NS_PER_MS;
    const span = readable(tracer.startSpan('op'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    span.end();
    const after = BigInt(Date.now()) * NS_PER_MS;
    const slack = 5n * NS_PER_MS;
    expect(span.startTimeUnixNano).toBeGreaterThanOrEqual(before - slack);
    expect(span.startTimeUnixNano).toBeLessThanOrEqual(after + slack);
    expect(span.endTimeUnixNano).toBeGreaterThanOrEqual(span.startTimeUnixNano + 15n * NS_PER_MS);
    expect(span.endTimeUnixNano).toBeLessThanOrEqual(after + slack);
    expect(span.durationMs).toBeGreaterThanOrEqual(15);
  });

  it('keeps sub-millisecond precision between start and end', () => {
    const { tracer } = setup();
    const startMs = 1_700_000_000_000;
    const span = readable(tracer.startSpan('op', { startTime: startMs }));
    span.end(startMs + 0.25);
    expect(span.endTimeUnixNano - span.startTimeUnixNano).toBeGreaterThan(240_000n);
    expect(span.endTimeUnixNano - span.startTimeUnixNano).toBeLessThan(260_000n);
  });

  it('reports zero duration until it ends', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op', { startTime: Date.now() - 1_000 }));
    expect(span.durationMs).toBe(0);
    span.end();
    expect(span.durationMs).toBeGreaterThanOrEqual(999);
  });

  it('names its duration in milliseconds durationMs, with no OpenTelemetry-like duration', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op', { startTime: 1_000 }));
    span.end(1_250);
    expect(span.durationMs).toBeCloseTo(250, 3);
    // OpenTelemetry's ReadableSpan.duration is [seconds, nanoseconds]: not a name to reuse.
    expect('duration' in span).toBe(false);
  });
});

describe('RecordingSpan identity', () => {
  it('exposes its ids, flags and locality through spanContext()', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('op'));
    const ctx = span.spanContext();
    expect(ctx.traceId).toMatch(TRACE_ID_RE);
    expect(ctx.spanId).toMatch(SPAN_ID_RE);
    expect(ctx.traceId).toBe(span.traceId);
    expect(ctx.spanId).toBe(span.spanId);
    expect(ctx.traceFlags).toBe(TraceFlags.SAMPLED | TraceFlags.RANDOM);
    expect(ctx.isRemote).toBe(false);
    expect(ctx.traceState).toBeUndefined();
  });

  it('carries its kind, resource, scope and parentage', () => {
    const { tracer } = setup();
    const parent = readable(tracer.startSpan('parent', { kind: SpanKind.SERVER }));
    const child = readable(
      tracer.startSpan('child', { kind: SpanKind.CLIENT, parent: parent.spanContext() }),
    );
    expect(parent.kind).toBe(SpanKind.SERVER);
    expect(child.kind).toBe(SpanKind.CLIENT);
    expect(parent.parentSpanId).toBeUndefined();
    expect(child.parentSpanId).toBe(parent.spanId);
    expect(child.traceId).toBe(parent.traceId);
    expect(child.parentIsRemote).toBe(false);
    expect(child.resource.attributes['service.name']).toBe('t');
    expect(child.instrumentationScope.name).toBe('nestjs-tracing');
  });

  it('marks a span whose parent came from another process', () => {
    const { tracer } = setup();
    const span = readable(
      tracer.startSpan('op', {
        parent: {
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
          spanId: '00f067aa0ba902b7',
          traceFlags: TraceFlags.SAMPLED,
          isRemote: true,
        },
      }),
    );
    expect(span.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(span.parentSpanId).toBe('00f067aa0ba902b7');
    expect(span.parentIsRemote).toBe(true);
    expect(span.spanContext().isRemote).toBe(false);
    expect(span.spanId).not.toBe('00f067aa0ba902b7');
  });
});

describe('adoptAttributes: a built object taken as the attributes, limits still kept', () => {
  it('takes the object as the span attributes and counts them toward the limit', () => {
    const { tracer } = setup({ attributeCountLimit: 3 });
    const span = readable(tracer.startSpan('s'));
    const built = { 'url.path': '/a', 'server.port': 80, ok: true };
    span.adoptAttributes(built);
    expect(span.attributes).toBe(built);
    span.setAttribute('one.more', 'x');
    expect(span.attributes).toEqual({ 'url.path': '/a', 'server.port': 80, ok: true });
    expect(span.droppedAttributesCount).toBe(1);
    span.setAttribute('url.path', '/b');
    expect(span.attributes['url.path']).toBe('/b');
  });

  it('applies the limits when a value needs them or the span already has attributes', () => {
    const { tracer } = setup({ attributeValueLengthLimit: 3, attributeCountLimit: 2 });
    const long = readable(tracer.startSpan('s'));
    long.adoptAttributes({ a: 'abcdef', b: 1, c: 2 });
    expect(long.attributes).toEqual({ a: 'abc', b: 1 });
    expect(long.droppedAttributesCount).toBe(1);

    const arrays = readable(tracer.startSpan('s'));
    arrays.adoptAttributes({ list: ['abcdef', 'x'] });
    expect(arrays.attributes).toEqual({ list: ['abc', 'x'] });

    const merged = readable(tracer.startSpan('s'));
    merged.setAttribute('first', 1);
    const built = { second: 2, third: 3 };
    merged.adoptAttributes(built);
    expect(merged.attributes).not.toBe(built);
    expect(merged.attributes).toEqual({ first: 1, second: 2 });
    expect(merged.droppedAttributesCount).toBe(1);
  });

  it('does nothing once the span ended', () => {
    const { tracer } = setup();
    const span = readable(tracer.startSpan('s'));
    span.end();
    span.adoptAttributes({ late: 1 });
    expect(span.attributes).toEqual({});
  });
});
