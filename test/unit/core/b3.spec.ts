import { describe, expect, it } from 'vitest';
import { B3Propagator } from '../../../lib/core/propagation/b3-propagator.js';
import { AlwaysOffSampler } from '../../../lib/core/samplers.js';
import { TraceState } from '../../../lib/core/trace-state.js';
import type { SpanContext } from '../../../lib/core/types.js';
import { forwardThroughSpans as forwarded } from '../../fixtures/forward-through-spans.js';

const TRACE_ID = '80f198ee56343ba864fe8b2a57d3eff7';
const SPAN_ID = 'e457b5a2e4d86bd1';
const PARENT_ID = '05e3ac9a4f6e3b90';

function extract(headers: object): SpanContext | undefined {
  return new B3Propagator().extract({}, headers).spanContext;
}

describe('B3Propagator single header', () => {
  it('extracts trace id, span id, sampling state and parent span id', () => {
    expect(extract({ b3: `${TRACE_ID}-${SPAN_ID}-1-${PARENT_ID}` })).toEqual({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: 1,
      isRemote: true,
    });
  });

  it('treats debug as sampled and deny as not sampled', () => {
    expect(extract({ b3: `${TRACE_ID}-${SPAN_ID}-d` })?.traceFlags).toBe(1);
    expect(extract({ b3: `${TRACE_ID}-${SPAN_ID}-0` })?.traceFlags).toBe(0);
  });

  it('treats an absent sampling state as a deferred, unsampled decision', () => {
    expect(extract({ b3: `${TRACE_ID}-${SPAN_ID}` })?.traceFlags).toBe(0);
  });

  it('left-pads 64-bit trace ids to 32 hex characters', () => {
    expect(extract({ b3: `64fe8b2a57d3eff7-${SPAN_ID}-1` })?.traceId).toBe(
      '000000000000000064fe8b2a57d3eff7',
    );
  });

  it('accepts the deny-only header without producing a trace context', () => {
    const propagator = new B3Propagator();
    expect(propagator.extract({}, { b3: '0' })).toEqual({});
    // The single header wins even when it carries no ids.
    expect(
      propagator.extract({}, { b3: '0', 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': SPAN_ID }),
    ).toEqual({});
  });

  it('rejects malformed single headers', () => {
    for (const b3 of [
      `${TRACE_ID}`,
      `${TRACE_ID}-${SPAN_ID}-2`,
      `${TRACE_ID}-${SPAN_ID}-true`,
      `${TRACE_ID}-${SPAN_ID}-1-${PARENT_ID}-extra`,
      `${TRACE_ID}-${SPAN_ID}-1-bad`,
      `${TRACE_ID.toUpperCase()}-${SPAN_ID}-1`,
      `${TRACE_ID.slice(2)}-${SPAN_ID}-1`,
      `${TRACE_ID}-${SPAN_ID.slice(1)}-1`,
      `${'0'.repeat(32)}-${SPAN_ID}-1`,
      `${TRACE_ID}-${'0'.repeat(16)}-1`,
      `${'0'.repeat(16)}-${SPAN_ID}-1`,
      '',
    ]) {
      expect(extract({ b3 })).toBeUndefined();
    }
  });

  it('reads the header name in any case and trims it', () => {
    expect(extract({ B3: ` ${TRACE_ID}-${SPAN_ID}-1 ` })?.traceId).toBe(TRACE_ID);
  });

  it('injects the single header by default', () => {
    const carrier: Record<string, string> = {};
    new B3Propagator().inject(
      { spanContext: { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 3 } },
      carrier,
    );
    expect(carrier).toEqual({ b3: `${TRACE_ID}-${SPAN_ID}-1` });
  });
});

describe('B3Propagator multi headers', () => {
  const ids = { 'X-B3-TraceId': TRACE_ID, 'X-B3-SpanId': SPAN_ID };

  it('extracts ids and the sampled flag', () => {
    expect(extract({ ...ids, 'X-B3-Sampled': '1', 'X-B3-ParentSpanId': PARENT_ID })).toEqual({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: 1,
      isRemote: true,
    });
    expect(extract({ ...ids, 'X-B3-Sampled': '0' })?.traceFlags).toBe(0);
  });

  it('accepts the legacy true and false sampled values', () => {
    expect(extract({ ...ids, 'X-B3-Sampled': 'true' })?.traceFlags).toBe(1);
    expect(extract({ ...ids, 'X-B3-Sampled': 'false' })?.traceFlags).toBe(0);
  });

  it('treats X-B3-Flags: 1 (debug) as sampled', () => {
    expect(extract({ ...ids, 'X-B3-Flags': '1' })?.traceFlags).toBe(1);
    expect(extract({ ...ids, 'X-B3-Flags': '1', 'X-B3-Sampled': '0' })?.traceFlags).toBe(1);
  });

  it('left-pads 64-bit trace ids', () => {
    expect(extract({ 'x-b3-traceid': '64fe8b2a57d3eff7', 'x-b3-spanid': SPAN_ID })?.traceId).toBe(
      '000000000000000064fe8b2a57d3eff7',
    );
  });

  it('takes the first value of a repeated header', () => {
    expect(extract({ 'x-b3-traceid': [TRACE_ID, 'ffff'], 'x-b3-spanid': SPAN_ID })?.traceId).toBe(
      TRACE_ID,
    );
  });

  it('rejects missing or malformed ids', () => {
    expect(extract({ 'X-B3-TraceId': TRACE_ID })).toBeUndefined();
    expect(extract({ 'X-B3-SpanId': SPAN_ID })).toBeUndefined();
    expect(extract({ ...ids, 'X-B3-TraceId': 'xyz' })).toBeUndefined();
    expect(extract({ ...ids, 'X-B3-SpanId': '0'.repeat(16) })).toBeUndefined();
    expect(extract({ ...ids, 'X-B3-ParentSpanId': 'nope' })).toBeUndefined();
  });

  it('prefers a valid single header over the multi headers', () => {
    const other = 'a'.repeat(32);
    expect(extract({ b3: `${other}-${SPAN_ID}-1`, ...ids })?.traceId).toBe(other);
  });

  it('injects the multi headers when asked', () => {
    const carrier: Record<string, string> = {};
    new B3Propagator({ injectEncoding: 'multi' }).inject(
      { spanContext: { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 0 } },
      carrier,
    );
    expect(carrier).toEqual({
      'x-b3-traceid': TRACE_ID,
      'x-b3-spanid': SPAN_ID,
      'x-b3-sampled': '0',
    });
  });
});

describe('B3Propagator', () => {
  it('lists every header it reads or writes', () => {
    expect(new B3Propagator().fields).toEqual([
      'b3',
      'x-b3-traceid',
      'x-b3-spanid',
      'x-b3-sampled',
      'x-b3-flags',
      'x-b3-parentspanid',
    ]);
  });

  it('injects nothing without a valid span context', () => {
    const carrier: Record<string, string> = {};
    new B3Propagator().inject({}, carrier);
    new B3Propagator().inject(
      { spanContext: { traceId: 'x', spanId: SPAN_ID, traceFlags: 1 } },
      carrier,
    );
    expect(carrier).toEqual({});
  });

  for (const injectEncoding of ['single', 'multi'] as const) {
    it(`round-trips inject then extract with the ${injectEncoding} encoding`, () => {
      const propagator = new B3Propagator({ injectEncoding });
      for (const traceFlags of [0, 1]) {
        const carrier = new Headers();
        propagator.inject(
          { spanContext: { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags } },
          carrier,
        );
        expect(propagator.extract({}, carrier).spanContext).toEqual({
          traceId: TRACE_ID,
          spanId: SPAN_ID,
          traceFlags,
          isRemote: true,
        });
      }
    });
  }
});

function isDebug(ctx: SpanContext | undefined): boolean {
  return ctx?.traceState instanceof TraceState && ctx.traceState.b3Debug;
}

describe('B3Propagator debug flag', () => {
  const ids = { 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': SPAN_ID };
  const debugSingle = { b3: `${TRACE_ID}-${SPAN_ID}-d` };
  const debugMulti = { ...ids, 'x-b3-flags': '1' };

  it('extracts debug from the single and the multi headers as sampled, marked debug', () => {
    for (const headers of [debugSingle, debugMulti, { ...debugMulti, 'x-b3-sampled': '0' }]) {
      const ctx = extract(headers);
      expect(ctx?.traceFlags).toBe(1);
      expect(isDebug(ctx)).toBe(true);
      // The mark stays off the W3C wire and OTLP: it serializes to nothing.
      expect(ctx?.traceState?.serialize()).toBe('');
    }
  });

  it('does not mark accept, deny or other flags values as debug', () => {
    for (const headers of [
      { b3: `${TRACE_ID}-${SPAN_ID}-1` },
      { b3: `${TRACE_ID}-${SPAN_ID}-0` },
      { b3: `${TRACE_ID}-${SPAN_ID}` },
      { ...ids, 'x-b3-sampled': '1' },
      { ...ids, 'x-b3-flags': '0' },
      { ...ids, 'x-b3-flags': '2', 'x-b3-sampled': '1' },
    ]) {
      expect(isDebug(extract(headers))).toBe(false);
    }
  });

  it('injects debug as "d" in the single header', () => {
    const carrier: Record<string, string> = {};
    new B3Propagator().inject({ spanContext: extract(debugSingle) }, carrier);
    expect(carrier).toEqual({ b3: `${TRACE_ID}-${SPAN_ID}-d` });
  });

  it('injects debug as X-B3-Flags: 1 without X-B3-Sampled in the multi headers', () => {
    const carrier: Record<string, string> = {};
    new B3Propagator({ injectEncoding: 'multi' }).inject(
      { spanContext: extract(debugMulti) },
      carrier,
    );
    expect(carrier).toEqual({ ...ids, 'x-b3-flags': '1' });
  });

  it('does not inject debug for a context that is not sampled', () => {
    const spanContext = {
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: 0,
      traceState: new TraceState().withB3Debug(),
    };
    const single: Record<string, string> = {};
    const multi: Record<string, string> = {};
    new B3Propagator().inject({ spanContext }, single);
    new B3Propagator({ injectEncoding: 'multi' }).inject({ spanContext }, multi);
    expect(single).toEqual({ b3: `${TRACE_ID}-${SPAN_ID}-0` });
    expect(multi).toEqual({ ...ids, 'x-b3-sampled': '0' });
  });

  for (const [name, incoming] of [
    ['single', debugSingle],
    ['multi', debugMulti],
  ] as const) {
    it(`carries ${name}-header debug through the server and client spans to outgoing calls`, () => {
      const single = forwarded(new B3Propagator(), incoming);
      expect(single.client.traceId).toBe(TRACE_ID);
      expect(single.client.spanId).not.toBe(SPAN_ID);
      expect(single.outgoing).toEqual({ b3: `${TRACE_ID}-${single.client.spanId}-d` });

      const multi = forwarded(new B3Propagator({ injectEncoding: 'multi' }), incoming);
      expect(multi.outgoing).toEqual({
        'x-b3-traceid': TRACE_ID,
        'x-b3-spanid': multi.client.spanId,
        'x-b3-flags': '1',
      });
    });
  }

  it('carries on an accept decision without debug', () => {
    const { outgoing, client } = forwarded(new B3Propagator(), {
      b3: `${TRACE_ID}-${SPAN_ID}-1`,
    });
    expect(outgoing).toEqual({ b3: `${TRACE_ID}-${client.spanId}-1` });
  });

  it('sends a deny when the local sampler drops a debug trace', () => {
    const { outgoing, client } = forwarded(new B3Propagator(), debugSingle, new AlwaysOffSampler());
    expect(outgoing).toEqual({ b3: `${TRACE_ID}-${client.spanId}-0` });
  });
});
