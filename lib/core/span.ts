import { limitAttributes, sanitizeAttributeValue, setOwn } from './attributes.js';
import { hrTimeToUnixNanos, now, toHrTime } from './clock.js';
import type { SpanProcessor } from './span-processor.js';
import {
  SpanStatusCode,
  type AttributeValue,
  type Attributes,
  type AttributesInput,
  type InstrumentationScope,
  type Link,
  type ReadableSpan,
  type Resource,
  type Span,
  type SpanContext,
  type SpanEvent,
  type SpanKind,
  type SpanLimits,
  type SpanStatus,
  type TimeInput,
  type TraceStateLike,
} from './types.js';

/** What every span of one tracer shares; one pointer per span instead of four. */
export interface SpanOwner {
  readonly processor: SpanProcessor;
  readonly limits: SpanLimits;
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
}

const UNSET_STATUS: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NO_EVENTS: readonly SpanEvent[] = Object.freeze([]);
const NO_LINKS: readonly Link[] = Object.freeze([]);

/** A sampled span: records everything and is handed to the processor when it ends. */
export class RecordingSpan implements Span, ReadableSpan {
  name: string;
  readonly kind: SpanKind;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly parentIsRemote: boolean;
  readonly traceFlags: number;
  readonly traceState: TraceStateLike | undefined;
  readonly startTime: number;
  endTime = 0;
  attributes: Attributes;
  events: SpanEvent[] = NO_EVENTS as SpanEvent[];
  links: Link[] = NO_LINKS as Link[];
  status: SpanStatus = UNSET_STATUS;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  ended = false;
  private attributeCount = 0;
  private context: SpanContext | undefined;

  constructor(
    private readonly owner: SpanOwner,
    name: string,
    kind: SpanKind,
    traceId: string,
    spanId: string,
    traceFlags: number,
    traceState: TraceStateLike | undefined,
    parent: SpanContext | undefined,
    startTime: number | undefined,
    attributes: AttributesInput | undefined,
    links: readonly Link[] | undefined,
  ) {
    this.name = name;
    this.kind = kind;
    this.traceId = traceId;
    this.spanId = spanId;
    this.traceFlags = traceFlags;
    this.traceState = traceState;
    this.parentSpanId = parent?.spanId;
    this.parentIsRemote = parent?.isRemote === true;
    this.startTime = startTime ?? now();
    this.attributes = {};
    if (attributes !== undefined) this.setAttributes(attributes);
    if (links !== undefined) for (const link of links) this.addLink(link);
  }

  get resource(): Resource {
    return this.owner.resource;
  }

  get instrumentationScope(): InstrumentationScope {
    return this.owner.scope;
  }

  get durationMs(): number {
    return this.ended ? this.endTime - this.startTime : 0;
  }

  get startTimeUnixNano(): bigint {
    return hrTimeToUnixNanos(this.startTime);
  }

  get endTimeUnixNano(): bigint {
    return hrTimeToUnixNanos(this.endTime);
  }

  spanContext(): SpanContext {
    return (this.context ??= {
      traceId: this.traceId,
      spanId: this.spanId,
      traceFlags: this.traceFlags,
      traceState: this.traceState,
      isRemote: false,
    });
  }

  isRecording(): boolean {
    return !this.ended;
  }

  setAttribute(key: string, value: AttributeValue | undefined | null): this {
    if (this.ended || value === undefined || value === null) return this;
    const limits = this.owner.limits;
    const clean =
      typeof value === 'string' && value.length <= limits.attributeValueLengthLimit
        ? value
        : sanitizeAttributeValue(value, limits.attributeValueLengthLimit);
    if (clean === undefined) return this;
    if (!Object.hasOwn(this.attributes, key)) {
      if (this.attributeCount >= limits.attributeCountLimit) {
        this.droppedAttributesCount++;
        return this;
      }
      this.attributeCount++;
    }
    setOwn(this.attributes, key, clean);
    return this;
  }

  setAttributes(attributes: AttributesInput): this {
    for (const key in attributes) this.setAttribute(key, attributes[key]);
    return this;
  }

  /**
   * Takes an object of attributes the caller built for this span (string, number or boolean
   * values, no `__proto__` key) as the span's attributes: one check per value instead of
   * `setAttribute`'s per-key work, for hot paths such as the server span of every request.
   * Falls back to `setAttributes` when the span already has attributes or a value needs the
   * limits applied. The object is the span's from then on: the caller must not reuse it.
   */
  adoptAttributes(attributes: Attributes): this {
    if (this.ended) return this;
    const limits = this.owner.limits;
    if (this.attributeCount !== 0) return this.setAttributes(attributes);
    let count = 0;
    for (const key in attributes) {
      const value = attributes[key];
      if (
        typeof value === 'string'
          ? value.length > limits.attributeValueLengthLimit
          : typeof value !== 'number' && typeof value !== 'boolean'
      ) {
        return this.setAttributes(attributes);
      }
      count++;
    }
    if (count > limits.attributeCountLimit) return this.setAttributes(attributes);
    this.attributes = attributes;
    this.attributeCount = count;
    return this;
  }

  addEvent(name: string, attributes?: AttributesInput, time?: TimeInput): this {
    if (this.ended) return this;
    const limits = this.owner.limits;
    if (this.events.length >= limits.eventCountLimit) {
      this.droppedEventsCount++;
      return this;
    }
    if (this.events === NO_EVENTS) this.events = [];
    const event: SpanEvent = { name, time: time === undefined ? now() : toHrTime(time) };
    if (attributes !== undefined) {
      const { attributes: attrs, dropped } = limitAttributes(attributes, limits);
      event.attributes = attrs;
      if (dropped > 0) event.droppedAttributesCount = dropped;
    }
    this.events.push(event);
    return this;
  }

  addLink(link: Link): this {
    if (this.ended) return this;
    if (this.links.length >= this.owner.limits.linkCountLimit) {
      this.droppedLinksCount++;
      return this;
    }
    if (this.links === NO_LINKS) this.links = [];
    if (link.attributes === undefined) this.links.push({ context: link.context });
    else {
      // Copied and held to the same limits as span attributes.
      const { attributes } = limitAttributes(link.attributes, this.owner.limits);
      this.links.push({ context: link.context, attributes });
    }
    return this;
  }

  recordException(error: unknown, time?: TimeInput): this {
    if (this.ended) return this;
    return this.addEvent('exception', exceptionAttributes(error), time);
  }

  setStatus(status: SpanStatus): this {
    // OpenTelemetry: UNSET never overrides, and OK is final.
    if (this.ended || status.code === SpanStatusCode.UNSET) return this;
    if (this.status.code === SpanStatusCode.OK) return this;
    this.status =
      status.code === SpanStatusCode.ERROR && status.message !== undefined
        ? { code: status.code, message: String(status.message) }
        : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
    const end = endTime === undefined ? now() : toHrTime(endTime);
    this.endTime = end < this.startTime ? this.startTime : end;
    this.ended = true;
    this.owner.processor.onEnd(this);
  }
}

/** The OpenTelemetry `exception` event attributes for any thrown value. */
export function exceptionAttributes(error: unknown): Attributes {
  if (error instanceof Error) {
    const attrs: Attributes = {
      'exception.type':
        error.name && error.name !== 'Error' ? error.name : error.constructor?.name || 'Error',
      'exception.message': error.message,
    };
    if (error.stack) attrs['exception.stacktrace'] = error.stack;
    return attrs;
  }
  if (typeof error === 'string') return { 'exception.message': error };
  if (error && typeof error === 'object') {
    const obj = error as { name?: unknown; message?: unknown; code?: unknown };
    const attrs: Attributes = {};
    if (typeof obj.name === 'string') attrs['exception.type'] = obj.name;
    attrs['exception.message'] = typeof obj.message === 'string' ? obj.message : safeString(error);
    return attrs;
  }
  return { 'exception.message': String(error) };
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
