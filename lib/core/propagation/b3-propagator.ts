import { isValidSpanId, isValidTraceId } from '../id-generator.js';
import { TraceState, isB3Debug } from '../trace-state.js';
import { TraceFlags, type SpanContext } from '../types.js';
import { defaultGetter, defaultSetter } from './carrier.js';
import type {
  Carrier,
  CarrierGetter,
  CarrierSetter,
  PropagationState,
  TextMapPropagator,
} from './text-map-propagator.js';

// Lowercase: HTTP does not care, and gRPC metadata and Kafka keys are case-sensitive
// (the B3 README asks for lowercase there).
export const B3_HEADER = 'b3';
export const B3_TRACE_ID_HEADER = 'x-b3-traceid';
export const B3_SPAN_ID_HEADER = 'x-b3-spanid';
export const B3_SAMPLED_HEADER = 'x-b3-sampled';
export const B3_FLAGS_HEADER = 'x-b3-flags';
export const B3_PARENT_SPAN_ID_HEADER = 'x-b3-parentspanid';

export type B3InjectEncoding = 'single' | 'multi';

export interface B3PropagatorOptions {
  /** Which B3 encoding `inject` writes. Default `single`. Extract reads both. */
  injectEncoding?: B3InjectEncoding;
}

const PAD_64_BIT = '0000000000000000';

/** B3 trace ids are 16 or 32 lower-hex; 64-bit ones are left-padded to 128 bits. */
function toTraceId(id: string): string | undefined {
  const full = id.length === 16 ? PAD_64_BIT + id : id;
  return isValidTraceId(full) ? full : undefined;
}

/** The first value of a possibly repeated header (B3: "the first value wins"), trimmed. */
function first(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const comma = value.indexOf(',');
  const v = (comma === -1 ? value : value.slice(0, comma)).trim();
  return v === '' ? undefined : v;
}

/** Sampling state as B3 encodes it: deny, accept, or debug (an emphasized accept). */
type Sampling = 'deny' | 'accept' | 'debug';

/** An empty tracestate that only marks the B3 debug decision. */
const DEBUG_ONLY = new TraceState().withB3Debug();

function context(traceId: string, spanId: string, sampling: Sampling): SpanContext {
  const sampled = sampling !== 'deny';
  const ctx: SpanContext = {
    traceId,
    spanId,
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  };
  return sampling === 'debug' ? { ...ctx, traceState: DEBUG_ONLY } : ctx;
}

/**
 * `winner`, with the B3 debug decision of `other` when both name the same remote span:
 * a composite keeps the first format's context (its tracestate) and still honours a
 * debug request that only B3 can express.
 */
export function withB3DebugOf(winner: SpanContext, other: SpanContext | undefined): SpanContext {
  if (
    other === undefined ||
    other.traceId !== winner.traceId ||
    other.spanId !== winner.spanId ||
    !isB3Debug(other.traceState) ||
    isB3Debug(winner.traceState)
  ) {
    return winner;
  }
  const own = winner.traceState;
  if (own !== undefined && !(own instanceof TraceState)) return winner;
  return { ...winner, traceState: own === undefined ? DEBUG_ONLY : own.withB3Debug() };
}

/**
 * `b3: {TraceId}-{SpanId}-{SamplingState}-{ParentSpanId}`, the last two optional.
 * A lone sampling state (`b3: 0`) is valid but carries no trace to continue.
 */
function parseSingle(value: string): SpanContext | undefined {
  const parts = value.split('-');
  if (parts.length < 2 || parts.length > 4) return undefined;
  const traceId = toTraceId(parts[0]!);
  const spanId = parts[1]!;
  if (traceId === undefined || !isValidSpanId(spanId)) return undefined;
  let sampling: Sampling = 'deny'; // absent = defer; nothing recorded upstream yet
  if (parts.length >= 3) {
    const state = parts[2];
    if (state === '1') sampling = 'accept';
    else if (state === 'd') sampling = 'debug';
    else if (state !== '0') return undefined;
  }
  if (parts.length === 4 && !isValidSpanId(parts[3]!)) return undefined;
  return context(traceId, spanId, sampling);
}

function parseMulti(carrier: Carrier, getter: CarrierGetter): SpanContext | undefined {
  const rawTraceId = first(getter.get(carrier, B3_TRACE_ID_HEADER));
  const spanId = first(getter.get(carrier, B3_SPAN_ID_HEADER));
  if (rawTraceId === undefined || spanId === undefined) return undefined;
  const traceId = toTraceId(rawTraceId);
  if (traceId === undefined || !isValidSpanId(spanId)) return undefined;
  const parent = first(getter.get(carrier, B3_PARENT_SPAN_ID_HEADER));
  if (parent !== undefined && !isValidSpanId(parent)) return undefined;
  // Debug (`X-B3-Flags: 1`) implies accept; any other flags value is ignored. `true`/`false`
  // predate the spec; the README lets lenient readers take them. Any other value means the
  // decision was deferred.
  if (first(getter.get(carrier, B3_FLAGS_HEADER)) === '1') {
    return context(traceId, spanId, 'debug');
  }
  const s = first(getter.get(carrier, B3_SAMPLED_HEADER));
  return context(traceId, spanId, s === '1' || s === 'true' ? 'accept' : 'deny');
}

/** Zipkin B3, single and multi header (github.com/openzipkin/b3-propagation). */
export class B3Propagator implements TextMapPropagator {
  readonly fields: readonly string[] = [
    B3_HEADER,
    B3_TRACE_ID_HEADER,
    B3_SPAN_ID_HEADER,
    B3_SAMPLED_HEADER,
    B3_FLAGS_HEADER,
    B3_PARENT_SPAN_ID_HEADER,
  ];
  private readonly encoding: B3InjectEncoding;

  constructor(options: B3PropagatorOptions = {}) {
    this.encoding = options.injectEncoding === 'multi' ? 'multi' : 'single';
  }

  inject(state: PropagationState, carrier: Carrier, setter: CarrierSetter = defaultSetter): void {
    const ctx = state.spanContext;
    if (!ctx || !isValidTraceId(ctx.traceId) || !isValidSpanId(ctx.spanId)) return;
    // Debug is an emphasized accept: a context our sampler dropped goes out as a deny.
    const sampled = (ctx.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
    const debug = sampled && isB3Debug(ctx.traceState);
    try {
      if (this.encoding === 'single') {
        let sampling = sampled ? '1' : '0';
        if (debug) sampling = 'd';
        setter.set(carrier, B3_HEADER, `${ctx.traceId}-${ctx.spanId}-${sampling}`);
      } else {
        setter.set(carrier, B3_TRACE_ID_HEADER, ctx.traceId);
        setter.set(carrier, B3_SPAN_ID_HEADER, ctx.spanId);
        // "Debug implies an accept decision, so don't also send the X-B3-Sampled header."
        if (debug) setter.set(carrier, B3_FLAGS_HEADER, '1');
        else setter.set(carrier, B3_SAMPLED_HEADER, sampled ? '1' : '0');
      }
    } catch {
      // A custom setter failed: tracing never breaks the app.
    }
  }

  extract(
    state: PropagationState,
    carrier: Carrier,
    getter: CarrierGetter = defaultGetter,
  ): PropagationState {
    try {
      // The single header takes precedence over the multi ones whenever it is present.
      const single = first(getter.get(carrier, B3_HEADER));
      const ctx = single !== undefined ? parseSingle(single) : parseMulti(carrier, getter);
      if (ctx) state.spanContext = ctx;
    } catch {
      // A custom getter failed: treat as no context.
    }
    return state;
  }
}
