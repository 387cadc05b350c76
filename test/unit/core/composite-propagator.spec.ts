import { describe, expect, it } from 'vitest';
import { Baggage } from '../../../lib/core/baggage.js';
import {
  B3Propagator,
  CompositePropagator,
  NoopPropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
  createPropagator,
  parsePropagatorList,
  type PropagationState,
  type TextMapPropagator,
} from '../../../lib/core/propagation/index.js';
import { TraceState } from '../../../lib/core/trace-state.js';
import { forwardThroughSpans } from '../../fixtures/forward-through-spans.js';

const W3C_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const W3C_SPAN = '00f067aa0ba902b7';
const B3_TRACE = '80f198ee56343ba864fe8b2a57d3eff7';
const B3_SPAN = 'e457b5a2e4d86bd1';

const headers = {
  traceparent: `00-${W3C_TRACE}-${W3C_SPAN}-01`,
  b3: `${B3_TRACE}-${B3_SPAN}-1`,
  baggage: 'from=w3c',
};

describe('CompositePropagator', () => {
  it('lets the first valid trace context win', () => {
    const w3cFirst = new CompositePropagator([new W3CTraceContextPropagator(), new B3Propagator()]);
    const b3First = new CompositePropagator([new B3Propagator(), new W3CTraceContextPropagator()]);
    expect(w3cFirst.extract({}, headers).spanContext?.traceId).toBe(W3C_TRACE);
    expect(b3First.extract({}, headers).spanContext?.traceId).toBe(B3_TRACE);
  });

  it('falls through to a later propagator when an earlier one finds nothing valid', () => {
    const composite = new CompositePropagator([
      new W3CTraceContextPropagator(),
      new B3Propagator(),
    ]);
    const state = composite.extract({}, { traceparent: 'garbage', b3: headers.b3 });
    expect(state.spanContext?.traceId).toBe(B3_TRACE);
  });

  it('merges baggage from every propagator', () => {
    const otherBaggage: TextMapPropagator = {
      fields: ['x-other'],
      inject() {},
      extract(state: PropagationState) {
        state.baggage ??= new Baggage();
        state.baggage.set('from', 'other-wins-last');
        state.baggage.set('other', 'yes');
        return state;
      },
    };
    const composite = new CompositePropagator([
      new W3CTraceContextPropagator(),
      new W3CBaggagePropagator(),
      otherBaggage,
    ]);
    const state = composite.extract({}, headers);
    expect(state.spanContext?.traceId).toBe(W3C_TRACE);
    expect(state.baggage?.toObject()).toEqual({ from: 'other-wins-last', other: 'yes' });
  });

  it('injects every format', () => {
    const composite = new CompositePropagator([
      new W3CTraceContextPropagator(),
      new W3CBaggagePropagator(),
      new B3Propagator({ injectEncoding: 'multi' }),
    ]);
    const carrier: Record<string, string> = {};
    composite.inject(
      {
        spanContext: { traceId: W3C_TRACE, spanId: W3C_SPAN, traceFlags: 1 },
        baggage: new Baggage().set('k', 'v'),
      },
      carrier,
    );
    expect(carrier).toEqual({
      traceparent: `00-${W3C_TRACE}-${W3C_SPAN}-01`,
      baggage: 'k=v',
      'x-b3-traceid': W3C_TRACE,
      'x-b3-spanid': W3C_SPAN,
      'x-b3-sampled': '1',
    });
  });

  it('reports the union of its propagators fields without duplicates', () => {
    const composite = new CompositePropagator([
      new W3CTraceContextPropagator(),
      new W3CTraceContextPropagator(),
      new W3CBaggagePropagator(),
    ]);
    expect(composite.fields).toEqual(['traceparent', 'tracestate', 'baggage']);
  });

  it('keeps going when one propagator throws', () => {
    const broken: TextMapPropagator = {
      fields: [],
      inject() {
        throw new Error('boom');
      },
      extract() {
        throw new Error('boom');
      },
    };
    const composite = new CompositePropagator([broken, new W3CTraceContextPropagator()]);
    expect(composite.extract({}, headers).spanContext?.traceId).toBe(W3C_TRACE);
    const carrier: Record<string, string> = {};
    composite.inject(
      { spanContext: { traceId: W3C_TRACE, spanId: W3C_SPAN, traceFlags: 0 } },
      carrier,
    );
    expect(carrier.traceparent).toBe(`00-${W3C_TRACE}-${W3C_SPAN}-00`);
  });

  it('round-trips trace context, tracestate and baggage through a Map carrier', () => {
    const composite = createPropagator(['tracecontext', 'baggage', 'b3']);
    const carrier = new Map<string, string>();
    const traceState = new TraceState([['rojo', '00f067aa0ba902b7']]);
    composite.inject(
      {
        spanContext: { traceId: W3C_TRACE, spanId: W3C_SPAN, traceFlags: 1, traceState },
        baggage: new Baggage().set('user', 'Zoë Ünal'),
      },
      carrier,
    );
    const back = composite.extract({}, carrier);
    expect(back.spanContext).toMatchObject({
      traceId: W3C_TRACE,
      spanId: W3C_SPAN,
      traceFlags: 1,
      isRemote: true,
    });
    expect(back.spanContext?.traceState?.serialize()).toBe('rojo=00f067aa0ba902b7');
    expect(back.baggage?.get('user')).toBe('Zoë Ünal');
    expect(carrier.get('b3')).toBe(`${W3C_TRACE}-${W3C_SPAN}-1`);
  });
});

function forwarded(propagators: string[], incoming: object) {
  return forwardThroughSpans(createPropagator(propagators), incoming);
}

describe('CompositePropagator with W3C and B3: the B3 debug flag', () => {
  const w3cHeaders = {
    traceparent: `00-${W3C_TRACE}-${W3C_SPAN}-01`,
    tracestate: 'rojo=00f067aa0ba902b7',
  };

  it('carries debug from a B3-only caller, and keeps it off the W3C headers', () => {
    const { outgoing, client } = forwarded(['tracecontext', 'b3'], {
      b3: `${B3_TRACE}-${B3_SPAN}-d`,
    });
    expect(outgoing).toEqual({
      traceparent: `00-${B3_TRACE}-${client.spanId}-01`,
      b3: `${B3_TRACE}-${client.spanId}-d`,
    });
  });

  it('adds B3 debug to the W3C context when both headers name the same span', () => {
    for (const b3 of [
      { b3: `${W3C_TRACE}-${W3C_SPAN}-d` },
      { 'x-b3-traceid': W3C_TRACE, 'x-b3-spanid': W3C_SPAN, 'x-b3-flags': '1' },
    ]) {
      const { outgoing, client } = forwarded(['tracecontext', 'b3multi'], { ...w3cHeaders, ...b3 });
      expect(outgoing).toEqual({
        traceparent: `00-${W3C_TRACE}-${client.spanId}-01`,
        tracestate: 'rojo=00f067aa0ba902b7',
        'x-b3-traceid': W3C_TRACE,
        'x-b3-spanid': client.spanId,
        'x-b3-flags': '1',
      });
    }
  });

  it('keeps the first context whole when B3 names the same span without debug', () => {
    const { outgoing, client } = forwarded(['tracecontext', 'b3'], {
      ...w3cHeaders,
      b3: `${W3C_TRACE}-${W3C_SPAN}-1`,
    });
    expect(outgoing).toEqual({
      traceparent: `00-${W3C_TRACE}-${client.spanId}-01`,
      tracestate: 'rojo=00f067aa0ba902b7',
      b3: `${W3C_TRACE}-${client.spanId}-1`,
    });
  });

  it('ignores B3 debug for another trace than the winning W3C one', () => {
    const { outgoing, client } = forwarded(['tracecontext', 'b3'], {
      ...w3cHeaders,
      b3: `${B3_TRACE}-${B3_SPAN}-d`,
    });
    expect(outgoing.b3).toBe(`${W3C_TRACE}-${client.spanId}-1`);
  });

  it('keeps debug when B3 comes first and wins', () => {
    const { outgoing, client } = forwarded(['b3', 'tracecontext'], {
      ...w3cHeaders,
      b3: `${W3C_TRACE}-${W3C_SPAN}-d`,
    });
    expect(outgoing.b3).toBe(`${W3C_TRACE}-${client.spanId}-d`);
    expect(outgoing.traceparent).toBe(`00-${W3C_TRACE}-${client.spanId}-01`);
  });
});

describe('createPropagator', () => {
  it('defaults to tracecontext and baggage for an empty list', () => {
    const propagator = createPropagator([]);
    expect(propagator).toBeInstanceOf(CompositePropagator);
    expect(propagator.fields).toEqual(['traceparent', 'tracestate', 'baggage']);
  });

  it('returns the single propagator itself when only one is named', () => {
    expect(createPropagator(['tracecontext'])).toBeInstanceOf(W3CTraceContextPropagator);
    expect(createPropagator(['baggage'])).toBeInstanceOf(W3CBaggagePropagator);
  });

  it('builds b3 with the single encoding and b3multi with the multi encoding', () => {
    const ctx = { traceId: W3C_TRACE, spanId: W3C_SPAN, traceFlags: 1 };
    const single: Record<string, string> = {};
    const multi: Record<string, string> = {};
    createPropagator(['b3']).inject({ spanContext: ctx }, single);
    createPropagator(['b3multi']).inject({ spanContext: ctx }, multi);
    expect(Object.keys(single)).toEqual(['b3']);
    expect(Object.keys(multi)).toEqual(['x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled']);
  });

  it('returns a propagator that does nothing for none', () => {
    const propagator = createPropagator(['none']);
    expect(propagator).toBeInstanceOf(NoopPropagator);
    const carrier: Record<string, string> = {};
    propagator.inject(
      { spanContext: { traceId: W3C_TRACE, spanId: W3C_SPAN, traceFlags: 1 } },
      carrier,
    );
    expect(carrier).toEqual({});
    expect(propagator.extract({}, headers)).toEqual({});
  });

  it('ignores duplicates and normalises case', () => {
    expect(createPropagator(['TraceContext', 'tracecontext'])).toBeInstanceOf(
      W3CTraceContextPropagator,
    );
  });

  it('throws a message naming the option, the bad value and the accepted values', () => {
    expect(() => createPropagator(['tracecontext', 'jaegr'])).toThrow(
      /propagators.*OTEL_PROPAGATORS.*"jaegr".*tracecontext, baggage, b3, b3multi, none/,
    );
  });
});

describe('parsePropagatorList', () => {
  it('splits, trims, lowercases and drops empty entries', () => {
    expect(parsePropagatorList(' TraceContext , baggage,,B3Multi , ')).toEqual([
      'tracecontext',
      'baggage',
      'b3multi',
    ]);
  });

  it('returns an empty list for undefined or blank input', () => {
    expect(parsePropagatorList(undefined)).toEqual([]);
    expect(parsePropagatorList('')).toEqual([]);
    expect(parsePropagatorList(' , ')).toEqual([]);
  });
});
