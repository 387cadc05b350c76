import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttp2Server, type IncomingHttpHeaders } from 'node:http2';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BatchSpanProcessor } from '../../../../../lib/core/batch-span-processor.js';
import { SimpleSpanProcessor } from '../../../../../lib/core/simple-span-processor.js';
import { ExportResultCode } from '../../../../../lib/core/span-exporter.js';
import { Tracer } from '../../../../../lib/core/tracer.js';
import { SpanKind, type ReadableSpan } from '../../../../../lib/core/types.js';
import { InMemorySpanExporter } from '../../../../../lib/export/spans/in-memory-span-exporter.js';
import {
  DEFAULT_OTLP_GRPC_URL,
  OtlpGrpcExporter,
  otlpOptionsFromEnv,
  type OtlpGrpcExporterOptions,
  type OtlpPartialSuccess,
} from '../../../../../lib/export/spans/otlp/index.js';
import { readRetryDelayMs } from '../../../../../lib/export/spans/otlp/otlp-grpc-status.js';
import {
  decodeRequest,
  retryInfo,
  spanNames,
  startGrpcCollector,
  statusDetails,
  type GrpcCollector,
} from '../../../../fixtures/otlp-grpc-collector.js';

const collectors: GrpcCollector[] = [];
const exporters: OtlpGrpcExporter[] = [];

afterEach(async () => {
  for (const collector of collectors.splice(0)) collector.close();
  await Promise.all(exporters.splice(0).map((e) => e.shutdown()));
});

async function startCollector(
  ...args: Parameters<typeof startGrpcCollector>
): Promise<GrpcCollector> {
  const collector = await startGrpcCollector(...args);
  collectors.push(collector);
  return collector;
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createNetServer();
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
function exporterFor(options: OtlpGrpcExporterOptions): OtlpGrpcExporter {
  const exporter = new OtlpGrpcExporter({ env: {}, ...options });
  exporters.push(exporter);
  return exporter;
}

/** A batch processor whose retries come quickly, so a test sees several. */
function processorFor(exporter: OtlpGrpcExporter): BatchSpanProcessor {
  return new BatchSpanProcessor(exporter, {
    scheduledDelayMs: 60_000,
    maxRetries: 100,
    retryInitialDelayMs: 50,
    retryMaxDelayMs: 200,
    exportTimeoutMs: 5000,
  });
}

describe('OtlpGrpcExporter: calls', () => {
  it('calls TraceService/Export with a request the official type decodes', async () => {
    const collector = await startCollector();
    const exporter = exporterFor({ url: collector.url });
    const result = await exporter.export(spans);
    expect(result).toMatchObject({ code: ExportResultCode.SUCCESS, grpcCode: 0 });
    expect(collector.received).toHaveLength(1);
    const { request } = collector.received[0]!;
    expect(spanNames(request)).toEqual(['db.query', 'GET /orders']);
    const resource = request.resourceSpans[0]!.resource.attributes;
    expect(resource).toContainEqual({ key: 'service.name', value: { stringValue: 'orders' } });
    const server = request.resourceSpans[0]!.scopeSpans[0]!.spans.find(
      (s) => s.name === 'GET /orders',
    );
    expect(server!.kind).toBe(2); // SPAN_KIND_SERVER
  });

  it('sends the headers as metadata with every call, options over the environment per name', async () => {
    const collector = await startCollector();
    const exporter = exporterFor({
      url: collector.url,
      headers: { Authorization: 'Bearer t0ken', 'x-shared': 'option' },
      env: { OTEL_EXPORTER_OTLP_HEADERS: 'x-shared=env,x-tenant=acme%20corp' },
    });
    await exporter.export(spans);
    await exporter.export(spans);
    expect(collector.received).toHaveLength(2);
    for (const { metadata } of collector.received) {
      expect(metadata.get('authorization')).toEqual(['Bearer t0ken']);
      expect(metadata.get('x-shared')).toEqual(['option']);
      expect(metadata.get('x-tenant')).toEqual(['acme corp']);
    }
  });

  it('takes OTEL_EXPORTER_OTLP_ENDPOINT as is (no /v1/traces), and the traces endpoint over it', async () => {
    const collector = await startCollector();
    const generic = new OtlpGrpcExporter({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_TIMEOUT: '2500' },
    });
    exporters.push(generic);
    expect(generic.url).toBe(collector.url);
    expect(generic.timeoutMs).toBe(2500);
    expect(generic.warnings).toEqual([]);
    expect((await generic.export(spans)).code).toBe(ExportResultCode.SUCCESS);

    const specific = new OtlpGrpcExporter({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.url,
      },
    });
    exporters.push(specific);
    expect((await specific.export(spans)).code).toBe(ExportResultCode.SUCCESS);
    expect(collector.received).toHaveLength(2);
  });

  it('uses http://localhost:4317, plaintext, no compression and 10 s by default', () => {
    const exporter = exporterFor({});
    expect(DEFAULT_OTLP_GRPC_URL).toBe('http://localhost:4317');
    expect(exporter.url).toBe(DEFAULT_OTLP_GRPC_URL);
    expect(exporter.secure).toBe(false);
    expect(exporter.compression).toBe('none');
    expect(exporter.timeoutMs).toBe(10_000);
  });

  it('sends nothing for an empty batch', async () => {
    const collector = await startCollector();
    expect((await exporterFor({ url: collector.url }).export([])).code).toBe(
      ExportResultCode.SUCCESS,
    );
    expect(collector.received).toHaveLength(0);
  });

  it('ignores environment headers gRPC cannot carry, with a warning', () => {
    const exporter = exporterFor({
      env: { OTEL_EXPORTER_OTLP_HEADERS: 'grpc-timeout=1S,trace-bin=AAA,x-ok=1' },
    });
    expect(exporter.warnings).toHaveLength(2);
    expect(exporter.warnings.join('\n')).toMatch(/"grpc-timeout".*gRPC sets this header itself/);
    expect(exporter.warnings.join('\n')).toMatch(/"trace-bin".*-bin/);
  });

  it.each<[string, OtlpGrpcExporterOptions, RegExp]>([
    ['url', { url: 'localhost:4317' }, /option "url" must be an http: or https: URL/],
    ['compression', { compression: 'br' as 'gzip' }, /option "compression" must be "gzip"/],
    ['timeoutMs', { timeoutMs: -1 }, /option "timeoutMs" must be a positive number/],
    ['insecure', { insecure: 'yes' as unknown as boolean }, /option "insecure" must be a boolean/],
    [
      'insecure with https',
      { url: 'https://collector:4317', insecure: true },
      /option "insecure" must be false or absent with an https: URL/,
    ],
    ['tls key alone', { tls: { key: 'k' }, insecure: false }, /"tls.key" needs "tls.cert"/],
    ['tls on plaintext', { tls: { ca: 'x' } }, /option "tls" needs TLS.*http:/],
    ['tls member', { tls: { ca: 1 as unknown as string } }, /"tls.ca" must be a PEM string/],
    ['reserved header', { headers: { 'grpc-timeout': '1S' } }, /gRPC sets this header itself/],
    ['header key', { headers: { 'X Bad': 'v' } }, /"headers\["X Bad"\]" must be a metadata key/],
    ['header value', { headers: { 'x-a': 'caf\u00e9' } }, /printable ASCII/],
  ])('rejects an invalid %s option with an error naming it', (_, options, error) => {
    expect(() => new OtlpGrpcExporter({ env: {}, ...options })).toThrow(error);
  });
});

describe('OtlpGrpcExporter: gzip', () => {
  it('gzips each message and says so in grpc-encoding', async () => {
    // A bare HTTP/2 server, to see the bytes on the wire (grpc-js would decompress them).
    const seen: { headers: IncomingHttpHeaders; body: Buffer }[] = [];
    const server = createHttp2Server();
    server.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        seen.push({ headers, body: Buffer.concat(chunks) });
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc' },
          {
            waitForTrailers: true,
          },
        );
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(Buffer.from([0, 0, 0, 0, 0])); // an empty ExportTraceServiceResponse
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const exporter = exporterFor({ url: `http://127.0.0.1:${port}`, compression: 'gzip' });
      expect((await exporter.export(spans)).code).toBe(ExportResultCode.SUCCESS);
      expect(seen).toHaveLength(1);
      const { headers, body } = seen[0]!;
      expect(headers[':path']).toBe('/opentelemetry.proto.collector.trace.v1.TraceService/Export');
      expect(headers['grpc-encoding']).toBe('gzip');
      // gRPC message framing: compressed flag, 4-byte length, message.
      expect(body[0]).toBe(1);
      const length = body.readUInt32BE(1);
      expect(body.length).toBe(5 + length);
      const message = body.subarray(5);
      expect(message.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
      expect(spanNames(decodeRequest(gunzipSync(message)))).toEqual(['db.query', 'GET /orders']);
    } finally {
      await exporters.splice(0).reduce((p, e) => p.then(() => e.shutdown()), Promise.resolve());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('delivers gzipped calls that a grpc-js server decompresses', async () => {
    const collector = await startCollector();
    const exporter = exporterFor({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' },
    });
    expect(exporter.compression).toBe('gzip');
    expect((await exporter.export(spans)).code).toBe(ExportResultCode.SUCCESS);
    expect(spanNames(collector.received[0]!.request)).toEqual(['db.query', 'GET /orders']);
  });
});

describe('OtlpGrpcExporter: failures and retries', () => {
  it('reports a collector that is not listening as UNAVAILABLE, retryable', async () => {
    const port = await closedPort();
    const result = await exporterFor({ url: `http://127.0.0.1:${port}` }).export(spans);
    expect(result).toMatchObject({ code: ExportResultCode.FAILED, retryable: true, grpcCode: 14 });
    expect(result.error?.message).toMatch(/UNAVAILABLE \(14\)/);
    expect(result.error?.message).toContain(`http://127.0.0.1:${port}`);
  });

  it('retries the batch through an outage and delivers it once the collector is back', async () => {
    const port = await closedPort();
    const exporter = exporterFor({ url: `http://127.0.0.1:${port}` });
    const processor = processorFor(exporter);
    for (const span of spans) processor.onEnd(span);
    const flushed = processor.forceFlush();
    await vi.waitFor(() => expect(processor.stats().retried).toBeGreaterThanOrEqual(2), {
      timeout: 10_000,
    });
    expect(processor.stats()).toMatchObject({ exported: 0, failed: 0, dropped: 0 });
    const collector = await startCollector([], { port });
    await flushed;
    expect(collector.received).toHaveLength(1);
    expect(spanNames(collector.received[0]!.request)).toEqual(['db.query', 'GET /orders']);
    const stats = processor.stats();
    expect(stats).toMatchObject({ exported: spans.length, failed: 0, dropped: 0, queueLength: 0 });
    expect(stats.retried).toBeGreaterThanOrEqual(2);
    await processor.shutdown();
  });

  it('honours the RetryInfo delay of a RESOURCE_EXHAUSTED, then delivers', async () => {
    const collector = await startCollector([
      {
        code: grpc.status.RESOURCE_EXHAUSTED,
        details: 'rate limited',
        statusDetails: statusDetails(8, [retryInfo(0, 400_000_000)]),
      },
      { ok: true },
    ]);
    const exporter = exporterFor({ url: collector.url });
    const first = await exporter.export(spans);
    expect(first).toMatchObject({
      code: ExportResultCode.FAILED,
      retryable: true,
      retryAfterMs: 400,
      grpcCode: 8,
    });
    expect(first.error?.message).toMatch(/RESOURCE_EXHAUSTED \(8\): rate limited/);

    const again = await startCollector([
      {
        code: grpc.status.RESOURCE_EXHAUSTED,
        details: 'rate limited',
        statusDetails: statusDetails(8, [retryInfo(0, 400_000_000)]),
      },
      { ok: true },
    ]);
    const processor = processorFor(exporterFor({ url: again.url }));
    for (const span of spans) processor.onEnd(span);
    await processor.forceFlush();
    expect(again.received).toHaveLength(2);
    // The retry waited for the server's delay, not the 50 ms backoff.
    expect(again.received[1]!.at - again.received[0]!.at).toBeGreaterThanOrEqual(390);
    expect(processor.stats()).toMatchObject({ exported: spans.length, failed: 0, retried: 1 });
    await processor.shutdown();
  });

  it('counts a RESOURCE_EXHAUSTED without RetryInfo as failed, without retrying', async () => {
    const collector = await startCollector([
      {
        code: grpc.status.RESOURCE_EXHAUSTED,
        details: 'quota',
        // Details of another type are no RetryInfo.
        statusDetails: statusDetails(8, [
          { type: 'google.rpc.DebugInfo', value: { detail: 'no retry' } },
        ]),
      },
    ]);
    const processor = processorFor(exporterFor({ url: collector.url }));
    for (const span of spans) processor.onEnd(span);
    await processor.forceFlush();
    expect(collector.received).toHaveLength(1);
    expect(processor.stats()).toMatchObject({ exported: 0, failed: spans.length, retried: 0 });
    await processor.shutdown();
  });

  it('counts an INVALID_ARGUMENT as failed, without retrying', async () => {
    const collector = await startCollector([
      { code: grpc.status.INVALID_ARGUMENT, details: 'bad span' },
    ]);
    const exporter = exporterFor({ url: collector.url });
    const result = await exporter.export(spans);
    expect(result).toMatchObject({ code: ExportResultCode.FAILED, retryable: false, grpcCode: 3 });
    const processor = processorFor(exporter);
    for (const span of spans) processor.onEnd(span);
    await processor.forceFlush();
    expect(collector.received).toHaveLength(2);
    expect(processor.stats()).toMatchObject({
      exported: 0,
      failed: spans.length,
      retried: 0,
      dropped: 0,
    });
    expect(processor.stats().lastError?.message).toMatch(/INVALID_ARGUMENT \(3\): bad span/);
    await processor.shutdown();
  });

  it.each<[string, grpc.status]>([
    ['CANCELLED', grpc.status.CANCELLED],
    ['ABORTED', grpc.status.ABORTED],
    ['OUT_OF_RANGE', grpc.status.OUT_OF_RANGE],
    ['DATA_LOSS', grpc.status.DATA_LOSS],
  ])('reports %s as retryable', async (_, code) => {
    const collector = await startCollector([{ code, details: 'try again' }]);
    const result = await exporterFor({ url: collector.url }).export(spans);
    expect(result).toMatchObject({
      code: ExportResultCode.FAILED,
      retryable: true,
      grpcCode: code,
    });
  });

  it.each<[string, grpc.status]>([
    ['PERMISSION_DENIED', grpc.status.PERMISSION_DENIED],
    ['UNAUTHENTICATED', grpc.status.UNAUTHENTICATED],
    ['UNIMPLEMENTED', grpc.status.UNIMPLEMENTED],
    ['INTERNAL', grpc.status.INTERNAL],
  ])('reports %s as not retryable', async (_, code) => {
    const collector = await startCollector([{ code, details: 'no' }]);
    const result = await exporterFor({ url: collector.url }).export(spans);
    expect(result).toMatchObject({
      code: ExportResultCode.FAILED,
      retryable: false,
      grpcCode: code,
    });
  });

  it('gives up on a collector that never answers after timeoutMs, as a retryable DEADLINE_EXCEEDED', async () => {
    const collector = await startCollector([{ hang: true }]);
    const result = await exporterFor({ url: collector.url, timeoutMs: 300 }).export(spans);
    expect(result).toMatchObject({ code: ExportResultCode.FAILED, retryable: true, grpcCode: 4 });
    expect(collector.received).toHaveLength(1);
  });
});

describe('OtlpGrpcExporter: partial success', () => {
  it('counts the spans a partial success rejected as failed, and reports it once', async () => {
    const collector = await startCollector([
      { ok: true, partialSuccess: { rejectedSpans: 1, errorMessage: 'span too old' } },
    ]);
    const seen: OtlpPartialSuccess[] = [];
    const exporter = exporterFor({ url: collector.url, onPartialSuccess: (p) => seen.push(p) });
    const processor = processorFor(exporter);
    for (const span of spans) processor.onEnd(span);
    await processor.forceFlush();
    expect(processor.stats()).toMatchObject({ exported: spans.length - 1, failed: 1, retried: 0 });
    expect(seen).toEqual([{ rejectedSpans: 1, errorMessage: 'span too old' }]);
    expect(exporter.lastPartialSuccess).toEqual({ rejectedSpans: 1, errorMessage: 'span too old' });
    await processor.shutdown();
  });

  it('never counts more rejected spans than the batch held', async () => {
    const collector = await startCollector([
      { ok: true, partialSuccess: { rejectedSpans: 99, errorMessage: '' } },
    ]);
    const result = await exporterFor({ url: collector.url }).export(spans.slice(0, 1));
    expect(result).toMatchObject({ code: ExportResultCode.SUCCESS, rejected: 1 });
  });

  it('treats an empty response as a plain success', async () => {
    const collector = await startCollector([{ ok: true }]);
    const exporter = exporterFor({ url: collector.url });
    const result = await exporter.export(spans);
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    expect(result.rejected).toBeUndefined();
    expect(exporter.lastPartialSuccess).toBeUndefined();
  });
});

describe('OtlpGrpcExporter: without @grpc/grpc-js', () => {
  it('fails every export, not retryable, naming the package to install', async () => {
    const missing = ['@grpc', 'grpc-js-not-installed'].join('/');
    const exporter = new OtlpGrpcExporter({ env: {} }, () => import(missing));
    await expect(exporter.ready()).rejects.toThrow(
      /needs the optional peer dependency @grpc\/grpc-js, which is not installed.*npm install @grpc\/grpc-js/,
    );
    const result = await exporter.export(spans);
    expect(result).toMatchObject({ code: ExportResultCode.FAILED, retryable: false });
    expect(result.error?.message).toMatch(/npm install @grpc\/grpc-js/);
    await exporter.shutdown();
  });
});

describe('OtlpGrpcExporter: shutdown', () => {
  it('fails later exports at once without a call', async () => {
    const collector = await startCollector();
    const exporter = exporterFor({ url: collector.url });
    expect((await exporter.export(spans)).code).toBe(ExportResultCode.SUCCESS);
    await exporter.shutdown();
    const after = await exporter.export(spans);
    expect(after).toMatchObject({ code: ExportResultCode.FAILED, retryable: false });
    expect(after.error?.message).toMatch(/after shutdown/);
    expect(collector.received).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------
// TLS with a certificate made for the test.

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const OPENSSL = hasOpenssl();
if (!OPENSSL) console.warn('otlp-grpc-exporter.spec: no openssl CLI; skipping the TLS tests');

describe.skipIf(!OPENSSL)('OtlpGrpcExporter: TLS', () => {
  let dir: string;
  let cert: Buffer;
  let key: Buffer;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'otlp-grpc-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'));
    key = readFileSync(join(dir, 'key.pem'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const tlsCollector = () =>
    startCollector([], {
      credentials: grpc.ServerCredentials.createSsl(null, [{ private_key: key, cert_chain: cert }]),
    });

  it('exports over TLS to an https: endpoint trusting the given CA', async () => {
    const collector = await tlsCollector();
    const exporter = exporterFor({ url: `https://localhost:${collector.port}`, tls: { ca: cert } });
    expect(exporter.secure).toBe(true);
    expect((await exporter.export(spans)).code).toBe(ExportResultCode.SUCCESS);
    expect(spanNames(collector.received[0]!.request)).toEqual(['db.query', 'GET /orders']);
  });

  it('reads the CA from OTEL_EXPORTER_OTLP_CERTIFICATE, and uses TLS for insecure: false', async () => {
    const collector = await tlsCollector();
    const caFile = join(dir, 'ca-copy.pem');
    writeFileSync(caFile, cert);
    const exporter = exporterFor({
      url: `http://localhost:${collector.port}`,
      insecure: false,
      env: { OTEL_EXPORTER_OTLP_CERTIFICATE: caFile },
    });
    expect(exporter.secure).toBe(true);
    expect(exporter.warnings).toEqual([]);
    expect((await exporter.export(spans)).code).toBe(ExportResultCode.SUCCESS);
  });

  it('refuses a certificate it does not trust, as UNAVAILABLE', async () => {
    const collector = await tlsCollector();
    const exporter = exporterFor({ url: `https://localhost:${collector.port}` });
    const result = await exporter.export(spans);
    expect(result).toMatchObject({ code: ExportResultCode.FAILED, grpcCode: 14 });
    expect(collector.received).toHaveLength(0);
  });

  it('presents a client certificate for mTLS when the server requires one', async () => {
    const collector = await startCollector([], {
      credentials: grpc.ServerCredentials.createSsl(
        cert,
        [{ private_key: key, cert_chain: cert }],
        true, // checkClientCertificate
      ),
    });
    const url = `https://localhost:${collector.port}`;
    const without = await exporterFor({ url, tls: { ca: cert } }).export(spans);
    expect(without.code).toBe(ExportResultCode.FAILED);
    expect(collector.received).toHaveLength(0);
    const withCert = exporterFor({ url, tls: { ca: cert, cert, key } });
    expect((await withCert.export(spans)).code).toBe(ExportResultCode.SUCCESS);
    expect(collector.received).toHaveLength(1);
  });

  it('warns about a certificate file it cannot read', () => {
    const exporter = exporterFor({
      url: 'https://localhost:4317',
      env: { OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: join(dir, 'missing.pem') },
    });
    expect(exporter.warnings).toHaveLength(1);
    expect(exporter.warnings[0]).toMatch(/OTEL_EXPORTER_OTLP_\(TRACES_\)CERTIFICATE: cannot read/);
  });
});

// ---------------------------------------------------------------------------------------

describe('otlpOptionsFromEnv for gRPC', () => {
  it('reads grpc as a protocol, the endpoint as is, and the certificate files, traces first', () => {
    expect(
      otlpOptionsFromEnv({
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4317',
        OTEL_EXPORTER_OTLP_CERTIFICATE: '/generic/ca.pem',
        OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: '/traces/ca.pem',
        OTEL_EXPORTER_OTLP_CLIENT_KEY: '/k.pem',
        OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: '/c.pem',
      }),
    ).toEqual({
      options: {
        protocol: 'grpc',
        url: 'https://collector:4317/v1/traces',
        grpcUrl: 'https://collector:4317',
        certificateFile: '/traces/ca.pem',
        clientKeyFile: '/k.pem',
        clientCertificateFile: '/c.pem',
      },
      warnings: [],
    });
  });
});

describe('readRetryDelayMs', () => {
  it('reads seconds and nanos of the RetryInfo among other details', () => {
    const bytes = statusDetails(8, [
      { type: 'google.rpc.DebugInfo', value: { detail: 'x' } },
      retryInfo(2, 250_000_000),
    ]);
    expect(readRetryDelayMs(bytes)).toBe(2250);
  });

  it('gives undefined without RetryInfo, and for bytes that are not a Status', () => {
    expect(readRetryDelayMs(statusDetails(8, []))).toBeUndefined();
    expect(readRetryDelayMs(Buffer.from([0x1a, 0x05, 0x0a]))).toBeUndefined();
    expect(readRetryDelayMs(Buffer.from([0xff, 0xff]))).toBeUndefined();
  });
});
