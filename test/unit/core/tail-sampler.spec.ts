import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSampler, TraceIdRatioBasedSampler } from '../../../lib/core/samplers.js';
import type { SpanProcessor } from '../../../lib/core/span-processor.js';
import {
  DEFAULT_TAIL_BOUNDS,
  TailSamplingProcessor,
  type TailSamplingPolicy,
} from '../../../lib/core/tail-sampler.js';
import { Tracer } from '../../../lib/core/tracer.js';
import { SpanKind, SpanStatusCode, type ReadableSpan, type Span } from '../../../lib/core/types.js';

/** A downstream that records what reaches it. */
function sink() {
  const ended: ReadableSpan[] = [];
  const started: string[] = [];
  const processor: SpanProcessor = {
    onStart: (span) => started.push(span.spanId),
    onEnd: (span) => ended.push(span),
    forceFlush: vi.fn<() => Promise<void>>(() => Promise.resolve()),
    shutdown: vi.fn<() => Promise<void>>(() => Promise.resolve()),
  };
  return { processor, ended, started };
}

/** A caller in another process (sampled, so the tracer would follow it anyway). */
const REMOTE_PARENT = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: 1,
  isRemote: true,
};
const NEVER = new TraceIdRatioBasedSampler(0);
const ALWAYS = createSampler('always_on');

function setup(policy: Partial<TailSamplingPolicy> = {}) {
  const down = sink();
  const tail = new TailSamplingProcessor(down.processor, {
    headSampler: NEVER,
    keepErrors: true,
    thresholdMs: undefined,
    keep: [],
    drop: [],
    ...DEFAULT_TAIL_BOUNDS,
    ...policy,
  });
  const tracer = new Tracer({
    processor: tail,
    resource: { attributes: { 'service.name': 't' } },
    sampler: ALWAYS,
  });
  return { tail, tracer, down };
}

/** A request: a server root with two children; `shape` may fail or tag the spans. */
function request(tracer: Tracer, shape: (root: Span, child: Span) => void = () => {}) {
  const root = tracer.startSpan('GET /users/:id', {
    kind: SpanKind.SERVER,
    root: true,
    attributes: { 'http.route': '/users/:id', 'http.response.status_code': 200 },
  });
  const parent = root.spanContext();
  const a = tracer.startSpan('a', { parent });
  const b = tracer.startSpan('b', { parent: a.spanContext() });
  shape(root, b);
  b.end();
  a.end();
  return { root, traceId: parent.traceId };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('TailSamplingProcessor', () => {
  it('holds every span until the local root ends, then drops what the head rule drops', () => {
    const { tracer, tail, down } = setup();
    const { root } = request(tracer);
    expect(down.ended).toHaveLength(0);
    expect(tail.stats().heldTraces).toBe(1);
    expect(tail.stats().queueLength).toBe(2);
    root.end();
    expect(down.ended).toHaveLength(0);
    expect(tail.stats()).toMatchObject({ sampledOut: 3, exported: 0, heldTraces: 0 });
    // onStart still reaches the chain (span collapse tracks spans as they start).
    expect(down.started).toHaveLength(3);
  });

  it('keeps the whole local trace when any span has error status, children before the root', () => {
    const { tracer, down } = setup();
    const { root, traceId } = request(tracer, (_r, child) =>
      child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' }),
    );
    root.end();
    expect(down.ended.map((s) => s.name)).toEqual(['b', 'a', 'GET /users/:id']);
    expect(new Set(down.ended.map((s) => s.traceId))).toEqual(new Set([traceId]));
  });

  it('does not keep errors when keepErrors is false', () => {
    const { tracer, down } = setup({ keepErrors: false });
    const { root } = request(tracer, (r) => r.setStatus({ code: SpanStatusCode.ERROR }));
    root.end();
    expect(down.ended).toHaveLength(0);
  });

  it('keeps a trace whose local root took longer than the threshold, not a faster one', () => {
    const { tracer, down } = setup({ thresholdMs: 500 });
    const fast = request(tracer);
    fast.root.end(Date.now() + 100);
    expect(down.ended).toHaveLength(0);
    const slow = request(tracer);
    slow.root.end(Date.now() + 1000);
    expect(down.ended.map((s) => s.traceId)).toEqual([slow.traceId, slow.traceId, slow.traceId]);
  });

  it('keeps by user rule: route, status code, attributes or a function', () => {
    const keepRules = [
      { route: '/users/:id' },
      { route: /^\/users/ },
      { statusCode: [201, 200] },
      { attributes: { 'http.route': '/users/:id' } },
      { match: (root: ReadableSpan, spans: readonly ReadableSpan[]) => spans.length === 3 },
    ];
    for (const rule of keepRules) {
      const { tracer, down } = setup({ keep: [rule] });
      request(tracer).root.end();
      expect({ rule, kept: down.ended.length }).toEqual({ rule, kept: 3 });
    }
    const misses = [
      { route: '/orders' },
      { statusCode: 500 },
      { attributes: { 'http.route': '/other' } },
      {
        match: () => {
          throw new Error('broken rule');
        },
      },
      {},
    ];
    for (const rule of misses) {
      const { tracer, down } = setup({ keep: [rule] });
      request(tracer).root.end();
      expect({ rule, kept: down.ended.length }).toEqual({ rule, kept: 0 });
    }
  });

  it('drop rules win over every keep reason, and over the head rule', () => {
    const { tracer, down, tail } = setup({
      headSampler: ALWAYS,
      thresholdMs: 0,
      drop: [{ route: '/users/:id', statusCode: 200 }],
    });
    request(tracer, (r) => r.setStatus({ code: SpanStatusCode.ERROR })).root.end();
    expect(down.ended).toHaveLength(0);
    expect(tail.stats().sampledOut).toBe(3);
  });

  it('keeps by the head rule when nothing else decides', () => {
    const { tracer, down } = setup({ headSampler: ALWAYS });
    request(tracer).root.end();
    expect(down.ended).toHaveLength(3);
  });

  it('follows the decision for spans that end after their local root', () => {
    const { tracer, down } = setup({ thresholdMs: 0 });
    const root = tracer.startSpan('root', { root: true });
    const late = tracer.startSpan('late', { parent: root.spanContext() });
    root.end(Date.now() + 10);
    expect(down.ended.map((s) => s.name)).toEqual(['root']);
    late.end();
    expect(down.ended.map((s) => s.name)).toEqual(['root', 'late']);
  });

  it('decides a trace entering twice at once when its last local root ends', () => {
    const { tracer, down } = setup();
    const parent = REMOTE_PARENT;
    const first = tracer.startSpan('GET /a', { parent, kind: SpanKind.SERVER });
    const second = tracer.startSpan('GET /b', { parent, kind: SpanKind.SERVER });
    tracer.startSpan('child', { parent: second.spanContext() }).end();
    first.end();
    expect(down.ended).toHaveLength(0);
    second.setStatus({ code: SpanStatusCode.ERROR });
    second.end();
    expect(down.ended.map((s) => s.name)).toEqual(['child', 'GET /a', 'GET /b']);
  });

  it('decides a later local part of a decided trace afresh, on its own spans', () => {
    const { tracer, down } = setup();
    const parent = REMOTE_PARENT;
    tracer.startSpan('GET /fast', { parent, kind: SpanKind.SERVER }).end();
    expect(down.ended).toHaveLength(0);
    const failing = tracer.startSpan('GET /fail', { parent, kind: SpanKind.SERVER });
    failing.setStatus({ code: SpanStatusCode.ERROR });
    failing.end();
    expect(down.ended.map((s) => s.name)).toEqual(['GET /fail']);
  });

  describe('bounds', () => {
    it('holds at most maxTraces traces; the next one is decided by the head rule and counted', () => {
      const { tracer, tail, down } = setup({ maxTraces: 2, thresholdMs: 0 });
      const roots = [1, 2, 3].map(() => request(tracer).root);
      expect(tail.stats().heldTraces).toBe(2);
      // The third trace was not held: its two children went by the head rule (dropped).
      expect(tail.stats()).toMatchObject({ overflowed: 2, sampledOut: 2 });
      for (const root of roots) root.end(Date.now() + 10);
      // The first two are kept whole (slow); the third's root also went by the head rule.
      expect(down.ended).toHaveLength(6);
      expect(tail.stats()).toMatchObject({ overflowed: 3, sampledOut: 3, heldTraces: 0 });
    });

    it('holds at most maxSpansPerTrace spans of a trace; the rest go by the head rule', () => {
      const { tracer, tail, down } = setup({ maxSpansPerTrace: 2, thresholdMs: 0 });
      const root = tracer.startSpan('root', { root: true });
      for (let i = 0; i < 5; i++) tracer.startSpan(`c${i}`, { parent: root.spanContext() }).end();
      expect(tail.stats()).toMatchObject({ queueLength: 2, overflowed: 3, sampledOut: 3 });
      root.end(Date.now() + 10);
      expect(down.ended.map((s) => s.name)).toEqual(['c0', 'c1', 'root']);
    });

    it('decides a trace held longer than maxWaitMs by the head rule', () => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      let clock = performance.now();
      const spy = vi.spyOn(performance, 'now').mockImplementation(() => clock);
      const { tracer, tail, down } = setup({ maxWaitMs: 1000, headSampler: ALWAYS });
      const { root } = request(tracer);
      clock += 999;
      vi.advanceTimersByTime(1000);
      expect(tail.stats().heldTraces).toBe(1);
      clock += 2;
      vi.advanceTimersByTime(1000);
      spy.mockRestore();
      expect(tail.stats()).toMatchObject({ heldTraces: 0, overflowed: 2 });
      expect(down.ended).toHaveLength(2);
      root.end();
      expect(down.ended).toHaveLength(3);
    });

    it('decides a trace timed out before any span ended by the head rule on its trace id', () => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      let clock = performance.now();
      const spy = vi.spyOn(performance, 'now').mockImplementation(() => clock);
      const { tracer, tail, down } = setup({ maxWaitMs: 1000, headSampler: ALWAYS });
      const root = tracer.startSpan('root', { root: true });
      clock += 1001;
      vi.advanceTimersByTime(1000);
      spy.mockRestore();
      expect(tail.stats().heldTraces).toBe(0);
      root.end();
      expect(down.ended.map((s) => s.name)).toEqual(['root']);
    });

    it('decides what is still held at shutdown, then shuts the chain down', async () => {
      const { tracer, tail, down } = setup({ headSampler: ALWAYS });
      request(tracer);
      await tail.shutdown();
      expect(down.ended).toHaveLength(2);
      expect(down.processor.shutdown).toHaveBeenCalled();
    });
  });
});
