import { HttpModule, HttpService } from '@nestjs/axios';
import {
  Controller,
  Get,
  Headers,
  Injectable,
  Module,
  Param,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  TracingConfigError,
  TracingModule,
  TracingService,
} from '../../lib/index.js';
import {
  HttpRequestRecords,
  TracedHttpModule,
  TracedHttpService,
  instrumentAxios,
  type TracedHttpModuleOptions,
  type TracedHttpOptionsFactory,
} from '../../lib/http/index.js';
import { PLATFORMS, startApp } from '../fixtures/platforms.js';

const servers: Server[] = [];
const apps: INestApplication[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** A plain node:http server answering `{ ok: true }` and keeping the request headers. */
async function echoServer(): Promise<{ url: string; headers: IncomingHttpHeaders[] }> {
  const headers: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    headers.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, headers };
}

async function init(
  imports: NonNullable<Parameters<typeof Test.createTestingModule>[0]['imports']>,
  providers: NonNullable<Parameters<typeof Test.createTestingModule>[0]['providers']> = [],
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports, providers }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  apps.push(app);
  return app;
}

const memory = () => TracingModule.forRoot({ exporters: [{ type: 'memory' }] });

// The catalog-like downstream app and the gateway-like upstream app of the trace test.
@Controller('items')
class ItemsController {
  @Get(':id')
  findOne(@Param('id') id: string, @Headers('x-correlation-id') correlationId?: string): object {
    return { id, correlationId };
  }
}

@Module({
  imports: [TracingModule.forRoot({ serviceName: 'downstream', exporters: [{ type: 'memory' }] })],
  controllers: [ItemsController],
})
class DownstreamModule {}

function upstreamModule(downstreamUrl: string): new () => object {
  @Controller('proxy')
  class ProxyController {
    constructor(private readonly http: TracedHttpService) {}

    @Get(':id')
    async findOne(@Param('id') id: string): Promise<object> {
      const response = await firstValueFrom(
        this.http.get<object>(`/items/${id}`, { urlTemplate: '/items/:id' }),
      );
      return { via: 'upstream', item: response.data };
    }
  }

  @Module({
    imports: [
      TracingModule.forRoot({ serviceName: 'upstream', exporters: [{ type: 'memory' }] }),
      TracedHttpModule.register({ baseURL: downstreamUrl, timeout: 2000 }),
    ],
    controllers: [ProxyController],
  })
  class UpstreamModule {}
  return UpstreamModule;
}

describe.each(PLATFORMS)('one trace across two Nest apps (upstream on %s)', (platform) => {
  it('continues the trace id from the upstream client span into the downstream server span', async () => {
    const downstream = await startApp(DownstreamModule, 'express');
    apps.push(downstream.app);
    const upstream = await startApp(upstreamModule(downstream.url), platform);
    apps.push(upstream.app);

    const response = await fetch(`${upstream.url}/proxy/7`, {
      headers: { 'x-correlation-id': 'corr-two-apps' },
    });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      via: 'upstream',
      item: { id: '7', correlationId: 'corr-two-apps' },
    });
    const up = await upstream.app.get(InMemorySpanExporter).waitForSpans(2);
    const [down] = await downstream.app.get(InMemorySpanExporter).waitForSpans(1);
    const server = up.find((s) => s.kind === SpanKind.SERVER)!;
    const client = up.find((s) => s.kind === SpanKind.CLIENT)!;
    expect(server.name).toBe('GET /proxy/:id');
    expect(client.name).toBe('GET /items/:id');
    expect(client.parentSpanId).toBe(server.spanId);
    expect(down!.name).toBe('GET /items/:id');
    expect(down!.kind).toBe(SpanKind.SERVER);
    expect(down!.traceId).toBe(server.traceId);
    expect(down!.parentSpanId).toBe(client.spanId);
    expect(down!.parentIsRemote).toBe(true);
    expect(down!.attributes['correlation.id']).toBe('corr-two-apps');
    expect(down!.resource.attributes['service.name']).toBe('downstream');
  });
});

describe('TracedHttpModule', () => {
  it('traces code that injects HttpService, with no change but the imported module', async () => {
    const server = await echoServer();
    @Injectable()
    class LegacyClient {
      constructor(readonly http: HttpService) {}
    }
    const app = await init(
      [memory(), TracedHttpModule.register({ baseURL: server.url })],
      [LegacyClient],
    );
    const client = app.get(LegacyClient);
    expect(client.http).toBeInstanceOf(TracedHttpService);
    expect(client.http).toBe(app.get(TracedHttpService));

    await firstValueFrom(client.http.get('/legacy'));

    const [span] = await app.get(InMemorySpanExporter).waitForSpans(1);
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(server.headers[0]!.traceparent).toContain(span!.spanId);
  });

  it('registers asynchronously from a factory with injected values and tracing options', async () => {
    const server = await echoServer();
    const app = await init([
      memory(),
      TracedHttpModule.registerAsync({
        useFactory: (url: string): TracedHttpModuleOptions => ({
          baseURL: url,
          headers: { 'x-from-factory': 'yes' },
          tracing: { recordBodies: true },
        }),
        inject: ['DOWNSTREAM_URL'],
        extraProviders: [{ provide: 'DOWNSTREAM_URL', useValue: server.url }],
      }),
    ]);

    await firstValueFrom(app.get(TracedHttpService).get('/async'));

    expect(server.headers[0]!['x-from-factory']).toBe('yes');
    const [record] = app.get(HttpRequestRecords).list();
    expect(record!.url).toBe(`${server.url}/async`);
    expect(record!.response!.body).toBe('{\n  "ok": true\n}');
  });

  it('registers asynchronously from an options factory class', async () => {
    const server = await echoServer();
    @Injectable()
    class HttpConfig implements TracedHttpOptionsFactory {
      createHttpOptions(): TracedHttpModuleOptions {
        return { baseURL: server.url, tracing: { records: { max: 1 } } };
      }
    }
    const app = await init([memory(), TracedHttpModule.registerAsync({ useClass: HttpConfig })]);
    const http = app.get(TracedHttpService);
    await firstValueFrom(http.get('/one'));
    await firstValueFrom(http.get('/two'));
    expect(http.records.list().map((r) => r.url)).toEqual([`${server.url}/two`]);
  });

  it('refuses registerAsync without useFactory, useClass or useExisting', () => {
    expect(() => TracedHttpModule.registerAsync({})).toThrow(
      new TracingConfigError(
        'TracedHttpModule.registerAsync: provide one of useFactory, useClass or useExisting.',
      ),
    );
  });

  it('fails at start-up on an invalid tracing option, naming it', async () => {
    await expect(
      init([memory(), TracedHttpModule.register({ tracing: { maxBodyBytes: -1 } })]),
    ).rejects.toThrow(
      'TracedHttpModule: option "tracing.maxBodyBytes" must be a positive integer; got -1.',
    );
  });

  it('gives each registration its own axios instance and records', async () => {
    const server = await echoServer();
    @Injectable()
    class ClientA {
      constructor(readonly http: TracedHttpService) {}
    }
    @Injectable()
    class ClientB {
      constructor(readonly http: TracedHttpService) {}
    }
    @Module({ imports: [TracedHttpModule.register({ baseURL: server.url })], providers: [ClientA] })
    class A {}
    @Module({
      imports: [TracedHttpModule.register({ baseURL: 'http://127.0.0.1:9' })],
      providers: [ClientB],
    })
    class B {}
    const app = await init([memory(), A, B]);
    const a = app.get(ClientA).http;
    const b = app.get(ClientB).http;
    expect(a).not.toBe(b);
    expect(a.axiosRef).not.toBe(b.axiosRef);
    expect(a.axiosRef.defaults.baseURL).toBe(server.url);
    await firstValueFrom(a.get('/a'));
    expect(a.records.size).toBe(1);
    expect(b.records.size).toBe(0);
  });
});

describe('instrumentAxios', () => {
  it('traces the axios instance of a plain HttpModule until removed', async () => {
    const server = await echoServer();
    const app = await init([memory(), HttpModule.register({ baseURL: server.url })]);
    const http = app.get(HttpService);
    const spans = app.get(InMemorySpanExporter);

    const instrumentation = instrumentAxios(http.axiosRef, app.get(TracingService));
    expect(instrumentAxios(http.axiosRef, app.get(TracingService))).toBe(instrumentation);
    await firstValueFrom(http.get('/traced'));
    const [span] = await spans.waitForSpans(1);
    expect(span!.attributes['url.full']).toBe(`${server.url}/traced`);
    expect(server.headers[0]!.traceparent).toContain(span!.spanId);
    expect(instrumentation.records.list()).toHaveLength(1);

    instrumentation.remove();
    await firstValueFrom(http.get('/untraced'));
    expect(server.headers[1]!.traceparent).toBeUndefined();
    expect(spans.getFinishedSpans()).toHaveLength(1);
  });

  it('lets the call through untouched when the tracing itself fails', async () => {
    const server = await echoServer();
    const app = await init([memory(), HttpModule.register({ baseURL: server.url })]);
    const http = app.get(HttpService);
    const tracing = app.get(TracingService);
    const spans = app.get(InMemorySpanExporter);
    const instrumentation = instrumentAxios(http.axiosRef, tracing);

    const inject = vi.spyOn(tracing, 'inject').mockImplementation(() => {
      throw new Error('inject failed');
    });
    expect((await firstValueFrom(http.get('/a'))).data).toEqual({ ok: true });
    expect(server.headers[0]!.traceparent).toBeUndefined();
    inject.mockRestore();

    vi.spyOn(instrumentation.records, 'add').mockImplementation(() => {
      throw new Error('records failed');
    });
    expect((await firstValueFrom(http.get('/b'))).data).toEqual({ ok: true });
    expect(server.headers[1]!.traceparent).toBeDefined();
    // Both spans were still ended.
    expect(await spans.waitForSpans(2)).toHaveLength(2);
  });

  it('installs nothing without an enabled TracingService', async () => {
    const server = await echoServer();
    const app = await init([HttpModule.register({ baseURL: server.url })]);
    const http = app.get(HttpService);
    const instrumentation = instrumentAxios(http.axiosRef, undefined);
    expect(instrumentation.enabled).toBe(false);
    await firstValueFrom(http.get('/plain'));
    expect(server.headers[0]!.traceparent).toBeUndefined();
    expect(instrumentation.records.size).toBe(0);
  });
});
