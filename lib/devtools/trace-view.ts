import { spanToJson } from '../export/spans/console-format.js';
import { SpanStatusCode, type ReadableSpan } from '../core/types.js';
import type { HttpRequestRecord } from '../http/interfaces/http-request-record.interface.js';
import { CORRELATION_ID_ATTRIBUTE } from '../server/http-request.js';
import type {
  DevtoolsSpan,
  DevtoolsTrace,
  DevtoolsTraceSummary,
} from './interfaces/devtools-api.interface.js';
import { repeatedQueries } from './repeated-queries.js';

/**
 * Pure views of a stored trace for the JSON API: the list summary and the waterfall.
 * Computed when the page asks, never on the request path. Times come from the epoch
 * nanoseconds, because spans received from other processes have their own clocks'
 * high-resolution origins.
 */

export function serviceOf(span: ReadableSpan): string {
  const name = span.resource.attributes['service.name'];
  return typeof name === 'string' ? name : 'unknown_service';
}

/** How good a root a span is: a real root beats one continued from elsewhere, which beats an orphan. */
function rootRank(span: ReadableSpan, ids: ReadonlySet<string>): number {
  const parent = span.parentSpanId;
  if (parent === undefined) return 0;
  if (ids.has(parent)) return -1;
  return span.parentIsRemote ? 1 : 2;
}

function nanos(span: ReadableSpan): { start: bigint; end: bigint } {
  return { start: span.startTimeUnixNano, end: span.endTimeUnixNano };
}

function stringAttribute(span: ReadableSpan, key: string): string | undefined {
  const value = span.attributes[key];
  return typeof value === 'string' ? value : undefined;
}

function toMs(ns: bigint): number {
  return Math.round(Number(ns) / 1000) / 1000;
}

export function summarizeTrace(
  traceId: string,
  spans: readonly ReadableSpan[],
  droppedSpans: number,
): DevtoolsTraceSummary {
  const ids = new Set<string>();
  for (const span of spans) ids.add(span.spanId);
  const services: string[] = [];
  let start: bigint | undefined;
  let end: bigint | undefined;
  let errorCount = 0;
  let root: ReadableSpan | undefined;
  let rootBest = Infinity;
  let rootStart = 0n;
  let correlationId: string | undefined;
  for (const span of spans) {
    const t = nanos(span);
    if (start === undefined || t.start < start) start = t.start;
    if (end === undefined || t.end > end) end = t.end;
    const service = serviceOf(span);
    if (!services.includes(service)) services.push(service);
    if (span.status.code === SpanStatusCode.ERROR) errorCount++;
    correlationId ??= stringAttribute(span, CORRELATION_ID_ATTRIBUTE);
    const rank = rootRank(span, ids);
    if (rank < 0) continue;
    if (rank < rootBest || (rank === rootBest && t.start < rootStart)) {
      root = span;
      rootBest = rank;
      rootStart = t.start;
    }
  }
  const first = root ?? spans[0];
  const startNs = start ?? 0n;
  const summary: DevtoolsTraceSummary = {
    traceId,
    rootName: first?.name ?? '',
    service: first ? serviceOf(first) : 'unknown_service',
    services,
    startTime: new Date(Number(startNs / 1_000_000n)).toISOString(),
    startTimeUnixNano: startNs.toString(),
    durationMs: toMs((end ?? startNs) - startNs),
    status: errorCount > 0 ? 'error' : 'ok',
    errorCount,
    spanCount: spans.length,
    droppedSpans,
    complete: rootBest <= 1,
  };
  if (first !== undefined) {
    const route = stringAttribute(first, 'http.route') ?? stringAttribute(first, 'url.path');
    if (route !== undefined) summary.route = route;
    const method = stringAttribute(first, 'http.request.method');
    if (method !== undefined) summary.method = method;
    const status = first.attributes['http.response.status_code'];
    if (typeof status === 'number') summary.statusCode = status;
    correlationId = stringAttribute(first, CORRELATION_ID_ATTRIBUTE) ?? correlationId;
  }
  if (correlationId !== undefined) summary.correlationId = correlationId;
  return summary;
}

/** Milliseconds covered by the union of `intervals`, each clipped to [from, to]. */
function coveredMs(intervals: [number, number][], from: number, to: number): number {
  const clipped = intervals
    .map(([a, b]): [number, number] => [Math.max(a, from), Math.min(b, to)])
    .filter(([a, b]) => b > a)
    .toSorted((x, y) => x[0] - y[0]);
  let covered = 0;
  let runStart = -Infinity;
  let runEnd = -Infinity;
  for (const [a, b] of clipped) {
    if (a > runEnd) {
      if (runEnd > runStart) covered += runEnd - runStart;
      runStart = a;
      runEnd = b;
    } else if (b > runEnd) {
      runEnd = b;
    }
  }
  if (runEnd > runStart) covered += runEnd - runStart;
  return covered;
}

/**
 * The waterfall: spans depth-first from the roots (spans whose parent is not in the
 * trace), siblings by start time, each with its offset, depth and self time, and the query
 * shapes its children repeat (N+1).
 */
export function buildTraceView(
  traceId: string,
  spans: readonly ReadableSpan[],
  droppedSpans: number,
  recordFor: (span: ReadableSpan) => HttpRequestRecord | undefined = () => undefined,
): DevtoolsTrace {
  const summary = summarizeTrace(traceId, spans, droppedSpans);
  const origin = BigInt(summary.startTimeUnixNano);
  const ids = new Set<string>();
  for (const span of spans) ids.add(span.spanId);
  const times = new Map<ReadableSpan, [number, number]>();
  for (const span of spans) {
    const t = nanos(span);
    times.set(span, [Number(t.start - origin) / 1e6, Number(t.end - origin) / 1e6]);
  }
  const byStart = (a: ReadableSpan, b: ReadableSpan): number => times.get(a)![0] - times.get(b)![0];
  const durationOf = (span: ReadableSpan): number => {
    const [from, to] = times.get(span)!;
    return to - from;
  };
  const children = new Map<string, ReadableSpan[]>();
  const roots: ReadableSpan[] = [];
  for (const span of spans) {
    const parent = span.parentSpanId;
    if (parent === undefined || parent === span.spanId || !ids.has(parent)) {
      roots.push(span);
      continue;
    }
    const siblings = children.get(parent);
    if (siblings === undefined) children.set(parent, [span]);
    else siblings.push(span);
  }
  roots.sort((a, b) => rootRank(a, ids) - rootRank(b, ids) || byStart(a, b));
  for (const siblings of children.values()) siblings.sort(byStart);

  const out: DevtoolsSpan[] = [];
  const visited = new Set<string>();
  // Iterative, so a deep trace cannot overflow the stack; `visited` stops parent cycles.
  const walk = (root: ReadableSpan): void => {
    const stack: { span: ReadableSpan; depth: number }[] = [{ span: root, depth: 0 }];
    while (stack.length > 0) {
      const { span, depth } = stack.pop()!;
      if (visited.has(span.spanId)) continue;
      visited.add(span.spanId);
      const [from, to] = times.get(span)!;
      const kids = children.get(span.spanId) ?? [];
      const self = Math.max(
        0,
        to -
          from -
          coveredMs(
            kids.map((kid) => times.get(kid)!),
            from,
            to,
          ),
      );
      const view: DevtoolsSpan = {
        ...spanToJson(span),
        service: serviceOf(span),
        depth,
        offsetMs: Math.round(from * 1000) / 1000,
        selfTimeMs: Math.round(self * 1000) / 1000,
      };
      const record = recordFor(span);
      if (record !== undefined) view.record = record;
      const repeated = repeatedQueries(kids, durationOf);
      if (repeated !== undefined) view.repeatedQueries = repeated;
      out.push(view);
      for (let i = kids.length - 1; i >= 0; i--) stack.push({ span: kids[i]!, depth: depth + 1 });
    }
  };
  for (const root of roots) walk(root);
  // Spans caught in a parent cycle are reachable from no root; show them anyway.
  for (const span of spans.toSorted(byStart)) if (!visited.has(span.spanId)) walk(span);
  return { summary, spans: out };
}
