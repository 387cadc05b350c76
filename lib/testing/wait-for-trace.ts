import type { InMemorySpanExporter } from '../export/spans/in-memory-span-exporter.js';
import type { ReadableSpan } from '../core/types.js';
import { describeMatch, toPredicate, type SpanMatch } from './span-assertions.js';

/** A trace whose spans have all arrived: a root, and the parent of every other span. */
export interface FinishedTrace {
  readonly traceId: string;
  /** The span with no parent (or a parent in another process). */
  readonly root: ReadableSpan;
  /** Every span of the trace, by start time. */
  readonly spans: readonly ReadableSpan[];
}

export interface WaitForTraceOptions {
  /** This trace, e.g. the `x-correlation-id` a response echoed when no id was sent. */
  traceId?: string;
  /** A trace with a span like this (a name, pattern, query or predicate). */
  span?: SpanMatch;
  /** At least this many spans, for work that ends after the root (fire-and-forget). @default 1 */
  minSpans?: number;
  /** @default 2000 */
  timeoutMs?: number;
}

const POLL_MS = 5;

interface Candidate {
  readonly traceId: string;
  readonly spans: ReadableSpan[];
}

/** The root when the trace is finished, else what it still waits for. */
function check(spans: readonly ReadableSpan[], minSpans: number): ReadableSpan | string {
  const ids = new Set(spans.map((span) => span.spanId));
  let root: ReadableSpan | undefined;
  for (const span of spans) {
    const parent = span.parentSpanId;
    if (parent === undefined || (span.parentIsRemote && !ids.has(parent))) {
      root ??= span;
    } else if (!ids.has(parent)) {
      return `the parent of ${JSON.stringify(span.name)}`;
    }
  }
  if (root === undefined) return 'a root span';
  if (spans.length < minSpans) return `${minSpans} spans (has ${spans.length})`;
  return root;
}

function tracesIn(spans: readonly ReadableSpan[]): Candidate[] {
  const byTrace = new Map<string, ReadableSpan[]>();
  for (const span of spans) {
    const list = byTrace.get(span.traceId);
    if (list === undefined) byTrace.set(span.traceId, [span]);
    else list.push(span);
  }
  return [...byTrace].map(([traceId, list]) => ({ traceId, spans: list }));
}

/**
 * Resolves once a trace in the exporter is finished: it has a root, every other span's
 * parent has arrived, and it matches `options`. With no `traceId` or `span`, the first
 * finished trace (so: the one request a test just sent). Rejects after `timeoutMs`,
 * saying what each candidate trace still lacks.
 */
export function waitForTrace(
  exporter: InMemorySpanExporter,
  options: WaitForTraceOptions = {},
): Promise<FinishedTrace> {
  const { traceId, span, minSpans = 1, timeoutMs = 2000 } = options;
  const wanted = span === undefined ? undefined : toPredicate(span);
  const deadline = Date.now() + timeoutMs;
  let lacks: string[] = [];

  const attempt = (): FinishedTrace | undefined => {
    lacks = [];
    for (const candidate of tracesIn(exporter.getFinishedSpans())) {
      if (traceId !== undefined && candidate.traceId !== traceId) continue;
      if (wanted !== undefined && !candidate.spans.some(wanted)) continue;
      const result = check(candidate.spans, minSpans);
      if (typeof result === 'string') {
        lacks.push(`${candidate.traceId} (${candidate.spans.length} spans) waits for ${result}`);
        continue;
      }
      const spans = candidate.spans.toSorted((a, b) => a.startTime - b.startTime);
      return { traceId: candidate.traceId, root: result, spans };
    }
    return undefined;
  };

  return new Promise<FinishedTrace>((resolve, reject) => {
    const poll = (): void => {
      const found = attempt();
      if (found !== undefined) return resolve(found);
      if (Date.now() >= deadline) {
        const what = [
          traceId === undefined ? undefined : `trace id ${traceId}`,
          span === undefined ? undefined : `a span ${describeMatch(span)}`,
        ].filter(Boolean);
        return reject(
          new Error(
            `waitForTrace: no finished trace${what.length > 0 ? ` with ${what.join(' and ')}` : ''} ` +
              `within ${timeoutMs} ms; ` +
              (lacks.length > 0 ? `unfinished: ${lacks.join('; ')}` : 'no matching spans arrived'),
          ),
        );
      }
      // A forgotten wait must not keep the test process alive.
      setTimeout(poll, POLL_MS).unref();
    };
    poll();
  });
}
