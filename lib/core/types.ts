/**
 * The OpenTelemetry-compatible data model shared by every layer. Plain types only:
 * no Nest, no I/O.
 */

/** What a span describes, with the numbering OTLP uses on the wire (minus one). */
export const SpanKind = {
  INTERNAL: 0,
  SERVER: 1,
  CLIENT: 2,
  PRODUCER: 3,
  CONSUMER: 4,
} as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** Span status codes, numbered as in OTLP. */
export const SpanStatusCode = {
  UNSET: 0,
  OK: 1,
  ERROR: 2,
} as const;
export type SpanStatusCode = (typeof SpanStatusCode)[keyof typeof SpanStatusCode];

export interface SpanStatus {
  code: SpanStatusCode;
  message?: string;
}

/** W3C trace-flags bits. */
export const TraceFlags = {
  NONE: 0x00,
  SAMPLED: 0x01,
  /** W3C Trace Context Level 2: the right-most 7 bytes of the trace id are random. */
  RANDOM: 0x02,
} as const;

export type AttributeValue =
  string | number | boolean | readonly string[] | readonly number[] | readonly boolean[];

export type Attributes = Record<string, AttributeValue>;

/** Attributes as callers may pass them: undefined and null values are skipped. */
export type AttributesInput = Record<string, AttributeValue | undefined | null>;

/** A parsed, validated W3C tracestate: ordered list-members, newest first. */
export interface TraceStateLike {
  get(key: string): string | undefined;
  set(key: string, value: string): TraceStateLike;
  unset(key: string): TraceStateLike;
  serialize(): string;
}

/** The part of a span that crosses process boundaries. */
export interface SpanContext {
  /** 32 lowercase hex characters, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex characters, not all zero. */
  readonly spanId: string;
  /** W3C trace-flags byte (bit 0 sampled, bit 1 random). */
  readonly traceFlags: number;
  readonly traceState?: TraceStateLike;
  /** True when the context was extracted from an incoming carrier. */
  readonly isRemote?: boolean;
}

export interface Link {
  context: SpanContext;
  attributes?: Attributes;
}

export interface SpanEvent {
  name: string;
  /** High-resolution time (milliseconds since `performance.timeOrigin`). */
  time: number;
  attributes?: Attributes;
  droppedAttributesCount?: number;
}

export interface InstrumentationScope {
  name: string;
  version?: string;
}

export interface Resource {
  readonly attributes: Attributes;
}

export interface SpanLimits {
  /** Most attributes kept on a span (and on each event and link); later ones are counted as dropped. */
  attributeCountLimit: number;
  /** Longest string value kept (strings and string array items are truncated to it). */
  attributeValueLengthLimit: number;
  eventCountLimit: number;
  linkCountLimit: number;
}

export const DEFAULT_SPAN_LIMITS: Readonly<SpanLimits> = Object.freeze({
  attributeCountLimit: 128,
  attributeValueLengthLimit: 4096,
  eventCountLimit: 128,
  linkCountLimit: 128,
});

/**
 * A finished span as exporters see it. Times are high-resolution milliseconds since
 * `performance.timeOrigin`; use `hrTimeToUnixNanos` / the `*UnixNano` getters for epoch
 * nanoseconds on the wire.
 */
export interface ReadableSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  /** True when the parent came from another process. */
  readonly parentIsRemote: boolean;
  readonly traceFlags: number;
  readonly traceState: TraceStateLike | undefined;
  readonly startTime: number;
  readonly endTime: number;
  /**
   * endTime - startTime, in milliseconds (OpenTelemetry's `duration` is `[s, ns]`; the
   * name says the unit so the two are not confused).
   */
  readonly durationMs: number;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: Readonly<Attributes>;
  readonly events: readonly SpanEvent[];
  readonly links: readonly Link[];
  readonly status: Readonly<SpanStatus>;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;
  readonly ended: boolean;
  spanContext(): SpanContext;
}

/** A span that is still being written. Every method is a no-op once the span has ended. */
export interface Span {
  spanContext(): SpanContext;
  /** False for unsampled, disabled and ended spans: skip expensive attribute work then. */
  isRecording(): boolean;
  setAttribute(key: string, value: AttributeValue | undefined | null): this;
  setAttributes(attributes: AttributesInput): this;
  addEvent(name: string, attributes?: AttributesInput, time?: TimeInput): this;
  addLink(link: Link): this;
  recordException(error: unknown, time?: TimeInput): this;
  setStatus(status: SpanStatus): this;
  updateName(name: string): this;
  end(endTime?: TimeInput): void;
}

/** A point in time: a Date, or epoch milliseconds. */
export type TimeInput = Date | number;
