import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Headers,
  type DynamicModule,
  type INestApplication,
} from '@nestjs/common';
import diagnosticsChannel from 'node:diagnostics_channel';
import {
  createServer,
  get as httpGet,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  SpanStatusCode,
  Traced,
  TracingModule,
  type ReadableSpan,
  type TracingModuleOptions,
} from '../../lib/index.js';
import { TracedHttpModule, TracedHttpService } from '../../lib/http/index.js';
import { freePort } from '../fixtures/free-port.js';
import { OtlpSink } from '../fixtures/otlp-sink.js';
import { PLATFORMS, startApp, type PlatformName } from '../fixtures/platforms.js';

// A Nest app whose @Traced() service calls a second local server with fetch, http.get and
// TracedHttpService: the fetch and node:http integrations trace the first two by
// themselves, from Node's diagnostics channels.

/** Where the service calls: set per test (the downstream server's base URL). */
const target = { url: '' };

@Injectable()
class OutgoingService {
  constructor(@Inject(TracedHttpService) private readonly http: TracedHttpService) {}

  @Traced()
  async viaFetch(path: string): Promise<string> {
    try {
      const res = await fetch(target.url + path);
      return `${res.status} ${await res.text()}`;
    } catch (error) {
      return `failed ${((error as Error).cause as { code?: string })?.code}`;
    }
  }

  @Traced()
  viaHttp(path: string): Promise<string> {
    return new Promise((resolve) => {
      httpGet(target.url + path, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
      }).on('error', (error: NodeJS.ErrnoException) => resolve(`failed ${error.code}`));
    });
  }

  @Traced()
  async viaTracedHttp(path: string): Promise<string> {
    const res = await firstValueFrom(this.http.get<string>(target.url + path));
    return `${res.status} ${res.data}`;
  }
}

@Controller()
class OutgoingController {
  constructor(@Inject(OutgoingService) private readonly service: OutgoingService) {}

  @Get('fetch')
  fetch(@Headers('x-path') path: string): Promise<string> {
    return this.service.viaFetch(path);
  }

  @Get('http')
  http(@Headers('x-path') path: string): Promise<string> {
    return this.service.viaHttp(path);
  }

  @Get('traced-http')
  tracedHttp(@Headers('x-path') path: string): Promise<string> {
    return this.service.viaTracedHttp(path);
  }
}

function outgoingApp(options: TracingModuleOptions = {}): DynamicModule {
  @Module({})
  class OutgoingAppModule {}
  return {
    module: OutgoingAppModule,
    imports: [
      TracingModule.forRoot({
        serviceName: 'outgoing',
        exporters: [{ type: 'memory' }],
        ...options,
      }),
      TracedHttpModule.register({}),
    ],
    controllers: [OutgoingController],
    providers: [OutgoingService],
  };
}

interface Downstream {
  url: string;
  received: { url: string; headers: IncomingHttpHeaders }[];
}

const servers: Server[] = [];
const apps: INestApplication[] = [];
const sinks: OtlpSink[] = [];

afterEach(async () => {
  // Apps first: a shutting-down app flushes its spans to a sink still there.
  for (const app of apps.splice(0)) await app.close();
  await Promise.all(sinks.splice(0).map((sink) => sink.close()));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function downstream(): Promise<Downstream> {
  const received: Downstream['received'] = [];
  const server = createServer((req: IncomingMessage, res) => {
    received.push({ url: req.url!, headers: req.headers });
    res.writeHead(req.url?.startsWith('/missing') ? 404 : 200, { 'content-type': 'text/plain' });
    res.end('pong');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

interface Booted {
  url: string;
  spans: InMemorySpanExporter;
}

async function boot(platform: PlatformName, options?: TracingModuleOptions): Promise<Booted> {
  const { app, url } = await startApp(outgoingApp(options) as never, platform);
  apps.push(app);
  return { url, spans: app.get(InMemorySpanExporter) };
}

async function call(app: Booted, route: string, path: string): Promise<string> {
  const res = await fetch(`${app.url}/${route}`, { headers: { 'x-path': path } });
  return res.text();
}

/** The server span of the request to `route`, and the spans of its trace once all ended. */
async function traceOf(app: Booted, route: string, count: number): Promise<ReadableSpan[]> {
  await expect
    .poll(() => {
      const server = serverSpan(app.spans, route);
      return server === undefined ? 0 : app.spans.getSpansByTraceId(server.traceId).length;
    })
    .toBeGreaterThanOrEqual(count);
  return app.spans.getSpansByTraceId(serverSpan(app.spans, route)!.traceId);
}

function serverSpan(spans: InMemorySpanExporter, route: string): ReadableSpan | undefined {
  return spans
    .getFinishedSpans()
    .find(
      (s) =>
        s.kind === SpanKind.SERVER && String(s.attributes['url.path'] ?? s.name).includes(route),
    );
}

function clientSpansTo(spans: readonly ReadableSpan[], base: string): ReadableSpan[] {
  return spans.filter(
    (s) => s.kind === SpanKind.CLIENT && String(s.attributes['url.full']).startsWith(base),
  );
}

function traceparentOf(span: ReadableSpan): string {
  return `00-${span.traceId}-${span.spanId}-${span.traceFlags.toString(16).padStart(2, '0')}`;
}

/**
 * Whether the running Node publishes `http.client.request.created`, where node:http headers
 * can still be set (Node 24 does, Node 20 does not): found by watching one real request.
 */
async function nodePublishesCreated(): Promise<boolean> {
  const down = await downstream();
  let seen = false;
  const probe = (): void => {
    seen = true;
  };
  diagnosticsChannel.subscribe('http.client.request.created', probe);
  try {
    await new Promise<void>((resolve, reject) =>
      httpGet(down.url, (res) => res.resume().on('end', resolve)).on('error', reject),
    );
  } finally {
    diagnosticsChannel.unsubscribe('http.client.request.created', probe);
  }
  return seen;
}

describe.each(PLATFORMS)('outgoing fetch and node:http from a Nest app on %s', (platform) => {
  it.each(['fetch', 'http'])(
    '%s: server span -> service span -> client span, traceparent sent, secrets redacted',
    async (route) => {
      const injects = route === 'fetch' || (await nodePublishesCreated());
      const down = await downstream();
      target.url = down.url;
      const app = await boot(platform);
      expect(await call(app, route, '/items?token=secret&page=2')).toBe('200 pong');

      const spans = await traceOf(app, route, 3);
      const server = serverSpan(app.spans, route)!;
      const service = spans.find((s) => s.parentSpanId === server.spanId)!;
      expect(service.name).toMatch(/^OutgoingService\.via/);
      const clients = clientSpansTo(spans, down.url);
      expect(clients).toHaveLength(1);
      const client = clients[0]!;
      expect(client.parentSpanId).toBe(service.spanId);
      expect(client.name).toBe('GET');
      expect(client.attributes).toMatchObject({
        'http.request.method': 'GET',
        'url.full': `${down.url}/items?token=REDACTED&page=2`,
        'server.address': '127.0.0.1',
        'server.port': Number(new URL(down.url).port),
        'http.response.status_code': 200,
      });
      expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain('secret');
      expect(down.received[0]!.headers.traceparent).toBe(
        injects ? traceparentOf(client) : undefined,
      );
    },
  );

  it.each(['fetch', 'http'])(
    '%s: a 404 and a refused connection end their spans with error.type',
    async (route) => {
      const down = await downstream();
      target.url = down.url;
      const app = await boot(platform);
      expect(await call(app, route, '/missing')).toBe('404 pong');
      const [missing] = clientSpansTo(await traceOf(app, route, 3), down.url);
      expect(missing?.attributes['error.type']).toBe('404');
      expect(missing?.status.code).toBe(SpanStatusCode.ERROR);

      app.spans.reset();
      const port = await freePort();
      target.url = `http://127.0.0.1:${port}`;
      expect(await call(app, route, '/')).toBe('failed ECONNREFUSED');
      const [refused] = clientSpansTo(await traceOf(app, route, 3), target.url);
      expect(refused?.attributes['error.type']).toBe('ECONNREFUSED');
      expect(refused?.status.code).toBe(SpanStatusCode.ERROR);
      expect(refused?.attributes['http.response.status_code']).toBeUndefined();
    },
  );
});

describe('outgoing HTTP integrations (Express)', () => {
  it('are removed by integrations: { fetch: false } and { http: false }', async () => {
    const down = await downstream();
    target.url = down.url;
    const noFetch = await boot('express', { integrations: { fetch: false } });
    await call(noFetch, 'fetch', '/a');
    await call(noFetch, 'http', '/b');
    const fetchTrace = await traceOf(noFetch, 'fetch', 2);
    expect(clientSpansTo(fetchTrace, down.url)).toEqual([]);
    expect(clientSpansTo(await traceOf(noFetch, 'http', 3), down.url)).toHaveLength(1);
    await apps.pop()!.close();

    const noHttp = await boot('express', { integrations: { http: false } });
    await call(noHttp, 'http', '/c');
    await call(noHttp, 'fetch', '/d');
    expect(clientSpansTo(await traceOf(noHttp, 'http', 2), down.url)).toEqual([]);
    expect(clientSpansTo(await traceOf(noHttp, 'fetch', 3), down.url)).toHaveLength(1);
    expect(down.received.find((r) => r.url === '/a')!.headers.traceparent).toBeUndefined();
  });

  it("leave calls made outside any span alone: the test's own requests to the app", async () => {
    const down = await downstream();
    target.url = down.url;
    const app = await boot('express');
    await call(app, 'fetch', '/inside');
    const server = (await traceOf(app, 'fetch', 3)).find((s) => s.kind === SpanKind.SERVER)!;
    // The test's fetch had no span around it: no CLIENT span, no traceparent to the app.
    expect(server.parentSpanId).toBeUndefined();
    expect(app.spans.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT)).toHaveLength(1);
  });

  it('give a TracedHttpService call exactly one client span', async () => {
    const down = await downstream();
    target.url = down.url;
    const app = await boot('express');
    expect(await call(app, 'traced-http', '/once')).toBe('200 pong');
    const spans = await traceOf(app, 'traced-http', 3);
    const clients = clientSpansTo(spans, down.url);
    expect(clients).toHaveLength(1);
    expect(down.received[0]!.headers.traceparent).toBe(traceparentOf(clients[0]!));
  });

  it('trace each of two apps in one process with its own tracer', async () => {
    const down = await downstream();
    target.url = down.url;
    const first = await boot('express');
    const second = await boot('fastify');
    await call(first, 'fetch', '/first');
    await call(second, 'http', '/second');
    await call(second, 'fetch', '/second-fetch');
    const firstClients = clientSpansTo(await traceOf(first, 'fetch', 3), down.url);
    expect(firstClients.map((s) => s.attributes['url.full'])).toEqual([`${down.url}/first`]);
    expect(clientSpansTo(first.spans.getFinishedSpans(), down.url)).toHaveLength(1);
    await traceOf(second, 'http', 3);
    const secondClients = clientSpansTo(second.spans.getFinishedSpans(), down.url);
    expect(secondClients.map((s) => s.attributes['url.full']).toSorted()).toEqual([
      `${down.url}/second`,
      `${down.url}/second-fetch`,
    ]);
  });

  it("never trace the exporters' own calls", async () => {
    const down = await downstream();
    target.url = down.url;
    const sink = await OtlpSink.start();
    sinks.push(sink);
    const app = await boot('express', {
      exporters: [
        { type: 'memory' },
        {
          type: 'otlp',
          url: sink.tracesUrl,
          protocol: 'http/json',
          batch: { scheduledDelayMs: 10, maxExportBatchSize: 1 },
        },
      ],
    });
    await call(app, 'http', '/exported');
    await call(app, 'fetch', '/exported-too');
    await traceOf(app, 'fetch', 3);
    // The sink got every span, through several POSTs made by the exporter over node:http.
    await sink.waitForSpans(6);
    expect(sink.accepted.length).toBeGreaterThanOrEqual(2);
    const all = app.spans.getFinishedSpans();
    expect(clientSpansTo(all, down.url)).toHaveLength(2);
    expect(clientSpansTo(all, sink.baseUrl)).toEqual([]);
    expect(all.filter((s) => s.kind === SpanKind.CLIENT)).toHaveLength(2);
  });
});
