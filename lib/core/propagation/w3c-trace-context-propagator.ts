import { isValidSpanId, isValidTraceId } from '../id-generator.js';
import { parseTraceState } from '../trace-state.js';
import type { SpanContext } from '../types.js';
import { defaultGetter, defaultSetter } from './carrier.js';
import type {
  Carrier,
  CarrierGetter,
  CarrierSetter,
  PropagationState,
  TextMapPropagator,
} from './text-map-propagator.js';

export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';

/** `00-` + 32 + `-` + 16 + `-` + 2. */
const TRACEPARENT_LENGTH = 55;
const DASH = 0x2d;
/**
 * Level 2 defines two flags, sampled (0x01) and random-trace-id (0x02); the others
 * are reserved and MUST be set to zero ("Other Flags"); the processing model also reads
 * only the flags this version knows from a higher-version header.
 */
const KNOWN_FLAGS = 0x03;
const FLAGS_HEX = ['00', '01', '02', '03'];

/** Value of a lowercase hex digit, or -1 (uppercase is not HEXDIGLC). */
function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * Parses a traceparent header (W3C Trace Context Level 2). Version 00 must be exactly
 * 55 characters; a higher version is read by its first 55 characters when they are
 * followed by `-` or the end ("Versioning of traceparent"). Returns undefined when invalid.
 */
export function parseTraceparent(header: string): SpanContext | undefined {
  if (typeof header !== 'string') return undefined;
  let s = 0;
  let e = header.length;
  while (s < e && isOws(header.charCodeAt(s))) s++;
  while (e > s && isOws(header.charCodeAt(e - 1))) e--;
  const length = e - s;
  if (length < TRACEPARENT_LENGTH) return undefined;

  const v0 = hexDigit(header.charCodeAt(s));
  const v1 = hexDigit(header.charCodeAt(s + 1));
  if (v0 < 0 || v1 < 0) return undefined;
  const version = v0 * 16 + v1;
  if (version === 0xff) return undefined;
  if (version === 0) {
    if (length !== TRACEPARENT_LENGTH) return undefined;
  } else if (length > TRACEPARENT_LENGTH && header.charCodeAt(s + TRACEPARENT_LENGTH) !== DASH) {
    return undefined;
  }
  if (
    header.charCodeAt(s + 2) !== DASH ||
    header.charCodeAt(s + 35) !== DASH ||
    header.charCodeAt(s + 52) !== DASH
  ) {
    return undefined;
  }
  const f0 = hexDigit(header.charCodeAt(s + 53));
  const f1 = hexDigit(header.charCodeAt(s + 54));
  if (f0 < 0 || f1 < 0) return undefined;

  const traceId = header.slice(s + 3, s + 35);
  const spanId = header.slice(s + 36, s + 52);
  if (!isValidTraceId(traceId) || !isValidSpanId(spanId)) return undefined;
  return { traceId, spanId, traceFlags: (f0 * 16 + f1) & KNOWN_FLAGS, isRemote: true };
}

/** Formats a version-00 traceparent; reserved flag bits are written as zero. */
export function formatTraceparent(ctx: SpanContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${FLAGS_HEX[ctx.traceFlags & KNOWN_FLAGS]}`;
}

/** W3C Trace Context: `traceparent` and `tracestate`. */
export class W3CTraceContextPropagator implements TextMapPropagator {
  readonly fields: readonly string[] = [TRACEPARENT_HEADER, TRACESTATE_HEADER];

  inject(state: PropagationState, carrier: Carrier, setter: CarrierSetter = defaultSetter): void {
    const ctx = state.spanContext;
    if (!ctx || !isValidTraceId(ctx.traceId) || !isValidSpanId(ctx.spanId)) return;
    try {
      setter.set(carrier, TRACEPARENT_HEADER, formatTraceparent(ctx));
      const traceState = ctx.traceState?.serialize();
      // Vendors SHOULD avoid sending an empty tracestate ("tracestate Header Field Values").
      if (traceState) setter.set(carrier, TRACESTATE_HEADER, traceState);
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
      const header = getter.get(carrier, TRACEPARENT_HEADER);
      if (header === undefined) return state;
      const parent = parseTraceparent(header);
      // "Tracestate Header": if traceparent failed to parse, tracestate MUST NOT be parsed.
      if (!parent) return state;
      // The getter joins repeated fields with ',', which is how RFC 9110 combines them.
      const rawState = getter.get(carrier, TRACESTATE_HEADER);
      const traceState = rawState === undefined ? undefined : parseTraceState(rawState);
      state.spanContext =
        traceState === undefined || traceState.size === 0
          ? parent
          : {
              traceId: parent.traceId,
              spanId: parent.spanId,
              traceFlags: parent.traceFlags,
              traceState,
              isRemote: true,
            };
    } catch {
      // A custom getter failed: treat as no context.
    }
    return state;
  }
}
