import { describe, expect, it } from 'vitest';
import { SimpleSpanProcessor, Tracer } from '../../../lib/export/index.js';
import {
  InMemorySpanExporter,
  SpanStatusCode,
  type ReadableSpan,
  type Span,
} from '../../../lib/index.js';
import { collapseSiblings } from '../../../lib/instrumentation/collapse-siblings.js';
import {
  COLLAPSED_COUNT_ATTRIBUTE,
  COLLAPSED_DESCENDANTS_ATTRIBUTE,
  COLLAPSED_DURATION_ATTRIBUTE,
} from '../../../lib/instrumentation/collapsed-span.js';

const tracer = new Tracer({
  processor: new SimpleSpanProcessor(new InMemorySpanExporter()),
  resource: { attributes: {} },
});

function child(parent: Span, name: string, ms: number, error = false): Span & ReadableSpan {
  const ctx = tracer.createContext(parent, undefined, undefined);
  const span = tracer.startSpan(
    name,
    { startTime: 1000, attributes: { 'code.function.name': name, 'code.function.result': 'x' } },
    ctx,
  ) as Span & ReadableSpan;
  if (error) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end(1000 + ms);
  return span;
}

describe('collapseSiblings', () => {
  it('returns the input itself when no run passes the threshold', () => {
    const root = tracer.startSpan('root');
    const spans = [child(root, 'a', 1), child(root, 'a', 2)];
    expect(collapseSiblings(spans, { threshold: 2, keep: 1 })).toBe(spans);
  });

  it('keeps the slowest and the errored, and sums the rest into one summary span', () => {
    const root = tracer.startSpan('root');
    const run = [1, 2, 3, 4, 5].map((ms) => child(root, 'load', ms));
    const failed = child(root, 'load', 0.5, true);
    const out = collapseSiblings([...run, failed], { threshold: 3, keep: 2 });
    const kept = out.filter((s) => s.attributes[COLLAPSED_COUNT_ATTRIBUTE] === undefined);
    expect(kept.map((s) => s.durationMs).toSorted()).toEqual([0.5, 4, 5]);
    const summary = out.find((s) => s.attributes[COLLAPSED_COUNT_ATTRIBUTE] !== undefined)!;
    expect(summary.name).toBe('load');
    expect(summary.parentSpanId).toBe(root.spanContext().spanId);
    expect(summary.attributes[COLLAPSED_COUNT_ATTRIBUTE]).toBe(3);
    expect(summary.attributes[COLLAPSED_DURATION_ATTRIBUTE]).toBe(6);
    // A per-call value describes one call, not the group.
    expect(summary.attributes['code.function.result']).toBeUndefined();
  });

  it('cuts the descendants of a cut span with it and counts them on the summary', () => {
    const root = tracer.startSpan('root');
    const run = [1, 2, 3].map((ms) => child(root, 'load', ms));
    const grandchild = child(run[0]!, 'query', 1);
    const out = collapseSiblings([...run, grandchild], { threshold: 2, keep: 1 });
    expect(out).not.toContain(grandchild);
    const summary = out.find((s) => s.attributes[COLLAPSED_COUNT_ATTRIBUTE] !== undefined)!;
    expect(summary.attributes[COLLAPSED_DESCENDANTS_ATTRIBUTE]).toBe(1);
  });
});
