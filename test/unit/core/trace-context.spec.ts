import { tracingChannel } from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Observable, delay, firstValueFrom, from, map, mergeMap, of, timer, toArray } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { NOOP_SPAN, NonRecordingSpan } from '../../../lib/core/non-recording-span.js';
import { RecordingSpan } from '../../../lib/core/span.js';
import type { SpanProcessor } from '../../../lib/core/span-processor.js';
import {
  ROOT_CONTEXT,
  TraceContext,
  activeContext,
  bindChannelContext,
  bindContext,
  currentContext,
  localRootSpan,
  runSuppressed,
  runWithContext,
} from '../../../lib/core/trace-context.js';
import { Tracer } from '../../../lib/core/tracer.js';
import { SpanStatusCode, type ReadableSpan, type Span } from '../../../lib/core/types.js';

function setup() {
  const ended: ReadableSpan[] = [];
  const processor: SpanProcessor = {
    onEnd: vi.fn<SpanProcessor['onEnd']>((span) => {
      ended.push(span);
    }),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const tracer = new Tracer({ processor, resource: { attributes: { 'service.name': 't' } } });
  return { tracer, processor, ended };
}

/** A request-like context with its own span and correlation id. */
function requestContext(tracer: Tracer, name: string): { context: TraceContext; span: Span } {
  const span = tracer.startSpan(name, { root: true });
  return { context: tracer.createContext(span, `corr-${name}`, undefined), span };
}

function activeSpan(): Span | undefined {
  return activeContext().span;
}

describe('activeContext outside any context', () => {
  it('returns ROOT_CONTEXT, with no span, correlation id or suppression', () => {
    expect(currentContext()).toBeUndefined();
    expect(activeContext()).toBe(ROOT_CONTEXT);
    expect(ROOT_CONTEXT.span).toBeUndefined();
    expect(ROOT_CONTEXT.correlationId).toBeUndefined();
    expect(ROOT_CONTEXT.suppressed).toBe(false);
  });

  it('returns ROOT_CONTEXT again once a context has finished running', async () => {
    const { tracer } = setup();
    const { context } = requestContext(tracer, 'r');
    await runWithContext(context, async () => {
      await sleep(1);
    });
    expect(activeContext()).toBe(ROOT_CONTEXT);
  });
});

describe('the active context across async boundaries', () => {
  it('follows awaits', async () => {
    const { tracer } = setup();
    const { context, span } = requestContext(tracer, 'r');
    const seen = await runWithContext(context, async () => {
      const out: (Span | undefined)[] = [activeSpan()];
      await Promise.resolve();
      out.push(activeSpan());
      await sleep(2);
      out.push(activeSpan());
      return out;
    });
    expect(seen).toEqual([span, span, span]);
  });

  it('follows setTimeout, setImmediate, process.nextTick and queueMicrotask', async () => {
    const { tracer } = setup();
    const { context, span } = requestContext(tracer, 'r');
    const seen = await runWithContext(
      context,
      () =>
        new Promise<Record<string, Span | undefined>>((resolve) => {
          const out: Record<string, Span | undefined> = {};
          const done = () => Object.keys(out).length === 4 && resolve(out);
          setTimeout(() => {
            out['timeout'] = activeSpan();
            done();
          }, 3);
          setImmediate(() => {
            out['immediate'] = activeSpan();
            done();
          });
          process.nextTick(() => {
            out['nextTick'] = activeSpan();
            done();
          });
          queueMicrotask(() => {
            out['microtask'] = activeSpan();
            done();
          });
        }),
    );
    expect(seen).toEqual({ timeout: span, immediate: span, nextTick: span, microtask: span });
  });

  it('follows promise chains', async () => {
    const { tracer } = setup();
    const { context, span } = requestContext(tracer, 'r');
    const chain = runWithContext(context, () =>
      Promise.resolve(1)
        .then((n) => ({ n, span: activeSpan() }))
        .then(async (prev) => {
          await sleep(1);
          return [prev.span, activeSpan()];
        }),
    );
    expect(await chain).toEqual([span, span]);
  });

  it('gives an EventEmitter listener the context it was bound to, not the emitter’s', () => {
    const { tracer } = setup();
    const a = requestContext(tracer, 'a');
    const b = requestContext(tracer, 'b');
    const emitter = new EventEmitter();
    const seenBound: (Span | undefined)[] = [];
    const seenUnbound: (Span | undefined)[] = [];
    runWithContext(a.context, () => {
      emitter.on(
        'data',
        bindContext(() => seenBound.push(activeSpan())),
      );
      emitter.on('data', () => seenUnbound.push(activeSpan()));
    });
    runWithContext(b.context, () => emitter.emit('data'));
    emitter.emit('data');
    expect(seenBound).toEqual([a.span, a.span]);
    expect(seenUnbound).toEqual([b.span, undefined]);
  });

  it('binds a callback to an explicit context and passes its arguments and return value', () => {
    const { tracer } = setup();
    const { context } = requestContext(tracer, 'r');
    const bound = bindContext(
      (x: number, y: number) => `${activeContext().correlationId}:${x + y}`,
      context,
    );
    expect(bound(2, 3)).toBe('corr-r:5');
    expect(activeContext()).toBe(ROOT_CONTEXT);
  });
});

describe('the active context in rxjs', () => {
  it('is seen by operators of an Observable created and subscribed inside the context', async () => {
    const { tracer } = setup();
    const { context } = requestContext(tracer, 'r');
    const ids = await runWithContext(context, () =>
      firstValueFrom(
        of(1, 2, 3).pipe(
          map(() => activeContext().correlationId),
          toArray(),
        ),
      ),
    );
    expect(ids).toEqual(['corr-r', 'corr-r', 'corr-r']);
  });

  it('is seen by delayed emissions from timer, delay and from(promise)', async () => {
    const { tracer } = setup();
    const { context, span } = requestContext(tracer, 'r');
    const seen = await runWithContext(context, () =>
      firstValueFrom(
        timer(5).pipe(
          map(() => ['timer', activeSpan()] as const),
          delay(5),
          map(([label, s]) => [label, s, activeSpan()] as const),
          mergeMap((prev) =>
            from(sleep(3).then(() => 'later')).pipe(
              map((value) => ({ prev, value, atPromise: activeSpan() })),
            ),
          ),
        ),
      ),
    );
    expect(seen.prev).toEqual(['timer', span, span]);
    expect(seen.value).toBe('later');
    expect(seen.atPromise).toBe(span);
  });

  it('is seen inside a hand-written Observable that emits from a timer', async () => {
    const { tracer } = setup();
    const { context } = requestContext(tracer, 'r');
    const observable = new Observable<string | undefined>((subscriber) => {
      const handle = setTimeout(() => {
        subscriber.next(activeContext().correlationId);
        subscriber.complete();
      }, 2);
      return () => clearTimeout(handle);
    });
    const value = await runWithContext(context, () => firstValueFrom(observable));
    expect(value).toBe('corr-r');
  });
});

describe('concurrent contexts', () => {
  it('never let 50 interleaved async flows see each other’s spans or correlation ids', async () => {
    const { tracer } = setup();
    const mismatches: string[] = [];
    const flows = Array.from({ length: 50 }, (_, i) => {
      const { context, span } = requestContext(tracer, `flow-${i}`);
      return runWithContext(context, async () => {
        for (let step = 0; step < 5; step++) {
          await sleep(Math.floor(Math.random() * 5));
          if (activeSpan() !== span) mismatches.push(`flow ${i} step ${step}: span`);
          if (activeContext().correlationId !== `corr-flow-${i}`) {
            mismatches.push(`flow ${i} step ${step}: ${String(activeContext().correlationId)}`);
          }
          await new Promise((resolve) => setImmediate(resolve));
          await tracer.withSpan(`flow-${i}-step-${step}`, async (child) => {
            await sleep(Math.floor(Math.random() * 3));
            if (activeSpan() !== child) mismatches.push(`flow ${i} step ${step}: child`);
            if ((child as RecordingSpan).parentSpanId !== span.spanContext().spanId) {
              mismatches.push(`flow ${i} step ${step}: parent`);
            }
          });
        }
        return activeContext().correlationId;
      });
    });
    const results = await Promise.all(flows);
    expect(mismatches).toEqual([]);
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => `corr-flow-${i}`));
  });
});

describe('Tracer.withSpan', () => {
  it('makes the span active inside fn and ends it when a sync fn returns', () => {
    const { tracer, ended } = setup();
    let inside: Span | undefined;
    const result = tracer.withSpan('sync', (span) => {
      inside = activeSpan();
      expect(span.isRecording()).toBe(true);
      return 42;
    });
    expect(result).toBe(42);
    expect(inside).toBeInstanceOf(RecordingSpan);
    expect(ended).toHaveLength(1);
    expect(ended[0]).toBe(inside);
    expect(ended[0]!.status.code).toBe(SpanStatusCode.UNSET);
    expect(activeSpan()).toBeUndefined();
  });

  it('returns synchronously for a sync fn', () => {
    const { tracer } = setup();
    const result = tracer.withSpan('sync', () => 'value');
    expect(result).toBe('value');
  });

  it('ends the span only when the returned promise resolves, and resolves to its value', async () => {
    const { tracer, ended } = setup();
    let release!: (value: string) => void;
    const result = tracer.withSpan('async', () => new Promise<string>((r) => (release = r)));
    expect(result).toBeInstanceOf(Promise);
    await sleep(5);
    expect(ended).toHaveLength(0);
    release('done');
    await expect(result).resolves.toBe('done');
    expect(ended).toHaveLength(1);
    expect(ended[0]!.durationMs).toBeGreaterThanOrEqual(4);
  });

  it('records the error and rethrows the same object when a sync fn throws', () => {
    const { tracer, ended } = setup();
    const error = new RangeError('bad page');
    let caught: unknown;
    try {
      tracer.withSpan('throws', () => {
        throw error;
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(error);
    expect(ended).toHaveLength(1);
    expect(ended[0]!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad page' });
    expect(ended[0]!.events.map((e) => e.name)).toEqual(['exception']);
    expect(ended[0]!.events[0]!.attributes).toMatchObject({
      'exception.type': 'RangeError',
      'exception.message': 'bad page',
    });
  });

  it('records the error and rejects with the same object when the promise rejects', async () => {
    const { tracer, ended } = setup();
    const error = new Error('db down');
    const result = tracer.withSpan('rejects', async () => {
      await sleep(1);
      throw error;
    });
    await expect(result).rejects.toBe(error);
    expect(ended).toHaveLength(1);
    expect(ended[0]!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'db down' });
    expect(ended[0]!.events[0]!.attributes!['exception.message']).toBe('db down');
  });

  it('records a thrown string as the status message', () => {
    const { tracer, ended } = setup();
    expect(() =>
      tracer.withSpan('throws', () => {
        throw 'plain failure';
      }),
    ).toThrow('plain failure');
    expect(ended[0]!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'plain failure' });
  });

  it('makes nested spans parent and child in one trace', async () => {
    const { tracer, ended } = setup();
    await tracer.withSpan('outer', async () => {
      await sleep(1);
      await tracer.withSpan('inner', async () => {
        await sleep(1);
      });
    });
    const [inner, outer] = ended;
    expect([inner!.name, outer!.name]).toEqual(['inner', 'outer']);
    expect(inner!.parentSpanId).toBe(outer!.spanId);
    expect(inner!.traceId).toBe(outer!.traceId);
    expect(outer!.parentSpanId).toBeUndefined();
  });

  it('keeps the correlation id of the surrounding context inside the span', () => {
    const { tracer } = setup();
    const { context } = requestContext(tracer, 'r');
    const id = runWithContext(context, () =>
      tracer.withSpan('inner', () => activeContext().correlationId),
    );
    expect(id).toBe('corr-r');
  });

  it('restores the outer span after the inner one ends', async () => {
    const { tracer } = setup();
    await tracer.withSpan('outer', async (outer) => {
      await tracer.withSpan('inner', async () => sleep(1));
      expect(activeSpan()).toBe(outer);
    });
  });
});

describe('Tracer.startActiveSpan', () => {
  it('makes the span active across awaits and leaves ending it to the caller', async () => {
    const { tracer, ended } = setup();
    const span = await tracer.startActiveSpan('manual', async (s) => {
      await sleep(1);
      expect(activeSpan()).toBe(s);
      return s;
    });
    expect(ended).toHaveLength(0);
    expect(span.isRecording()).toBe(true);
    span.end();
    expect(ended).toHaveLength(1);
  });
});

describe('runSuppressed', () => {
  it('makes tracer.startSpan return a non-recording span, also after an await', async () => {
    const { tracer, processor } = setup();
    const spans = await runSuppressed(async () => {
      const first = tracer.startSpan('inside');
      await sleep(1);
      return [first, tracer.startSpan('after-await')];
    });
    for (const span of spans) {
      expect(span).toBeInstanceOf(NonRecordingSpan);
      expect(span.isRecording()).toBe(false);
      span.end();
    }
    expect(processor.onEnd).not.toHaveBeenCalled();
  });

  it('runs withSpan fn without a recording span and keeps the correlation id', () => {
    const { tracer, ended } = setup();
    const { context } = requestContext(tracer, 'r');
    const seen = runWithContext(context, () =>
      runSuppressed(() =>
        tracer.withSpan('inside', (span) => ({
          span,
          correlationId: activeContext().correlationId,
          suppressed: activeContext().suppressed,
        })),
      ),
    );
    expect(seen.span).toBe(NOOP_SPAN);
    expect(seen.correlationId).toBe('corr-r');
    expect(seen.suppressed).toBe(true);
    expect(ended).toHaveLength(0);
  });

  it('lets tracing resume once the suppressed function has returned', () => {
    const { tracer } = setup();
    runSuppressed(() => undefined);
    expect(tracer.startSpan('after').isRecording()).toBe(true);
  });
});

describe('localRootSpan', () => {
  it('is the first local span of the unit of work, however deep the active span is', () => {
    const { tracer } = setup();
    const { context, span: server } = requestContext(tracer, 'server');
    expect(localRootSpan(context)).toBe(server);
    const child = tracer.startSpan('child', undefined, context);
    const inChild = context.withSpan(child);
    const grandchild = tracer.startSpan('grandchild', undefined, inChild);
    const deep = inChild.withSpan(grandchild).withFields({ tenant: 'a' });
    expect(deep.span).toBe(grandchild);
    expect(localRootSpan(deep)).toBe(server);
    expect(localRootSpan(ROOT_CONTEXT)).toBeUndefined();
  });

  it('skips a remote parent: the first span opened under it is the root', () => {
    const { tracer } = setup();
    const remote = new NonRecordingSpan({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true,
    });
    const context = tracer.createContext(remote, undefined, undefined);
    expect(localRootSpan(context)).toBeUndefined();
    const consumer = tracer.startSpan('consumer', undefined, context);
    const inner = context.withSpan(consumer);
    expect(localRootSpan(inner)).toBe(consumer);
    expect(localRootSpan(inner.withSpan(tracer.startSpan('x', undefined, inner)))).toBe(consumer);
  });
});

describe('bindChannelContext', () => {
  it('makes the returned context active for the traced call, and keeps the current one when none', () => {
    const { tracer } = setup();
    const channel = tracingChannel<object, { name: string }>('nestjs-tracing:test:bind');
    const { context } = requestContext(tracer, 'outer');
    const unbind = bindChannelContext(channel.start as never, (message, current) => {
      const name = (message as { name: string }).name;
      if (name === 'keep') return undefined;
      return current!.withSpan(tracer.startSpan(name, undefined, current));
    });
    try {
      const seen = runWithContext(context, () => ({
        traced: channel.traceSync(() => activeSpan(), { name: 'inner' }),
        kept: channel.traceSync(() => activeContext(), { name: 'keep' }),
      }));
      expect((seen.traced as unknown as ReadableSpan).name).toBe('inner');
      expect(seen.kept).toBe(context);
    } finally {
      unbind();
    }
    // Unbound: the call runs in the caller's context.
    runWithContext(context, () => {
      expect(channel.traceSync(() => activeContext(), { name: 'inner' })).toBe(context);
    });
  });
});
