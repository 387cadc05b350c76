import { RandomIdGenerator } from '../core/id-generator.js';
import { SpanStatusCode, type ReadableSpan } from '../core/types.js';
import type { CollapseRules } from './collapse-rules.js';
import { COLLAPSED_DESCENDANTS_ATTRIBUTE, CollapsedSpan } from './collapsed-span.js';

/** Siblings of one run share a parent, a kind and a function (or, without one, a name). */
function groupKey(span: ReadableSpan): string {
  const fn = span.attributes['code.function.name'];
  return `${span.parentSpanId}\u0000${span.kind}\u0000${typeof fn === 'string' ? fn : span.name}`;
}

/**
 * Cuts each run of more than `threshold` same-named siblings to the slowest `keep` and
 * the errored ones, and adds one summary span for the rest. The descendants of a span
 * cut are cut with it (they would have no parent), and counted on the summary.
 */
export function collapseSiblings(
  spans: readonly ReadableSpan[],
  rules: Pick<CollapseRules, 'threshold' | 'keep'>,
  ids: RandomIdGenerator = new RandomIdGenerator(),
): readonly ReadableSpan[] {
  if (spans.length <= rules.threshold) return spans;
  const groups = new Map<string, ReadableSpan[]>();
  for (const span of spans) {
    if (span.parentSpanId === undefined) continue;
    const key = groupKey(span);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [span]);
    else group.push(span);
  }
  let cut: Set<string> | undefined;
  const summaries: { summary: CollapsedSpan; members: ReadableSpan[] }[] = [];
  for (const group of groups.values()) {
    if (group.length <= rules.threshold) continue;
    const bySlowest = group.toSorted((a, b) => b.durationMs - a.durationMs);
    const members: ReadableSpan[] = [];
    let kept = 0;
    for (const span of bySlowest) {
      if (span.status.code === SpanStatusCode.ERROR) continue;
      if (kept < rules.keep) kept++;
      else members.push(span);
    }
    if (members.length === 0) continue;
    cut ??= new Set();
    for (const span of members) cut.add(span.spanId);
    summaries.push({ summary: new CollapsedSpan(members, ids.generateSpanId()), members });
  }
  if (cut === undefined) return spans;
  // Descendants of a cut span go with it; they are counted on their ancestor's summary.
  const children = new Map<string, ReadableSpan[]>();
  for (const span of spans) {
    if (span.parentSpanId === undefined) continue;
    const list = children.get(span.parentSpanId);
    if (list === undefined) children.set(span.parentSpanId, [span]);
    else list.push(span);
  }
  for (const { summary, members } of summaries) {
    const stack = [...members];
    let descendants = 0;
    while (stack.length > 0) {
      const kids = children.get(stack.pop()!.spanId);
      if (kids === undefined) continue;
      for (const kid of kids) {
        if (cut.has(kid.spanId)) continue;
        cut.add(kid.spanId);
        descendants++;
        stack.push(kid);
      }
    }
    if (descendants > 0) summary.attributes[COLLAPSED_DESCENDANTS_ATTRIBUTE] = descendants;
  }
  const out: ReadableSpan[] = spans.filter((span) => !cut.has(span.spanId));
  for (const { summary } of summaries) out.push(summary);
  return out;
}
