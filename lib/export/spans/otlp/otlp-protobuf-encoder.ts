import type {
  AttributeValue,
  Attributes,
  InstrumentationScope,
  Link,
  ReadableSpan,
  Resource,
  SpanEvent,
} from '../../../core/types.js';
import { groupSpans, otlpSpanFlags, otlpSpanKind, unixNanosBits } from './otlp-common.js';

/**
 * OTLP `ExportTraceServiceRequest` in protobuf binary, written straight into one
 * growing buffer: no message objects, no size pre-pass. A nested message reserves as
 * many bytes for its length as it probably needs and moves its body when it guessed
 * wrong (a short memmove, rare for all but the outer messages).
 *
 * Field numbers: opentelemetry-proto `collector/trace/v1/trace_service.proto`,
 * `trace/v1/trace.proto`, `resource/v1/resource.proto`, `common/v1/common.proto`.
 */

// Tags: (field number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).
const REQUEST_RESOURCE_SPANS = 0x0a; // ExportTraceServiceRequest.resource_spans = 1
const RESOURCE_SPANS_RESOURCE = 0x0a; // ResourceSpans.resource = 1
const RESOURCE_SPANS_SCOPE_SPANS = 0x12; // ResourceSpans.scope_spans = 2
const RESOURCE_ATTRIBUTES = 0x0a; // Resource.attributes = 1
const SCOPE_SPANS_SCOPE = 0x0a; // ScopeSpans.scope = 1
const SCOPE_SPANS_SPANS = 0x12; // ScopeSpans.spans = 2
const SCOPE_NAME = 0x0a; // InstrumentationScope.name = 1
const SCOPE_VERSION = 0x12; // InstrumentationScope.version = 2
const SPAN_TRACE_ID = 0x0a; // Span.trace_id = 1
const SPAN_SPAN_ID = 0x12; // Span.span_id = 2
const SPAN_TRACE_STATE = 0x1a; // Span.trace_state = 3
const SPAN_PARENT_SPAN_ID = 0x22; // Span.parent_span_id = 4
const SPAN_NAME = 0x2a; // Span.name = 5
const SPAN_KIND = 0x30; // Span.kind = 6
const SPAN_START_TIME = 0x39; // Span.start_time_unix_nano = 7 (fixed64)
const SPAN_END_TIME = 0x41; // Span.end_time_unix_nano = 8 (fixed64)
const SPAN_ATTRIBUTES = 0x4a; // Span.attributes = 9
const SPAN_DROPPED_ATTRIBUTES = 0x50; // Span.dropped_attributes_count = 10
const SPAN_EVENTS = 0x5a; // Span.events = 11
const SPAN_DROPPED_EVENTS = 0x60; // Span.dropped_events_count = 12
const SPAN_LINKS = 0x6a; // Span.links = 13
const SPAN_DROPPED_LINKS = 0x70; // Span.dropped_links_count = 14
const SPAN_STATUS = 0x7a; // Span.status = 15
const SPAN_FLAGS_TAG_0 = 0x85; // Span.flags = 16 (fixed32): tag 133 is a two-byte varint
const SPAN_FLAGS_TAG_1 = 0x01;
const EVENT_TIME = 0x09; // Span.Event.time_unix_nano = 1 (fixed64)
const EVENT_NAME = 0x12; // Span.Event.name = 2
const EVENT_ATTRIBUTES = 0x1a; // Span.Event.attributes = 3
const EVENT_DROPPED_ATTRIBUTES = 0x20; // Span.Event.dropped_attributes_count = 4
const LINK_TRACE_ID = 0x0a; // Span.Link.trace_id = 1
const LINK_SPAN_ID = 0x12; // Span.Link.span_id = 2
const LINK_TRACE_STATE = 0x1a; // Span.Link.trace_state = 3
const LINK_ATTRIBUTES = 0x22; // Span.Link.attributes = 4
const LINK_FLAGS = 0x35; // Span.Link.flags = 6 (fixed32)
const STATUS_MESSAGE = 0x12; // Status.message = 2
const STATUS_CODE = 0x18; // Status.code = 3
const KEY_VALUE_KEY = 0x0a; // KeyValue.key = 1
const KEY_VALUE_VALUE = 0x12; // KeyValue.value = 2
const ANY_STRING = 0x0a; // AnyValue.string_value = 1
const ANY_BOOL = 0x10; // AnyValue.bool_value = 2
const ANY_INT = 0x18; // AnyValue.int_value = 3 (int64 varint)
const ANY_DOUBLE = 0x21; // AnyValue.double_value = 4 (fixed64)
const ANY_ARRAY = 0x2a; // AnyValue.array_value = 5
const ARRAY_VALUES = 0x0a; // ArrayValue.values = 1

const TWO_32 = 4294967296;
/** Below this many UTF-16 units a string is tried as ASCII with a one-byte length. */
const SHORT_STRING = 128;
const INITIAL_CAPACITY = 64 * 1024;
/** A buffer grown past this by one big batch is not kept for the next one. */
export const MAX_RETAINED_CAPACITY = 4 * 1024 * 1024;

/** Hex digit values; anything else reads as 0 (ids are validated where they are made). */
const HEX_VALUES = new Uint8Array(128);
for (let i = 0; i < 10; i++) HEX_VALUES[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUES[0x61 + i] = 10 + i;
  HEX_VALUES[0x41 + i] = 10 + i;
}

function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

class ProtoWriter {
  buf: Buffer = Buffer.allocUnsafe(INITIAL_CAPACITY);
  pos = 0;
  private readonly timeBits = new Uint32Array(2);

  reset(): void {
    if (this.buf.length > MAX_RETAINED_CAPACITY) this.buf = Buffer.allocUnsafe(INITIAL_CAPACITY);
    this.pos = 0;
  }

  /** A copy of what was written: the scratch buffer is reused by the next call. */
  finish(): Uint8Array {
    // TypedArray#slice: a third to a quarter of the CPU of allocUnsafe + Buffer#copy for a
    // batch-sized body (Node 20 and 24), whose copy goes through Buffer's JS checks.
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.pos).slice();
  }

  ensure(bytes: number): void {
    if (this.pos + bytes > this.buf.length) this.grow(this.pos + bytes);
  }

  private grow(needed: number): void {
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Unsigned varint below 2^32; the caller ensured 5 bytes. */
  private varint32(value: number): void {
    const buf = this.buf;
    let pos = this.pos;
    while (value > 0x7f) {
      buf[pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[pos++] = value;
    this.pos = pos;
  }

  /** A tag and an unsigned 32-bit varint, skipped when zero (the proto3 default). */
  uint32Field(tag: number, value: number): void {
    if (value === 0) return;
    this.ensure(6);
    this.buf[this.pos++] = tag;
    this.varint32(value >>> 0);
  }

  /** int64 as a varint: negative numbers take ten bytes (64-bit two's complement). */
  int64(value: number): void {
    this.ensure(10);
    if (value >= 0 && value < 0x80000000) {
      this.varint32(value);
      return;
    }
    const magnitude = Math.abs(value);
    let lo = magnitude >>> 0;
    let hi = Math.floor(magnitude / TWO_32) >>> 0;
    if (value < 0) {
      lo = (~lo + 1) >>> 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    }
    const buf = this.buf;
    let pos = this.pos;
    while (hi !== 0 || lo > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
  }

  /** A fixed32 field; `tag2` is the second tag byte for field numbers from 16 on. */
  fixed32Field(tag: number, tag2: number, value: number): void {
    this.ensure(6);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = tag;
    if (tag2 !== 0) buf[pos++] = tag2;
    buf[pos++] = value & 0xff;
    buf[pos++] = (value >>> 8) & 0xff;
    buf[pos++] = (value >>> 16) & 0xff;
    buf[pos++] = value >>> 24;
    this.pos = pos;
  }

  /** A fixed64 epoch-nanosecond time from a high-resolution time. */
  timeField(tag: number, time: number): void {
    this.ensure(9);
    const bits = this.timeBits;
    unixNanosBits(time, bits);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = tag;
    const lo = bits[0]!;
    const hi = bits[1]!;
    buf[pos++] = lo & 0xff;
    buf[pos++] = (lo >>> 8) & 0xff;
    buf[pos++] = (lo >>> 16) & 0xff;
    buf[pos++] = lo >>> 24;
    buf[pos++] = hi & 0xff;
    buf[pos++] = (hi >>> 8) & 0xff;
    buf[pos++] = (hi >>> 16) & 0xff;
    buf[pos++] = hi >>> 24;
    this.pos = pos;
  }

  double(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /** A lowercase-hex id as raw bytes (16 for a trace id, 8 for a span id). */
  idField(tag: number, hex: string, bytes: number): void {
    this.ensure(2 + bytes);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = tag;
    buf[pos++] = bytes;
    for (let i = 0; i < bytes; i++) {
      buf[pos++] =
        (HEX_VALUES[hex.charCodeAt(2 * i) & 0x7f]! << 4) |
        HEX_VALUES[hex.charCodeAt(2 * i + 1) & 0x7f]!;
    }
    this.pos = pos;
  }

  /** A string field, UTF-8. Always written: callers skip empty optional strings. */
  stringField(tag: number, value: string): void {
    const length = value.length;
    // Worst case: 3 UTF-8 bytes per UTF-16 unit, and a 5-byte length.
    this.ensure(6 + 3 * length);
    const buf = this.buf;
    buf[this.pos++] = tag;
    if (length < SHORT_STRING) {
      // ASCII fast path: a JS loop beats a native call for short strings.
      const start = this.pos + 1;
      let pos = start;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) break;
        buf[pos++] = code;
      }
      if (i === length) {
        buf[this.pos] = length;
        this.pos = pos;
        return;
      }
    }
    const reserve = varintSize(3 * length);
    const start = this.pos + reserve;
    const written = buf.write(value, start, 'utf8');
    this.pos = start + written;
    this.endMessage(start, reserve);
  }

  /** Writes a tag and reserves room for a length; returns where the body starts. */
  beginMessage(tag: number, reserve: number): number {
    this.ensure(1 + reserve);
    this.buf[this.pos] = tag;
    const start = this.pos + 1 + reserve;
    this.pos = start;
    return start;
  }

  /** Writes the body length in front of it, moving the body when the guess was off. */
  endMessage(start: number, reserve: number): void {
    const length = this.pos - start;
    const size = varintSize(length);
    if (size !== reserve) {
      const shift = size - reserve;
      if (shift > 0) this.ensure(shift);
      this.buf.copyWithin(start + shift, start, this.pos);
      this.pos += shift;
    }
    const end = this.pos;
    this.pos = start - reserve;
    this.varint32(length);
    this.pos = end;
  }
}

const writer = new ProtoWriter();

/** Encodes spans as an OTLP/protobuf `ExportTraceServiceRequest`. */
export function encodeOtlpProtobuf(spans: readonly ReadableSpan[]): Uint8Array {
  writer.reset();
  try {
    writeRequest(spans);
    return writer.finish();
  } finally {
    // A throw halfway (a hostile getter) must not leave a half-written request behind.
    writer.pos = 0;
  }
}

/** What `encodeOtlpProtobufInto` wrote, and the buffer it wrote into. */
export interface EncodedInto {
  /** The request: a view of `buffer`. */
  readonly bytes: Uint8Array;
  /** `scratch`, or the larger buffer it grew into: the caller's, to pass again once `bytes` is sent. */
  readonly buffer: Buffer;
}

/**
 * Encodes like `encodeOtlpProtobuf` into a buffer the caller keeps and passes again for the
 * next batch (`scratch`; a new one when undefined): no copy of the request, and no fresh
 * memory per batch. A batch-sized buffer allocated per export cost 30-500 µs (page faults of
 * new memory) against 2-3 µs for one reused (bench/README.md).
 */
export function encodeOtlpProtobufInto(
  spans: readonly ReadableSpan[],
  scratch: Buffer | undefined,
): EncodedInto {
  const own = writer.buf;
  writer.buf = scratch ?? Buffer.allocUnsafe(INITIAL_CAPACITY);
  writer.pos = 0;
  try {
    writeRequest(spans);
    return { bytes: writer.buf.subarray(0, writer.pos), buffer: writer.buf };
  } finally {
    writer.buf = own;
    writer.pos = 0;
  }
}

function writeRequest(spans: readonly ReadableSpan[]): void {
  for (const group of groupSpans(spans)) {
    const resourceSpans = writer.beginMessage(REQUEST_RESOURCE_SPANS, 3);
    writeResource(group.resource);
    for (const scopeGroup of group.scopes) {
      const scopeSpans = writer.beginMessage(RESOURCE_SPANS_SCOPE_SPANS, 3);
      writeScope(scopeGroup.scope);
      const spans = scopeGroup.spans;
      for (let i = 0; i < spans.length; i++) writeSpan(spans[i]!);
      writer.endMessage(scopeSpans, 3);
    }
    writer.endMessage(resourceSpans, 3);
  }
}

function writeResource(resource: Resource): void {
  const start = writer.beginMessage(RESOURCE_SPANS_RESOURCE, 2);
  writeAttributes(RESOURCE_ATTRIBUTES, resource.attributes);
  writer.endMessage(start, 2);
}

function writeScope(scope: InstrumentationScope): void {
  const start = writer.beginMessage(SCOPE_SPANS_SCOPE, 1);
  if (scope.name) writer.stringField(SCOPE_NAME, scope.name);
  if (scope.version) writer.stringField(SCOPE_VERSION, scope.version);
  writer.endMessage(start, 1);
}

function writeSpan(span: ReadableSpan): void {
  const start = writer.beginMessage(SCOPE_SPANS_SPANS, 2);
  writer.idField(SPAN_TRACE_ID, span.traceId, 16);
  writer.idField(SPAN_SPAN_ID, span.spanId, 8);
  const traceState = span.traceState?.serialize();
  if (traceState) writer.stringField(SPAN_TRACE_STATE, traceState);
  if (span.parentSpanId) writer.idField(SPAN_PARENT_SPAN_ID, span.parentSpanId, 8);
  writer.stringField(SPAN_NAME, span.name);
  writer.uint32Field(SPAN_KIND, otlpSpanKind(span.kind));
  writer.timeField(SPAN_START_TIME, span.startTime);
  writer.timeField(SPAN_END_TIME, span.endTime);
  writeAttributes(SPAN_ATTRIBUTES, span.attributes);
  writer.uint32Field(SPAN_DROPPED_ATTRIBUTES, span.droppedAttributesCount);
  // Indexed loops: for...of here allocated an iterator result per span (heap profile).
  const events = span.events;
  for (let i = 0; i < events.length; i++) writeEvent(events[i]!);
  writer.uint32Field(SPAN_DROPPED_EVENTS, span.droppedEventsCount);
  const links = span.links;
  for (let i = 0; i < links.length; i++) writeLink(links[i]!);
  writer.uint32Field(SPAN_DROPPED_LINKS, span.droppedLinksCount);
  // Status is always sent, as the OpenTelemetry SDKs do; its fields only when set.
  const status = writer.beginMessage(SPAN_STATUS, 1);
  if (span.status.message) writer.stringField(STATUS_MESSAGE, span.status.message);
  writer.uint32Field(STATUS_CODE, span.status.code);
  writer.endMessage(status, 1);
  writer.fixed32Field(
    SPAN_FLAGS_TAG_0,
    SPAN_FLAGS_TAG_1,
    otlpSpanFlags(span.traceFlags, span.parentIsRemote),
  );
  writer.endMessage(start, 2);
}

function writeEvent(event: SpanEvent): void {
  const start = writer.beginMessage(SPAN_EVENTS, 1);
  writer.timeField(EVENT_TIME, event.time);
  writer.stringField(EVENT_NAME, event.name);
  if (event.attributes !== undefined) writeAttributes(EVENT_ATTRIBUTES, event.attributes);
  writer.uint32Field(EVENT_DROPPED_ATTRIBUTES, event.droppedAttributesCount ?? 0);
  writer.endMessage(start, 1);
}

function writeLink(link: Link): void {
  const context = link.context;
  const start = writer.beginMessage(SPAN_LINKS, 1);
  writer.idField(LINK_TRACE_ID, context.traceId, 16);
  writer.idField(LINK_SPAN_ID, context.spanId, 8);
  const traceState = context.traceState?.serialize();
  if (traceState) writer.stringField(LINK_TRACE_STATE, traceState);
  if (link.attributes !== undefined) writeAttributes(LINK_ATTRIBUTES, link.attributes);
  writer.fixed32Field(LINK_FLAGS, 0, otlpSpanFlags(context.traceFlags, context.isRemote));
  writer.endMessage(start, 1);
}

/** Repeated KeyValue under `tag`. */
function writeAttributes(tag: number, attributes: Readonly<Attributes>): void {
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined || value === null) continue;
    const start = writer.beginMessage(tag, 1);
    writer.stringField(KEY_VALUE_KEY, key);
    const any = writer.beginMessage(KEY_VALUE_VALUE, 1);
    writeAnyValueBody(value);
    writer.endMessage(any, 1);
    writer.endMessage(start, 1);
  }
}

/** The fields of one AnyValue (the caller wrote its tag and length). */
function writeAnyValueBody(value: AttributeValue): void {
  switch (typeof value) {
    case 'string':
      writer.stringField(ANY_STRING, value);
      return;
    case 'number':
      writeNumber(value, Number.isSafeInteger(value));
      return;
    case 'boolean':
      writer.ensure(2);
      writer.buf[writer.pos++] = ANY_BOOL;
      writer.buf[writer.pos++] = value ? 1 : 0;
      return;
    default:
      if (Array.isArray(value)) writeArray(value as readonly unknown[]);
  }
}

function writeNumber(value: number, asInt: boolean): void {
  writer.ensure(1);
  if (asInt) {
    writer.buf[writer.pos++] = ANY_INT;
    writer.int64(value);
  } else {
    writer.buf[writer.pos++] = ANY_DOUBLE;
    writer.double(value);
  }
}

/**
 * ArrayValue. A number array is one attribute type on the wire: all int_value when
 * every item is a safe integer, else all double_value. Items that are not attribute
 * values (null in a hand-built span) become empty AnyValues, as in the OpenTelemetry SDKs.
 */
function writeArray(items: readonly unknown[]): void {
  const start = writer.beginMessage(ANY_ARRAY, 2);
  let asInt = true;
  for (const item of items) {
    if (typeof item === 'number' && !Number.isSafeInteger(item)) {
      asInt = false;
      break;
    }
  }
  for (const item of items) {
    const any = writer.beginMessage(ARRAY_VALUES, 1);
    switch (typeof item) {
      case 'string':
        writer.stringField(ANY_STRING, item);
        break;
      case 'number':
        writeNumber(item, asInt);
        break;
      case 'boolean':
        writer.ensure(2);
        writer.buf[writer.pos++] = ANY_BOOL;
        writer.buf[writer.pos++] = item ? 1 : 0;
        break;
    }
    writer.endMessage(any, 1);
  }
  writer.endMessage(start, 2);
}
