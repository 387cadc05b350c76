import {
  ConflictException,
  Controller,
  Get,
  Injectable,
  Module,
  NotFoundException,
  Param,
  Post,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTracingInstrument,
  InMemorySpanExporter,
  SpanKind,
  SpanStatusCode,
  Traced,
  TracingHealthService,
  TracingModule,
  type DevtoolsTraceList,
  type ReadableSpan,
  type TracingModuleOptions,
} from '../../lib/index.js';
import { PLATFORMS, type PlatformName } from '../fixtures/platforms.js';
import { parsePrometheusText, sampleValue } from '../unit/metrics/prometheus-text-parser.js';

// Expected errors (a 4xx HttpException) against the OpenTelemetry conventions, on a real app:
// the exception is an event on every span it passes through, no span is failed by it, and
// nothing that reads span statuses (metrics, the viewer, the health summary) counts it.

/** Traced by the automatic instrumentation only: no decorator. */
@Injectable()
class InventoryService {
  async reserve(id: string): Promise<{ id: string }> {
    await sleep(1);
    if (id === '42') throw new NotFoundException(`order ${id} not found`);
    if (id === 'taken') throw new ConflictException(`order ${id} already exists`);
    if (id === 'crash') throw new Error('inventory database is down');
    return { id };
  }
}

@Injectable()
class OrdersService {
  constructor(private readonly inventory: InventoryService) {}

  @Traced()
  async find(id: string): Promise<{ id: string }> {
    return this.inventory.reserve(id);
  }
}

@Controller('orders')
class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get(':id')
  find(@Param('id') id: string) {
    return this.orders.find(id);
  }

  @Post(':id')
  create(@Param('id') id: string) {
    return this.orders.find(id);
  }
}

async function startOrdersApp(
  platform: PlatformName,
  options: Partial<TracingModuleOptions> = {},
): Promise<{ app: INestApplication; url: string }> {
  @Module({
    imports: [
      TracingModule.forRoot({
        serviceName: 'orders',
        exporters: [{ type: 'memory' }],
        metrics: true,
        health: true,
        devtools: true,
        ...options,
      }),
    ],
    controllers: [OrdersController],
    providers: [OrdersService, InventoryService],
  })
  class OrdersModule {}
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(OrdersModule, adapter, {
    logger: false,
    instrument: createTracingInstrument(),
  });
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

function expectExceptionEvent(span: ReadableSpan, type: string): void {
  expect(span.events.map((e) => e.name)).toEqual(['exception']);
  expect(span.events[0]!.attributes).toMatchObject({ 'exception.type': type });
}

describe.each(PLATFORMS)('expected errors on %s', (platform) => {
  let app: INestApplication | undefined;
  let url: string;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  /** Sends one request and returns its trace's spans once the server span has ended. */
  async function call(method: 'GET' | 'POST', path: string, status: number) {
    const res = await fetch(`${url}${path}`, { method });
    expect(res.status).toBe(status);
    await res.arrayBuffer();
    const exporter = app!.get(InMemorySpanExporter);
    await expect
      .poll(() => exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER).length)
      .toBe(1);
    const spans = exporter.getFinishedSpans();
    exporter.reset();
    const byName = (name: string): ReadableSpan => {
      const span = spans.find((s) => s.name === name);
      expect(span, `span ${name} among ${spans.map((s) => s.name).join(', ')}`).toBeDefined();
      return span!;
    };
    return {
      server: spans.find((s) => s.kind === SpanKind.SERVER)!,
      service: byName('OrdersService.find'),
      provider: byName('InventoryService.reserve'),
    };
  }

  async function metrics() {
    return parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
  }

  async function viewerTraces(query = ''): Promise<DevtoolsTraceList> {
    return (await (await fetch(`${url}/_tracing/api/traces${query}`)).json()) as DevtoolsTraceList;
  }

  it('a 404 thrown from a @Traced service fails no span, metric, viewer trace or health summary', async () => {
    ({ app, url } = await startOrdersApp(platform));
    const { server, service, provider } = await call('GET', '/orders/42', 404);
    expect(server.name).toBe('GET /orders/:id');
    expect(server.attributes['http.response.status_code']).toBe(404);
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    for (const span of [service, provider]) {
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expectExceptionEvent(span, 'NotFoundException');
    }

    const m = await metrics();
    expect(
      sampleValue(m, 'traced_operation_calls_total', { operation: 'OrdersService.find' }),
    ).toBe(1);
    expect(
      sampleValue(m, 'traced_operation_errors_total', { operation: 'OrdersService.find' }),
    ).toBe(0);
    expect(
      sampleValue(m, 'traced_operation_errors_total', { operation: 'InventoryService.reserve' }),
    ).toBe(0);
    const route = { http_request_method: 'GET', http_route: '/orders/:id' };
    expect(sampleValue(m, 'http_server_request_errors_total', route)).toBe(0);

    const list = await viewerTraces();
    expect(list.traces).toHaveLength(1);
    expect(list.traces[0]).toMatchObject({ status: 'ok', errorCount: 0, statusCode: 404 });
    expect((await viewerTraces('?status=error')).traces).toHaveLength(0);

    const health = app.get(TracingHealthService).getSummary();
    expect(health).toMatchObject({ requests: 1, errors: 0, errorRate: 0 });
  });

  it('a 500 stays an error on every span, in the metrics, the viewer and the health summary', async () => {
    ({ app, url } = await startOrdersApp(platform));
    const { server, service, provider } = await call('GET', '/orders/crash', 500);
    for (const span of [server, service, provider]) {
      expect(span.status).toEqual({
        code: SpanStatusCode.ERROR,
        message: 'inventory database is down',
      });
    }
    expectExceptionEvent(service, 'Error');
    const m = await metrics();
    expect(
      sampleValue(m, 'traced_operation_errors_total', { operation: 'OrdersService.find' }),
    ).toBe(1);
    expect((await viewerTraces('?status=error')).traces).toHaveLength(1);
    expect(app.get(TracingHealthService).getSummary()).toMatchObject({ requests: 1, errors: 1 });
  });

  it('errors.countAsError turns a 409 into an error everywhere; other 4xx stay unset', async () => {
    ({ app, url } = await startOrdersApp(platform, { errors: { countAsError: [409] } }));
    const conflict = await call('POST', '/orders/taken', 409);
    for (const span of [conflict.server, conflict.service, conflict.provider]) {
      expect(span.status).toEqual({
        code: SpanStatusCode.ERROR,
        message: 'order taken already exists',
      });
    }
    expectExceptionEvent(conflict.provider, 'ConflictException');
    const missing = await call('GET', '/orders/42', 404);
    expect(missing.server.status.code).toBe(SpanStatusCode.UNSET);
    expect(missing.service.status.code).toBe(SpanStatusCode.UNSET);

    const m = await metrics();
    expect(
      sampleValue(m, 'traced_operation_errors_total', { operation: 'OrdersService.find' }),
    ).toBe(1);
    expect(
      sampleValue(m, 'http_server_request_errors_total', {
        http_request_method: 'POST',
        http_route: '/orders/:id',
      }),
    ).toBe(1);
    const failed = await viewerTraces('?status=error');
    expect(failed.traces.map((t) => t.statusCode)).toEqual([409]);
    expect(app.get(TracingHealthService).getSummary()).toMatchObject({ requests: 2, errors: 1 });
  });
});
