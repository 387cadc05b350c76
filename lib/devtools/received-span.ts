import { performance } from 'node:perf_hooks';
import type {
  AttributeValue,
  Attributes,
  InstrumentationScope,
  Link,
  ReadableSpan,
  Resource,
  SpanContext,
  SpanEvent,
  SpanKind,
  SpanStatus,
  SpanStatusCode,
} from '../core/types.js';

/**
 * Spans from another service, decoded from an OTLP/HTTP JSON export request
 * (`ExportTraceServiceRequest`), so the viewer shows a trace that crosses services as one.
 * Spans that are not well-formed (ids, times) are rejected and counted, never thrown.
 */

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
const NANOS = /^\d{1,20}$/;
const KIND_NAMES = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];
const STATUS_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const FLAGS_HAS_IS_REMOTE = 0x100;
const FLAGS_IS_REMOTE = 0x200;

export interface DecodedSpans {
  readonly spans: ReadableSpan[];
  /** Spans left out because they were not well-formed. */
  readonly rejected: number;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Epoch nanoseconds (a decimal string or a number) as a bigint; undefined when malformed. */
function unixNanos(value: unknown): bigint | undefined {
  if (typeof value === 'string' && NANOS.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  return undefined;
}

/** Epoch nanoseconds as this process's high-resolution time, as local spans hold it. */
function hrTime(ns: bigint): number {
  return Number(ns) / 1e6 - performance.timeOrigin;
}

function enumValue(value: unknown, names: readonly string[]): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string') return names.indexOf(value);
  return 0;
}

function scalar(value: Json): string | number | boolean | undefined {
  if (typeof value.stringValue === 'string') return value.stringValue;
  if (typeof value.boolValue === 'boolean') return value.boolValue;
  if (value.intValue !== undefined) {
    const n = Number(value.intValue);
    return Number.isFinite(n) ? n : undefined;
  }
  if (value.doubleValue !== undefined) {
    const n = Number(value.doubleValue);
    return Number.isNaN(n) && value.doubleValue !== 'NaN' ? undefined : n;
  }
  return undefined;
}

/** An OTLP AnyValue as an attribute value: arrays of one type stay arrays, the rest become JSON text. */
function anyValue(value: unknown): AttributeValue | undefined {
  if (!isObject(value)) return undefined;
  const simple = scalar(value);
  if (simple !== undefined) return simple;
  if (isObject(value.arrayValue)) {
    const items = arrayOf(value.arrayValue.values).map((item) =>
      isObject(item) ? scalar(item) : undefined,
    );
    const kinds = new Set(items.map((item) => typeof item));
    if (kinds.size === 0) return [] as string[];
    if (kinds.size === 1 && !kinds.has('undefined')) return items as AttributeValue;
    return JSON.stringify(items);
  }
  if (value.kvlistValue !== undefined) return JSON.stringify(value.kvlistValue);
  if (typeof value.bytesValue === 'string') return value.bytesValue;
  return undefined;
}

function decodeAttributes(list: unknown): Attributes {
  const out: Attributes = {};
  for (const entry of arrayOf(list)) {
    if (!isObject(entry) || typeof entry.key !== 'string') continue;
    const value = anyValue(entry.value);
    // A key like __proto__ must become an own property, not a prototype change.
    if (value !== undefined)
      Object.defineProperty(out, entry.key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return out;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : 0;
}

class ReceivedSpan implements ReadableSpan {
  readonly ended = true;
  readonly traceState = undefined;

  constructor(
    readonly name: string,
    readonly kind: SpanKind,
    readonly traceId: string,
    readonly spanId: string,
    readonly parentSpanId: string | undefined,
    readonly parentIsRemote: boolean,
    readonly traceFlags: number,
    readonly startTimeUnixNano: bigint,
    readonly endTimeUnixNano: bigint,
    readonly attributes: Attributes,
    readonly events: SpanEvent[],
    readonly links: Link[],
    readonly status: SpanStatus,
    readonly resource: Resource,
    readonly instrumentationScope: InstrumentationScope,
    readonly droppedAttributesCount: number,
    readonly droppedEventsCount: number,
    readonly droppedLinksCount: number,
  ) {}

  get startTime(): number {
    return hrTime(this.startTimeUnixNano);
  }

  get endTime(): number {
    return hrTime(this.endTimeUnixNano);
  }

  get durationMs(): number {
    return Number(this.endTimeUnixNano - this.startTimeUnixNano) / 1e6;
  }

  spanContext(): SpanContext {
    return {
      traceId: this.traceId,
      spanId: this.spanId,
      traceFlags: this.traceFlags,
      isRemote: true,
    };
  }
}

function decodeSpan(span: unknown, resource: Resource, scope: InstrumentationScope) {
  if (!isObject(span)) return undefined;
  const traceId = typeof span.traceId === 'string' ? span.traceId.toLowerCase() : '';
  const spanId = typeof span.spanId === 'string' ? span.spanId.toLowerCase() : '';
  if (!TRACE_ID.test(traceId) || traceId === ZERO_TRACE) return undefined;
  if (!SPAN_ID.test(spanId) || spanId === ZERO_SPAN) return undefined;
  let parentSpanId: string | undefined;
  if (typeof span.parentSpanId === 'string' && span.parentSpanId !== '') {
    parentSpanId = span.parentSpanId.toLowerCase();
    if (!SPAN_ID.test(parentSpanId)) return undefined;
  }
  const start = unixNanos(span.startTimeUnixNano);
  const end = unixNanos(span.endTimeUnixNano);
  if (start === undefined || end === undefined || end < start) return undefined;
  const flags = typeof span.flags === 'number' ? span.flags : 0;
  const kind = enumValue(span.kind, KIND_NAMES);
  const status = isObject(span.status) ? span.status : {};
  const code = enumValue(status.code, STATUS_NAMES);
  const events: SpanEvent[] = [];
  for (const event of arrayOf(span.events)) {
    if (!isObject(event)) continue;
    const time = unixNanos(event.timeUnixNano);
    if (time === undefined) continue;
    events.push({
      name: typeof event.name === 'string' ? event.name : '',
      time: hrTime(time),
      attributes: decodeAttributes(event.attributes),
    });
  }
  const links: Link[] = [];
  for (const link of arrayOf(span.links)) {
    if (!isObject(link) || typeof link.traceId !== 'string' || typeof link.spanId !== 'string') {
      continue;
    }
    links.push({
      context: {
        traceId: link.traceId.toLowerCase(),
        spanId: link.spanId.toLowerCase(),
        traceFlags: typeof link.flags === 'number' ? link.flags & 0xff : 0,
        isRemote: true,
      },
      attributes: decodeAttributes(link.attributes),
    });
  }
  return new ReceivedSpan(
    typeof span.name === 'string' ? span.name : '',
    (kind >= 1 && kind <= 5 ? kind - 1 : 0) as SpanKind,
    traceId,
    spanId,
    parentSpanId,
    (flags & FLAGS_HAS_IS_REMOTE) !== 0
      ? (flags & FLAGS_IS_REMOTE) !== 0
      : parentSpanId !== undefined,
    flags & 0xff,
    start,
    end,
    decodeAttributes(span.attributes),
    events,
    links,
    code === 2
      ? {
          code: 2 as SpanStatusCode,
          ...(typeof status.message === 'string' ? { message: status.message } : {}),
        }
      : { code: (code === 1 ? 1 : 0) as SpanStatusCode },
    resource,
    scope,
    count(span.droppedAttributesCount),
    count(span.droppedEventsCount),
    count(span.droppedLinksCount),
  );
}

/** Decodes a parsed OTLP/JSON `ExportTraceServiceRequest`; throws only when it is not one at all. */
export function decodeOtlpJson(body: unknown): DecodedSpans {
  if (!isObject(body) || !Array.isArray(body.resourceSpans)) {
    throw new TypeError('expected an OTLP ExportTraceServiceRequest with "resourceSpans"');
  }
  const spans: ReadableSpan[] = [];
  let rejected = 0;
  for (const resourceSpans of body.resourceSpans) {
    if (!isObject(resourceSpans)) continue;
    const resource: Resource = {
      attributes: isObject(resourceSpans.resource)
        ? decodeAttributes(resourceSpans.resource.attributes)
        : {},
    };
    for (const scopeSpans of arrayOf(resourceSpans.scopeSpans)) {
      if (!isObject(scopeSpans)) continue;
      const rawScope = isObject(scopeSpans.scope) ? scopeSpans.scope : {};
      const scope: InstrumentationScope = {
        name: typeof rawScope.name === 'string' ? rawScope.name : '',
        ...(typeof rawScope.version === 'string' && rawScope.version !== ''
          ? { version: rawScope.version }
          : {}),
      };
      for (const raw of arrayOf(scopeSpans.spans)) {
        const span = decodeSpan(raw, resource, scope);
        if (span === undefined) rejected++;
        else spans.push(span);
      }
    }
  }
  return { spans, rejected };
}
