import { describe, expect, it } from 'vitest';
import {
  W3CTraceContextPropagator,
  formatTraceparent,
  parseTraceparent,
} from '../../../lib/core/propagation/w3c-trace-context-propagator.js';
import type { PropagationState } from '../../../lib/core/propagation/text-map-propagator.js';
import { TraceState } from '../../../lib/core/trace-state.js';
import { TraceFlags } from '../../../lib/core/types.js';

const TRACE_ID = '12345678901234567890123456789012';
const SPAN_ID = '1234567890123456';
const VALID = `00-${TRACE_ID}-${SPAN_ID}-01`;

function boom(): never {
  throw new Error('boom');
}

function extract(headers: Record<string, string | string[]>): PropagationState {
  return new W3CTraceContextPropagator().extract({}, headers);
}

describe('parseTraceparent', () => {
  it('parses the specification examples', () => {
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    expect(
      parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')?.traceFlags,
    ).toBe(TraceFlags.NONE);
  });

  it('ignores spaces and tabs around the value', () => {
    for (const header of [` ${VALID}`, `\t${VALID}`, `${VALID} `, `${VALID}\t`, `\t ${VALID} \t`]) {
      expect(parseTraceparent(header)?.traceId).toBe(TRACE_ID);
    }
  });

  it('rejects version 00 with anything after the flags', () => {
    expect(parseTraceparent(`${VALID}.`)).toBeUndefined();
    expect(parseTraceparent(`${VALID}-what-the-future-will-be-like`)).toBeUndefined();
  });

  it('accepts a future version, with or without extra dash-separated fields', () => {
    expect(parseTraceparent(`cc-${TRACE_ID}-${SPAN_ID}-01`)?.traceId).toBe(TRACE_ID);
    expect(
      parseTraceparent(`cc-${TRACE_ID}-${SPAN_ID}-01-what-the-future-will-be-like`)?.spanId,
    ).toBe(SPAN_ID);
  });

  it('rejects a future version whose flags are followed by something other than a dash', () => {
    expect(
      parseTraceparent(`cc-${TRACE_ID}-${SPAN_ID}-01.what-the-future-will-be-like`),
    ).toBeUndefined();
  });

  it('rejects version ff', () => {
    expect(parseTraceparent(`ff-${TRACE_ID}-${SPAN_ID}-01`)).toBeUndefined();
  });

  it('rejects versions with illegal characters or the wrong length', () => {
    for (const version of ['.0', '0.', '000', '0000', '0', '0A', 'G0']) {
      expect(parseTraceparent(`${version}-${TRACE_ID}-${SPAN_ID}-01`)).toBeUndefined();
    }
  });

  it('rejects all-zero trace and parent ids', () => {
    expect(parseTraceparent(`00-${'0'.repeat(32)}-${SPAN_ID}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${TRACE_ID}-${'0'.repeat(16)}-01`)).toBeUndefined();
  });

  it('rejects uppercase hex anywhere', () => {
    expect(parseTraceparent(`00-${TRACE_ID.replace('1', 'A')}-${SPAN_ID}-01`)).toBeUndefined();
    expect(
      parseTraceparent('00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'),
    ).toBeUndefined();
    expect(parseTraceparent(`00-${TRACE_ID}-00F067AA0BA902B7-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-0A`)).toBeUndefined();
  });

  it('rejects illegal characters in the trace id, parent id and flags', () => {
    for (const header of [
      `00-.2345678901234567890123456789012-${SPAN_ID}-01`,
      `00-1234567890123456789012345678901.-${SPAN_ID}-01`,
      `00-${TRACE_ID}-.234567890123456-01`,
      `00-${TRACE_ID}-123456789012345.-01`,
      `00-${TRACE_ID}-${SPAN_ID}-.0`,
      `00-${TRACE_ID}-${SPAN_ID}-0.`,
    ]) {
      expect(parseTraceparent(header)).toBeUndefined();
    }
  });

  it('rejects trace ids, parent ids and flags that are too long or too short', () => {
    for (const header of [
      `00-${TRACE_ID}3-${SPAN_ID}-01`,
      `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${SPAN_ID}7-01`,
      `00-${TRACE_ID}-${SPAN_ID.slice(1)}-01`,
      `00-${TRACE_ID}-${SPAN_ID}-001`,
      `00-${TRACE_ID}-${SPAN_ID}-1`,
      '',
    ]) {
      expect(parseTraceparent(header)).toBeUndefined();
    }
  });

  it('rejects two traceparent values joined by a comma', () => {
    expect(parseTraceparent(`${VALID},${VALID}`)).toBeUndefined();
  });

  it('keeps the sampled and random flags and clears the reserved bits', () => {
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-03`)?.traceFlags).toBe(
      TraceFlags.SAMPLED | TraceFlags.RANDOM,
    );
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-02`)?.traceFlags).toBe(TraceFlags.RANDOM);
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-09`)?.traceFlags).toBe(TraceFlags.SAMPLED);
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-ff`)?.traceFlags).toBe(0x03);
    expect(parseTraceparent(`cc-${TRACE_ID}-${SPAN_ID}-fc-x`)?.traceFlags).toBe(0x00);
  });

  it('never throws on non-string input', () => {
    expect(parseTraceparent(undefined as unknown as string)).toBeUndefined();
    expect(parseTraceparent(42 as unknown as string)).toBeUndefined();
  });
});

describe('formatTraceparent', () => {
  it('always writes version 00 and zeroes the reserved flag bits', () => {
    expect(formatTraceparent({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 0xff })).toBe(
      `00-${TRACE_ID}-${SPAN_ID}-03`,
    );
    expect(formatTraceparent({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 0 })).toBe(
      `00-${TRACE_ID}-${SPAN_ID}-00`,
    );
  });

  it('downgrades a future-version header to version 00', () => {
    const ctx = parseTraceparent(`cc-${TRACE_ID}-${SPAN_ID}-01-extra`)!;
    expect(formatTraceparent(ctx)).toBe(VALID);
  });
});

describe('W3CTraceContextPropagator', () => {
  it('lists traceparent and tracestate as its fields', () => {
    expect(new W3CTraceContextPropagator().fields).toEqual(['traceparent', 'tracestate']);
  });

  it('extracts a remote span context with its tracestate', () => {
    const { spanContext } = extract({ traceparent: VALID, tracestate: 'foo=1,bar=2' });
    expect(spanContext?.traceId).toBe(TRACE_ID);
    expect(spanContext?.isRemote).toBe(true);
    expect(spanContext?.traceState?.get('foo')).toBe('1');
    expect(spanContext?.traceState?.serialize()).toBe('foo=1,bar=2');
  });

  it('reads header names in any case', () => {
    for (const name of ['TraceParent', 'TrAcEpArEnT', 'TRACEPARENT']) {
      expect(
        extract({ [name]: VALID, TraceState: 'foo=1' }).spanContext?.traceState?.get('foo'),
      ).toBe('1');
    }
  });

  it('ignores look-alike header names', () => {
    expect(extract({ 'trace-parent': VALID }).spanContext).toBeUndefined();
    expect(extract({ 'trace.parent': VALID }).spanContext).toBeUndefined();
    expect(extract({ traceparent: VALID, 'trace-state': 'foo=1' }).spanContext?.traceState).toBe(
      undefined,
    );
  });

  it('extracts nothing, tracestate included, when traceparent is invalid or missing', () => {
    const state = extract({ traceparent: `00-${'0'.repeat(32)}-${SPAN_ID}-01`, tracestate: 'a=1' });
    expect(state).toEqual({});
    expect(extract({ tracestate: 'foo=1' })).toEqual({});
  });

  it('starts fresh when two traceparent headers arrive', () => {
    expect(extract({ traceparent: [VALID, VALID] }).spanContext).toBeUndefined();
  });

  it('keeps the trace context but drops an invalid tracestate', () => {
    const { spanContext } = extract({ traceparent: VALID, tracestate: '@foo=1,bar=2' });
    expect(spanContext?.traceId).toBe(TRACE_ID);
    expect(spanContext?.traceState).toBeUndefined();
  });

  // Level 2 test suite, test_tracestate_duplicated_keys: inherited, duplicates kept or dropped.
  it.each([
    ['foo=1,foo=1', 'foo=1'],
    ['foo=1,foo=2', 'foo=1'],
    [['foo=1', 'foo=1'], 'foo=1'],
    [['foo=1', 'foo=2'], 'foo=1'],
  ])('carries tracestate %j with a duplicated key on as %j', (tracestate, carried) => {
    const propagator = new W3CTraceContextPropagator();
    const { spanContext } = propagator.extract({}, { traceparent: VALID, tracestate });
    expect(spanContext?.traceId).toBe(TRACE_ID);
    const outgoing: Record<string, string> = {};
    propagator.inject({ spanContext }, outgoing);
    expect(outgoing.tracestate).toBe(carried);
  });

  it.each(['foo@=1,bar=2', 'foo@@bar=1,bar=2', 'foo@bar@baz=1,bar=2', '1foo=1,bar=2'])(
    'carries tracestate %j with a Level 2 key on unchanged',
    (tracestate) => {
      const { spanContext } = extract({ traceparent: VALID, tracestate });
      expect(spanContext?.traceState?.serialize()).toBe(tracestate);
    },
  );

  it('does not attach an empty tracestate', () => {
    expect(extract({ traceparent: VALID, tracestate: '' }).spanContext?.traceState).toBeUndefined();
  });

  it('combines multiple tracestate headers in order', () => {
    const { spanContext } = extract({
      traceparent: VALID,
      tracestate: ['foo=1,bar=2', 'rojo=1,congo=2', 'baz=3'],
    });
    expect(spanContext?.traceState?.serialize()).toBe('foo=1,bar=2,rojo=1,congo=2,baz=3');
  });

  it('discards tracestate with 33 members spread over several headers', () => {
    const fields = [1, 11, 21, 31].map((from) =>
      Array.from({ length: from === 31 ? 3 : 10 }, (_, i) => `bar${from + i}=${from + i}`).join(
        ',',
      ),
    );
    const { spanContext } = extract({ traceparent: VALID, tracestate: fields });
    expect(spanContext?.traceId).toBe(TRACE_ID);
    expect(spanContext?.traceState).toBeUndefined();
  });

  it('injects traceparent and a non-empty tracestate', () => {
    const carrier: Record<string, string> = {};
    const traceState = new TraceState([['congo', 't61rcWkgMzE']]);
    new W3CTraceContextPropagator().inject(
      { spanContext: { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1, traceState } },
      carrier,
    );
    expect(carrier).toEqual({ traceparent: VALID, tracestate: 'congo=t61rcWkgMzE' });
  });

  it('does not inject an empty tracestate', () => {
    const carrier: Record<string, string> = {};
    new W3CTraceContextPropagator().inject(
      {
        spanContext: {
          traceId: TRACE_ID,
          spanId: SPAN_ID,
          traceFlags: 0,
          traceState: new TraceState(),
        },
      },
      carrier,
    );
    expect(carrier).toEqual({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-00` });
  });

  it('injects nothing without a valid span context', () => {
    const carrier: Record<string, string> = {};
    const propagator = new W3CTraceContextPropagator();
    propagator.inject({}, carrier);
    propagator.inject(
      { spanContext: { traceId: '0'.repeat(32), spanId: SPAN_ID, traceFlags: 1 } },
      carrier,
    );
    expect(carrier).toEqual({});
  });

  it('round-trips inject then extract', () => {
    const propagator = new W3CTraceContextPropagator();
    const carrier = new Headers();
    const spanContext = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED | TraceFlags.RANDOM,
      traceState: new TraceState([
        ['rojo', '00f067aa0ba902b7'],
        ['congo', 't61rcWkgMzE'],
      ]),
    };
    propagator.inject({ spanContext }, carrier);
    const back = propagator.extract({}, carrier).spanContext;
    expect(back?.traceId).toBe(spanContext.traceId);
    expect(back?.spanId).toBe(spanContext.spanId);
    expect(back?.traceFlags).toBe(0x03);
    expect(back?.isRemote).toBe(true);
    expect(back?.traceState?.serialize()).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
  });

  it('never throws when the getter or setter does', () => {
    const propagator = new W3CTraceContextPropagator();
    expect(propagator.extract({}, {}, { get: boom, keys: boom })).toEqual({});
    expect(() =>
      propagator.inject(
        { spanContext: { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 } },
        {},
        { set: boom },
      ),
    ).not.toThrow();
  });
});
