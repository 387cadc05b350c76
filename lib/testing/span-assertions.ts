import { AssertionError } from 'node:assert';
import { isDeepStrictEqual } from 'node:util';
import { InMemorySpanExporter } from '../export/spans/in-memory-span-exporter.js';
import type { AttributeValue, ReadableSpan, SpanKind } from '../core/types.js';

/** Where spans are looked for: the in-memory exporter, an array, or a `FinishedTrace`. */
export type SpanSource =
  InMemorySpanExporter | readonly ReadableSpan[] | { readonly spans: readonly ReadableSpan[] };

/**
 * Expected attribute values: equal (arrays deeply), matching a RegExp (strings), or
 * `undefined` for an attribute that must be absent.
 */
export type ExpectedAttributes = Readonly<Record<string, AttributeValue | RegExp | undefined>>;

/** Every given field must hold. */
export interface SpanQuery {
  name?: string | RegExp;
  kind?: SpanKind;
  traceId?: string;
  /** The span's parent id; `null` for a span with no parent. */
  parentSpanId?: string | null;
  attributes?: ExpectedAttributes;
}

/** A span name, a name pattern, a query, or a predicate. */
export type SpanMatch = string | RegExp | SpanQuery | ((span: ReadableSpan) => boolean);

export function spansOf(source: SpanSource): readonly ReadableSpan[] {
  if (source instanceof InMemorySpanExporter) return source.getFinishedSpans();
  if (Array.isArray(source)) return source;
  return (source as { readonly spans: readonly ReadableSpan[] }).spans;
}

function matches(value: string, expected: string | RegExp): boolean {
  if (typeof expected === 'string') return value === expected;
  expected.lastIndex = 0;
  return expected.test(value);
}

/** What is wrong with `span`'s attributes against `expected`, one line per key. */
function attributeMismatches(span: ReadableSpan, expected: ExpectedAttributes): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(expected)) {
    const want = expected[key];
    const has = Object.hasOwn(span.attributes, key);
    const got = span.attributes[key];
    if (want === undefined) {
      if (has) problems.push(`  ${key}: expected absent, got ${show(got)}`);
    } else if (!has) {
      const wanted = want instanceof RegExp ? `a string matching ${String(want)}` : show(want);
      problems.push(`  ${key}: expected ${wanted}, but it is absent`);
    } else if (want instanceof RegExp) {
      if (typeof got !== 'string' || !matches(got, want)) {
        problems.push(`  ${key}: expected a string matching ${String(want)}, got ${show(got)}`);
      }
    } else if (!isDeepStrictEqual(got, want)) {
      problems.push(`  ${key}: expected ${show(want)}, got ${show(got)}`);
    }
  }
  return problems;
}

function show(value: unknown): string {
  return value instanceof RegExp ? String(value) : JSON.stringify(value);
}

export function toPredicate(match: SpanMatch): (span: ReadableSpan) => boolean {
  if (typeof match === 'function') return match;
  if (typeof match === 'string' || match instanceof RegExp) {
    return (span) => matches(span.name, match);
  }
  return (span) =>
    (match.name === undefined || matches(span.name, match.name)) &&
    (match.kind === undefined || span.kind === match.kind) &&
    (match.traceId === undefined || span.traceId === match.traceId) &&
    (match.parentSpanId === undefined || (span.parentSpanId ?? null) === match.parentSpanId) &&
    (match.attributes === undefined || attributeMismatches(span, match.attributes).length === 0);
}

export function describeMatch(match: SpanMatch): string {
  if (typeof match === 'function') return `matching ${match.name || 'the predicate'}`;
  if (typeof match === 'string') return `named ${JSON.stringify(match)}`;
  if (match instanceof RegExp) return `with a name matching ${String(match)}`;
  const parts = Object.entries(match)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) =>
      key === 'attributes'
        ? `attributes ${JSON.stringify(value, (_k, v: unknown) => (v instanceof RegExp ? String(v) : v))}`
        : `${key} ${show(value)}`,
    );
  return parts.length === 0 ? '(any span)' : `with ${parts.join(', ')}`;
}

function listNames(spans: readonly ReadableSpan[]): string {
  if (spans.length === 0) return 'no spans at all';
  const names = spans.slice(0, 25).map((span) => JSON.stringify(span.name));
  const more = spans.length > 25 ? `, and ${spans.length - 25} more` : '';
  return `${spans.length} span${spans.length === 1 ? '' : 's'}: ${names.join(', ')}${more}`;
}

/** Every span that matches, in the source's order. */
export function findSpans(source: SpanSource, match: SpanMatch): ReadableSpan[] {
  return spansOf(source).filter(toPredicate(match));
}

/**
 * The first span (in the source's order: the exporter's is the order spans ended) that
 * matches; throws an AssertionError listing the spans there are when none does.
 */
export function findSpan(source: SpanSource, match: SpanMatch): ReadableSpan {
  const spans = spansOf(source);
  const found = spans.find(toPredicate(match));
  if (found !== undefined) return found;
  throw new AssertionError({
    message: `findSpan: no span ${describeMatch(match)}; there are ${listNames(spans)}`,
    operator: 'findSpan',
  });
}

/** Asserts that `child` is a direct child of `parent`, in the same trace. */
export function expectParent(child: ReadableSpan, parent: ReadableSpan): void {
  if (child.traceId === parent.traceId && child.parentSpanId === parent.spanId) return;
  const why =
    child.traceId !== parent.traceId
      ? `it is in trace ${child.traceId}, the parent in trace ${parent.traceId}`
      : child.parentSpanId === undefined
        ? 'it has no parent'
        : `its parent is span ${child.parentSpanId}`;
  throw new AssertionError({
    message:
      `expectParent: expected span ${JSON.stringify(child.name)} to be a child of ` +
      `${JSON.stringify(parent.name)} (span ${parent.spanId}), but ${why}`,
    actual: child.parentSpanId,
    expected: parent.spanId,
    operator: 'expectParent',
  });
}

/**
 * Asserts that `span` has the expected attributes (others may be there too): equal
 * values, strings matching a RegExp, `undefined` for absent. Lists every mismatch.
 */
export function expectAttributes(span: ReadableSpan, expected: ExpectedAttributes): void {
  const problems = attributeMismatches(span, expected);
  if (problems.length === 0) return;
  throw new AssertionError({
    message: `expectAttributes: span ${JSON.stringify(span.name)} does not have the expected attributes:\n${problems.join('\n')}`,
    // Only the keys asked about, so a diff shows the mismatches rather than every attribute.
    actual: Object.fromEntries(Object.keys(expected).map((key) => [key, span.attributes[key]])),
    expected: Object.fromEntries(
      Object.entries(expected).map(([key, value]) => [
        key,
        value instanceof RegExp ? String(value) : value,
      ]),
    ),
    operator: 'expectAttributes',
  });
}
