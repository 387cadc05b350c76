import { SpanStatusCode, type ReadableSpan } from '../core/types.js';
import type { DevtoolsRepeatedQuery } from './interfaces/devtools-api.interface.js';

/** Children running the same query shape this many times mark their parent (the N+1 loop). */
export const REPEATED_QUERY_THRESHOLD = 5;

// A span that stands for collapsed siblings (the instrumentation's sibling collapse, maybe
// in another process) counts as the calls it stands for. Read by name: devtools may not
// import another feature.
const COLLAPSED_COUNT = 'nestjs.collapsed.count';
const COLLAPSED_DURATION_MS = 'nestjs.collapsed.duration_ms';

function text(span: ReadableSpan, key: string): string | undefined {
  const value = span.attributes[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The query shapes that `children` (one span's direct children) repeat at least `threshold`
 * times, most repeated first: a database call's shape is its `db.system.name` and
 * `db.query.text` (sanitized: literals are `?`, so the loop's calls share it), else its
 * `db.query.summary`, else its span name. Undefined when none repeats that often.
 */
export function repeatedQueries(
  children: readonly ReadableSpan[],
  durationMs: (span: ReadableSpan) => number,
  threshold = REPEATED_QUERY_THRESHOLD,
): DevtoolsRepeatedQuery[] | undefined {
  // No early return on fewer children: a collapsed child stands for many calls.
  let groups: Map<string, DevtoolsRepeatedQuery> | undefined;
  for (const child of children) {
    const system = text(child, 'db.system.name');
    if (system === undefined) continue;
    const query = text(child, 'db.query.text') ?? text(child, 'db.query.summary') ?? child.name;
    const key = `${system}\u0000${query}`;
    groups ??= new Map();
    let group = groups.get(key);
    if (group === undefined) {
      group = { system, query, name: child.name, count: 0, totalMs: 0, errors: 0 };
      groups.set(key, group);
    }
    const collapsed = child.attributes[COLLAPSED_COUNT];
    const collapsedMs = child.attributes[COLLAPSED_DURATION_MS];
    if (typeof collapsed === 'number' && collapsed > 0) {
      group.count += collapsed;
      group.totalMs += typeof collapsedMs === 'number' ? collapsedMs : durationMs(child);
    } else {
      group.count++;
      group.totalMs += durationMs(child);
    }
    if (child.status.code === SpanStatusCode.ERROR) group.errors++;
  }
  if (groups === undefined) return undefined;
  const repeated = [...groups.values()]
    .filter((group) => group.count >= threshold)
    .map((group) => ({ ...group, totalMs: Math.round(group.totalMs * 1000) / 1000 }))
    .toSorted((a, b) => b.count - a.count || b.totalMs - a.totalMs);
  return repeated.length > 0 ? repeated : undefined;
}
