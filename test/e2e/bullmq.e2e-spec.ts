import { InjectQueue, BullModule, Processor, WorkerHost } from '@nestjs/bullmq';
import { Controller, Get, Injectable, Module, Param, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Job, Queue } from 'bullmq';
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createTracingInstrument,
  InMemorySpanExporter,
  SpanKind,
  SpanStatusCode,
  TracingModule,
  TracingService,
  type ReadableSpan,
} from '../../lib/index.js';
import { freePort } from '../fixtures/free-port.js';
import { binaryPath, needsServices } from '../fixtures/system-services.js';

/** A throwaway Redis on 127.0.0.1, no persistence; resolves once it accepts connections. */
async function startRedis(): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    binaryPath('redis-server'),
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) return { port, child };
    await sleep(50);
  }
  child.kill();
  throw new Error(`redis-server did not start on port ${port}`);
}

const processed: { jobName: string; traceId?: string; correlationId?: string }[] = [];

@Processor('orders')
class OrdersProcessor extends WorkerHost {
  constructor(private readonly tracing: TracingService) {
    super();
  }

  async process(job: Job<{ fail?: boolean }>): Promise<string> {
    processed.push({
      jobName: job.name,
      traceId: this.tracing.getTraceId(),
      correlationId: this.tracing.getCorrelationId(),
    });
    if (job.data.fail) throw new Error('cannot ship');
    return 'shipped';
  }
}

@Injectable()
class OrdersService {
  constructor(@InjectQueue('orders') private readonly queue: Queue) {}

  async ship(id: string) {
    const job = await this.queue.add(
      'ship',
      { id, fail: id === 'broken' },
      { removeOnComplete: true },
    );
    return job.id;
  }

  shipMany(ids: string[]) {
    return this.queue.addBulk(ids.map((id) => ({ name: 'ship-bulk', data: { id } })));
  }
}

@Controller('orders')
class OrdersController {
  constructor(
    private readonly orders: OrdersService,
    private readonly tracing: TracingService,
  ) {}

  @Get(':id/ship')
  async ship(@Param('id') id: string) {
    const jobId = await this.orders.ship(id);
    return { jobId, traceId: this.tracing.getTraceId() };
  }

  @Get('bulk')
  async bulk() {
    await this.orders.shipMany(['a', 'b']);
    return { traceId: this.tracing.getTraceId() };
  }
}

function appModule(port: number, exporter: InMemorySpanExporter) {
  @Module({
    imports: [
      TracingModule.forRoot({ serviceName: 'orders', exporters: [exporter] }),
      BullModule.forRoot({ connection: { host: '127.0.0.1', port, maxRetriesPerRequest: null } }),
      BullModule.registerQueue({ name: 'orders' }),
    ],
    controllers: [OrdersController],
    providers: [OrdersService, OrdersProcessor],
  })
  class OrdersModule {}
  return OrdersModule;
}

async function waitFor<T>(find: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const withRedis = needsServices('redis-server');

describe('BullMQ jobs with the instrument, against a real Redis', withRedis, () => {
  const exporter = new InMemorySpanExporter();
  let redis: { port: number; child: ChildProcess };
  let app: INestApplication;
  let url: string;

  const jobSpan = (traceId: string) =>
    exporter
      .getFinishedSpans()
      .find((s: ReadableSpan) => s.name === 'process orders' && s.traceId === traceId);

  beforeAll(async () => {
    redis = await startRedis();
    app = await NestFactory.create(appModule(redis.port, exporter), {
      logger: false,
      instrument: createTracingInstrument(),
    });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    if (redis?.child.pid !== undefined) process.kill(redis.child.pid);
  });

  beforeEach(() => {
    exporter.reset();
    processed.length = 0;
  });

  it('runs the job in the trace of the request that enqueued it, under a PRODUCER span', async () => {
    const res = await request(url).get('/orders/42/ship').set('x-correlation-id', 'order-42');
    expect(res.status).toBe(200);
    const { traceId, jobId } = res.body as { traceId: string; jobId: string };
    const consumer = await waitFor(() => jobSpan(traceId), 'the job span');
    const spans = exporter.getSpansByTraceId(traceId);
    const producer = spans.find((s) => s.name === 'send orders')!;
    expect(producer.kind).toBe(SpanKind.PRODUCER);
    expect(producer.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.destination.name': 'orders',
      'messaging.message.id': jobId,
      'bullmq.job.name': 'ship',
    });
    expect(producer.parentSpanId).toBe(spans.find((s) => s.name === 'OrdersService.ship')!.spanId);
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(consumer.parentSpanId).toBe(producer.spanId);
    expect(consumer.parentIsRemote).toBe(true);
    expect(consumer.attributes).toMatchObject({
      'messaging.operation.type': 'process',
      'messaging.message.id': jobId,
      'bullmq.job.attempt': 1,
    });
    expect(processed).toEqual([{ jobName: 'ship', traceId, correlationId: 'order-42' }]);
  });

  it('records a failing job as an error on its span', async () => {
    const res = await request(url).get('/orders/broken/ship').expect(200);
    const consumer = await waitFor(() => jobSpan(res.body.traceId), 'the failed job span');
    expect(consumer.status).toEqual({ code: SpanStatusCode.ERROR, message: 'cannot ship' });
  });

  it('carries the request context into every job of addBulk', async () => {
    const res = await request(url).get('/orders/bulk').expect(200);
    await waitFor(() => (processed.length === 2 ? true : undefined), 'two bulk jobs');
    expect(processed.map((p) => p.traceId)).toEqual([res.body.traceId, res.body.traceId]);
    const producer = exporter
      .getSpansByTraceId(res.body.traceId)
      .find((s) => s.name === 'send orders')!;
    expect(producer.attributes['messaging.batch.message_count']).toBe(2);
  });

  it('starts a trace of its own for a job enqueued outside any request', async () => {
    await app.get(OrdersService).ship('7');
    const consumer = await waitFor(
      () => exporter.getFinishedSpans().find((s) => s.name === 'process orders'),
      'the job span',
    );
    expect(consumer.parentSpanId).toBeUndefined();
    expect(processed[0]!.traceId).toBe(consumer.traceId);
    expect(exporter.getFinishedSpans().some((s) => s.name === 'send orders')).toBe(false);
  });

  it('starts a new trace on every run of a repeatable job, linked to where it was scheduled', async () => {
    const queue = app.get<Queue>('BullQueue_orders');
    const scheduledIn = '4bf92f3577b34da6a3ce929d0e0e4736';
    const carrier = { traceparent: `00-${scheduledIn}-00f067aa0ba902b7-01` };
    await queue.upsertJobScheduler(
      'every-50ms',
      { every: 50, limit: 2 },
      { name: 'tick', opts: { telemetry: { metadata: JSON.stringify(carrier) } } },
    );
    await waitFor(
      () => (processed.filter((p) => p.jobName === 'tick').length >= 2 ? true : undefined),
      'two ticks',
    );
    await queue.removeJobScheduler('every-50ms');
    const ticks = processed.filter((p) => p.jobName === 'tick');
    expect(new Set(ticks.map((t) => t.traceId)).size).toBe(ticks.length);
    const spans = await waitFor(() => {
      const found = exporter
        .getFinishedSpans()
        .filter((s) => s.name === 'process orders' && s.attributes['bullmq.job.name'] === 'tick');
      return found.length >= 2 ? found : undefined;
    }, 'two tick spans');
    expect(spans.every((s) => s.parentSpanId === undefined)).toBe(true);
    expect(spans.every((s) => s.traceId !== scheduledIn)).toBe(true);
    expect(spans[0]!.links.map((l) => l.context.traceId)).toEqual([scheduledIn]);
  });
});
