import { Metadata } from '@grpc/grpc-js';
import { Controller, Get, Inject, Module, Param, type OnModuleInit } from '@nestjs/common';
import { ClientsModule, GrpcMethod, Transport, type ClientGrpc } from '@nestjs/microservices';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, from, toArray, type Observable } from 'rxjs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, SpanKind, TracingModule, TracingService } from '../../lib/index.js';
import { waitForTrace } from '../../lib/testing/index.js';
import { freePort } from '../fixtures/free-port.js';
import { startServicePair, type ServicePair } from '../fixtures/service-pair.js';

// A gateway calls a gRPC service through Nest's ClientGrpc: the instrument writes the trace
// context into each call's Metadata, and the service's spans join the gateway's trace.

const PROTO = fileURLToPath(new URL('../fixtures/grpc/hero.proto', import.meta.url));

interface Hero {
  id: number;
  name: string;
  /** What the server received in the call's metadata, echoed for the test. */
  traceparent: string;
  tenant: string;
}

interface HeroService {
  findOne(request: { id: number }, metadata?: Metadata): Observable<Hero>;
  listAll(request: { id: number }, metadata?: Metadata): Observable<Hero>;
}

function received(id: number, metadata: Metadata): Hero {
  return {
    id,
    name: `hero-${id}`,
    traceparent: String(metadata.get('traceparent')[0] ?? ''),
    tenant: String(metadata.get('x-tenant')[0] ?? ''),
  };
}

@Controller()
class HeroController {
  @GrpcMethod('HeroService', 'FindOne')
  findOne(data: { id: number }, metadata: Metadata): Hero {
    return received(data.id, metadata);
  }

  @GrpcMethod('HeroService', 'ListAll')
  listAll(data: { id: number }, metadata: Metadata): Observable<Hero> {
    return from([received(data.id, metadata), received(data.id + 1, metadata)]);
  }
}

/** A W3C traceparent naming this parent, sampled (the random-trace-id flag may be set). */
function traceparentOf(traceId: string, spanId: string): RegExp {
  return new RegExp(`^00-${traceId}-${spanId}-0[13]$`);
}

// One Metadata the app reuses for every call: the trace context must not stick to it.
const shared = new Metadata();
shared.set('x-tenant', 'acme');

function gatewayModule(exporter: InMemorySpanExporter, port: number) {
  @Controller()
  class GatewayController implements OnModuleInit {
    private heroService!: HeroService;

    constructor(
      @Inject('HERO') private readonly client: ClientGrpc,
      private readonly tracing: TracingService,
    ) {}

    onModuleInit(): void {
      this.heroService = this.client.getService<HeroService>('HeroService');
    }

    @Get('hero/:id')
    async hero(@Param('id') id: string) {
      const hero = await firstValueFrom(this.heroService.findOne({ id: Number(id) }));
      return { hero, traceId: this.tracing.getTraceId() };
    }

    @Get('tenant-hero/:id')
    async tenantHero(@Param('id') id: string) {
      const hero = await firstValueFrom(this.heroService.findOne({ id: Number(id) }, shared));
      return { hero, traceId: this.tracing.getTraceId() };
    }

    @Get('heroes/:id')
    async heroes(@Param('id') id: string) {
      const heroes = await firstValueFrom(
        this.heroService.listAll({ id: Number(id) }).pipe(toArray()),
      );
      return { heroes, traceId: this.tracing.getTraceId() };
    }
  }

  @Module({
    imports: [
      TracingModule.forRoot({ serviceName: 'gateway', exporters: [exporter] }),
      ClientsModule.register([
        {
          name: 'HERO',
          transport: Transport.GRPC,
          options: { package: 'hero', protoPath: PROTO, url: `127.0.0.1:${port}` },
        },
      ]),
    ],
    controllers: [GatewayController],
  })
  class GatewayModule {}
  return GatewayModule;
}

describe('trace context over gRPC (ClientGrpc)', () => {
  const heroSpans = new InMemorySpanExporter();
  const gatewaySpans = new InMemorySpanExporter();
  let pair: ServicePair;
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    @Module({
      imports: [TracingModule.forRoot({ serviceName: 'hero', exporters: [heroSpans] })],
      controllers: [HeroController],
    })
    class HeroModule {}
    pair = await startServicePair({
      micro: {
        module: HeroModule,
        options: {
          transport: Transport.GRPC,
          options: { package: 'hero', protoPath: PROTO, url: `127.0.0.1:${port}` },
        },
      },
      gateway: gatewayModule(gatewaySpans, port),
      instrument: true,
    });
    url = pair.url;
  });

  afterAll(() => pair?.close());

  /** The gateway's span of this name in the request's trace. */
  async function gatewaySpan(traceId: string, name: string) {
    const { spans } = await waitForTrace(gatewaySpans, { traceId, span: name });
    return spans.find((s) => s.name === name)!;
  }

  it('writes traceparent into the call metadata; the server span joins the trace, named by RPC conventions', async () => {
    const res = await request(url).get('/hero/7').expect(200);
    const { hero, traceId } = res.body as { hero: Hero; traceId: string };
    expect(hero.name).toBe('hero-7');
    const handler = await gatewaySpan(traceId, 'GatewayController.hero');
    expect(hero.traceparent).toMatch(traceparentOf(traceId, handler.spanId));
    const { root: server } = await waitForTrace(heroSpans, { traceId });
    expect(server.name).toBe('HeroService/FindOne');
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': 'HeroService',
      'rpc.method': 'FindOne',
    });
    expect(server.parentIsRemote).toBe(true);
    expect(server.parentSpanId).toBe(handler.spanId);
  });

  it("copies the app's own Metadata: its values arrive, the shared object is left as it was", async () => {
    const res = await request(url).get('/tenant-hero/8').expect(200);
    const { hero, traceId } = res.body as { hero: Hero; traceId: string };
    expect(hero.tenant).toBe('acme');
    expect(hero.traceparent).toContain(traceId);
    expect(shared.get('traceparent')).toEqual([]);
    expect(shared.getMap()).toEqual({ 'x-tenant': 'acme' });
  });

  it('carries the context on server-streaming calls too', async () => {
    const res = await request(url).get('/heroes/1').expect(200);
    const { heroes, traceId } = res.body as { heroes: Hero[]; traceId: string };
    expect(heroes.map((h) => h.name)).toEqual(['hero-1', 'hero-2']);
    const handler = await gatewaySpan(traceId, 'GatewayController.heroes');
    for (const h of heroes) expect(h.traceparent).toMatch(traceparentOf(traceId, handler.spanId));
  });

  it('gives each request its own trace', async () => {
    const [a, b] = await Promise.all([
      request(url).get('/hero/1').expect(200),
      request(url).get('/hero/2').expect(200),
    ]);
    expect(a.body.traceId).not.toBe(b.body.traceId);
    expect(a.body.hero.traceparent).toContain(a.body.traceId);
    expect(b.body.hero.traceparent).toContain(b.body.traceId);
  });
});
