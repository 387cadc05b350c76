import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
// The generated protobufjs root of the official opentelemetry-proto definitions, as the
// last @opentelemetry/otlp-transformer releases with trace messages shipped it (0.216).
import protoRoot from 'otlp-transformer-protos/build/src/generated/root.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { hrTimeToUnixNanos } from '../../../../../lib/core/clock.js';
import { InMemorySpanExporter } from '../../../../../lib/export/spans/in-memory-span-exporter.js';
import {
  unixNanosBits,
  unixNanosString,
} from '../../../../../lib/export/spans/otlp/otlp-common.js';
import { encodeOtlpJson } from '../../../../../lib/export/spans/otlp/otlp-json-encoder.js';
import {
  encodeOtlpProtobuf,
  encodeOtlpProtobufInto,
} from '../../../../../lib/export/spans/otlp/otlp-protobuf-encoder.js';
import { SimpleSpanProcessor } from '../../../../../lib/core/simple-span-processor.js';
import { TraceState } from '../../../../../lib/core/trace-state.js';
import { Tracer } from '../../../../../lib/core/tracer.js';
import {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type AttributeValue,
  type Attributes,
  type ReadableSpan,
  type Resource,
  type SpanContext,
} from '../../../../../lib/core/types.js';

// ---------------------------------------------------------------------------------------
// The official message types (protobufjs static module; its .d.ts only says "Root").

interface ConversionOptions {
  longs?: StringConstructor;
  enums?: NumberConstructor;
  bytes?: StringConstructor;
  defaults?: boolean;
  arrays?: boolean;
}

type Plain = Record<string, unknown>;

interface MessageType {
  decode(bytes: Uint8Array): object;
  encode(message: object): { finish(): Uint8Array };
  fromObject(object: Plain): object;
  toObject(message: object, options: ConversionOptions): Plain;
  prototype: object;
}

interface OtlpRoot {
  opentelemetry: {
    proto: {
      collector: { trace: { v1: { ExportTraceServiceRequest: MessageType } } };
      trace: {
        v1: {
          ResourceSpans: MessageType;
          ScopeSpans: MessageType;
          Span: MessageType & { Event: MessageType; Link: MessageType };
          Status: MessageType;
        };
      };
      common: {
        v1: {
          AnyValue: MessageType;
          ArrayValue: MessageType;
          KeyValue: MessageType;
          InstrumentationScope: MessageType;
        };
      };
      resource: { v1: { Resource: MessageType } };
    };
  };
}

const otlp = (protoRoot as unknown as OtlpRoot).opentelemetry.proto;
const ExportTraceServiceRequest = otlp.collector.trace.v1.ExportTraceServiceRequest;

/** Bytes as base64 (ids converted to hex below), 64-bit integers as decimal strings. */
const DECODED: ConversionOptions = { longs: String, enums: Number, bytes: String, arrays: true };
const DECODED_WITH_DEFAULTS: ConversionOptions = { ...DECODED, defaults: true };

const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** Rewrites id fields throughout a message object, e.g. base64 → hex. */
function mapIds(value: unknown, convert: (id: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => mapIds(item, convert));
  if (value === null || typeof value !== 'object') return value;
  const out: Plain = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] =
      ID_FIELDS.has(key) && typeof item === 'string' ? convert(item) : mapIds(item, convert);
  }
  return out;
}

const base64ToHex = (id: string): string => Buffer.from(id, 'base64').toString('hex');
const hexToBase64 = (id: string): string => Buffer.from(id, 'hex').toString('base64');

function decodeProtobuf(bytes: Uint8Array, options: ConversionOptions = DECODED): OtlpRequest {
  const message = ExportTraceServiceRequest.decode(bytes);
  return mapIds(ExportTraceServiceRequest.toObject(message, options), base64ToHex) as OtlpRequest;
}

/** OTLP/JSON → the official message (ids hex → base64 first, as the JSON mapping demands). */
function jsonToMessage(json: string): object {
  return ExportTraceServiceRequest.fromObject(mapIds(JSON.parse(json), hexToBase64) as Plain);
}

function decodeJson(json: string, options: ConversionOptions = DECODED): OtlpRequest {
  // Through the binary form, so fromObject's leniency cannot hide a field it skipped.
  const bytes = ExportTraceServiceRequest.encode(jsonToMessage(json)).finish();
  return decodeProtobuf(bytes, options);
}

// Shapes of the decoded objects (toObject output), for readable assertions.
interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}
interface OtlpEvent {
  timeUnixNano: string;
  name: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount?: number;
}
interface OtlpLink {
  traceId: string;
  spanId: string;
  traceState?: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  traceState?: string;
  parentSpanId?: string;
  flags?: number;
  name: string;
  kind?: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount?: number;
  events: OtlpEvent[];
  droppedEventsCount?: number;
  links: OtlpLink[];
  droppedLinksCount?: number;
  status?: { code?: number; message?: string };
}
interface OtlpRequest {
  resourceSpans: {
    resource?: { attributes: OtlpKeyValue[]; droppedAttributesCount?: number };
    scopeSpans: {
      scope?: { name?: string; version?: string };
      spans: OtlpSpan[];
    }[];
  }[];
}

function anyValueToJs(value: OtlpAnyValue): AttributeValue | null {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) {
    return (value.arrayValue.values ?? []).map(anyValueToJs) as AttributeValue;
  }
  return null;
}

function attributesToJs(list: readonly OtlpKeyValue[] | undefined): Attributes {
  const out: Attributes = {};
  for (const { key, value } of list ?? []) out[key] = anyValueToJs(value) as AttributeValue;
  return out;
}

// ---------------------------------------------------------------------------------------
// Real spans from the real tracer, covering every field the encoders write.

const REMOTE_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const REMOTE_PARENT_ID = '00f067aa0ba902b7';
const LINKED_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const LINKED_SPAN_ID = 'b7ad6b7169203331';

const remoteParent: SpanContext = {
  traceId: REMOTE_TRACE_ID,
  spanId: REMOTE_PARENT_ID,
  traceFlags: TraceFlags.SAMPLED | TraceFlags.RANDOM,
  traceState: new TraceState([
    ['vendor', 'value1'],
    ['other@tenant', 'x'],
  ]),
  isRemote: true,
};

const EVERY_TYPE: Attributes = {
  str: 'plain',
  'str.empty': '',
  'str.unicode': 'héllo wörld ✓ 🌍',
  'str.long': 'x'.repeat(5000),
  'str.unicode.long': 'ü🌍'.repeat(300),
  int: 42,
  'int.zero': 0,
  'int.negative': -7,
  'int.negative.large': -(2 ** 40) - 3,
  'int.large': 2 ** 40 + 5,
  'int.max.safe': Number.MAX_SAFE_INTEGER,
  'int.min.safe': Number.MIN_SAFE_INTEGER,
  double: 3.25,
  'double.negative': -0.5,
  'double.tiny': 1e-300,
  'bool.true': true,
  'bool.false': false,
  'array.str': ['a', '', 'ü'],
  'array.int': [1, -2, 2 ** 33],
  'array.double': [1.5, -2.25],
  'array.bool': [true, false],
  'array.empty': [],
};

interface Fixture {
  spans: ReadableSpan[];
  resourceA: Resource;
  resourceB: Resource;
}

function recordSpans(): Fixture {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor(exporter);
  const resourceA: Resource = {
    attributes: { 'service.name': 'orders', 'service.version': '1.2.3', 'process.pid': 1234 },
  };
  const resourceB: Resource = { attributes: { 'service.name': 'billing' } };
  const limits = { attributeCountLimit: 32, eventCountLimit: 4, linkCountLimit: 3 };
  const tracerA = new Tracer({
    processor,
    resource: resourceA,
    scope: { name: 'scope-a', version: '1.0.0' },
    limits,
  });
  const tracerA2 = new Tracer({
    processor,
    resource: resourceA,
    scope: { name: 'scope-b' },
    limits,
  });
  const tracerB = new Tracer({
    processor,
    resource: resourceB,
    scope: { name: 'scope-c', version: '2' },
  });

  // A server span continuing a remote trace, carrying every attribute type, events,
  // links and an error status.
  const server = tracerA.startSpan('GET /orders/:id', {
    kind: SpanKind.SERVER,
    parent: remoteParent,
    attributes: { ...EVERY_TYPE },
    links: [
      {
        context: {
          traceId: LINKED_TRACE_ID,
          spanId: LINKED_SPAN_ID,
          traceFlags: TraceFlags.SAMPLED,
          traceState: new TraceState([['linked', 'yes']]),
          isRemote: true,
        },
        attributes: { 'link.reason': 'batch', 'link.index': 3, 'link.ratio': 0.5 },
      },
      {
        context: { traceId: REMOTE_TRACE_ID, spanId: 'a1b2c3d4e5f60718', traceFlags: 0 },
      },
    ],
  });
  server.addEvent('cache.miss', { 'cache.key': 'order:1', 'cache.attempt': 2, 'cache.hit': false });
  server.addEvent('no.attributes');
  server.recordException(new TypeError('order not found'));
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'order not found' });

  // Local children of every other kind under it.
  const kinds = [SpanKind.INTERNAL, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER];
  for (const kind of kinds) {
    const child = tracerA.startSpan(`child-${kind}`, { kind, parent: server.spanContext() });
    if (kind === SpanKind.CLIENT) child.setStatus({ code: SpanStatusCode.OK });
    child.end();
  }

  // Over every limit: dropped attribute, event, link and event-attribute counts.
  const crowded = tracerA.startSpan('crowded', { root: true });
  for (let i = 0; i < 40; i++) crowded.setAttribute(`attr.${i}`, i);
  const manyAttributes: Attributes = {};
  for (let i = 0; i < 35; i++) manyAttributes[`e.${i}`] = `v${i}`;
  crowded.addEvent('crowded.event', manyAttributes);
  for (let i = 0; i < 5; i++) crowded.addEvent(`event-${i}`);
  for (let i = 0; i < 5; i++) {
    crowded.addLink({
      context: { traceId: LINKED_TRACE_ID, spanId: `${i}`.padStart(16, 'c'), traceFlags: 1 },
    });
  }
  crowded.end();

  tracerA2.startSpan('second-scope', { kind: SpanKind.INTERNAL, root: true }).end();
  tracerB.startSpan('other-resource', { kind: SpanKind.PRODUCER, root: true }).end();
  server.end();
  tracerA2.startSpan('second-scope-again', { root: true }).end();
  return { spans: exporter.getFinishedSpans(), resourceA, resourceB };
}

let fixture: Fixture;
beforeAll(() => {
  fixture = recordSpans();
});

const spanNamed = (name: string): ReadableSpan => {
  const span = fixture.spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span named ${name}`);
  return span;
};

const allSpans = (request: OtlpRequest): OtlpSpan[] =>
  request.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));

/** Every field of a decoded span against the span it came from. */
function expectSpanEncoded(encoded: OtlpSpan, span: ReadableSpan): void {
  expect(encoded.traceId).toBe(span.traceId);
  expect(encoded.spanId).toBe(span.spanId);
  if (span.parentSpanId === undefined) expect(encoded).not.toHaveProperty('parentSpanId');
  else expect(encoded.parentSpanId).toBe(span.parentSpanId);
  const traceState = span.traceState?.serialize();
  if (traceState) expect(encoded.traceState).toBe(traceState);
  else expect(encoded.traceState ?? '').toBe('');
  expect(encoded.flags).toBe((span.traceFlags & 0xff) | 0x100 | (span.parentIsRemote ? 0x200 : 0));
  expect(encoded.name).toBe(span.name);
  expect(encoded.kind).toBe(span.kind + 1);
  expect(encoded.startTimeUnixNano).toBe(span.startTimeUnixNano.toString());
  expect(encoded.endTimeUnixNano).toBe(span.endTimeUnixNano.toString());
  expect(attributesToJs(encoded.attributes)).toEqual(span.attributes);
  expect(encoded.attributes.map((kv) => kv.key)).toEqual(Object.keys(span.attributes));
  expect(encoded.droppedAttributesCount ?? 0).toBe(span.droppedAttributesCount);
  expect(encoded.events).toHaveLength(span.events.length);
  span.events.forEach((event, i) => {
    const e = encoded.events[i]!;
    expect(e.name).toBe(event.name);
    expect(e.timeUnixNano).toBe(hrTimeToUnixNanos(event.time).toString());
    expect(attributesToJs(e.attributes)).toEqual(event.attributes ?? {});
    expect(e.droppedAttributesCount ?? 0).toBe(event.droppedAttributesCount ?? 0);
  });
  expect(encoded.droppedEventsCount ?? 0).toBe(span.droppedEventsCount);
  expect(encoded.links).toHaveLength(span.links.length);
  span.links.forEach((link, i) => {
    const l = encoded.links[i]!;
    expect(l.traceId).toBe(link.context.traceId);
    expect(l.spanId).toBe(link.context.spanId);
    expect(l.traceState ?? '').toBe(link.context.traceState?.serialize() ?? '');
    expect(attributesToJs(l.attributes)).toEqual(link.attributes ?? {});
    expect(l.flags).toBe(
      (link.context.traceFlags & 0xff) | 0x100 | (link.context.isRemote ? 0x200 : 0),
    );
  });
  expect(encoded.droppedLinksCount ?? 0).toBe(span.droppedLinksCount);
  expect(encoded.status?.code ?? 0).toBe(span.status.code);
  expect(encoded.status?.message ?? '').toBe(span.status.message ?? '');
}

/** The whole request: grouping, resources, scopes, then every span. */
function expectRequestEncoded(request: OtlpRequest): void {
  const { spans, resourceA, resourceB } = fixture;
  expect(request.resourceSpans).toHaveLength(2);
  const [a, b] = request.resourceSpans;
  expect(attributesToJs(a!.resource?.attributes)).toEqual(resourceA.attributes);
  expect(attributesToJs(b!.resource?.attributes)).toEqual(resourceB.attributes);
  const scopeOf = (ss: OtlpRequest['resourceSpans'][number]['scopeSpans'][number]) => ({
    name: ss.scope?.name,
    version: ss.scope?.version,
  });
  expect(a!.scopeSpans.map(scopeOf)).toEqual([
    { name: 'scope-a', version: '1.0.0' },
    { name: 'scope-b', version: undefined },
  ]);
  expect(b!.scopeSpans.map(scopeOf)).toEqual([{ name: 'scope-c', version: '2' }]);
  const byScope = (name: string) =>
    spans.filter((s) => s.instrumentationScope.name === name).map((s) => s.spanId);
  expect(a!.scopeSpans[0]!.spans.map((s) => s.spanId)).toEqual(byScope('scope-a'));
  expect(a!.scopeSpans[1]!.spans.map((s) => s.spanId)).toEqual(byScope('scope-b'));
  expect(b!.scopeSpans[0]!.spans.map((s) => s.spanId)).toEqual(byScope('scope-c'));
  const encoded = allSpans(request);
  expect(encoded).toHaveLength(spans.length);
  for (const span of spans) {
    const match = encoded.find((e) => e.spanId === span.spanId);
    expect(match ? span.name : `missing: ${span.name}`).toBe(span.name);
    expectSpanEncoded(match!, span);
  }
}

describe('the fixture', () => {
  it('exercises every feature the encoders must carry', () => {
    const server = spanNamed('GET /orders/:id');
    expect(server.parentIsRemote).toBe(true);
    expect(server.traceState?.serialize()).toBe('vendor=value1,other@tenant=x');
    expect(server.links).toHaveLength(2);
    expect(server.events.map((e) => e.name)).toEqual(['cache.miss', 'no.attributes', 'exception']);
    expect(server.status).toEqual({ code: SpanStatusCode.ERROR, message: 'order not found' });
    const crowded = spanNamed('crowded');
    expect(crowded.droppedAttributesCount).toBe(8);
    expect(crowded.droppedEventsCount).toBe(2);
    expect(crowded.droppedLinksCount).toBe(2);
    expect(crowded.events[0]!.droppedAttributesCount).toBe(3);
    expect(new Set(fixture.spans.map((s) => s.kind))).toEqual(
      new Set([
        SpanKind.INTERNAL,
        SpanKind.SERVER,
        SpanKind.CLIENT,
        SpanKind.PRODUCER,
        SpanKind.CONSUMER,
      ]),
    );
  });
});

describe('encodeOtlpProtobuf', () => {
  it('decodes with the official ExportTraceServiceRequest type and carries every span field', () => {
    const request = decodeProtobuf(encodeOtlpProtobuf(fixture.spans));
    expect(request.resourceSpans).toHaveLength(2);
    expectRequestEncoded(request);
  });

  it('leaves parentSpanId out of root spans and sets it on children', () => {
    const request = decodeProtobuf(encodeOtlpProtobuf(fixture.spans));
    const crowded = allSpans(request).find((s) => s.name === 'crowded')!;
    expect(crowded).not.toHaveProperty('parentSpanId');
    const child = allSpans(request).find((s) => s.name === 'child-2')!;
    expect(child.parentSpanId).toBe(spanNamed('GET /orders/:id').spanId);
  });

  it('sets HAS_IS_REMOTE on every span flags value, and IS_REMOTE when the parent is remote', () => {
    const spans = allSpans(decodeProtobuf(encodeOtlpProtobuf(fixture.spans)));
    const server = spans.find((s) => s.name === 'GET /orders/:id')!;
    expect(server.flags).toBe(0x100 | 0x200 | TraceFlags.SAMPLED | TraceFlags.RANDOM);
    const child = spans.find((s) => s.name === 'child-0')!;
    expect(child.flags).toBe(0x100 | TraceFlags.SAMPLED | TraceFlags.RANDOM);
    expect(server.links.map((l) => l.flags)).toEqual([0x100 | 0x200 | 0x01, 0x100]);
  });

  it('matches the official ProtobufTraceSerializer for the same spans as OpenTelemetry SDK spans', () => {
    const ours = decodeProtobuf(encodeOtlpProtobuf(fixture.spans), DECODED_WITH_DEFAULTS);
    const official = ProtobufTraceSerializer.serializeRequest(toSdkSpans(fixture.spans));
    expect(official).toBeInstanceOf(Uint8Array);
    expect(ours).toEqual(decodeProtobuf(official!, DECODED_WITH_DEFAULTS));
  });

  it('encodes an empty batch as an empty request', () => {
    expect(encodeOtlpProtobuf([])).toHaveLength(0);
  });

  it('encodes safe integers as int64 varints, negative ones in ten bytes', () => {
    const bytes = encodeOtlpProtobuf([handMadeSpan({ n: -1 })]);
    // KeyValue{key:"n", value:AnyValue{int_value:-1}}: 0x18 then ten bytes of two's complement.
    const negativeOne = [0x18, ...Array<number>(9).fill(0xff), 0x01];
    expect(indexOf(bytes, negativeOne)).toBeGreaterThan(0);
    const values = attributeValues(decodeProtobuf(encodeOtlpProtobuf([handMadeSpan(NUMBERS)])));
    expect(values).toEqual(NUMBERS_ON_THE_WIRE);
  });

  it('encodes a number array as one type: int64 when every item is a safe integer, else double', () => {
    const request = decodeProtobuf(
      encodeOtlpProtobuf([handMadeSpan({ ints: [1, -2, 3], mixed: [1, 2.5], big: [1, 2 ** 60] })]),
    );
    expect(attributeValues(request)).toEqual({
      ints: { arrayValue: { values: [{ intValue: '1' }, { intValue: '-2' }, { intValue: '3' }] } },
      mixed: { arrayValue: { values: [{ doubleValue: 1 }, { doubleValue: 2.5 }] } },
      big: { arrayValue: { values: [{ doubleValue: 1 }, { doubleValue: 2 ** 60 }] } },
    });
  });

  it('writes strings of every length as UTF-8 with a correct length prefix', () => {
    const attributes: Attributes = {};
    for (const length of [0, 1, 42, 43, 127, 128, 129, 16383, 16384, 70000]) {
      attributes[`ascii.${length}`] = 'a'.repeat(length);
      attributes[`utf8.${length}`] = 'é'.repeat(length);
    }
    attributes['astral'] = '🌍'.repeat(100);
    attributes['mixed'] = 'a'.repeat(100) + '€';
    const request = decodeProtobuf(encodeOtlpProtobuf([handMadeSpan(attributes, 'ünïcödé 名前')]));
    expect(attributesToJs(allSpans(request)[0]!.attributes)).toEqual(attributes);
    expect(allSpans(request)[0]!.name).toBe('ünïcödé 名前');
  });

  it('encodes batches far larger than its initial buffer, and each result stays intact', () => {
    // About 2.5 MB: the ResourceSpans and ScopeSpans lengths need four-byte varints.
    const exporter = new InMemorySpanExporter();
    const tracer = new Tracer({
      processor: new SimpleSpanProcessor(exporter),
      resource: { attributes: { 'service.name': 'bulk' } },
    });
    for (let i = 0; i < 2500; i++) {
      const payload = 'p'.repeat(i % 2000);
      tracer
        .startSpan(`span-${i}`, { attributes: { 'http.route': `/items/${i}`, index: i, payload } })
        .end();
    }
    const many = exporter.getFinishedSpans();
    const first = encodeOtlpProtobuf(many);
    expect(first.length).toBeGreaterThan(2 ** 21);
    const copy = Buffer.from(first);
    const second = encodeOtlpProtobuf(fixture.spans);
    expect(copy.equals(first)).toBe(true);
    const decoded = allSpans(decodeProtobuf(first));
    expect(decoded.map((s) => s.name)).toEqual(many.map((s) => s.name));
    expect(attributesToJs(decoded[1999]!.attributes)).toEqual(many[1999]!.attributes);
    expectRequestEncoded(decodeProtobuf(second));
  });
});

describe('encodeOtlpProtobufInto: the same bytes, written into a buffer the caller keeps', () => {
  it('writes into the scratch buffer given, and the same bytes as encodeOtlpProtobuf', () => {
    const scratch = Buffer.alloc(64 * 1024);
    const { bytes, buffer } = encodeOtlpProtobufInto(fixture.spans, scratch);
    expect(buffer).toBe(scratch);
    expect(bytes.buffer).toBe(scratch.buffer);
    expect(Buffer.from(bytes).equals(Buffer.from(encodeOtlpProtobuf(fixture.spans)))).toBe(true);
    expectRequestEncoded(decodeProtobuf(bytes));
  });

  it('grows past a small scratch buffer, and reusing it for the next batch gives that batch', () => {
    const exporter = new InMemorySpanExporter();
    const tracer = new Tracer({
      processor: new SimpleSpanProcessor(exporter),
      resource: { attributes: { 'service.name': 'reuse' } },
    });
    for (let i = 0; i < 300; i++) tracer.startSpan(`span-${i}`, { attributes: { i } }).end();
    const big = encodeOtlpProtobufInto(exporter.getFinishedSpans(), Buffer.alloc(16));
    expect(big.buffer.length).toBeGreaterThan(16);
    const bigBytes = Buffer.from(big.bytes);
    const small = encodeOtlpProtobufInto(fixture.spans, big.buffer);
    expect(small.buffer).toBe(big.buffer);
    expectRequestEncoded(decodeProtobuf(small.bytes));
    expect(allSpans(decodeProtobuf(bigBytes)).map((s) => s.name)).toEqual(
      exporter.getFinishedSpans().map((s) => s.name),
    );
    // encodeOtlpProtobuf keeps its own buffer and copies out: unaffected by the above.
    expectRequestEncoded(decodeProtobuf(encodeOtlpProtobuf(fixture.spans)));
  });
});

describe('encodeOtlpJson', () => {
  it('converts to the official ExportTraceServiceRequest type and carries every span field', () => {
    const request = decodeJson(encodeOtlpJson(fixture.spans));
    expect(request.resourceSpans).toHaveLength(2);
    expectRequestEncoded(request);
  });

  it('uses only field names of the official message types, in lowerCamelCase', () => {
    const parsed = JSON.parse(encodeOtlpJson(fixture.spans)) as unknown;
    expect(unknownFields(parsed, 'ExportTraceServiceRequest', '$')).toEqual([]);
  });

  it('writes ids as lowercase hex, enums as integers and 64-bit integers as decimal strings', () => {
    const parsed = JSON.parse(encodeOtlpJson(fixture.spans)) as OtlpRequest;
    const spans = allSpans(parsed);
    const server = spans.find((s) => s.name === 'GET /orders/:id')!;
    expect(server.traceId).toBe(REMOTE_TRACE_ID);
    expect(server.parentSpanId).toBe(REMOTE_PARENT_ID);
    expect(server.links[0]).toMatchObject({ traceId: LINKED_TRACE_ID, spanId: LINKED_SPAN_ID });
    for (const span of spans) {
      expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(span.startTimeUnixNano).toMatch(/^\d{19}$/);
      expect(span.endTimeUnixNano).toMatch(/^\d{19}$/);
      expect(typeof span.kind).toBe('number');
      expect(typeof span.flags).toBe('number');
      for (const event of span.events ?? []) expect(event.timeUnixNano).toMatch(/^\d{19}$/);
    }
    expect(server.status).toEqual({ code: 2, message: 'order not found' });
    const attributes = Object.fromEntries(server.attributes.map((kv) => [kv.key, kv.value]));
    expect(attributes['int']).toEqual({ intValue: '42' });
    expect(attributes['int.negative.large']).toEqual({ intValue: String(-(2 ** 40) - 3) });
    expect(attributes['double']).toEqual({ doubleValue: 3.25 });
    expect(attributes['bool.false']).toEqual({ boolValue: false });
    expect(attributes['array.int']).toEqual({
      arrayValue: {
        values: [{ intValue: '1' }, { intValue: '-2' }, { intValue: String(2 ** 33) }],
      },
    });
  });

  it('leaves parentSpanId out of root spans', () => {
    const parsed = JSON.parse(encodeOtlpJson(fixture.spans)) as OtlpRequest;
    const crowded = allSpans(parsed).find((s) => s.name === 'crowded')!;
    expect(crowded).not.toHaveProperty('parentSpanId');
  });

  it('carries the same message as the protobuf encoding', () => {
    expect(decodeJson(encodeOtlpJson(fixture.spans), DECODED_WITH_DEFAULTS)).toEqual(
      decodeProtobuf(encodeOtlpProtobuf(fixture.spans), DECODED_WITH_DEFAULTS),
    );
  });

  it('matches the official JsonTraceSerializer for the same spans as OpenTelemetry SDK spans', () => {
    const official = new TextDecoder().decode(
      JsonTraceSerializer.serializeRequest(toSdkSpans(fixture.spans)),
    );
    expect(decodeJson(encodeOtlpJson(fixture.spans), DECODED_WITH_DEFAULTS)).toEqual(
      decodeJson(official, DECODED_WITH_DEFAULTS),
    );
  });

  it('encodes an empty batch as an empty request', () => {
    expect(JSON.parse(encodeOtlpJson([]))).toEqual({ resourceSpans: [] });
  });

  it('keeps integers and doubles apart, spelling non-finite doubles as proto3 JSON strings', () => {
    const parsed = JSON.parse(encodeOtlpJson([handMadeSpan(NUMBERS)])) as OtlpRequest;
    const values = Object.fromEntries(
      allSpans(parsed)[0]!.attributes.map((kv) => [kv.key, kv.value]),
    );
    expect(values).toEqual({
      ...NUMBERS_ON_THE_WIRE,
      nan: { doubleValue: 'NaN' },
      inf: { doubleValue: 'Infinity' },
      ninf: { doubleValue: '-Infinity' },
    });
    // And the official type reads those strings back as the doubles.
    expect(attributeValues(decodeJson(encodeOtlpJson([handMadeSpan(NUMBERS)])))).toEqual(
      NUMBERS_ON_THE_WIRE,
    );
  });

  it('encodes a number array as one type: intValue when every item is a safe integer, else doubleValue', () => {
    const parsed = JSON.parse(
      encodeOtlpJson([handMadeSpan({ ints: [1, -2], mixed: [1, 2.5] })]),
    ) as OtlpRequest;
    expect(allSpans(parsed)[0]!.attributes).toEqual([
      { key: 'ints', value: { arrayValue: { values: [{ intValue: '1' }, { intValue: '-2' }] } } },
      {
        key: 'mixed',
        value: { arrayValue: { values: [{ doubleValue: 1 }, { doubleValue: 2.5 }] } },
      },
    ]);
  });

  it('escapes strings so no value can break the JSON', () => {
    const nasty = 'quote " backslash \\ newline \n tab \t nul \u0000 emoji 🌍 "},{"x":1';
    const span = handMadeSpan({ [nasty]: nasty }, nasty);
    const parsed = JSON.parse(encodeOtlpJson([span])) as OtlpRequest;
    const encoded = allSpans(parsed)[0]!;
    expect(encoded.name).toBe(nasty);
    expect(encoded.attributes).toEqual([{ key: nasty, value: { stringValue: nasty } }]);
  });
});

describe('epoch nanoseconds without BigInt', () => {
  it('agree with hrTimeToUnixNanos for every kind of high-resolution time', () => {
    const bits = new Uint32Array(2);
    const times = [
      0,
      1,
      0.000001,
      0.0000004,
      1.2345678,
      999.9999999,
      123456.789012,
      -5.5,
      -performance.timeOrigin + 1,
      86_400_000 * 365,
      86_400_000 * 365 + 0.123456,
      86_400_000 * 105 + 0.000001,
      -86_400_000 * 200.5,
      performance.now(),
    ];
    const expected = times.map((time) => hrTimeToUnixNanos(time));
    expect(times.map((time) => unixNanosString(time))).toEqual(expected.map(String));
    const fromBits = times.map((time) => {
      unixNanosBits(time, bits);
      return (BigInt(bits[1]!) << 32n) | BigInt(bits[0]!);
    });
    expect(fromBits).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------------------
// Helpers.

/** Numbers whose wire type matters, and what OTLP must carry for each. */
const NUMBERS: Attributes = {
  zero: 0,
  negativeZero: -0,
  one: 1,
  minusOne: -1,
  int32max: 2 ** 31 - 1,
  int32overflow: 2 ** 31,
  uint32max: 2 ** 32 - 1,
  int32min: -(2 ** 31),
  minusTwo32: -(2 ** 32),
  minusTwo48: -(2 ** 48),
  maxSafe: Number.MAX_SAFE_INTEGER,
  minSafe: Number.MIN_SAFE_INTEGER,
  unsafe: 2 ** 53,
  fraction: 0.1,
  negativeFraction: -1234.5678,
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  ninf: Number.NEGATIVE_INFINITY,
};
const NUMBERS_ON_THE_WIRE: Record<string, OtlpAnyValue | { doubleValue: number | string }> = {
  zero: { intValue: '0' },
  negativeZero: { intValue: '0' },
  one: { intValue: '1' },
  minusOne: { intValue: '-1' },
  int32max: { intValue: String(2 ** 31 - 1) },
  int32overflow: { intValue: String(2 ** 31) },
  uint32max: { intValue: String(2 ** 32 - 1) },
  int32min: { intValue: String(-(2 ** 31)) },
  minusTwo32: { intValue: String(-(2 ** 32)) },
  minusTwo48: { intValue: String(-(2 ** 48)) },
  maxSafe: { intValue: String(Number.MAX_SAFE_INTEGER) },
  minSafe: { intValue: String(Number.MIN_SAFE_INTEGER) },
  unsafe: { doubleValue: 2 ** 53 },
  fraction: { doubleValue: 0.1 },
  negativeFraction: { doubleValue: -1234.5678 },
  nan: { doubleValue: Number.NaN },
  inf: { doubleValue: Number.POSITIVE_INFINITY },
  ninf: { doubleValue: Number.NEGATIVE_INFINITY },
};

function attributeValues(request: OtlpRequest): Record<string, OtlpAnyValue> {
  return Object.fromEntries(allSpans(request)[0]!.attributes.map((kv) => [kv.key, kv.value]));
}

/** A finished span with exactly these attributes (no tracer limits in the way). */
function handMadeSpan(attributes: Attributes, name = 'hand-made'): ReadableSpan {
  const exporter = new InMemorySpanExporter();
  const tracer = new Tracer({
    processor: new SimpleSpanProcessor(exporter),
    resource: { attributes: {} },
    limits: { attributeCountLimit: 1000, attributeValueLengthLimit: 100_000 },
  });
  tracer.startSpan(name, { attributes }).end();
  const span = exporter.getFinishedSpans()[0]!;
  expect(span.attributes).toEqual(attributes);
  return span;
}

function indexOf(haystack: Uint8Array, needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Field names the official generated message classes do not declare, walking the JSON
 * with the message type of each nested field. protobufjs' fromObject ignores unknown
 * names, so this is what catches a misspelt field.
 */
const MESSAGE_FIELDS: Record<string, { type: MessageType; nested: Record<string, string> }> = {
  ExportTraceServiceRequest: {
    type: ExportTraceServiceRequest,
    nested: { resourceSpans: 'ResourceSpans' },
  },
  ResourceSpans: {
    type: otlp.trace.v1.ResourceSpans,
    nested: { resource: 'Resource', scopeSpans: 'ScopeSpans' },
  },
  Resource: { type: otlp.resource.v1.Resource, nested: { attributes: 'KeyValue' } },
  ScopeSpans: {
    type: otlp.trace.v1.ScopeSpans,
    nested: { scope: 'InstrumentationScope', spans: 'Span' },
  },
  InstrumentationScope: {
    type: otlp.common.v1.InstrumentationScope,
    nested: { attributes: 'KeyValue' },
  },
  Span: {
    type: otlp.trace.v1.Span,
    nested: { attributes: 'KeyValue', events: 'Event', links: 'Link', status: 'Status' },
  },
  Event: { type: otlp.trace.v1.Span.Event, nested: { attributes: 'KeyValue' } },
  Link: { type: otlp.trace.v1.Span.Link, nested: { attributes: 'KeyValue' } },
  Status: { type: otlp.trace.v1.Status, nested: {} },
  KeyValue: { type: otlp.common.v1.KeyValue, nested: { value: 'AnyValue' } },
  AnyValue: { type: otlp.common.v1.AnyValue, nested: { arrayValue: 'ArrayValue' } },
  ArrayValue: { type: otlp.common.v1.ArrayValue, nested: { values: 'AnyValue' } },
};

function unknownFields(value: unknown, typeName: string, path: string): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => unknownFields(item, typeName, `${path}[${i}]`));
  }
  if (value === null || typeof value !== 'object') return [`${path}: not an object`];
  const { type, nested } = MESSAGE_FIELDS[typeName]!;
  const known = new Set(Object.keys(type.prototype));
  const problems: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    if (!known.has(key)) problems.push(`${path}.${key}`);
    else if (nested[key] !== undefined) {
      problems.push(...unknownFields(item, nested[key], `${path}.${key}`));
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------
// The same spans as OpenTelemetry SDK ReadableSpans, for the official serializers.

type SdkSpan = Parameters<typeof JsonTraceSerializer.serializeRequest>[0][number];
type SdkHrTime = SdkSpan['startTime'];

function hrTime(time: number): SdkHrTime {
  const nanos = hrTimeToUnixNanos(time);
  return [Number(nanos / 1_000_000_000n), Number(nanos % 1_000_000_000n)];
}

function sdkContext(context: SpanContext): ReturnType<SdkSpan['spanContext']> {
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    traceFlags: context.traceFlags,
    traceState: context.traceState as ReturnType<SdkSpan['spanContext']>['traceState'],
    isRemote: context.isRemote,
  };
}

/** Ours are readonly arrays; the SDK's type says mutable ones. Same values. */
const sdkAttributes = (attributes: Readonly<Attributes>): SdkSpan['attributes'] =>
  ({ ...attributes }) as SdkSpan['attributes'];

function toSdkSpans(spans: readonly ReadableSpan[]): SdkSpan[] {
  // One SDK resource and scope object per one of ours: the serializers group by identity.
  const resources = new Map<Resource, SdkSpan['resource']>();
  const scopes = new Map<string, SdkSpan['instrumentationScope']>();
  return spans.map((span): SdkSpan => {
    let resource = resources.get(span.resource);
    if (resource === undefined) {
      resource = { attributes: { ...span.resource.attributes } } as unknown as SdkSpan['resource'];
      resources.set(span.resource, resource);
    }
    const scopeKey = `${span.instrumentationScope.name}@${span.instrumentationScope.version ?? ''}`;
    let scope = scopes.get(scopeKey);
    if (scope === undefined) {
      scope = { ...span.instrumentationScope };
      scopes.set(scopeKey, scope);
    }
    const context = span.spanContext();
    return {
      name: span.name,
      kind: span.kind,
      spanContext: () => sdkContext(context),
      parentSpanContext:
        span.parentSpanId === undefined
          ? undefined
          : {
              traceId: span.traceId,
              spanId: span.parentSpanId,
              traceFlags: span.traceFlags,
              isRemote: span.parentIsRemote,
            },
      startTime: hrTime(span.startTime),
      endTime: hrTime(span.endTime),
      status: { ...span.status },
      attributes: sdkAttributes(span.attributes),
      links: span.links.map((link) => ({
        context: sdkContext(link.context),
        attributes: link.attributes && sdkAttributes(link.attributes),
      })),
      events: span.events.map((event) => ({
        name: event.name,
        time: hrTime(event.time),
        attributes: event.attributes && sdkAttributes(event.attributes),
        droppedAttributesCount: event.droppedAttributesCount,
      })),
      duration: [0, 0],
      ended: true,
      resource,
      instrumentationScope: scope,
      droppedAttributesCount: span.droppedAttributesCount,
      droppedEventsCount: span.droppedEventsCount,
      droppedLinksCount: span.droppedLinksCount,
    };
  });
}
