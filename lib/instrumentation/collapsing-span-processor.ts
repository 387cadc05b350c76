import { hrTimeToUnixNanos } from '../core/clock.js';
import { RandomIdGenerator } from '../core/id-generator.js';
import type { SpanProcessor } from '../core/span-processor.js';
import {
  SpanStatusCode,
  TraceFlags,
  type Attributes,
  type InstrumentationScope,
  type Link,
  type ReadableSpan,
  type Resource,
  type Span,
  type SpanContext,
  type SpanEvent,
  type SpanKind,
  type SpanStatus,
  type TraceStateLike,
} from '../core/types.js';

/** The rules after defaults; `threshold: Infinity` turns collapsing off. */
export interface CollapseRules {
  readonly threshold: number;
  readonly keep: number;
  readonly keepOnlyRoot: ((root: ReadableSpan) => boolean) | undefined;
  readonly maxSpansPerTrace: number;
  readonly maxHeldSpans: number;
  readonly maxHoldMs: number;
}

export const COLLAPSED_COUNT_ATTRIBUTE = 'nestjs.collapsed.count';
export const COLLAPSED_DURATION_ATTRIBUTE = 'nestjs.collapsed.duration_ms';
export const COLLAPSED_DESCENDANTS_ATTRIBUTE = 'nestjs.collapsed.descendants';

/** Per-call values that describe one call, not the group a summary stands for. */
const PER_CALL_ATTRIBUTES = new Set(['code.function.arguments', 'code.function.result']);

/** Where a CollapsingSpanProcessor reads its rules: undefined while collapsing is off. */
export interface CollapseRulesSource {
  readonly rules: CollapseRules | undefined;
}

/** The spans of one local request (a root span and its local descendants). */
class TraceBuffer {
  held: ReadableSpan[] = [];
  released = false;
  constructor(
    readonly root: ReadableSpan,
    readonly createdAt: number,
  ) {}
}

/**
 * Stands before the export chain (`downstream`) and holds each request's spans until
 * its root span ends, then hands on what is worth keeping: runs of more than
 * `threshold` sibling spans with one name are cut to the slowest `keep` and the errored
 * ones, plus one summary span with their count and summed duration; a root matching
 * `keepOnlyRoot` is exported alone.
 *
 * Spans it does not hold (unsampled, outside a request, or while collapsing is off) go
 * straight on. Spans are never changed. Memory is bounded per request, in total and in
 * time; a request past a bound is handed on as it is, and `forceFlush` / `shutdown`
 * hand on everything held before flushing downstream.
 */
export class CollapsingSpanProcessor implements SpanProcessor {
  private readonly bySpanId = new Map<string, TraceBuffer>();
  // Insertion order is age order: the sweep and the total bound release the oldest first.
  private readonly buffers = new Set<TraceBuffer>();
  private heldCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly ids = new RandomIdGenerator();

  /** `source.rules` is read as spans start: rules set later apply from then on. */
  constructor(
    private readonly downstream: SpanProcessor,
    private readonly source: CollapseRulesSource,
  ) {}

  onStart(span: Span & ReadableSpan): void {
    if (this.source.rules !== undefined && !this.stopped) this.track(span);
    this.downstream.onStart?.(span);
  }

  onEnd(span: ReadableSpan): void {
    if (this.bySpanId.size !== 0 && this.hold(span)) return;
    this.downstream.onEnd(span);
  }

  forceFlush(): Promise<void> {
    // Deleting the entry being visited is safe while iterating a Set.
    for (const buffer of this.buffers) this.release(buffer, false);
    return this.downstream.forceFlush();
  }

  shutdown(): Promise<void> {
    // Handed on before the export chain is shut down.
    for (const buffer of this.buffers) this.release(buffer, false);
    this.stopped = true;
    this.stopSweep();
    return this.downstream.shutdown();
  }

  /** Spans held right now (for tests and self-telemetry). */
  get held(): number {
    return this.heldCount;
  }

  private track(span: Span & ReadableSpan): void {
    if ((span.traceFlags & TraceFlags.SAMPLED) === 0) return;
    const parentId = span.parentSpanId;
    if (parentId === undefined || span.parentIsRemote) {
      const buffer = new TraceBuffer(span, performance.now());
      this.bySpanId.set(span.spanId, buffer);
      this.buffers.add(buffer);
      this.startSweep();
      return;
    }
    const buffer = this.bySpanId.get(parentId);
    if (buffer !== undefined && !buffer.released) this.bySpanId.set(span.spanId, buffer);
  }

  /** True when the span is held; otherwise it goes on, after what its end released. */
  private hold(span: ReadableSpan): boolean {
    const buffer = this.bySpanId.get(span.spanId);
    if (buffer === undefined) return false;
    this.bySpanId.delete(span.spanId);
    if (buffer.released) return false;
    if (span === buffer.root) {
      this.release(buffer, true);
      return false;
    }
    const rules = this.source.rules!;
    if (buffer.held.length >= rules.maxSpansPerTrace) {
      // Past the bound the request is exported as it is, this span with it.
      this.release(buffer, false);
      return false;
    }
    buffer.held.push(span);
    if (++this.heldCount > rules.maxHeldSpans) this.releaseOldest();
    return true;
  }

  private release(buffer: TraceBuffer, rootEnded: boolean): void {
    buffer.released = true;
    this.buffers.delete(buffer);
    const held = buffer.held;
    buffer.held = [];
    this.heldCount -= held.length;
    if (held.length === 0) return;
    const rules = this.source.rules!;
    if (rootEnded && rules.keepOnlyRoot !== undefined && safeTest(rules.keepOnlyRoot, buffer.root))
      return;
    for (const span of collapseSiblings(held, rules, this.ids)) {
      try {
        this.downstream.onEnd(span);
      } catch {
        // A processor's onEnd must not throw; one that does must not cost the other spans.
      }
    }
  }

  private releaseOldest(): void {
    const rules = this.source.rules!;
    for (const buffer of this.buffers) {
      if (this.heldCount <= rules.maxHeldSpans) return;
      this.release(buffer, false);
    }
  }

  private startSweep(): void {
    if (this.timer !== undefined) return;
    const every = Math.max(10, Math.min(1000, this.source.rules!.maxHoldMs));
    this.timer = setInterval(() => this.sweep(), every);
    this.timer.unref();
  }

  private stopSweep(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private sweep(): void {
    // The timer outlives single requests (arming one per request costs more than the
    // request's spans); it stops when a sweep finds nothing held.
    if (this.buffers.size === 0) {
      this.stopSweep();
      return;
    }
    const limit = performance.now() - this.source.rules!.maxHoldMs;
    for (const buffer of this.buffers) {
      if (buffer.createdAt > limit) return;
      this.release(buffer, false);
    }
  }
}

function safeTest(fn: (root: ReadableSpan) => boolean, root: ReadableSpan): boolean {
  try {
    return fn(root) === true;
  } catch {
    return false;
  }
}

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

const NO_EVENTS: readonly SpanEvent[] = Object.freeze([]);
const NO_LINKS: readonly Link[] = Object.freeze([]);
const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });

/** The one span that stands for the siblings cut from a run. */
class CollapsedSpan implements ReadableSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly traceId: string;
  readonly parentSpanId: string | undefined;
  readonly parentIsRemote = false;
  readonly traceFlags: number;
  readonly traceState: TraceStateLike | undefined;
  readonly startTime: number;
  readonly endTime: number;
  readonly attributes: Attributes = {};
  readonly events = NO_EVENTS;
  readonly links = NO_LINKS;
  readonly status = UNSET;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly ended = true;

  constructor(
    members: readonly ReadableSpan[],
    readonly spanId: string,
  ) {
    const first = members[0]!;
    this.name = first.name;
    this.kind = first.kind;
    this.traceId = first.traceId;
    this.parentSpanId = first.parentSpanId;
    this.traceFlags = first.traceFlags;
    this.traceState = first.traceState;
    this.resource = first.resource;
    this.instrumentationScope = first.instrumentationScope;
    let start = Infinity;
    let end = -Infinity;
    let total = 0;
    for (const span of members) {
      if (span.startTime < start) start = span.startTime;
      if (span.endTime > end) end = span.endTime;
      total += span.durationMs;
    }
    this.startTime = start;
    this.endTime = end;
    for (const key of Object.keys(first.attributes)) {
      if (!PER_CALL_ATTRIBUTES.has(key)) this.attributes[key] = first.attributes[key]!;
    }
    this.attributes[COLLAPSED_COUNT_ATTRIBUTE] = members.length;
    this.attributes[COLLAPSED_DURATION_ATTRIBUTE] = Math.round(total * 1000) / 1000;
  }

  get durationMs(): number {
    return this.endTime - this.startTime;
  }

  get startTimeUnixNano(): bigint {
    return hrTimeToUnixNanos(this.startTime);
  }

  get endTimeUnixNano(): bigint {
    return hrTimeToUnixNanos(this.endTime);
  }

  spanContext(): SpanContext {
    return {
      traceId: this.traceId,
      spanId: this.spanId,
      traceFlags: this.traceFlags,
      traceState: this.traceState,
      isRemote: false,
    };
  }
}
