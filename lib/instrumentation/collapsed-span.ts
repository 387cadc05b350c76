import { hrTimeToUnixNanos } from '../core/clock.js';
import {
  SpanStatusCode,
  type Attributes,
  type InstrumentationScope,
  type Link,
  type ReadableSpan,
  type Resource,
  type SpanContext,
  type SpanEvent,
  type SpanKind,
  type SpanStatus,
  type TraceStateLike,
} from '../core/types.js';

export const COLLAPSED_COUNT_ATTRIBUTE = 'nestjs.collapsed.count';
export const COLLAPSED_DURATION_ATTRIBUTE = 'nestjs.collapsed.duration_ms';
export const COLLAPSED_DESCENDANTS_ATTRIBUTE = 'nestjs.collapsed.descendants';

/** Per-call values that describe one call, not the group a summary stands for. */
const PER_CALL_ATTRIBUTES = new Set(['code.function.arguments', 'code.function.result']);

const NO_EVENTS: readonly SpanEvent[] = Object.freeze([]);
const NO_LINKS: readonly Link[] = Object.freeze([]);
const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });

/** The one span that stands for the siblings cut from a run. */
export class CollapsedSpan implements ReadableSpan {
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
