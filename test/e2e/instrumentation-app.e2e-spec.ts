import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  NotFoundException,
  Param,
  Scope,
  type INestApplication,
  type PipeTransform,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitter2, EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTracingInstrument,
  InMemorySpanExporter,
  TracingModule,
  type ReadableSpan,
  type TracingInstrumentOptions,
} from '../../lib/index.js';

let nextRequestId = 0;

@Injectable({ scope: Scope.REQUEST })
class RequestInfo {
  readonly #id = ++nextRequestId;

  id(): number {
    return this.#id;
  }
}

/**
 * Stands in for a nestjs-cls proxy provider: reading what it proxies throws outside its
 * context (Nest's own lifecycle-hook lookups get undefined, as from nestjs-cls).
 */
const clsStore: { current?: { tenant(): string } } = {};
const CLS_PROXY = 'CLS_PROXY';
const clsProxyProvider = {
  provide: CLS_PROXY,
  useFactory: () =>
    new Proxy({} as { tenant(): string }, {
      get(_target, key) {
        if (clsStore.current !== undefined) return Reflect.get(clsStore.current, key);
        if (key === 'tenant') throw new Error('No CLS context is active');
        return undefined;
      },
    }),
};

@Injectable()
class FieldsService {
  resolve(i: number): number {
    return i * 2;
  }
}

@Injectable()
class AuditListener {
  readonly seen: string[] = [];

  @OnEvent('order.created')
  onCreated(payload: { id: string }): void {
    this.seen.push(payload.id);
  }
}

class UpperPipe implements PipeTransform {
  transform(value: unknown): unknown {
    return typeof value === 'string' ? value.toUpperCase() : value;
  }
}

@Controller()
class OrdersController {
  constructor(
    private readonly info: RequestInfo,
    private readonly fields: FieldsService,
    private readonly events: EventEmitter2,
    @Inject(CLS_PROXY) private readonly cls: { tenant(): string },
  ) {}

  @Get('orders/:id')
  order(@Param('id') id: string) {
    clsStore.current = { tenant: () => 'acme' };
    try {
      this.events.emit('order.created', { id });
      return { id, request: this.info.id(), tenant: this.cls.tenant() };
    } finally {
      clsStore.current = undefined;
    }
  }

  @Get('graph')
  graph() {
    return Array.from({ length: 25 }, (_, i) => this.fields.resolve(i));
  }

  @Get('missing')
  missing(): never {
    this.fields.resolve(0);
    throw new NotFoundException();
  }
}

@Module({
  imports: [
    TracingModule.forRoot({ serviceName: 'orders', exporters: [{ type: 'memory' }] }),
    EventEmitterModule.forRoot(),
  ],
  controllers: [OrdersController],
  providers: [RequestInfo, FieldsService, AuditListener, clsProxyProvider],
})
class OrdersModule {}

const names = (spans: readonly ReadableSpan[]) => spans.map((s) => s.name).toSorted();

describe('automatic instrumentation in a full app', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(options?: TracingInstrumentOptions) {
    const instrument = createTracingInstrument(options);
    app = await NestFactory.create(OrdersModule, { logger: false, instrument });
    app.useGlobalPipes(new UpperPipe());
    await app.listen(0, '127.0.0.1');
    return { url: await app.getUrl(), spans: app.get(InMemorySpanExporter) };
  }

  it('traces request-scoped providers, event listeners and global pipes, and leaves proxy providers working', async () => {
    const { url, spans } = await start();
    const first = await request(url).get('/orders/a1').expect(200);
    const second = await request(url).get('/orders/b2').expect(200);
    expect(first.body).toMatchObject({ id: 'A1', tenant: 'acme' });
    expect(second.body.request).toBe(first.body.request + 1);
    const all = await spans.waitForSpans(10);
    const trace = spans.getSpansByTraceId(all.find((s) => s.name === 'GET /orders/:id')!.traceId);
    const handler = trace.find((s) => s.name === 'OrdersController.order')!;
    expect(names(trace)).toEqual([
      'AuditListener.onCreated',
      'GET /orders/:id',
      'OrdersController.order',
      'RequestInfo.id',
      'UpperPipe.transform',
    ]);
    const listener = trace.find((s) => s.name === 'AuditListener.onCreated')!;
    expect(listener.parentSpanId).toBe(handler.spanId);
    expect(listener.attributes).toMatchObject({
      'nestjs.type': 'event',
      'nestjs.event.name': 'order.created',
    });
    expect(trace.find((s) => s.name === 'RequestInfo.id')!.parentSpanId).toBe(handler.spanId);
    expect(app!.get(AuditListener).seen).toEqual(['A1', 'B2']);
  });

  it('gives an event emitted outside any request a root span', async () => {
    const { spans } = await start();
    app!.get(EventEmitter2).emit('order.created', { id: 'cli' });
    const [listener] = await spans.waitForSpans(1);
    expect(listener!.name).toBe('AuditListener.onCreated');
    expect(listener!.parentSpanId).toBeUndefined();
  });

  it('collapses 25 calls of one method under one parent into the slowest three and a summary', async () => {
    const { url, spans } = await start();
    await request(url).get('/graph').expect(200);
    const all = await spans.waitForSpans(6);
    const resolves = all.filter((s) => s.name === 'FieldsService.resolve');
    expect(resolves).toHaveLength(4);
    const summary = resolves.find((s) => s.attributes['nestjs.collapsed.count'] !== undefined)!;
    expect(summary.attributes['nestjs.collapsed.count']).toBe(22);
    expect(summary.parentSpanId).toBe(all.find((s) => s.name === 'OrdersController.graph')!.spanId);
    expect(all).toHaveLength(6);
  });

  it('keeps every span when collapse is off', async () => {
    const { url, spans } = await start({ collapse: false });
    await request(url).get('/graph').expect(200);
    const all = await spans.waitForSpans(27);
    expect(all.filter((s) => s.name === 'FieldsService.resolve')).toHaveLength(25);
  });

  it('exports only the root span of a request answered with a status keepOnlyRoot names', async () => {
    const { url, spans } = await start({ keepOnlyRoot: [404] });
    await request(url).get('/missing').expect(404);
    await request(url).get('/graph').expect(200);
    const all = await spans.waitForSpans(7);
    const missing = all.filter(
      (s) => s.traceId === all.find((x) => x.name === 'GET /missing')!.traceId,
    );
    expect(missing.map((s) => s.name)).toEqual(['GET /missing']);
  });
});

describe('automatic instrumentation with a testing module', () => {
  it('instruments what compile() created when applied before init', async () => {
    const instrument = createTracingInstrument();
    const moduleRef = await Test.createTestingModule({ imports: [OrdersModule] }).compile();
    instrument.applyTo(moduleRef);
    const app = moduleRef.createNestApplication({ logger: false, instrument });
    await app.init();
    try {
      await request(app.getHttpServer()).get('/graph').expect(200);
      const spans = await app.get(InMemorySpanExporter).waitForSpans(6);
      expect(spans.some((s) => s.name === 'OrdersController.graph')).toBe(true);
      expect(spans.filter((s) => s.name === 'FieldsService.resolve')).toHaveLength(4);
    } finally {
      await app.close();
    }
  });
});
