import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AxiosError, type AxiosResponse } from 'axios';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { firstValueFrom, type Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  SpanStatusCode,
  TracingModule,
  TracingService,
  type ReadableSpan,
  type TracingModuleOptions,
} from '../../lib/index.js';
import {
  HttpRequestRecords,
  STREAM_ATTRIBUTES,
  TracedHttpModule,
  TracedHttpService,
  type TracedHttpModuleOptions,
} from '../../lib/http/index.js';

// Real calls from TracedHttpService to real node:http servers on 127.0.0.1.

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

interface Downstream {
  url: string;
  received: Received[];
  /** Resolves when the next request has been read. */
  nextRequest(): Promise<{ req: IncomingMessage; res: ServerResponse }>;
}

const servers: Server[] = [];
const apps: INestApplication[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function downstream(handler: Handler): Promise<Downstream> {
  const received: Received[] = [];
  let waiting: ((value: { req: IncomingMessage; res: ServerResponse }) => void)[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const w = waiting;
      waiting = [];
      for (const resolve of w) resolve({ req, res });
      handler(req, res, body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    nextRequest: () => new Promise((resolve) => waiting.push(resolve)),
  };
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

interface ClientApp {
  app: INestApplication;
  http: TracedHttpService;
  tracing: TracingService;
  spans: InMemorySpanExporter;
  records: HttpRequestRecords;
}

async function clientApp(
  http: TracedHttpModuleOptions = {},
  tracing: TracingModuleOptions = {},
): Promise<ClientApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TracingModule.forRoot({ serviceName: 'client', exporters: [{ type: 'memory' }], ...tracing }),
      TracedHttpModule.register(http),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  apps.push(app);
  return {
    app,
    http: app.get(TracedHttpService),
    tracing: app.get(TracingService),
    spans: app.get(InMemorySpanExporter),
    records: app.get(HttpRequestRecords),
  };
}

async function failureOf(promise: Promise<unknown>): Promise<AxiosError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AxiosError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

function clientSpans(spans: InMemorySpanExporter): ReadableSpan[] {
  return spans.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
}

describe('TracedHttpService against real HTTP servers', () => {
  it('records a successful call as a CLIENT span named by method and url template, child of the active span', async () => {
    const server = await downstream((_req, res) => json(res, 200, { sku: 'BOOK-001' }));
    const { http, tracing, spans } = await clientApp({ baseURL: server.url });

    const response = await tracing.withSpan('parent', () =>
      firstValueFrom(
        http.get<{ sku: string }>('/products/BOOK-001?page=2', { urlTemplate: '/products/:sku' }),
      ),
    );

    expect(response.data).toEqual({ sku: 'BOOK-001' });
    const [client, parent] = await spans.waitForSpans(2);
    expect(parent!.name).toBe('parent');
    expect(client!.name).toBe('GET /products/:sku');
    expect(client!.kind).toBe(SpanKind.CLIENT);
    expect(client!.traceId).toBe(parent!.traceId);
    expect(client!.parentSpanId).toBe(parent!.spanId);
    const port = Number(new URL(server.url).port);
    expect(client!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.full': `${server.url}/products/BOOK-001?page=2`,
      'url.template': '/products/:sku',
      'server.address': '127.0.0.1',
      'server.port': port,
      'http.response.status_code': 200,
      'http.response.header.content-type': ['application/json'],
    });
    expect(client!.attributes['error.type']).toBeUndefined();
    expect(client!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('names a span by method alone when no url template is given', async () => {
    const server = await downstream((_req, res) => json(res, 201, {}));
    const { http, spans } = await clientApp();
    await firstValueFrom(http.post(`${server.url}/orders`, { id: 1 }));
    const [client] = await spans.waitForSpans(1);
    expect(client!.name).toBe('POST');
    expect(client!.attributes['http.response.status_code']).toBe(201);
    expect(client!.attributes['http.request.body.size']).toBe(Buffer.byteLength('{"id":1}'));
  });

  it('injects traceparent, tracestate, baggage and the correlation id that continue the client span', async () => {
    const server = await downstream((_req, res) => json(res, 200, {}));
    const { http, tracing, spans } = await clientApp();
    const incoming = tracing.extract({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'vendor=abc',
      baggage: 'tenant=acme',
      'x-correlation-id': 'corr-42',
    });

    await tracing.runInContext(incoming, 'job', () => firstValueFrom(http.get(`${server.url}/a`)));

    const client = (await spans.waitForSpans(2)).find((s) => s.kind === SpanKind.CLIENT)!;
    const headers = server.received[0]!.headers;
    expect(client.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(headers.traceparent).toBe(`00-${client.traceId}-${client.spanId}-01`);
    expect(headers.tracestate).toBe('vendor=abc');
    expect(headers.baggage).toBe('tenant=acme');
    expect(headers['x-correlation-id']).toBe('corr-42');
  });

  it('injects B3 headers when the b3 propagator is configured', async () => {
    const server = await downstream((_req, res) => json(res, 200, {}));
    const { http, tracing, spans } = await clientApp(
      {},
      { propagators: ['tracecontext', 'b3multi'] },
    );
    await tracing.withSpan('parent', () => firstValueFrom(http.get(`${server.url}/b3`)));
    const client = (await spans.waitForSpans(2)).find((s) => s.kind === SpanKind.CLIENT)!;
    const headers = server.received[0]!.headers;
    expect(headers['x-b3-traceid']).toBe(client.traceId);
    expect(headers['x-b3-spanid']).toBe(client.spanId);
    expect(headers['x-b3-sampled']).toBe('1');
    const flags = client.traceFlags.toString(16).padStart(2, '0');
    expect(headers.traceparent).toBe(`00-${client.traceId}-${client.spanId}-${flags}`);
  });

  it('never overwrites a trace or correlation header the caller set, in any letter case', async () => {
    const server = await downstream((_req, res) => json(res, 200, {}));
    const { http, tracing } = await clientApp();
    const mine = '00-11111111111111111111111111111111-2222222222222222-01';
    const incoming = tracing.extract({ 'x-correlation-id': 'from-request' });
    await tracing.runInContext(incoming, 'job', () =>
      firstValueFrom(
        http.get(`${server.url}/keep`, {
          headers: { TraceParent: mine, 'X-Correlation-Id': 'caller-choice' },
        }),
      ),
    );
    const headers = server.received[0]!.headers;
    expect(headers.traceparent).toBe(mine);
    expect(headers['x-correlation-id']).toBe('caller-choice');
  });

  it.each([404, 500])(
    'records a %i answer as an error with error.type set to the status code',
    async (status) => {
      const server = await downstream((_req, res) => json(res, status, { message: 'nope' }));
      const { http, spans, records } = await clientApp({ baseURL: server.url });

      const error = await failureOf(firstValueFrom(http.get('/missing')));

      expect(error.response?.status).toBe(status);
      const [client] = await spans.waitForSpans(1);
      expect(client!.status).toEqual({ code: SpanStatusCode.ERROR });
      expect(client!.attributes['http.response.status_code']).toBe(status);
      expect(client!.attributes['error.type']).toBe(String(status));
      expect(client!.events.filter((e) => e.name === 'exception')).toEqual([]);
      expect(records.list()[0]).toMatchObject({ status, ok: false, errorType: String(status) });
    },
  );

  it('records a timeout as an error with error.type timeout and an exception event', async () => {
    const server = await downstream(() => undefined); // never answers
    const { http, spans, records } = await clientApp({ baseURL: server.url, timeout: 100 });

    const error = await failureOf(firstValueFrom(http.get('/slow')));

    expect(error.code).toBe('ECONNABORTED');
    const [client] = await spans.waitForSpans(1);
    expect(client!.status.code).toBe(SpanStatusCode.ERROR);
    expect(client!.status.message).toBe('timeout of 100ms exceeded');
    expect(client!.attributes['error.type']).toBe('timeout');
    expect(client!.attributes['http.response.status_code']).toBeUndefined();
    expect(client!.events.map((e) => e.name)).toContain('exception');
    expect(records.list()[0]).toMatchObject({ ok: false, errorType: 'timeout', status: undefined });
  });

  it('records a refused connection as an error with error.type ECONNREFUSED', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const { http, spans } = await clientApp();

    const error = await failureOf(firstValueFrom(http.get(`http://127.0.0.1:${port}/`)));

    expect(error.code).toBe('ECONNREFUSED');
    const [client] = await spans.waitForSpans(1);
    expect(client!.status.code).toBe(SpanStatusCode.ERROR);
    expect(client!.attributes['error.type']).toBe('ECONNREFUSED');
    expect(client!.attributes['server.port']).toBe(port);
  });

  it('stays lazy: no request and no span without a subscription, then one of each per subscription', async () => {
    const server = await downstream((_req, res) => json(res, 200, {}));
    const { http, spans } = await clientApp();

    const call = http.get(`${server.url}/lazy`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.received).toEqual([]);
    expect(spans.getFinishedSpans()).toEqual([]);

    await firstValueFrom(call);
    await firstValueFrom(call);
    const both = await spans.waitForSpans(2);
    expect(server.received).toHaveLength(2);
    expect(new Set(both.map((s) => s.spanId)).size).toBe(2);
  });

  it.each(['json', 'stream'] as const)(
    'aborts the request and ends the span as cancelled when unsubscribed before the answer (responseType %s)',
    async (responseType) => {
      const server = await downstream(() => undefined); // holds the request
      const { http, spans, records } = await clientApp();
      const arrived = server.nextRequest();

      const subscription: Subscription = http
        .get(`${server.url}/hold`, { responseType })
        .subscribe();
      const { req } = await arrived;
      const closed = new Promise<void>((resolve) => req.socket.once('close', () => resolve()));
      subscription.unsubscribe();
      await closed; // the server saw the connection go

      const [client] = await spans.waitForSpans(1);
      expect(client!.status.code).toBe(SpanStatusCode.ERROR);
      expect(client!.attributes['error.type']).toBe('cancelled');
      expect(records.list()[0]).toMatchObject({ ok: false, errorType: 'cancelled' });
    },
  );

  it('follows a streamed SSE body to its end: the span ends with the stream, with its figures', async () => {
    const events = ['data: one\n\n', 'data: two\n\n', 'data: three\n\n'];
    const server = await downstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      events.forEach((event, i) =>
        setTimeout(
          () => {
            res.write(event);
            if (i === events.length - 1) res.end();
          },
          40 * (i + 1),
        ),
      );
    });
    const { http, spans, records } = await clientApp({ tracing: { recordBodies: true } });

    const response: AxiosResponse<Readable> = await firstValueFrom(
      http.get<Readable>(`${server.url}/events`, { responseType: 'stream' }),
    );
    // The headers are in, the body is not: the span is still open.
    expect(clientSpans(spans)).toEqual([]);
    let text = '';
    for await (const chunk of response.data) text += String(chunk);

    expect(text).toBe(events.join(''));
    const [client] = await spans.waitForSpans(1);
    expect(client!.attributes).toMatchObject({
      'http.response.status_code': 200,
      [STREAM_ATTRIBUTES.kind]: 'sse',
      [STREAM_ATTRIBUTES.chunks]: 3,
      [STREAM_ATTRIBUTES.bytes]: Buffer.byteLength(events.join('')),
      [STREAM_ATTRIBUTES.outcome]: 'completed',
      'http.response.body.size': Buffer.byteLength(events.join('')),
    });
    expect(client!.attributes[STREAM_ATTRIBUTES.timeToFirstByteMs]).toBeGreaterThanOrEqual(30);
    // Three events 40 ms apart: about 80 ms from the first to the last.
    expect(client!.attributes[STREAM_ATTRIBUTES.durationMs]).toBeGreaterThanOrEqual(60);
    expect(client!.durationMs).toBeGreaterThanOrEqual(100);
    expect(client!.status.code).toBe(SpanStatusCode.UNSET);
    const record = records.list()[0]!;
    expect(record.stream).toMatchObject({ kind: 'sse', chunks: 3, outcome: 'completed' });
    expect(record.response?.body).toBe(events.join(''));
  });

  it('ends a streamed span as cancelled when the consumer destroys the stream early', async () => {
    const server = await downstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      // never ends
    });
    const { http, spans } = await clientApp();
    const response = await firstValueFrom(
      http.get<Readable>(`${server.url}/endless`, { responseType: 'stream' }),
    );
    await new Promise<void>((resolve) => response.data.once('data', () => resolve()));
    response.data.destroy();
    const [client] = await spans.waitForSpans(1);
    expect(client!.attributes[STREAM_ATTRIBUTES.outcome]).toBe('aborted');
    expect(client!.attributes['error.type']).toBe('cancelled');
    expect(client!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('counts a large body in full but records it capped, within the attribute length limit', async () => {
    const items = Array.from({ length: 40_000 }, (_, i) => ({
      id: i,
      name: `item-${i}`,
      tags: ['a', 'b'],
    }));
    const big = JSON.stringify({ items });
    expect(big.length).toBeGreaterThan(1_000_000);
    const server = await downstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked, no length
      res.end(big);
    });
    const upload = 'x'.repeat(300_000);
    const { http, spans, records } = await clientApp(
      { tracing: { recordBodies: true, maxBodyBytes: 2048 } },
      { spanLimits: { attributeValueLengthLimit: 1000 } },
    );

    const response = await firstValueFrom(
      http.post<{ items: unknown[] }>(`${server.url}/big`, { upload }),
    );

    expect(response.data.items).toHaveLength(40_000);
    expect(server.received[0]!.body).toBe(JSON.stringify({ upload }));
    const [client] = await spans.waitForSpans(1);
    expect(client!.attributes['http.response.body.size']).toBe(Buffer.byteLength(big));
    expect(client!.attributes['http.request.body.size']).toBe(JSON.stringify({ upload }).length);
    const body = client!.attributes['nestjs_tracing.http.response.body'] as string;
    expect(body.length).toBeLessThanOrEqual(1000);
    const record = records.list()[0]!;
    expect(record.response!.bodyBytes).toBe(Buffer.byteLength(big));
    expect(record.response!.bodyTruncated).toBe(true);
    expect(Buffer.byteLength(record.response!.body!)).toBeLessThanOrEqual(2048);
    expect(record.response!.body!.startsWith('{"items":[{"id":0,"name":"item-0"')).toBe(true);
    expect(Buffer.byteLength(record.request.body!)).toBeLessThanOrEqual(2048);
  });

  it('pretty-prints recorded JSON bodies and keeps records queryable and exportable', async () => {
    const server = await downstream((req, res) =>
      req.url === '/fail' ? json(res, 503, { retry: true }) : json(res, 200, { ok: true, n: 1 }),
    );
    const { http, records } = await clientApp({
      baseURL: server.url,
      tracing: { recordBodies: true, records: { max: 3 } },
    });
    for (const path of ['/a', '/fail', '/b', '/c']) {
      await firstValueFrom(http.get(path)).catch(() => undefined);
    }
    expect(records.size).toBe(3); // the ring dropped the oldest
    expect(records.list().map((r) => new URL(r.url).pathname)).toEqual(['/c', '/b', '/fail']);
    expect(records.list({ limit: 1 }).map((r) => r.url)).toEqual([`${server.url}/c`]);
    expect(records.list({ status: '5xx' }).map((r) => r.status)).toEqual([503]);
    expect(records.list({ status: 'error' })).toHaveLength(1);
    expect(records.list({ url: '/b' })).toHaveLength(1);
    expect(records.list({ url: /\/(b|c)$/ })).toHaveLength(2);
    expect(records.list({ status: 200 })[0]!.response!.body).toBe('{\n  "ok": true,\n  "n": 1\n}');
  });
});

describe('TracedHttpService without tracing', () => {
  it('behaves like HttpService when TracingModule is absent: no spans, no headers, no records', async () => {
    const server = await downstream((_req, res) => json(res, 200, { hello: 'world' }));
    const moduleRef = await Test.createTestingModule({
      imports: [TracedHttpModule.register({ baseURL: server.url })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    apps.push(app);
    const http = app.get(TracedHttpService);

    const response = await firstValueFrom(http.get('/plain'));

    expect(response.data).toEqual({ hello: 'world' });
    expect(server.received[0]!.headers.traceparent).toBeUndefined();
    expect(http.records.size).toBe(0);
  });

  it('sends no trace headers and records nothing when tracing is disabled', async () => {
    const server = await downstream((_req, res) => json(res, 200, {}));
    const { http, tracing, records } = await clientApp({}, { enabled: false });
    await tracing.withSpan('parent', () => firstValueFrom(http.get(`${server.url}/off`)));
    expect(
      Object.keys(server.received[0]!.headers).filter((h) =>
        /traceparent|baggage|correlation|b3/.test(h),
      ),
    ).toEqual([]);
    expect(records.size).toBe(0);
  });
});
