import {
  Controller,
  Get,
  Injectable,
  Module,
  Param,
  type INestApplication,
  type ModuleMetadata,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { firstValueFrom } from 'rxjs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  Traced,
  TracingConfigError,
  TracingModule,
  TracingService,
  type DevtoolsTrace,
  type DevtoolsTraceList,
  type TracingModuleOptions,
} from '../../lib/index.js';
import { TracedHttpModule, TracedHttpService } from '../../lib/http/index.js';
import { createTracingTestingModule, findSpan, waitForTrace } from '../../lib/testing/index.js';
import { PLATFORMS, type PlatformName } from '../fixtures/platforms.js';

// The trace viewer served by a real app on a real port, on Express and Fastify: the
// page, the JSON API, live updates, spans received from a second service, and the
// records of outgoing calls.

const VIEWER = '/_tracing';

/** Where the gateway's calls go; set once the catalog is listening. */
const downstream = { url: '' };

@Injectable()
class OrdersService {
  @Traced()
  async find(id: string): Promise<{ id: string }> {
    await sleep(2);
    return { id };
  }
}

@Controller()
class GatewayController {
  constructor(
    private readonly orders: OrdersService,
    private readonly tracing: TracingService,
    private readonly http: TracedHttpService,
  ) {}

  @Get('orders/:id')
  find(@Param('id') id: string) {
    return this.orders.find(id);
  }

  @Get('fail')
  fail(): never {
    throw new Error('payment provider down');
  }

  /** Calls the catalog over fetch, carrying the trace in the injected headers. */
  @Get('orders/:id/details')
  details(@Param('id') id: string) {
    return this.tracing.withSpan(
      'GET /products/:sku',
      async (span) => {
        const res = await fetch(`${downstream.url}/products/${id}`, {
          headers: this.tracing.inject<Record<string, string>>({}),
        });
        span.setAttribute('http.response.status_code', res.status);
        return res.json();
      },
      { kind: SpanKind.CLIENT },
    );
  }

  /** An outgoing call through TracedHttpService, whose record the viewer shows. */
  @Get('orders/:id/priced')
  async priced(@Param('id') id: string) {
    const res = await firstValueFrom(
      this.http.get(`${downstream.url}/products/${id}`, {
        headers: { authorization: 'Bearer secret-token', 'x-shop': 'north' },
      }),
    );
    return res.data;
  }
}

@Controller()
class CatalogController {
  @Get('products/:sku')
  @Traced('catalog.lookup')
  product(@Param('sku') sku: string) {
    return { sku, price: 12 };
  }
}

function gatewayMetadata(options: TracingModuleOptions): ModuleMetadata {
  return {
    imports: [
      TracingModule.forRoot({ serviceName: 'gateway', ...options }),
      TracedHttpModule.register({ tracing: { recordBodies: true } }),
    ],
    controllers: [GatewayController],
    providers: [OrdersService],
  };
}

function adapterFor(platform: PlatformName) {
  return platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
}

async function listen(app: INestApplication): Promise<string> {
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

/** The gateway, built with the testing kit: its exporters become one in-memory exporter. */
async function startGateway(platform: PlatformName, options: TracingModuleOptions) {
  const moduleRef = await createTracingTestingModule(gatewayMetadata(options)).compile();
  const app = moduleRef.createNestApplication(adapterFor(platform), { logger: false });
  const url = await listen(app);
  return { app, url, spans: app.get(InMemorySpanExporter) };
}

/** A second service that sends its spans to the gateway's viewer as OTLP/HTTP JSON. */
async function startCatalog(platform: PlatformName, viewerUrl: string) {
  @Module({
    imports: [
      TracingModule.forRoot({
        serviceName: 'catalog',
        exporters: [
          {
            type: 'otlp',
            url: `${viewerUrl}/v1/traces`,
            protocol: 'http/json',
            batch: { scheduledDelayMs: 10 },
          },
        ],
      }),
    ],
    controllers: [CatalogController],
  })
  class CatalogModule {}
  const app = await NestFactory.create(CatalogModule, adapterFor(platform), { logger: false });
  const url = await listen(app);
  downstream.url = url;
  return { app, url };
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** Polls the viewer's list until `done` holds (spans from other services arrive in batches). */
async function listUntil(
  base: string,
  query: string,
  done: (list: DevtoolsTraceList) => boolean,
): Promise<DevtoolsTraceList> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const list = await json<DevtoolsTraceList>(`${base}/api/traces${query}`);
    if (done(list) || Date.now() > deadline) return list;
    await sleep(20);
  }
}

/** Reads server-sent events from `url` until `until` holds for the text so far. */
function readEvents(url: string, until: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (until(text)) {
          req.destroy();
          resolve(text);
        }
      });
    });
    req.on('error', reject);
    setTimeout(() => {
      req.destroy();
      reject(new Error(`no matching event within 3 s`));
    }, 3000).unref();
  });
}

describe.each(PLATFORMS)('trace viewer on %s', (platform) => {
  const apps: INestApplication[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0).toReversed()) await app.close();
  });

  async function gateway(options: TracingModuleOptions = { devtools: true }) {
    const started = await startGateway(platform, options);
    apps.push(started.app);
    return { ...started, viewer: started.url + VIEWER };
  }

  it('serves the page, its script, style and icon with no reference to another origin', async () => {
    const { viewer } = await gateway();
    const page = await fetch(viewer);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain(`<script src="${VIEWER}/app.js" defer></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="${VIEWER}/app.css">`);
    const script = await fetch(`${viewer}/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const css = await fetch(`${viewer}/app.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const icon = await fetch(`${viewer}/favicon.svg`);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    // A trailing slash serves the same page.
    expect(await (await fetch(`${viewer}/`)).text()).toBe(html);
    for (const text of [html, await script.text(), await css.text()]) {
      expect(text).not.toMatch(/https?:\/\/|\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    }
  });

  it('lists recent traces newest first with root name, service, duration, status, span count and start time', async () => {
    const { url, viewer, spans } = await gateway();
    const before = Date.now();
    await fetch(`${url}/orders/1`, { headers: { 'x-correlation-id': 'first-1' } });
    const first = await waitForTrace(spans, { span: 'GET /orders/:id' });
    await fetch(`${url}/fail`);
    const failed = await waitForTrace(spans, { span: 'GET /fail' });

    const list = await json<DevtoolsTraceList>(`${viewer}/api/traces`);
    expect(list.traces.map((t) => t.traceId)).toEqual([failed.traceId, first.traceId]);
    expect(list).toMatchObject({ total: 2, maxTraces: 100, droppedTraces: 0 });
    const [failure, order] = list.traces;
    expect(order).toMatchObject({
      rootName: 'GET /orders/:id',
      service: 'gateway',
      services: ['gateway'],
      status: 'ok',
      errorCount: 0,
      spanCount: 2,
      droppedSpans: 0,
      complete: true,
      route: '/orders/:id',
      method: 'GET',
      statusCode: 200,
      correlationId: 'first-1',
    });
    expect(order!.durationMs).toBeGreaterThanOrEqual(1.5);
    expect(Date.parse(order!.startTime)).toBeGreaterThanOrEqual(before - 5);
    expect(failure).toMatchObject({ rootName: 'GET /fail', status: 'error', statusCode: 500 });
  });

  it('filters the list by status, route, correlation id and trace id', async () => {
    const { url, viewer, spans } = await gateway();
    await fetch(`${url}/orders/1`, { headers: { 'x-correlation-id': 'alpha' } });
    const alpha = await waitForTrace(spans, {
      span: { attributes: { 'correlation.id': 'alpha' } },
    });
    await fetch(`${url}/orders/2`, { headers: { 'x-correlation-id': 'beta' } });
    await waitForTrace(spans, { span: { attributes: { 'correlation.id': 'beta' } } });
    await fetch(`${url}/fail`, { headers: { 'x-correlation-id': 'gamma' } });
    await waitForTrace(spans, { span: 'GET /fail' });

    const ids = async (query: string) =>
      (await json<DevtoolsTraceList>(`${viewer}/api/traces?${query}`)).traces.map(
        (t) => t.correlationId,
      );
    expect(await ids('status=error')).toEqual(['gamma']);
    expect(await ids('status=ok')).toEqual(['beta', 'alpha']);
    expect(await ids('route=%2FORDERS')).toEqual(['beta', 'alpha']);
    expect(await ids('route=%2Forders%2F2')).toEqual(['beta']);
    expect(await ids('correlationId=alpha')).toEqual(['alpha']);
    expect(await ids('correlationId=alph')).toEqual([]);
    expect(await ids(`traceId=${alpha.traceId.slice(0, 10)}`)).toEqual(['alpha']);
    expect(await ids('limit=1')).toEqual(['gamma']);
    const bad = await fetch(`${viewer}/api/traces?status=broken`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'status must be "ok" or "error"' });
  });

  it('returns one trace as a waterfall: nested spans with offsets and self time, errors marked', async () => {
    const { url, viewer, spans } = await gateway();
    await fetch(`${url}/orders/7`);
    const trace = await waitForTrace(spans, { span: 'GET /orders/:id' });

    const view = await json<DevtoolsTrace>(`${viewer}/api/traces/${trace.traceId}`);
    expect(view.summary.traceId).toBe(trace.traceId);
    expect(view.spans.map((s) => [s.name, s.depth, s.service])).toEqual([
      ['GET /orders/:id', 0, 'gateway'],
      ['OrdersService.find', 1, 'gateway'],
    ]);
    const [server, child] = view.spans;
    expect(server!.offsetMs).toBe(0);
    expect(child!.parentSpanId).toBe(server!.spanId);
    expect(child!.offsetMs).toBeGreaterThanOrEqual(0);
    expect(child!.offsetMs + child!.durationMs).toBeLessThanOrEqual(server!.durationMs + 0.001);
    // The service call has no children: all its time is its own; the server's excludes it.
    expect(child!.selfTimeMs).toBe(child!.durationMs);
    expect(server!.selfTimeMs).toBeCloseTo(server!.durationMs - child!.durationMs, 2);
    // The exporters' JSON form, as the file and console exporters write it.
    expect(server).toMatchObject({
      kind: 'server',
      status: { code: 'unset' },
      attributes: { 'http.route': '/orders/:id', 'http.response.status_code': 200 },
      resource: { attributes: { 'service.name': 'gateway' } },
    });

    await fetch(`${url}/fail`);
    const failed = await waitForTrace(spans, { span: 'GET /fail' });
    const failure = await json<DevtoolsTrace>(`${viewer}/api/traces/${failed.traceId}`);
    expect(failure.spans[0]!.status).toEqual({ code: 'error', message: 'payment provider down' });
    expect(failure.spans[0]!.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('answers 400 for a malformed trace id and 404 for one it does not hold', async () => {
    const { viewer } = await gateway();
    const bad = await fetch(`${viewer}/api/traces/not-a-trace`);
    expect(bad.status).toBe(400);
    const missing = await fetch(`${viewer}/api/traces/${'ab'.repeat(16)}`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: `trace ${'ab'.repeat(16)} is not in the store` });
    expect((await fetch(`${viewer}/nothing-here`)).status).toBe(404);
    expect((await fetch(`${viewer}/api/traces`, { method: 'PUT' })).status).toBe(405);
  });

  it('keeps its own requests out of tracing, and leaves other routes alone', async () => {
    const { url, viewer, spans } = await gateway();
    await fetch(viewer);
    await fetch(`${viewer}/app.js`);
    await fetch(`${viewer}/api/traces?status=ok`);
    await fetch(`${viewer}/api/traces/${'cd'.repeat(16)}`);
    await fetch(`${url}/orders/3`);
    await waitForTrace(spans, { span: 'GET /orders/:id' });
    await sleep(20);
    expect(spans.getFinishedSpans().map((s) => s.name)).toEqual([
      'OrdersService.find',
      'GET /orders/:id',
    ]);
    const list = await json<DevtoolsTraceList>(`${viewer}/api/traces`);
    expect(list.traces.map((t) => t.rootName)).toEqual(['GET /orders/:id']);
    // A path that merely starts like the viewer's is the app's.
    expect((await fetch(`${url}${VIEWER}-not`)).status).toBe(404);
    await waitForTrace(spans, { span: { attributes: { 'url.path': `${VIEWER}-not` } } });
  });

  it('sends a live update over server-sent events when a trace changes', async () => {
    const { url, viewer, spans } = await gateway();
    const events = readEvents(`${viewer}/api/events`, (text) => text.includes('event: traces'));
    await sleep(50);
    await fetch(`${url}/orders/9`);
    const trace = await waitForTrace(spans, { span: 'GET /orders/:id' });
    const text = await events;
    expect(text).toContain('event: hello');
    const data = /event: traces\ndata: (.*)\n\n/.exec(text)?.[1];
    expect(JSON.parse(data!)).toEqual({ traceIds: [trace.traceId] });
  });

  it('closes open live streams when the app shuts down', async () => {
    const { app, viewer } = await gateway();
    const ended = new Promise<void>((resolve, reject) => {
      httpGet(`${viewer}/api/events`, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject);
    });
    await sleep(50);
    apps.pop();
    await app.close();
    await expect(ended).resolves.toBeUndefined();
  });

  it('forgets every trace when the page asks it to clear', async () => {
    const { url, viewer, spans } = await gateway();
    await fetch(`${url}/orders/1`);
    await waitForTrace(spans);
    expect((await json<DevtoolsTraceList>(`${viewer}/api/traces`)).total).toBe(1);
    expect((await fetch(`${viewer}/api/traces`, { method: 'DELETE' })).status).toBe(204);
    expect((await json<DevtoolsTraceList>(`${viewer}/api/traces`)).total).toBe(0);
  });

  it('shows a trace that crosses two services as one, with spans the other service sent over OTLP', async () => {
    const { url, viewer, spans } = await gateway();
    apps.push((await startCatalog(platform, viewer)).app);
    const res = await fetch(`${url}/orders/BOOK-1/details`, {
      headers: { 'x-correlation-id': 'cross-1' },
    });
    expect(await res.json()).toEqual({ sku: 'BOOK-1', price: 12 });
    const local = await waitForTrace(spans, { span: 'GET /orders/:id/details' });

    const list = await listUntil(
      viewer,
      '?correlationId=cross-1',
      (l) => (l.traces[0]?.spanCount ?? 0) >= 4,
    );
    expect(list.traces).toHaveLength(1);
    expect(list.traces[0]).toMatchObject({
      traceId: local.traceId,
      rootName: 'GET /orders/:id/details',
      service: 'gateway',
      spanCount: 4,
      complete: true,
    });
    expect(list.traces[0]!.services.toSorted()).toEqual(['catalog', 'gateway']);

    const view = await json<DevtoolsTrace>(`${viewer}/api/traces/${local.traceId}`);
    expect(view.spans.map((s) => [s.name, s.service, s.depth])).toEqual([
      ['GET /orders/:id/details', 'gateway', 0],
      ['GET /products/:sku', 'gateway', 1],
      ['GET /products/:sku', 'catalog', 2],
      ['catalog.lookup', 'catalog', 3],
    ]);
    const client = findSpan(local, { kind: SpanKind.CLIENT });
    expect(view.spans[2]).toMatchObject({
      kind: 'server',
      parentSpanId: client.spanId,
      parentIsRemote: true,
      attributes: { 'http.route': '/products/:sku', 'correlation.id': 'cross-1' },
    });
    // Received spans sit on the same time axis: inside the client call that caused them.
    expect(view.spans[2]!.offsetMs).toBeGreaterThanOrEqual(view.spans[1]!.offsetMs);
  });

  it("attaches the outgoing call's redacted record to its client span", async () => {
    const { url, viewer, spans } = await gateway();
    apps.push((await startCatalog(platform, viewer)).app);
    await fetch(`${url}/orders/MUG-2/priced`);
    const trace = await waitForTrace(spans, { span: 'GET /orders/:id/priced' });
    const view = await json<DevtoolsTrace>(`${viewer}/api/traces/${trace.traceId}`);
    const client = view.spans.find((s) => s.kind === 'client' && s.service === 'gateway')!;
    expect(client.record).toMatchObject({
      method: 'GET',
      url: `${downstream.url}/products/MUG-2`,
      status: 200,
      ok: true,
      traceId: trace.traceId,
      spanId: client.spanId,
      request: { headers: { authorization: '[REDACTED]', 'x-shop': 'north' } },
    });
    expect(JSON.parse(client.record!.response!.body!)).toEqual({ sku: 'MUG-2', price: 12 });
    expect(JSON.stringify(view)).not.toContain('secret-token');
    // Only client spans have records.
    expect(view.spans.filter((s) => s.record !== undefined)).toHaveLength(1);
  });

  it("accepts a batch of spans larger than the JSON body parser's limit", async () => {
    const { viewer } = await gateway();
    const traceId = 'ab'.repeat(16);
    const now = BigInt(Date.now()) * 1_000_000n;
    const spans = Array.from({ length: 400 }, (_, i) => ({
      traceId,
      spanId: (i + 1).toString(16).padStart(16, '0'),
      name: `work ${i}`,
      startTimeUnixNano: String(now + BigInt(i)),
      endTimeUnixNano: String(now + BigInt(i) + 1000n),
      attributes: [{ key: 'note', value: { stringValue: 'x'.repeat(1000) } }],
    }));
    const body = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
    expect(body.length).toBeGreaterThan(400_000);
    const res = await fetch(`${viewer}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const list = await json<DevtoolsTraceList>(`${viewer}/api/traces`);
    expect(list.traces[0]).toMatchObject({ traceId, spanCount: 400, rootName: 'work 0' });
  });

  it('answers a partial success for spans it could not read', async () => {
    const { viewer } = await gateway();
    const good = {
      traceId: 'cd'.repeat(16),
      spanId: '0000000000000001',
      name: 'ok',
      startTimeUnixNano: '1000',
      endTimeUnixNano: '2000',
    };
    const res = await fetch(`${viewer}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({
        resourceSpans: [{ scopeSpans: [{ spans: [good, { ...good, spanId: 'bad' }] }] }],
      }),
    });
    expect(await res.json()).toEqual({
      partialSuccess: {
        rejectedSpans: '1',
        errorMessage: 'spans with malformed ids or times were rejected',
      },
    });
    const notJson = await fetch(`${viewer}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(notJson.status).toBe(400);
  });

  it('refuses OTLP protobuf with a message naming the protocol to use', async () => {
    const { viewer } = await gateway();
    const res = await fetch(`${viewer}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array([10, 0]),
    });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: string }).error).toContain('protocol "http/json"');
  });

  it('does not accept spans when acceptSpans is false', async () => {
    const { viewer } = await gateway({ devtools: { acceptSpans: false } });
    const res = await fetch(`${viewer}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceSpans: [] }),
    });
    expect(res.status).toBe(404);
  });

  it('serves nothing when devtools is off, as by default', async () => {
    const { url } = await gateway({});
    expect((await fetch(`${url}${VIEWER}`)).status).toBe(404);
    expect((await fetch(`${url}${VIEWER}/api/traces`)).status).toBe(404);
  });

  it('serves the viewer at the configured path', async () => {
    const { url, spans } = await gateway({ devtools: { path: '/debug/traces/' } });
    await fetch(`${url}/orders/5`);
    await waitForTrace(spans);
    const list = await json<DevtoolsTraceList>(`${url}/debug/traces/api/traces`);
    expect(list.traces.map((t) => t.rootName)).toEqual(['GET /orders/:id']);
    expect(await (await fetch(`${url}/debug/traces`)).text()).toContain(
      '<script src="/debug/traces/app.js" defer></script>',
    );
    expect((await fetch(`${url}${VIEWER}`)).status).toBe(404);
  });
});

describe('trace viewer options', () => {
  const env = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = env;
  });

  it('refuses to start in production without force, naming the option', async () => {
    process.env.NODE_ENV = 'production';
    const start = createTracingTestingModule(gatewayMetadata({ devtools: true })).compile();
    await expect(start).rejects.toThrow(TracingConfigError);
    await expect(
      createTracingTestingModule(gatewayMetadata({ devtools: true })).compile(),
    ).rejects.toThrow(/option "devtools" is refused when NODE_ENV is "production".*force: true/);
  });

  it('starts in production when forced', async () => {
    process.env.NODE_ENV = 'production';
    const moduleRef = await createTracingTestingModule(
      gatewayMetadata({ devtools: { force: true } }),
    ).compile();
    const app = moduleRef.createNestApplication(new ExpressAdapter(), { logger: false });
    const url = await listen(app);
    try {
      expect((await fetch(`${url}${VIEWER}/api/traces`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('fails at start-up on a malformed devtools option, naming it', async () => {
    await expect(
      createTracingTestingModule(gatewayMetadata({ devtools: { maxTraces: 0 } })).compile(),
    ).rejects.toThrow('option "devtools.maxTraces" must be a positive integer; got 0');
  });
});
