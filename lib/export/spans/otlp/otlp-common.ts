import type { InstrumentationScope, ReadableSpan, Resource } from '../../../core/types.js';

/**
 * What both OTLP encoders share: grouping spans into ResourceSpans/ScopeSpans, the
 * SpanFlags bits and epoch-nanosecond arithmetic without BigInt.
 */

/** trace.proto `SpanFlags`: the 8 low bits are the W3C trace flags. */
export const SPAN_FLAGS_TRACE_FLAGS_MASK = 0xff;
/** trace.proto `SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK`: whether the parent is remote is known. */
export const SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK = 0x100;
/** trace.proto `SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK`: the parent (or linked) span is remote. */
export const SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK = 0x200;

/**
 * `Span.flags` / `Link.flags`. We always know whether the parent is remote (a root span
 * has no remote parent), so HAS_IS_REMOTE is always set, as the OpenTelemetry SDKs do.
 */
export function otlpSpanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (
    (traceFlags & SPAN_FLAGS_TRACE_FLAGS_MASK) |
    SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK |
    (isRemote === true ? SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK : 0)
  );
}

/** OTLP `SpanKind` is ours plus one (0 is UNSPECIFIED). */
export function otlpSpanKind(kind: number): number {
  return kind >= 0 && kind <= 4 ? kind + 1 : 0;
}

export interface ScopeGroup {
  readonly scope: InstrumentationScope;
  readonly spans: ReadableSpan[];
}

export interface ResourceGroup {
  readonly resource: Resource;
  readonly scopes: ScopeGroup[];
}

/**
 * Spans grouped by resource (identity) then by scope (name and version), groups in
 * order of first appearance and spans in input order. A batch usually holds one
 * resource and a few scopes, so linear scans beat maps here.
 */
export function groupSpans(spans: readonly ReadableSpan[]): ResourceGroup[] {
  const groups: ResourceGroup[] = [];
  let lastResource: Resource | undefined;
  let lastScope: InstrumentationScope | undefined;
  let lastGroup: ScopeGroup | undefined;
  for (const span of spans) {
    const resource = span.resource;
    const scope = span.instrumentationScope;
    if (resource === lastResource && scope === lastScope && lastGroup !== undefined) {
      lastGroup.spans.push(span);
      continue;
    }
    let resourceGroup: ResourceGroup | undefined;
    for (const group of groups) {
      if (group.resource === resource) {
        resourceGroup = group;
        break;
      }
    }
    if (resourceGroup === undefined) {
      resourceGroup = { resource, scopes: [] };
      groups.push(resourceGroup);
    }
    let scopeGroup: ScopeGroup | undefined;
    for (const group of resourceGroup.scopes) {
      if (
        group.scope === scope ||
        (group.scope.name === scope.name && group.scope.version === scope.version)
      ) {
        scopeGroup = group;
        break;
      }
    }
    if (scopeGroup === undefined) {
      scopeGroup = { scope, spans: [] };
      resourceGroup.scopes.push(scopeGroup);
    }
    scopeGroup.spans.push(span);
    lastResource = resource;
    lastScope = scope;
    lastGroup = scopeGroup;
  }
  return groups;
}

const TWO_32 = 4294967296;
/**
 * `performance.timeOrigin` in whole microseconds, as `hrTimeToUnixNanos` (clock.ts)
 * rounds it. Epoch nanoseconds exceed 2^53, so they are assembled here from pieces
 * that are each exact in a double: the same result as clock.ts, without a BigInt (and
 * its allocations) per timestamp.
 */
const ORIGIN_MICROS = Math.round(performance.timeOrigin * 1000);
const ORIGIN_MICROS_HI = Math.floor(ORIGIN_MICROS / TWO_32);
const ORIGIN_MICROS_LO = ORIGIN_MICROS - ORIGIN_MICROS_HI * TWO_32;
const ORIGIN_SECONDS = Math.floor(ORIGIN_MICROS / 1e6);
const ORIGIN_SUBSECOND_NANOS = (ORIGIN_MICROS - ORIGIN_SECONDS * 1e6) * 1000;

/** Epoch nanoseconds of a high-resolution time as [low 32 bits, high 32 bits] in `out`. */
export function unixNanosBits(time: number, out: Uint32Array): void {
  // Integral, but above 2^53 after 104 days of uptime: split it before adding.
  const offset = Math.round(time * 1e6);
  const offsetHi = Math.floor(offset / TWO_32);
  // origin * 1000 = hi * 1000 * 2^32 + lo * 1000, and lo * 1000 < 2^42.
  const low = ORIGIN_MICROS_LO * 1000 + (offset - offsetHi * TWO_32);
  const carry = Math.floor(low / TWO_32);
  out[0] = low - carry * TWO_32;
  out[1] = ORIGIN_MICROS_HI * 1000 + offsetHi + carry;
}

const NANOS_PAD = '000000000';

/** Epoch nanoseconds of a high-resolution time as a decimal string (OTLP/JSON's fixed64). */
export function unixNanosString(time: number): string {
  const offset = Math.round(time * 1e6);
  // `%` is exact on doubles; the quotient is then an integer up to rounding noise.
  const offsetSubsecond = offset % 1e9;
  let seconds = ORIGIN_SECONDS + Math.round((offset - offsetSubsecond) / 1e9);
  let subsecond = ORIGIN_SUBSECOND_NANOS + offsetSubsecond;
  if (subsecond >= 1e9) {
    subsecond -= 1e9;
    seconds += 1;
  } else if (subsecond < 0) {
    subsecond += 1e9;
    seconds -= 1;
  }
  if (seconds <= 0) {
    // Before 1970-01-01T00:00:01Z: never a real span time, but never a wrong number either.
    return (BigInt(ORIGIN_MICROS) * 1000n + BigInt(offset)).toString();
  }
  const digits = String(subsecond);
  return String(seconds) + NANOS_PAD.slice(digits.length) + digits;
}
