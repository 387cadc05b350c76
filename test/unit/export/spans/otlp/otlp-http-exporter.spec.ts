import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import protoRoot from 'otlp-transformer-protos/build/src/generated/root.js';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { InMemorySpanExporter } from '../../../../../lib/export/spans/in-memory-span-exporter.js';
import {
  DEFAULT_OTLP_TRACES_URL,
  OtlpHttpExporter,
  otlpOptionsFromEnv,
  type OtlpHttpExporterOptions,
  type OtlpPartialSuccess,
} from '../../../../../lib/export/spans/otlp/index.js';
import { BatchSpanProcessor } from '../../../../../lib/core/batch-span-processor.js';
import { SimpleSpanProcessor } from '../../../../../lib/core/simple-span-processor.js';
import { ExportResultCode } from '../../../../../lib/core/span-exporter.js';
import { Tracer } from '../../../../../lib/core/tracer.js';
import { SpanKind, type ReadableSpan } from '../../../../../lib/core/types.js';

// The official message types (protobufjs static module generated from opentelemetry-proto).
interface MessageType {
  decode(bytes: Uint8Array): object;
  encode(message: object): { finish(): Uint8Array };
  fromObject(object: Record<string, unknown>): object;
  toObject(message: object, options: { longs: StringConstructor }): Record<string, unknown>;
}
interface TraceServiceTypes {
  ExportTraceServiceRequest: MessageType;
  ExportTraceServiceResponse: MessageType;
}
const traceService = (
  protoRoot as unknown as {
    opentelemetry: { proto: { collector: { trace: { v1: TraceServiceTypes } } } };
  }
).opentelemetry.proto.collector.trace.v1;

interface DecodedRequest {
  resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[];
}

function decodeRequest(body: Buffer): DecodedRequest {
  const type = traceService.ExportTraceServiceRequest;
  return type.toObject(type.decode(body), { longs: String }) as unknown as DecodedRequest;
}

const spanNames = (request: DecodedRequest): string[] =>
  request.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.name)));

function partialSuccessResponse(rejectedSpans: number, errorMessage: string): Buffer {
  const type = traceService.ExportTraceServiceResponse;
  return Buffer.from(
    type.encode(type.fromObject({ partialSuccess: { rejectedSpans, errorMessage } })).finish(),
  );
}

// ---------------------------------------------------------------------------------------
// A recording OTLP backend on an ephemeral port.

interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

interface Backend {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  requests: RecordedRequest[];
}

const servers: Server[] = [];

afterEach(async () => {
  const closing = servers.splice(0).map(
    (server) =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  await Promise.all(closing);
});

async function startBackend(handler: Handler = (_req, res) => res.end()): Promise<Backend> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, requests };
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---------------------------------------------------------------------------------------

let spans: ReadableSpan[];
beforeAll(() => {
  const memory = new InMemorySpanExporter();
  const tracer = new Tracer({
    processor: new SimpleSpanProcessor(memory),
    resource: { attributes: { 'service.name': 'orders' } },
  });
  tracer.withSpan('GET /orders', () => tracer.startSpan('db.query').end(), {
    kind: SpanKind.SERVER,
  });
  spans = memory.getFinishedSpans();
});

/** An exporter that ignores the process environment unless a test passes one. */
function exporterFor(options: OtlpHttpExporterOptions): OtlpHttpExporter {
  return new OtlpHttpExporter({ env: {}, ...options });
}

describe('OtlpHttpExporter: requests', () => {
  it('POSTs http/protobuf to /v1/traces by default, a body the official type decodes', async () => {
    const backend = await startBackend();
    const exporter = exporterFor({ url: `${backend.origin}/v1/traces` });
    const result = await exporter.export(spans);
    expect(result).toMatchObject({ code: ExportResultCode.SUCCESS, statusCode: 200 });
    expect(backend.requests).toHaveLength(1);
    const [request] = backend.requests;
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe('/v1/traces');
    expect(request!.headers['content-type']).toBe('application/x-protobuf');
    expect(request!.headers['content-encoding']).toBeUndefined();
    expect(spanNames(decodeRequest(request!.body))).toEqual(['db.query', 'GET /orders']);
  });

  it('POSTs OTLP/JSON with content-type application/json when the protocol is http/json', async () => {
    const backend = await startBackend();
    const exporter = exporterFor({ url: `${backend.origin}/v1/traces`, protocol: 'http/json' });
    expect((await exporter.export(spans)).code).toBe(ExportResultCode.SUCCESS);
    const [request] = backend.requests;
    expect(request!.headers['content-type']).toBe('application/json');
    const body = JSON.parse(request!.body.toString('utf8')) as DecodedRequest;
    expect(spanNames(body)).toEqual(['db.query', 'GET /orders']);
  });

  it('sends the custom headers with every request', async () => {
    const backend = await startBackend();
    const exporter = exporterFor({
      url: `${backend.origin}/v1/traces`,
      headers: { Authorization: 'Bearer t0ken', 'x-scope-orgid': 'tenant-1' },
    });
    await exporter.export(spans);
    await exporter.export(spans);
    expect(backend.requests).toHaveLength(2);
    for (const request of backend.requests) {
      expect(request.headers['authorization']).toBe('Bearer t0ken');
      expect(request.headers['x-scope-orgid']).toBe('tenant-1');
    }
  });

  it('gzips the body and says so in content-encoding when compression is gzip', async () => {
    const backend = await startBackend();
    const exporter = exporterFor({ url: `${backend.origin}/v1/traces`, compression: 'gzip' });
    expect((await exporter.export(spans)).code).toBe(ExportResultCode.SUCCESS);
    const [request] = backend.requests;
    expect(request!.headers['content-encoding']).toBe('gzip');
    expect(Number(request!.headers['content-length'])).toBe(request!.body.length);
    expect(spanNames(decodeRequest(gunzipSync(request!.body)))).toEqual([
      'db.query',
      'GET /orders',
    ]);
  });

  it('sends each batch its own body when exports overlap and follow each other (encoding buffers are reused)', async () => {
    const backend = await startBackend();
    const exporter = exporterFor({ url: `${backend.origin}/v1/traces` });
    const memory = new InMemorySpanExporter();
    const tracer = new Tracer({
      processor: new SimpleSpanProcessor(memory),
      resource: { attributes: { 'service.name': 'orders' } },
    });
    const batch = (prefix: string, n: number): ReadableSpan[] => {
      memory.reset();
      for (let i = 0; i < n; i++) tracer.startSpan(`${prefix}-${i}`).end();
      return memory.getFinishedSpans();
    };
    const batches = [batch('a', 600), batch('b', 3), batch('c', 200), batch('d', 1)];
    const names = batches.map((b) => b.map((s) => s.name));
    // Two in flight together, then two after them, each after the previous one answered.
    const first = await Promise.all([exporter.export(batches[0]!), exporter.export(batches[1]!)]);
    const third = await exporter.export(batches[2]!);
    const fourth = await exporter.export(batches[3]!);
    for (const result of [...first, third, fourth])
      expect(result.code).toBe(ExportResultCode.SUCCESS);
    const received = backend.requests.map((r) => spanNames(decodeRequest(r.body)));
    expect(received.toSorted((x, y) => x[0]!.localeCompare(y[0]!))).toEqual(names);
  });

  it('sends nothing for an empty batch', async () => {
    const backend = await startBackend();
    const exporter = exporterFor({ url: `${backend.origin}/v1/traces` });
    expect((await exporter.export([])).code).toBe(ExportResultCode.SUCCESS);
    expect(backend.requests).toHaveLength(0);
  });
});

describe('OtlpHttpExporter: configuration from OTEL_EXPORTER_OTLP_* variables', () => {
  it('uses http://localhost:4318/v1/traces, http/protobuf, no compression and 10 s by default', () => {
    const exporter = new OtlpHttpExporter({ env: {} });
    expect(exporter.url).toBe(DEFAULT_OTLP_TRACES_URL);
    expect(DEFAULT_OTLP_TRACES_URL).toBe('http://localhost:4318/v1/traces');
    expect(exporter.protocol).toBe('http/protobuf');
    expect(exporter.compression).toBe('none');
    expect(exporter.timeoutMs).toBe(10_000);
    expect(exporter.warnings).toEqual([]);
  });

  it('appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT and applies the generic variables', async () => {
    const backend = await startBackend();
    const exporter = new OtlpHttpExporter({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `${backend.origin}/collector/`,
        OTEL_EXPORTER_OTLP_HEADERS: 'api-key=secret%20value%2C%3D, x-tenant = acme ',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      },
    });
    expect(exporter.timeoutMs).toBe(2500);
    expect(exporter.warnings).toEqual([]);
    await exporter.export(spans);
    const [request] = backend.requests;
    expect(request!.path).toBe('/collector/v1/traces');
    expect(request!.headers['api-key']).toBe('secret value,=');
    expect(request!.headers['x-tenant']).toBe('acme');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['content-encoding']).toBe('gzip');
    expect(
      spanNames(JSON.parse(gunzipSync(request!.body).toString('utf8')) as DecodedRequest),
    ).toHaveLength(2);
  });

  it('lets the traces-specific variables win over the generic ones, and uses the traces endpoint as is', async () => {
    const backend = await startBackend();
    const exporter = new OtlpHttpExporter({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${backend.origin}/custom/path`,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-shared=generic,x-generic-only=1',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-shared=traces',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'none',
        OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
        OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '3000',
      },
    });
    expect(exporter.timeoutMs).toBe(3000);
    await exporter.export(spans);
    const [request] = backend.requests;
    expect(request!.path).toBe('/custom/path');
    expect(request!.headers['x-shared']).toBe('traces');
    expect(request!.headers['x-generic-only']).toBe('1');
    expect(request!.headers['content-type']).toBe('application/x-protobuf');
    expect(request!.headers['content-encoding']).toBeUndefined();
  });

  it('lets explicit options win over the environment, header by header', async () => {
    const backend = await startBackend();
    const exporter = new OtlpHttpExporter({
      url: `${backend.origin}/v1/traces`,
      protocol: 'http/json',
      compression: 'none',
      timeoutMs: 1234,
      headers: { 'X-Shared': 'option' },
      env: {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:1/v1/traces',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip',
        OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '9999',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-shared=env,x-env-only=kept',
      },
    });
    expect(exporter.timeoutMs).toBe(1234);
    expect((await exporter.export(spans)).code).toBe(ExportResultCode.SUCCESS);
    const [request] = backend.requests;
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['content-encoding']).toBeUndefined();
    expect(request!.headers['x-shared']).toBe('option');
    expect(request!.headers['x-env-only']).toBe('kept');
  });

  it('says that OTEL_EXPORTER_OTLP_PROTOCOL=grpc is for OtlpGrpcExporter, and speaks http/protobuf', () => {
    const exporter = new OtlpHttpExporter({ env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } });
    expect(exporter.protocol).toBe('http/protobuf');
    expect(exporter.warnings).toHaveLength(1);
    expect(exporter.warnings[0]).toMatch(/PROTOCOL=grpc names OTLP\/gRPC.*Use OtlpGrpcExporter/);
    // An explicit protocol is no conflict: nothing to say.
    const explicit = new OtlpHttpExporter({
      protocol: 'http/json',
      env: { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' },
    });
    expect(explicit.protocol).toBe('http/json');
    expect(explicit.warnings).toEqual([]);
  });

  it('ignores unusable variables with a warning naming each one, and treats empty values as unset', () => {
    const { options, warnings } = otlpOptionsFromEnv({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://collector',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/xml',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'brotli',
      OTEL_EXPORTER_OTLP_TIMEOUT: '10s',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '',
      OTEL_EXPORTER_OTLP_HEADERS: 'good=1,novalue,bad key=1,x-bad=%zz,content-type=text/plain',
    });
    expect(options).toEqual({ headers: { good: '1' } });
    const text = warnings.join('\n');
    for (const name of [
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
      'OTEL_EXPORTER_OTLP_COMPRESSION',
      'OTEL_EXPORTER_OTLP_TIMEOUT',
    ]) {
      expect(text).toContain(`${name}=`);
    }
    expect(warnings.filter((w) => w.startsWith('OTEL_EXPORTER_OTLP_HEADERS:'))).toHaveLength(4);
    expect(text).not.toContain('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT');
  });

  it('reads nothing from an empty environment', () => {
    expect(otlpOptionsFromEnv({})).toEqual({ options: {}, warnings: [] });
  });

  it.each<[string, OtlpHttpExporterOptions, RegExp]>([
    [
      'url',
      { url: 'localhost:4318' },
      /option "url" must be an http: or https: URL; got "localhost:4318"/,
    ],
    [
      'protocol',
      { protocol: 'grpc' as 'http/json' },
      /option "protocol" must be "http\/protobuf" or "http\/json" \(for gRPC, use OtlpGrpcExporter\); got "grpc"/,
    ],
    [
      'compression',
      { compression: 'br' as 'gzip' },
      /option "compression" must be "gzip" or "none"; got "br"/,
    ],
    ['timeoutMs', { timeoutMs: 0 }, /option "timeoutMs" must be a positive number of milliseconds/],
    [
      'headers',
      { headers: { 'bad header': 'x' } },
      /option "headers\["bad header"\]" must be a valid header name/,
    ],
    [
      'header value',
      { headers: { 'x-a': 'line\r\nbreak' } },
      /option "headers\["x-a"\]" must be a string without control characters/,
    ],
    [
      'reserved header',
      { headers: { 'Content-Type': 'text/plain' } },
      /option "headers\["Content-Type"\]" must be absent/,
    ],
    [
      'onPartialSuccess',
      { onPartialSuccess: 'log' as unknown as () => void },
      /option "onPartialSuccess" must be a function/,
    ],
  ])(
    'rejects an invalid %s option with an error naming it and the expected value',
    (_, options, error) => {
      expect(() => exporterFor(options)).toThrow(error);
    },
  );
});

describe('OtlpHttpExporter: failures', () => {
  it('reports a 500 as a failure not worth retrying, naming the endpoint without its credentials', async () => {
    const backend = await startBackend((_req, res) => {
      res.statusCode = 500;
      res.end('boom');
    });
    const url = `${backend.origin.replace('//', '//user:s3cret@')}/v1/traces?token=s3cret`;
    const result = await exporterFor({ url }).export(spans);
    expect(result).toMatchObject({
      code: ExportResultCode.FAILED,
      retryable: false,
      statusCode: 500,
    });
    expect(result.error?.message).toMatch(/HTTP 500: boom/);
    expect(result.error?.message).toContain(`${backend.origin}/v1/traces`);
    expect(result.error?.message).not.toContain('s3cret');
    expect(backend.requests[0]!.path).toBe('/v1/traces?token=s3cret');
  });

  it('reports a 503 with Retry-After: 2 as retryable after 2000 ms', async () => {
    const backend = await startBackend((_req, res) => {
      res.writeHead(503, { 'retry-after': '2' });
      res.end();
    });
    const result = await exporterFor({ url: `${backend.origin}/v1/traces` }).export(spans);
    expect(result).toMatchObject({
      code: ExportResultCode.FAILED,
      retryable: true,
      retryAfterMs: 2000,
      statusCode: 503,
    });
  });

  it('reports a 429 without Retry-After as retryable with no delay given', async () => {
    const backend = await startBackend((_req, res) => {
      res.statusCode = 429;
      res.end();
    });
    const result = await exporterFor({ url: `${backend.origin}/v1/traces` }).export(spans);
    expect(result).toMatchObject({ code: ExportResultCode.FAILED, retryable: true });
    expect(result.retryAfterMs).toBeUndefined();
  });

  it('reports a refused connection as retryable', async () => {
    const port = await closedPort();
    const result = await exporterFor({ url: `http://127.0.0.1:${port}/v1/traces` }).export(spans);
    expect(result).toMatchObject({ code: ExportResultCode.FAILED, retryable: true });
    expect(result.error?.message).toMatch(/ECONNREFUSED/);
  });

  it('gives up on a backend that never answers after timeoutMs, as a retryable timeout', async () => {
    const backend = await startBackend(() => {
      // Never respond.
    });
    const exporter = exporterFor({ url: `${backend.origin}/v1/traces`, timeoutMs: 300 });
    const started = performance.now();
    const result = await exporter.export(spans);
    const elapsed = performance.now() - started;
    expect(result).toMatchObject({ code: ExportResultCode.FAILED, retryable: true });
    expect(result.error?.message).toMatch(/timed out after 300 ms/);
    expect(backend.requests).toHaveLength(1);
    // Bounds, not a benchmark: well after the deadline would mean the default 10 s applied.
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5000);
  });
});

describe('OtlpHttpExporter: partial success', () => {
  it('reports a protobuf partial success once, through lastPartialSuccess and onPartialSuccess, as a success', async () => {
    const backend = await startBackend((_req, res) => {
      res.setHeader('content-type', 'application/x-protobuf');
      res.end(partialSuccessResponse(3, 'spans too old'));
    });
    const onPartialSuccess = vi.fn<(partial: OtlpPartialSuccess) => void>();
    const exporter = exporterFor({ url: `${backend.origin}/v1/traces`, onPartialSuccess });
    const result = await exporter.export(spans);
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    expect(result.retryable).toBeUndefined();
    expect(exporter.lastPartialSuccess).toEqual({
      rejectedSpans: 3,
      errorMessage: 'spans too old',
    });
    expect(onPartialSuccess).toHaveBeenCalledTimes(1);
    expect(onPartialSuccess).toHaveBeenCalledWith({
      rejectedSpans: 3,
      errorMessage: 'spans too old',
    });
  });

  it('counts the spans a partial success refused as failed, not exported', async () => {
    const claims = [3, 1];
    const backend = await startBackend((_req, res) => {
      res.setHeader('content-type', 'application/x-protobuf');
      res.end(partialSuccessResponse(claims.shift() ?? 0, 'span too old'));
    });
    const exporter = exporterFor({ url: `${backend.origin}/v1/traces` });
    // Never more than the batch held, whatever the backend claims.
    expect(await exporter.export(spans.slice(0, 1))).toMatchObject({ rejected: 1 });
    const processor = new BatchSpanProcessor(exporter, { scheduledDelayMs: 60_000 });
    for (const span of spans) processor.onEnd(span);
    await processor.forceFlush();
    expect(processor.stats()).toMatchObject({ exported: spans.length - 1, failed: 1, dropped: 0 });
    await processor.shutdown();
  });

  it('reads a JSON partial success, with rejectedSpans as an int64 string or a number', async () => {
    const bodies = [
      '{"partialSuccess":{"rejectedSpans":"2","errorMessage":"bad attribute"}}',
      '{"partialSuccess":{"rejectedSpans":5}}',
    ];
    const backend = await startBackend((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(bodies.shift());
    });
    const seen: OtlpPartialSuccess[] = [];
    const exporter = exporterFor({
      url: `${backend.origin}/v1/traces`,
      protocol: 'http/json',
      onPartialSuccess: (partial) => seen.push(partial),
    });
    expect((await exporter.export(spans)).code).toBe(ExportResultCode.SUCCESS);
    expect((await exporter.export(spans)).code).toBe(ExportResultCode.SUCCESS);
    expect(seen).toEqual([
      { rejectedSpans: 2, errorMessage: 'bad attribute' },
      { rejectedSpans: 5, errorMessage: '' },
    ]);
    expect(exporter.lastPartialSuccess).toEqual({ rejectedSpans: 5, errorMessage: '' });
  });

  it('reports a warning-only partial success (nothing rejected, a message given)', async () => {
    const backend = await startBackend((_req, res) =>
      res.end(partialSuccessResponse(0, 'deprecated field')),
    );
    const exporter = exporterFor({ url: `${backend.origin}/v1/traces` });
    await exporter.export(spans);
    expect(exporter.lastPartialSuccess).toEqual({
      rejectedSpans: 0,
      errorMessage: 'deprecated field',
    });
  });

  it.each<[string, OtlpHttpExporterOptions['protocol'], string | Buffer]>([
    ['an empty protobuf response', 'http/protobuf', Buffer.alloc(0)],
    ['an empty partial_success message', 'http/protobuf', Buffer.from([0x0a, 0x00])],
    ['a truncated protobuf response', 'http/protobuf', Buffer.from([0x0a, 0x05, 0x08])],
    ['an empty JSON response', 'http/json', '{}'],
    ['an empty JSON partialSuccess', 'http/json', '{"partialSuccess":{}}'],
    ['a body that is not JSON', 'http/json', 'OK'],
  ])('treats %s as a plain success', async (_, protocol, body) => {
    const backend = await startBackend((_req, res) => res.end(body));
    const onPartialSuccess = vi.fn<(partial: OtlpPartialSuccess) => void>();
    const exporter = exporterFor({
      url: `${backend.origin}/v1/traces`,
      protocol,
      onPartialSuccess,
    });
    expect((await exporter.export(spans)).code).toBe(ExportResultCode.SUCCESS);
    expect(exporter.lastPartialSuccess).toBeUndefined();
    expect(onPartialSuccess).not.toHaveBeenCalled();
  });

  it('keeps the export a success when onPartialSuccess throws', async () => {
    const backend = await startBackend((_req, res) => res.end(partialSuccessResponse(1, 'x')));
    const exporter = exporterFor({
      url: `${backend.origin}/v1/traces`,
      onPartialSuccess: () => {
        throw new Error('logger broke');
      },
    });
    expect((await exporter.export(spans)).code).toBe(ExportResultCode.SUCCESS);
  });
});

describe('OtlpHttpExporter: shutdown', () => {
  it('fails later exports at once without a request, after awaiting the one in flight', async () => {
    let release: (() => void) | undefined;
    const backend = await startBackend((_req, res) => {
      release = () => res.end();
    });
    const exporter = exporterFor({ url: `${backend.origin}/v1/traces` });
    const inFlight = exporter.export(spans);
    await vi.waitFor(() => expect(release).toBeDefined());
    let shutDown = false;
    const shutdown = exporter.shutdown().then(() => {
      shutDown = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(shutDown).toBe(false);
    release!();
    await shutdown;
    expect((await inFlight).code).toBe(ExportResultCode.SUCCESS);

    const after = await exporter.export(spans);
    expect(after).toMatchObject({ code: ExportResultCode.FAILED, retryable: false });
    expect(after.error?.message).toMatch(/after shutdown/);
    expect(backend.requests).toHaveLength(1);
  });
});
