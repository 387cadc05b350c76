import type { Span } from '../core/types.js';

// Spans of outgoing HTTP calls that a higher-level client (TracedHttpService, instrumentAxios)
// already traces: the node:http integration sees the same call one level down and must not
// open a second span for it.
const traced = new WeakSet<Span>();

/** Marks `span` as the CLIENT span of a call whose lower-level request must not be traced again. */
export function markClientSpan(span: Span): void {
  traced.add(span);
}

/** True when `span` is such a CLIENT span: the call under it is already traced. */
export function isClientSpan(span: Span | undefined): boolean {
  return span !== undefined && traced.has(span);
}
