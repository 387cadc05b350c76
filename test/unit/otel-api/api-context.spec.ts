import * as api from '@opentelemetry/api';
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Baggage } from '../../../lib/core/baggage.js';
import { W3CTraceContextPropagator } from '../../../lib/core/propagation/index.js';
import type { SpanProcessor } from '../../../lib/core/span-processor.js';
import { activeContext, runWithContext } from '../../../lib/core/trace-context.js';
import { Tracer } from '../../../lib/core/tracer.js';
import type { ReadableSpan } from '../../../lib/core/types.js';
import { openTelemetryApiBridge, type BridgeAttachment } from '../../../lib/otel-api/bridge.js';

// The bridge's context manager and tracer, driven through the real @opentelemetry/api: a
// context held across requests, baggage removed through the API, EventEmitters bound, bound
// functions' arity, and what the API gets once no app is attached.

const ended: ReadableSpan[] = [];
const processor: SpanProcessor = {
  onEnd: (span) => void ended.push(span),
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};
const tracer = new Tracer({ processor, resource: { attributes: {} } });
const library = api.trace.getTracer('lib');
let attachment: BridgeAttachment | undefined;

/** Runs `fn` as a request would: a server span and a correlation id of its own. */
function inRequest<R>(id: string, fn: () => R, baggage?: Baggage): R {
  const root = tracer.startSpan(`request ${id}`, { root: true });
  return runWithContext(tracer.createContext(root, id, baggage), fn);
}

beforeEach(() => {
  ended.length = 0;
  attachment = openTelemetryApiBridge.attach(api, {
    tracer,
    propagator: new W3CTraceContextPropagator(),
  });
  // Another global already registered would make every test below meaningless.
  if (attachment.conflicts.length > 0) throw new Error(attachment.conflicts.join('\n'));
});
afterEach(() => {
  attachment?.detach();
  attachment = undefined;
});

describe('OpenTelemetry API bridge: contexts', () => {
  it('a context held across requests (ROOT_CONTEXT) takes the current request, not the first', () => {
    const seen = ['a', 'b'].map((id) =>
      inRequest(id, () =>
        api.context.with(api.ROOT_CONTEXT, () => {
          const span = library.startSpan('root.work');
          span.end();
          return {
            correlationId: activeContext().correlationId,
            traceId: span.spanContext().traceId,
          };
        }),
      ),
    );
    expect(seen.map((s) => s.correlationId)).toEqual(['a', 'b']);
    // Roots of their own (ROOT_CONTEXT has no span) and two distinct traces.
    expect(seen[0]!.traceId).not.toBe(seen[1]!.traceId);
    const roots = ended.filter((s) => s.name === 'root.work');
    expect(roots.map((s) => s.parentSpanId)).toEqual([undefined, undefined]);
  });

  it('a context made in one request, used later elsewhere, keeps its parent', async () => {
    let captured: api.Context | undefined;
    let parentId = '';
    inRequest('a', () => {
      parentId = api.trace.getActiveSpan()!.spanContext().spanId;
      captured = api.context.active().setValue(api.createContextKey('k'), 1);
    });
    await inRequest('b', () =>
      api.context.with(captured!, () => {
        library.startSpan('later').end();
        expect(api.context.active().getValue(api.createContextKey('k'))).toBe(1);
        // Ours too: the request it was made in.
        expect(activeContext().correlationId).toBe('a');
      }),
    );
    expect(ended.find((s) => s.name === 'later')!.parentSpanId).toBe(parentId);
  });

  it('baggage removed through the API is gone, not the request’s again', () => {
    const baggage = new Baggage([['tenant', { value: 'acme' }]]);
    inRequest(
      'a',
      () => {
        expect(api.propagation.getBaggage(api.context.active())?.getEntry('tenant')?.value).toBe(
          'acme',
        );
        api.context.with(api.propagation.deleteBaggage(api.context.active()), () => {
          expect(api.propagation.getBaggage(api.context.active())).toBeUndefined();
          // Our side (what our outgoing calls propagate) has none either.
          expect(activeContext().baggage).toBeUndefined();
          const carrier: Record<string, string> = {};
          api.propagation.inject(api.context.active(), carrier);
          expect(carrier.baggage).toBeUndefined();
        });
      },
      baggage,
    );
  });

  it('binds an EventEmitter: its listeners run in the bound context, removal still works', async () => {
    const emitter = new EventEmitter();
    let boundSpanId = '';
    inRequest('a', () => {
      boundSpanId = api.trace.getActiveSpan()!.spanContext().spanId;
      expect(api.context.bind(api.context.active(), emitter)).toBe(emitter);
    });
    const seen: (string | undefined)[] = [];
    const listener = () => seen.push(api.trace.getActiveSpan()?.spanContext().spanId);
    await inRequest('b', async () => {
      emitter.on('data', listener);
      emitter.once('end', listener);
    });
    emitter.emit('data');
    emitter.emit('end');
    emitter.emit('end');
    expect(seen).toEqual([boundSpanId, boundSpanId]);
    emitter.off('data', listener);
    emitter.emit('data');
    expect(seen).toHaveLength(2);
    emitter.once('end', listener);
    emitter.removeListener('end', listener);
    expect(emitter.listenerCount('end')).toBe(0);
    expect(emitter.listenerCount('data')).toBe(0);
  });

  it('a bound function keeps its arity', () => {
    const handler = (_err: unknown, _req: unknown, _res: unknown, _next: unknown) => undefined;
    expect(api.context.bind(api.context.active(), handler).length).toBe(4);
  });

  it('with no app attached, a span started under one of ours is not that span', () => {
    inRequest('a', () => {
      const parent = api.trace.getActiveSpan()!;
      attachment!.detach();
      attachment = undefined;
      // The API's globals are gone: a fresh non-recording span, never the parent itself.
      const span = library.startSpan('orphan');
      expect(span).not.toBe(parent);
      expect(span.isRecording()).toBe(false);
      span.end();
    });
    expect(ended.some((s) => s.name === 'request a')).toBe(false);
  });

  it('propagation.inject writes nothing for suppressed work, as OpenTelemetry’s propagators', () => {
    inRequest('a', () => {
      const written: Record<string, string> = {};
      api.propagation.inject(api.context.active(), written);
      expect(written.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[13]$/);
      const suppressed: Record<string, string> = {};
      const key = Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING');
      api.propagation.inject(api.context.active().setValue(key, true), suppressed);
      expect(suppressed).toEqual({});
    });
  });
});
