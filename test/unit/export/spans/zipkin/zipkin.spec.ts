import { readFileSync } from 'node:fs';
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIPv4, isIPv6 } from 'node:net';
import { Ajv, type AnySchemaObject } from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemorySpanExporter } from '../../../../../lib/export/spans/in-memory-span-exporter.js';
import {
  DEFAULT_ZIPKIN_URL,
  ZipkinExporter,
  encodeZipkinJson,
  toZipkinSpan,
  zipkinOptionsFromEnv,
  type ZipkinExporterOptions,
  type ZipkinFormatOptions,
  type ZipkinSpan,
} from '../../../../../lib/export/spans/zipkin/index.js';
import { SimpleSpanProcessor } from '../../../../../lib/core/simple-span-processor.js';
import { ExportResultCode } from '../../../../../lib/core/span-exporter.js';
import { B3Propagator } from '../../../../../lib/core/propagation/b3-propagator.js';
import { Tracer, type SpanOptions } from '../../../../../lib/core/tracer.js';
import {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Attributes,
  type ReadableSpan,
  type SpanContext,
  type SpanLimits,
} from '../../../../../lib/core/types.js';

// ---------------------------------------------------------------------------------------
// The official Zipkin v2 definitions, as JSON Schema (see the fixture's $comment).

const schema = JSON.parse(
  readFileSync(new URL('../../../../fixtures/zipkin2-api.schema.json', import.meta.url), 'utf8'),
) as AnySchemaObject;

/**
 * The spec leaves Span, Endpoint and Annotation open to extra properties. This stricter
 * copy (ours, not the spec's) closes them, so a misspelt field name fails too.
 */
function closedCopy(source: AnySchemaObject): AnySchemaObject {
  const copy = structuredClone(source) as AnySchemaObject & {
    definitions: Record<string, AnySchemaObject>;
  };
  copy.$id = 'zipkin2-api.closed.schema.json';
  for (const name of ['Span', 'Endpoint', 'Annotation']) {
    copy.definitions[name]!.additionalProperties = false;
  }
  return copy;
}

const ajv = new Ajv({ allErrors: true, strict: true });
ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
ajv.addFormat('ipv4', (s: string) => isIPv4(s));
ajv.addFormat('ipv6', (s: string) => isIPv6(s));
const validateListOfSpans = ajv.compile(schema);
const validateClosed = ajv.compile(closedCopy(schema));

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

/** Fails with ajv's messages unless `body` is a valid Zipkin v2 ListOfSpans. */
function expectValidListOfSpans(body: unknown): void {
  validateListOfSpans(body);
  expect(validateListOfSpans.errors ?? []).toEqual([]);
  validateClosed(body);
  expect(validateClosed.errors ?? []).toEqual([]);
  // The spec's id patterns are unanchored; check the exact shapes we promise.
  const spans = body as ZipkinSpan[];
  for (const span of spans) expect(span.traceId).toMatch(TRACE_ID);
  const spanIds = spans.flatMap((span) => [
    span.id,
    ...(span.parentId === undefined ? [] : [span.parentId]),
  ]);
  for (const id of spanIds) expect(id).toMatch(SPAN_ID);
}

/** Encodes like the exporter does, validates the body, and returns it parsed. */
function zipkinOf(spans: readonly ReadableSpan[], options?: ZipkinFormatOptions): ZipkinSpan[] {
  const parsed = JSON.parse(encodeZipkinJson(spans, options)) as unknown;
  expectValidListOfSpans(parsed);
  // Nothing undefined or lost in JSON: the body is exactly the typed objects.
  expect(parsed).toStrictEqual(spans.map((span) => toZipkinSpan(span, options)));
  return parsed as ZipkinSpan[];
}

function zipkinOne(span: ReadableSpan, options?: ZipkinFormatOptions): ZipkinSpan {
  return zipkinOf([span], options)[0]!;
}

// ---------------------------------------------------------------------------------------
// Real spans from the real tracer.

/** Integer epoch milliseconds, so expected microseconds are exact. */
const T0 = Date.now();
const at = (ms: number): number => T0 + ms;
const micros = (ms: number): number => (T0 + ms) * 1000;

const RESOURCE: Attributes = {
  'service.name': 'orders',
  'service.version': '1.2.3',
  'deployment.environment.name': 'test',
};

function setup(resource: Attributes = RESOURCE, limits?: Partial<SpanLimits>) {
  const memory = new InMemorySpanExporter();
  const tracer = new Tracer({
    processor: new SimpleSpanProcessor(memory),
    resource: { attributes: resource },
    scope: { name: 'orders-instrumentation', version: '2.0.0' },
    limits,
  });
  /** Starts at `startMs`, ends at `endMs` (ms after T0), and returns the finished span. */
  const record = (
    name: string,
    options: SpanOptions,
    startMs = 0,
    endMs = 5,
    work?: (span: ReturnType<Tracer['startSpan']>) => void,
  ): ReadableSpan => {
    const span = tracer.startSpan(name, { ...options, startTime: at(startMs) });
    work?.(span);
    span.end(at(endMs));
    const finished = memory.findSpan((s) => s.spanId === span.spanContext().spanId);
    if (finished === undefined) throw new Error(`span ${name} was not exported`);
    return finished;
  };
  return { tracer, memory, record };
}

const remoteParent: SpanContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
};

describe('toZipkinSpan / encodeZipkinJson', () => {
  it('maps a server span with a remote parent: ids, parentId, kind, µs times, service name, no shared flag', () => {
    const { record } = setup();
    const span = record('GET /users/:id', { kind: SpanKind.SERVER, parent: remoteParent }, 0, 12.5);
    const zipkin = zipkinOne(span);

    expect(zipkin.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(zipkin.id).toBe(span.spanId);
    expect(zipkin.id).not.toBe(remoteParent.spanId);
    expect(zipkin.parentId).toBe('00f067aa0ba902b7');
    expect(zipkin.name).toBe('GET /users/:id');
    expect(zipkin.kind).toBe('SERVER');
    expect(zipkin.timestamp).toBe(micros(0));
    expect(Math.abs(zipkin.timestamp - Number(span.startTimeUnixNano / 1000n))).toBeLessThanOrEqual(
      1,
    );
    expect(zipkin.duration).toBe(12_500);
    expect(zipkin.localEndpoint).toEqual({ serviceName: 'orders' });
    // Our server span has its own id (child of the client's), so it shares nothing.
    expect(zipkin).not.toHaveProperty('shared');
    expect(zipkin).not.toHaveProperty('remoteEndpoint');
    expect(zipkin).not.toHaveProperty('annotations');
  });

  it('marks every span of a trace forced by a B3 debug request debug, and no other', () => {
    const { record } = setup();
    const parent = new B3Propagator().extract(
      {},
      { b3: `${remoteParent.traceId}-${remoteParent.spanId}-d` },
    ).spanContext;
    const server = record('GET /orders', { kind: SpanKind.SERVER, parent });
    const child = record('load', { parent: server.spanContext() });
    const plain = record('GET /users', { kind: SpanKind.SERVER, parent: remoteParent });
    const [a, b, c] = zipkinOf([server, child, plain]);
    expect(a!.debug).toBe(true);
    expect(b!.debug).toBe(true);
    expect(c).not.toHaveProperty('debug');
  });

  it('names CLIENT, PRODUCER and CONSUMER kinds and omits the kind of INTERNAL spans', () => {
    const { record } = setup();
    const spans = [
      record('internal', { kind: SpanKind.INTERNAL }),
      record('server', { kind: SpanKind.SERVER }),
      record('client', { kind: SpanKind.CLIENT }),
      record('producer', { kind: SpanKind.PRODUCER }),
      record('consumer', { kind: SpanKind.CONSUMER }),
    ];
    const zipkin = zipkinOf(spans);
    expect(zipkin.map((s) => s.kind)).toEqual([
      undefined,
      'SERVER',
      'CLIENT',
      'PRODUCER',
      'CONSUMER',
    ]);
    expect(zipkin[0]).not.toHaveProperty('kind');
    // A root span has no parentId at all (not null).
    expect(zipkin[0]).not.toHaveProperty('parentId');
  });

  it('links child spans to their local parent by parentId within one trace', () => {
    const { tracer, memory } = setup();
    tracer.startActiveSpan('parent', (parent) => {
      tracer.startSpan('child', { kind: SpanKind.CLIENT }).end();
      parent.end();
    });
    const [child, parent] = zipkinOf(memory.getFinishedSpans());
    expect(child!.parentId).toBe(parent!.id);
    expect(child!.traceId).toBe(parent!.traceId);
  });

  it('puts an IP literal server.address into remoteEndpoint.ipv4 with server.port', () => {
    const { record } = setup();
    const span = record('GET', {
      kind: SpanKind.CLIENT,
      attributes: { 'server.address': '10.1.2.3', 'server.port': 8443 },
    });
    expect(zipkinOne(span).remoteEndpoint).toEqual({ ipv4: '10.1.2.3', port: 8443 });
  });

  it('names the remote service after a host-name server.address, since a Zipkin endpoint has no host field', () => {
    const { record } = setup();
    const span = record('GET', {
      kind: SpanKind.CLIENT,
      attributes: { 'server.address': 'users.internal', 'server.port': 3000 },
    });
    const zipkin = zipkinOne(span);
    expect(zipkin.remoteEndpoint).toEqual({ serviceName: 'users.internal', port: 3000 });
    // The attributes are still tags too.
    expect(zipkin.tags?.['server.address']).toBe('users.internal');
    expect(zipkin.tags?.['server.port']).toBe('3000');
  });

  it('uses network.peer.address/port as ipv6, and a mapped IPv4 address as ipv4', () => {
    const { record } = setup();
    const v6 = record('v6', {
      kind: SpanKind.CLIENT,
      attributes: { 'network.peer.address': '2001:DB8::C001', 'network.peer.port': '9000' },
    });
    const mapped = record('mapped', {
      kind: SpanKind.PRODUCER,
      attributes: { 'network.peer.address': '::ffff:192.168.99.100', 'network.peer.port': 5672 },
    });
    const [a, b] = zipkinOf([v6, mapped]);
    expect(a!.remoteEndpoint).toEqual({ ipv6: '2001:db8::c001', port: 9000 });
    expect(b!.remoteEndpoint).toEqual({ ipv4: '192.168.99.100', port: 5672 });
  });

  it('prefers peer.service as the remote name and takes the IP and its port from a lower-ranked attribute', () => {
    const { record } = setup();
    const span = record('charge', {
      kind: SpanKind.CLIENT,
      attributes: {
        'peer.service': 'payments',
        'server.address': 'payments.svc',
        'server.port': 443,
        'network.peer.address': '172.19.0.2',
        'network.peer.port': 58648,
      },
    });
    expect(zipkinOne(span).remoteEndpoint).toEqual({
      serviceName: 'payments',
      ipv4: '172.19.0.2',
      port: 58648,
    });
  });

  it('ignores a zero or out-of-range port', () => {
    const { record } = setup();
    const zero = record('a', {
      kind: SpanKind.CLIENT,
      attributes: { 'server.address': '10.0.0.1', 'server.port': 0 },
    });
    const huge = record('b', {
      kind: SpanKind.CLIENT,
      attributes: { 'server.address': 'db', 'server.port': 70_000 },
    });
    const [a, b] = zipkinOf([zero, huge]);
    expect(a!.remoteEndpoint).toEqual({ ipv4: '10.0.0.1' });
    expect(b!.remoteEndpoint).toEqual({ serviceName: 'db' });
  });

  it('gives no remoteEndpoint to a client without peer attributes, nor to server and internal spans', () => {
    const { record } = setup();
    const peerAttributes = { 'server.address': '10.0.0.9', 'server.port': 80 };
    const spans = [
      record('bare client', { kind: SpanKind.CLIENT }),
      // On a server span server.address is this host, not the peer.
      record('server', { kind: SpanKind.SERVER, attributes: peerAttributes }),
      record('internal', { kind: SpanKind.INTERNAL, attributes: peerAttributes }),
    ];
    for (const zipkin of zipkinOf(spans)) expect(zipkin).not.toHaveProperty('remoteEndpoint');
  });

  it('writes every attribute as a string tag: decimal numbers, lower-case booleans, arrays as JSON lists', () => {
    const { record } = setup();
    const span = record('typed', {
      attributes: {
        'http.request.method': 'GET',
        'http.response.status_code': 200,
        ratio: 0.25,
        'cache.hit': true,
        'cache.stale': false,
        'tags.list': ['a', 'b,c'],
        'retry.delays': [100, 250.5],
        'flags.list': [true, false],
      },
    });
    const tags = zipkinOne(span).tags!;
    expect(tags['http.request.method']).toBe('GET');
    expect(tags['http.response.status_code']).toBe('200');
    expect(tags.ratio).toBe('0.25');
    expect(tags['cache.hit']).toBe('true');
    expect(tags['cache.stale']).toBe('false');
    expect(tags['tags.list']).toBe('["a","b,c"]');
    expect(tags['retry.delays']).toBe('[100,250.5]');
    expect(tags['flags.list']).toBe('[true,false]');
  });

  it('adds resource attributes (but not service.name) and the instrumentation scope as tags, span attributes winning', () => {
    const { record } = setup({ ...RESOURCE, 'service.namespace': 'shop', 'host.name': 'box-1' });
    const span = record('scoped', { attributes: { 'host.name': 'overridden' } });
    const tags = zipkinOne(span).tags!;
    expect(tags).not.toHaveProperty('service.name');
    expect(tags['service.version']).toBe('1.2.3');
    expect(tags['deployment.environment.name']).toBe('test');
    expect(tags['service.namespace']).toBe('shop');
    expect(tags['host.name']).toBe('overridden');
    expect(tags['otel.scope.name']).toBe('orders-instrumentation');
    expect(tags['otel.scope.version']).toBe('2.0.0');
    expect(tags['otel.library.name']).toBe('orders-instrumentation');
    expect(tags['otel.library.version']).toBe('2.0.0');
  });

  it('turns ERROR status into otel.status_code=ERROR and an error tag carrying the description', () => {
    const { record } = setup();
    const described = record('fails', {}, 0, 5, (span) => {
      span.setAttribute('error', false);
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'db down' });
    });
    const undescribed = record('fails quietly', {}, 0, 5, (span) =>
      span.setStatus({ code: SpanStatusCode.ERROR }),
    );
    const [a, b] = zipkinOf([described, undescribed]);
    expect(a!.tags!['otel.status_code']).toBe('ERROR');
    expect(a!.tags!.error).toBe('db down');
    expect(b!.tags!['otel.status_code']).toBe('ERROR');
    expect(b!.tags!.error).toBe('');
  });

  it('tags OK status as otel.status_code=OK, tags nothing for UNSET, and drops a false error attribute', () => {
    const { record } = setup();
    const ok = record('ok', { attributes: { error: false } }, 0, 5, (span) =>
      span.setStatus({ code: SpanStatusCode.OK }),
    );
    const unset = record('unset', { attributes: { error: 'false', 'otel.status_code': 'OK' } });
    const [a, b] = zipkinOf([ok, unset]);
    expect(a!.tags!['otel.status_code']).toBe('OK');
    expect(a!.tags).not.toHaveProperty('error');
    expect(b!.tags).not.toHaveProperty('otel.status_code');
    expect(b!.tags).not.toHaveProperty('error');
  });

  it('turns events into annotations at their µs time: the bare name, or "name": {attributes JSON}', () => {
    const { record } = setup();
    const error = new TypeError('db down');
    const span = record('with events', {}, 0, 10, (s) => {
      s.addEvent('cache.miss', undefined, at(1));
      s.addEvent('retry', { attempt: 2, 'retry.reason': 'timeout' }, at(2.5));
      s.recordException(error, at(3));
    });
    const annotations = zipkinOne(span).annotations!;
    expect(annotations).toHaveLength(3);
    expect(annotations[0]).toEqual({ timestamp: micros(1), value: 'cache.miss' });
    expect(annotations[1]).toEqual({
      timestamp: micros(2.5),
      value: '"retry": {"attempt":2,"retry.reason":"timeout"}',
    });
    expect(annotations[2]!.timestamp).toBe(micros(3));
    const prefix = '"exception": ';
    expect(annotations[2]!.value.startsWith(prefix)).toBe(true);
    expect(JSON.parse(annotations[2]!.value.slice(prefix.length))).toEqual({
      'exception.type': 'TypeError',
      'exception.message': 'db down',
      'exception.stacktrace': error.stack,
    });
  });

  it('drops an exact duplicate annotation, which the spec forbids (uniqueItems)', () => {
    const { record } = setup();
    const span = record('twice', {}, 0, 10, (s) => {
      s.addEvent('tick', undefined, at(1));
      s.addEvent('tick', undefined, at(1));
      s.addEvent('tick', undefined, at(2));
    });
    expect(zipkinOne(span).annotations).toEqual([
      { timestamp: micros(1), value: 'tick' },
      { timestamp: micros(2), value: 'tick' },
    ]);
  });

  it('rounds a sub-microsecond span up to the 1 µs minimum duration', () => {
    const { record } = setup();
    const instant = record('instant', {}, 0, 0);
    const tiny = record('tiny', {}, 0, 0.0004);
    const [a, b] = zipkinOf([instant, tiny]);
    expect(a!.duration).toBe(1);
    expect(b!.duration).toBe(1);
  });

  it('gives a span timed by the clock its µs epoch start and duration', () => {
    const { tracer, memory } = setup();
    const before = Date.now() * 1000;
    const span = tracer.startSpan('live');
    span.end();
    const finished = memory.getFinishedSpans()[0]!;
    const zipkin = zipkinOne(finished);
    // Span times come from the monotonic clock anchored at process start, which drifts
    // from Date.now() over a long run: 100 ms of slack, still far from a unit mistake
    // (ms or ns instead of µs would be off by 1000x).
    expect(zipkin.timestamp).toBeGreaterThanOrEqual(before - 100_000);
    expect(zipkin.timestamp).toBeLessThanOrEqual(Date.now() * 1000 + 100_000);
    expect(
      Math.abs(zipkin.timestamp - Number(finished.startTimeUnixNano / 1000n)),
    ).toBeLessThanOrEqual(1);
    expect(Math.abs(zipkin.duration - Math.max(1, finished.durationMs * 1000))).toBeLessThanOrEqual(
      1,
    );
  });

  it('reports dropped attribute, event and link counts as otel.dropped_* tags', () => {
    const { record } = setup(RESOURCE, {
      attributeCountLimit: 1,
      eventCountLimit: 1,
      linkCountLimit: 0,
    });
    const span = record('limited', {}, 0, 5, (s) => {
      s.setAttributes({ a: 1, b: 2, c: 3 });
      s.addEvent('one');
      s.addEvent('two');
      s.addLink({ context: remoteParent });
    });
    const tags = zipkinOne(span).tags!;
    expect(tags['otel.dropped_attributes_count']).toBe('2');
    expect(tags['otel.dropped_events_count']).toBe('1');
    expect(tags['otel.dropped_links_count']).toBe('1');
    const unlimited = zipkinOne(setup().record('plain', {})).tags!;
    expect(Object.keys(unlimited).some((key) => key.startsWith('otel.dropped_'))).toBe(false);
  });

  it('uses the serviceName option over the resource, and unknown_service when neither names one', () => {
    const named = setup().record('a', {});
    const anonymous = setup({ 'host.name': 'box' }).record('b', {});
    expect(zipkinOne(named, { serviceName: 'checkout' }).localEndpoint).toEqual({
      serviceName: 'checkout',
    });
    expect(zipkinOne(anonymous).localEndpoint).toEqual({ serviceName: 'unknown_service' });
  });

  it('encodes a batch as one JSON array and an empty batch as []', () => {
    const { record } = setup();
    const spans = [record('a', { kind: SpanKind.SERVER }), record('b', { kind: SpanKind.CLIENT })];
    expect(zipkinOf(spans).map((s) => s.name)).toEqual(['a', 'b']);
    expect(encodeZipkinJson([])).toBe('[]');
    expectValidListOfSpans([]);
  });
});

const valid = (): ZipkinSpan => ({
  traceId: '5af7183fb1d4cf5f5af7183fb1d4cf5f',
  id: '352bff9a74ca9ad2',
  timestamp: 1556604172355737,
  duration: 1431,
  localEndpoint: { serviceName: 'backend' },
  annotations: [{ timestamp: 1556604172355738, value: 'ws' }],
  tags: { 'http.method': 'GET' },
});
describe('the Zipkin v2 schema fixture', () => {
  const broken: [string, (span: Record<string, unknown>) => void][] = [
    ['a duration of 0', (s) => (s.duration = 0)],
    ['a fractional timestamp', (s) => (s.timestamp = 1.5)],
    ['kind INTERNAL', (s) => (s.kind = 'INTERNAL')],
    ['a number tag value', (s) => (s.tags = { status: 200 })],
    ['a missing id', (s) => delete s.id],
    ['an upper-case trace id', (s) => (s.traceId = '5AF7183FB1D4CF5F5AF7183FB1D4CF5F')],
    ['a 15-character span id', (s) => (s.id = '352bff9a74ca9ad')],
    ['an ipv4 that is not an address', (s) => (s.remoteEndpoint = { ipv4: 'users.internal' })],
    [
      'duplicate annotations',
      (s) => (s.annotations = [...(s.annotations as unknown[]), ...(s.annotations as unknown[])]),
    ],
    ['an annotation without a value', (s) => (s.annotations = [{ timestamp: 1 }])],
  ];

  it('accepts the example span the spec gives, and a valid 128-bit span', () => {
    const example = (schema.definitions as Record<string, { examples: unknown[] }>).Span!
      .examples[0];
    expect(validateListOfSpans([example])).toBe(true);
    expect(validateClosed([example])).toBe(true);
    expect(validateListOfSpans([valid()])).toBe(true);
  });

  it.each(broken)('rejects a span with %s', (_, breakIt) => {
    const span = valid() as unknown as Record<string, unknown>;
    breakIt(span);
    expect(validateListOfSpans([span])).toBe(false);
  });

  it('rejects, in the closed copy only, a field the spec does not define', () => {
    const span = { ...valid(), parentSpanId: '352bff9a74ca9ad2' };
    expect(validateListOfSpans([span])).toBe(true);
    expect(validateClosed([span])).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------
// The exporter against a real HTTP server.

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** A collector on 127.0.0.1 and an ephemeral port that answers with `answer`. */
async function startCollector(
  answer: (res: ServerResponse, received: Received) => void = (res) => {
    res.statusCode = 202;
    res.end();
  },
): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry: Received = {
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(entry);
      answer(res, entry);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/v2/spans`, received };
}

function someSpans(): ReadableSpan[] {
  const { record } = setup();
  return [
    record('GET /users/:id', { kind: SpanKind.SERVER, parent: remoteParent }),
    record('SELECT users', {
      kind: SpanKind.CLIENT,
      attributes: { 'server.address': '10.0.0.5', 'server.port': 5432 },
    }),
  ];
}

describe('ZipkinExporter', () => {
  it('POSTs the spans as Zipkin v2 JSON to /api/v2/spans with the custom headers, and succeeds on 202', async () => {
    const collector = await startCollector();
    const exporter = new ZipkinExporter({
      url: collector.url,
      headers: { 'X-Scope-OrgID': 'tenant-1', authorization: 'Bearer t' },
    });
    const spans = someSpans();

    const result = await exporter.export(spans);

    expect(result).toEqual({ code: ExportResultCode.SUCCESS });
    expect(collector.received).toHaveLength(1);
    const request = collector.received[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/api/v2/spans');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-scope-orgid']).toBe('tenant-1');
    expect(request.headers.authorization).toBe('Bearer t');
    const body = JSON.parse(request.body) as unknown;
    expectValidListOfSpans(body);
    expect(body).toEqual(spans.map((span) => toZipkinSpan(span)));
  });

  it('sends the serviceName option as every span’s local service name', async () => {
    const collector = await startCollector();
    const exporter = new ZipkinExporter({ url: collector.url, serviceName: 'edge' });
    await exporter.export(someSpans());
    const body = JSON.parse(collector.received[0]!.body) as ZipkinSpan[];
    expect(body.map((s) => s.localEndpoint.serviceName)).toEqual(['edge', 'edge']);
  });

  it('reports a 500 as a failure that is not retried', async () => {
    const collector = await startCollector((res) => {
      res.statusCode = 500;
      res.end('boom');
    });
    const result = await new ZipkinExporter({ url: collector.url }).export(someSpans());
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.retryable).toBe(false);
    expect(result.error?.message).toContain('ZipkinExporter');
    expect(result.error?.message).toContain('HTTP 500');
  });

  it('reports a 503 with Retry-After as retryable after that delay', async () => {
    const collector = await startCollector((res) => {
      res.statusCode = 503;
      res.setHeader('retry-after', '7');
      res.end();
    });
    const result = await new ZipkinExporter({ url: collector.url }).export(someSpans());
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.retryable).toBe(true);
    expect(result.retryAfterMs).toBe(7000);
  });

  it('reports a refused connection as retryable', async () => {
    const collector = await startCollector();
    const closed = servers.pop()!;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await new ZipkinExporter({ url: collector.url }).export(someSpans());
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.retryable).toBe(true);
    expect(result.error?.message).toMatch(/ECONNREFUSED/);
  });

  it('sends no request for an empty batch', async () => {
    const collector = await startCollector();
    const result = await new ZipkinExporter({ url: collector.url }).export([]);
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    expect(collector.received).toHaveLength(0);
  });

  it('fails exports at once after shutdown, without sending', async () => {
    const collector = await startCollector();
    const exporter = new ZipkinExporter({ url: collector.url });
    await exporter.shutdown();
    const result = await exporter.export(someSpans());
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.retryable).toBeUndefined();
    expect(result.error?.message).toMatch(/after shutdown/);
    expect(collector.received).toHaveLength(0);
  });

  it('waits on shutdown for an export already sent', async () => {
    let release: (() => void) | undefined;
    const collector = await startCollector((res) => {
      release = () => {
        res.statusCode = 202;
        res.end();
      };
    });
    const exporter = new ZipkinExporter({ url: collector.url });
    const exported = exporter.export(someSpans());
    await expect.poll(() => collector.received.length).toBe(1);
    let shutDown = false;
    const shutdown = exporter.shutdown().then(() => (shutDown = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(shutDown).toBe(false);
    release!();
    await shutdown;
    expect((await exported).code).toBe(ExportResultCode.SUCCESS);
  });

  it('defaults to the Zipkin endpoint on localhost:9411', () => {
    expect(new ZipkinExporter().url).toBe('http://localhost:9411/api/v2/spans');
    expect(DEFAULT_ZIPKIN_URL).toBe('http://localhost:9411/api/v2/spans');
  });

  const invalid: [string, unknown, RegExp][] = [
    ['url', { url: 'ftp://zipkin:21/spans' }, /option "url" must be an http: or https: URL/],
    ['url', { url: 'not a url' }, /option "url"/],
    ['timeoutMs', { timeoutMs: 0 }, /option "timeoutMs" must be a positive number/],
    ['timeoutMs', { timeoutMs: Number.NaN }, /option "timeoutMs"/],
    ['headers', { headers: ['x'] }, /option "headers" must be an object/],
    [
      'headers',
      { headers: { 'bad name': 'v' } },
      /option "headers.bad name" has an invalid header name "bad name"/,
    ],
    ['headers', { headers: { 'x-a': 'line\r\nbreak' } }, /option "headers.x-a" must be a string/],
    ['serviceName', { serviceName: '  ' }, /option "serviceName" must be a non-empty string/],
  ];
  it.each(invalid)('rejects an invalid %s with a message naming it (%j)', (_, options, message) => {
    expect(() => new ZipkinExporter(options as ZipkinExporterOptions)).toThrow(message);
  });
});

describe('zipkinOptionsFromEnv', () => {
  it('reads OTEL_EXPORTER_ZIPKIN_ENDPOINT and OTEL_EXPORTER_ZIPKIN_TIMEOUT (ms)', () => {
    const warnings: string[] = [];
    const options = zipkinOptionsFromEnv(
      {
        OTEL_EXPORTER_ZIPKIN_ENDPOINT: ' https://zipkin.example:9411/api/v2/spans ',
        OTEL_EXPORTER_ZIPKIN_TIMEOUT: '2500',
      },
      warnings,
    );
    expect(options).toEqual({ url: 'https://zipkin.example:9411/api/v2/spans', timeoutMs: 2500 });
    expect(warnings).toEqual([]);
  });

  it('returns no options for unset or empty variables, so the defaults apply', () => {
    expect(zipkinOptionsFromEnv({})).toEqual({});
    expect(
      zipkinOptionsFromEnv({
        OTEL_EXPORTER_ZIPKIN_ENDPOINT: '',
        OTEL_EXPORTER_ZIPKIN_TIMEOUT: ' ',
      }),
    ).toEqual({});
  });

  it('skips invalid values with a warning naming the variable instead of throwing', () => {
    const warnings: string[] = [];
    const options = zipkinOptionsFromEnv(
      { OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'zipkin:9411', OTEL_EXPORTER_ZIPKIN_TIMEOUT: '10s' },
      warnings,
    );
    expect(options).toEqual({});
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^OTEL_EXPORTER_ZIPKIN_ENDPOINT="zipkin:9411" is not valid/);
    expect(warnings[1]).toMatch(/^OTEL_EXPORTER_ZIPKIN_TIMEOUT="10s" is not valid/);
  });

  it('configures an exporter that sends to the endpoint from the environment', async () => {
    const collector = await startCollector();
    const exporter = new ZipkinExporter(
      zipkinOptionsFromEnv({ OTEL_EXPORTER_ZIPKIN_ENDPOINT: collector.url }),
    );
    expect((await exporter.export(someSpans())).code).toBe(ExportResultCode.SUCCESS);
    expect(collector.received).toHaveLength(1);
  });

  it('applies OTEL_EXPORTER_ZIPKIN_TIMEOUT as the request deadline, reported as retryable', async () => {
    const collector = await startCollector(() => {
      // Never answers.
    });
    const exporter = new ZipkinExporter(
      zipkinOptionsFromEnv({
        OTEL_EXPORTER_ZIPKIN_ENDPOINT: collector.url,
        OTEL_EXPORTER_ZIPKIN_TIMEOUT: '150',
      }),
    );
    const result = await exporter.export(someSpans());
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.retryable).toBe(true);
    expect(result.error?.message).toMatch(/timed out after 150 ms/);
  });
});
