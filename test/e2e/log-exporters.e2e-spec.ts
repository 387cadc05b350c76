import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { hrTimeToUnixNanos } from '../../lib/core/clock.js';
import { createResource } from '../../lib/core/resource.js';
import { ExportResultCode } from '../../lib/core/span-exporter.js';
import { DatadogLogExporter } from '../../lib/export/logs/datadog-log-exporter.js';
import { toDatadogId } from '../../lib/export/logs/datadog-log-format.js';
import { LokiLogExporter } from '../../lib/export/logs/loki-log-exporter.js';
import { RestLogExporter } from '../../lib/export/logs/rest-log-exporter.js';
import { BatchLogProcessor } from '../../lib/logging/batch-log-processor.js';
import type { LogExporter, LogRecord } from '../../lib/core/log-record.js';

/** One request as the sink read it, body un-gzipped. */
interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  text: string;
}

type Answer = { status: number; headers?: Record<string, string>; body?: string };

/** A log platform stand-in on 127.0.0.1 and a free port that records every request. */
class LogSink {
  readonly requests: Received[] = [];
  private constructor(
    private readonly server: Server,
    private readonly answer: (req: Received, index: number) => Answer,
  ) {}

  static async start(answer: (req: Received, index: number) => Answer = () => ({ status: 202 })) {
    let sink!: LogSink;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        const received: Received = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          text: body.toString('utf8'),
        };
        const index = sink.requests.push(received) - 1;
        const { status, headers, body: out = '' } = sink.answer(received, index);
        res.writeHead(status, headers).end(out);
      });
    });
    sink = new LogSink(server, answer);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return sink;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const resource = createResource({
  serviceName: 'billing',
  serviceVersion: '3.0.0',
  environment: 'prod',
});
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

function record(message: string, overrides: Partial<LogRecord> = {}): LogRecord {
  return {
    time: performance.now(),
    level: 'info',
    message,
    context: 'Invoices',
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    traceFlags: 1,
    correlationId: 'corr-7',
    fields: { invoice_id: 'inv-1' },
    error: undefined,
    resource,
    source: 'log',
    ...overrides,
  };
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).toReversed()) await fn();
});

async function sinkWith(answer?: (req: Received, index: number) => Answer): Promise<LogSink> {
  const sink = await LogSink.start(answer);
  cleanup.push(() => sink.close());
  return sink;
}

/** Sends records through a real batch queue, as the app does, and waits for the outcome. */
async function ship(exporter: LogExporter, records: LogRecord[], retryInitialDelayMs = 1) {
  const processor = new BatchLogProcessor(exporter, {
    retryInitialDelayMs,
    maxExportBatchSize: 5000,
    maxQueueSize: 20_000,
  });
  for (const r of records) processor.onEmit(r);
  await processor.shutdown();
  return processor.stats();
}

describe('DatadogLogExporter against a local intake', () => {
  it('posts gzipped JSON arrays to /api/v2/logs with the DD-API-KEY header and Datadog’s trace ids', async () => {
    const sink = await sinkWith();
    const exporter = new DatadogLogExporter({
      apiKey: 'dd-test-key',
      url: sink.url('/api/v2/logs'),
      ddtags: { team: 'billing' },
      hostname: 'web-1',
    });
    const r = record('invoice sent', { level: 'warn' });
    const stats = await ship(exporter, [r]);
    expect(stats).toMatchObject({ exported: 1, failed: 0 });
    const [req] = sink.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/api/v2/logs' });
    expect(req!.headers).toMatchObject({
      'dd-api-key': 'dd-test-key',
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(JSON.parse(req!.text)).toEqual([
      {
        ddsource: 'nodejs',
        ddtags: 'team:billing,env:prod,version:3.0.0',
        hostname: 'web-1',
        service: 'billing',
        message: 'invoice sent',
        status: 'warn',
        timestamp: expect.any(Number),
        logger: { name: 'Invoices' },
        dd: { trace_id: toDatadogId(TRACE_ID), span_id: toDatadogId(SPAN_ID) },
        trace_id: TRACE_ID,
        span_id: SPAN_ID,
        correlation_id: 'corr-7',
        invoice_id: 'inv-1',
      },
    ]);
  });

  it('derives the intake URL from the site setting', async () => {
    const eu = new DatadogLogExporter({ apiKey: 'k', site: 'datadoghq.eu' });
    const us5 = new DatadogLogExporter({ apiKey: 'k' }, { DD_SITE: 'us5.datadoghq.com' });
    expect(eu.url).toBe('https://http-intake.logs.datadoghq.eu/api/v2/logs');
    expect(us5.url).toBe('https://http-intake.logs.us5.datadoghq.com/api/v2/logs');
  });

  it('sends more than 1000 logs as several requests and, after a 503, resumes where it stopped', async () => {
    const sink = await sinkWith((_req, index) => (index === 1 ? { status: 503 } : { status: 202 }));
    const exporter = new DatadogLogExporter({ apiKey: 'k', url: sink.url('/api/v2/logs') });
    const records = Array.from({ length: 2500 }, (_, i) => record(`log ${i}`));
    const stats = await ship(exporter, records);
    expect(stats).toMatchObject({ exported: 2500, retried: 1, failed: 0 });
    const sizes = sink.requests.map((r) => (JSON.parse(r.text) as unknown[]).length);
    expect(sizes).toEqual([1000, 1000, 1000, 500]);
    const accepted = sink.requests.filter((_, i) => i !== 1);
    const messages = accepted.flatMap((r) =>
      (JSON.parse(r.text) as { message: string }[]).map((l) => l.message),
    );
    // Every log arrives once, in order: the retry did not resend the accepted first request.
    expect(messages).toEqual(records.map((r) => r.message));
  });

  it('waits for Retry-After on a 429 and gives up on a 403 without retrying', async () => {
    const sink = await sinkWith((req, index) =>
      req.headers['dd-api-key'] === 'revoked'
        ? { status: 403, body: '{"errors":["Forbidden"]}' }
        : index === 0
          ? { status: 429, headers: { 'retry-after': '1' } }
          : { status: 202 },
    );
    const started = performance.now();
    const stats = await ship(
      new DatadogLogExporter({ apiKey: 'k', url: sink.url('/api/v2/logs') }),
      [record('a')],
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(stats).toMatchObject({ exported: 1, retried: 1 });

    const denied = await ship(
      new DatadogLogExporter({ apiKey: 'revoked', url: sink.url('/api/v2/logs') }),
      [record('b')],
    );
    expect(denied).toMatchObject({ exported: 0, failed: 1, retried: 0 });
    expect(denied.lastError?.message).toContain('HTTP 403');
  });
});

describe('LokiLogExporter against a local Loki', () => {
  it('pushes labelled streams of JSON lines with nanosecond timestamps, basic auth and the tenant header', async () => {
    const sink = await sinkWith(() => ({ status: 204 }));
    const exporter = new LokiLogExporter({
      url: sink.url(''),
      auth: { username: '12345', password: 'glc_token' },
      tenantId: 'team-a',
      labels: { cluster: 'eu-1' },
    });
    const early = record('first', { time: performance.now() - 5 });
    const late = record('second');
    const failed = record('failed', { level: 'error' });
    await ship(exporter, [late, failed, early]);
    const [req] = sink.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/loki/api/v1/push' });
    expect(req!.headers).toMatchObject({
      authorization: `Basic ${Buffer.from('12345:glc_token').toString('base64')}`,
      'x-scope-orgid': 'team-a',
      'content-type': 'application/json',
    });
    const body = JSON.parse(req!.text) as {
      streams: { stream: object; values: [string, string][] }[];
    };
    expect(body.streams.map((s) => s.stream)).toEqual([
      { cluster: 'eu-1', service: 'billing', environment: 'prod', level: 'info' },
      { cluster: 'eu-1', service: 'billing', environment: 'prod', level: 'error' },
    ]);
    const info = body.streams[0]!.values;
    expect(info.map(([ts]) => ts)).toEqual([
      hrTimeToUnixNanos(early.time).toString(),
      hrTimeToUnixNanos(late.time).toString(),
    ]);
    expect(JSON.parse(info[0]![1])).toMatchObject({
      message: 'first',
      trace_id: TRACE_ID,
      span_id: SPAN_ID,
      invoice_id: 'inv-1',
    });
  });

  it('sends a bearer token and splits pushes larger than maxRequestBytes', async () => {
    const sink = await sinkWith(() => ({ status: 204 }));
    const exporter = new LokiLogExporter({
      url: sink.url('/loki/api/v1/push'),
      auth: { bearerToken: 'tkn' },
      maxRequestBytes: 16_384,
    });
    const records = Array.from({ length: 60 }, (_, i) => record(`${i}`.padEnd(1000, '.')));
    const stats = await ship(exporter, records);
    expect(stats.exported).toBe(60);
    expect(sink.requests.length).toBeGreaterThan(3);
    for (const req of sink.requests) {
      expect(req.headers.authorization).toBe('Bearer tkn');
      expect(Buffer.byteLength(req.text)).toBeLessThanOrEqual(16_384);
    }
    const lines = sink.requests.flatMap((r) =>
      (JSON.parse(r.text) as { streams: { values: [string, string][] }[] }).streams.flatMap(
        (s) => s.values,
      ),
    );
    expect(lines).toHaveLength(60);
  });

  it('does not retry a 400 (a rejected push) but retries a 500', async () => {
    const sink = await sinkWith((req) =>
      req.text.includes('bad') ? { status: 400, body: 'entry out of order' } : { status: 500 },
    );
    const rejected = await ship(new LokiLogExporter({ url: sink.url('') }), [record('bad')]);
    expect(rejected).toMatchObject({ failed: 1, retried: 0 });
    const exporter = new LokiLogExporter({ url: sink.url('') });
    const processor = new BatchLogProcessor(exporter, { maxRetries: 2, retryInitialDelayMs: 1 });
    processor.onEmit(record('server error'));
    await processor.shutdown();
    expect(processor.stats()).toMatchObject({ failed: 1, retried: 2 });
  });
});

describe('RestLogExporter against a local endpoint', () => {
  it('sends to the url with the method, headers, auth header and body of the user’s formatter', async () => {
    const sink = await sinkWith(() => ({ status: 200 }));
    const exporter = new RestLogExporter({
      url: sink.url('/ingest?source=nest'),
      method: 'PUT',
      headers: { 'x-tenant': 'acme' },
      auth: { header: 'x-api-key', value: 'secret-key' },
      contentType: 'application/vnd.logs+json',
      format: (records) => ({ count: records.length, events: records.map((r) => r.message) }),
    });
    await ship(exporter, [record('one'), record('two')]);
    expect(sink.requests).toHaveLength(1);
    const [req] = sink.requests;
    expect(req).toMatchObject({ method: 'PUT', path: '/ingest?source=nest' });
    expect(req!.headers).toMatchObject({
      'x-tenant': 'acme',
      'x-api-key': 'secret-key',
      'content-type': 'application/vnd.logs+json',
    });
    expect(JSON.parse(req!.text)).toEqual({ count: 2, events: ['one', 'two'] });
  });

  it('sends a JSON array of log lines by default, NDJSON when asked, with basic auth and a per-request cap', async () => {
    const sink = await sinkWith(() => ({ status: 201 }));
    await ship(
      new RestLogExporter({ url: sink.url('/json'), auth: { username: 'u', password: 'p' } }),
      [record('j')],
    );
    await ship(
      new RestLogExporter({ url: sink.url('/nd'), format: 'ndjson', maxRecordsPerRequest: 2 }),
      [record('a'), record('b'), record('c')],
    );
    const [json, nd1, nd2] = sink.requests;
    expect(json!.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(JSON.parse(json!.text)).toEqual([
      expect.objectContaining({ message: 'j', trace_id: TRACE_ID }),
    ]);
    expect(nd1!.headers['content-type']).toBe('application/x-ndjson');
    expect(
      nd1!.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).message),
    ).toEqual(['a', 'b']);
    expect(
      nd2!.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).message),
    ).toEqual(['c']);
  });

  it('reports a formatter that throws as a failed export instead of throwing', async () => {
    const exporter = new RestLogExporter({
      url: 'http://127.0.0.1:9/never',
      format: () => {
        throw new Error('formatter bug');
      },
    });
    const result = await exporter.export([record('x')]);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.retryable).toBeFalsy();
    expect(result.error?.message).toContain('formatter bug');
  });
});
