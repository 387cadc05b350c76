import {
  Controller,
  Get,
  Injectable,
  Logger,
  Module,
  Param,
  Post,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  Traced,
  TraceLogger,
  TracingModule,
  TracingService,
  type TracingModuleOptions,
} from '../../lib/index.js';
import { PLATFORMS, type PlatformName } from '../fixtures/platforms.js';
import { Capture } from '../fixtures/capture-stream.js';

@Injectable()
class OrdersService {
  private readonly logger = new Logger(OrdersService.name);

  @Traced()
  async findOne(id: string) {
    await sleep(1);
    this.logger.log(`order ${id} loaded`, { orderId: id });
    return { id };
  }
}

@Controller()
class OrdersController {
  private readonly logger = new Logger(OrdersController.name);

  constructor(
    private readonly orders: OrdersService,
    private readonly tracing: TracingService,
  ) {}

  @Get('orders/:id')
  async findOne(@Param('id') id: string) {
    this.logger.log('order requested');
    return this.orders.findOne(id);
  }

  @Get('boom')
  boom(): never {
    throw new Error('kaboom');
  }

  @Get('chatty')
  chatty() {
    const capture = current.capture;
    const before = capture.writes;
    for (let i = 0; i < 200; i++) this.logger.log(`chatty ${i}`);
    return { writesWhileLogging: capture.writes - before };
  }

  @Post('jobs')
  startJob() {
    // Fired and forgotten, as a queue consumer or scheduler would.
    void this.tracing.runJob(
      {
        runId: 'run-42',
        workflow: 'nightly',
        job: 'reindex',
        userId: 'u-1',
        tenantId: 'acme',
        root: true,
      },
      async (run) => {
        run.info('reindex started');
        await this.orders.findOne('7');
        run.warning('reindex slow');
      },
    );
    return { started: true };
  }
}

const current = { capture: new Capture() };

async function start(
  platform: PlatformName,
  options: TracingModuleOptions = {},
): Promise<{ app: INestApplication; url: string; capture: Capture; spans: InMemorySpanExporter }> {
  const capture = new Capture();
  current.capture = capture;
  @Module({
    imports: [
      TracingModule.forRoot({
        serviceName: 'orders',
        environment: 'test',
        exporters: [{ type: 'memory' }],
        ...options,
        logging: { destination: capture, ...options.logging },
      }),
    ],
    controllers: [OrdersController],
    providers: [OrdersService],
  })
  class AppModule {}
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(AppModule, adapter, { bufferLogs: true });
  app.useLogger(app.get(TraceLogger));
  await app.listen(0, '127.0.0.1');
  apps.push(app);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, capture, spans: app.get(InMemorySpanExporter) };
}

const apps: INestApplication[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A log endpoint on 127.0.0.1 answering every request as told, keeping the bodies. */
async function logEndpoint(answer: 'ok' | 'fail' | 'hang') {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      bodies.push(body);
      if (answer === 'ok') res.writeHead(204).end();
      else if (answer === 'fail') res.writeHead(500).end('ingester down');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

/** A port nothing listens on. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

describe.each(PLATFORMS)('TraceLogger in a Nest app on %s', (platform) => {
  it('gives every line of a request, Nest’s own included, the ids of that request’s spans', async () => {
    const { app, url, capture, spans } = await start(platform);
    await request(url).get('/orders/7').set('x-correlation-id', 'corr-7').expect(200);
    await request(url).get('/boom').expect(500);
    const finished = await spans.waitForSpans(3);
    await app.get(TraceLogger).flush();
    const server = finished.find((s) => s.name === 'GET /orders/:id')!;
    const service = finished.find((s) => s.name === 'OrdersService.findOne')!;
    const failed = finished.find((s) => s.name === 'GET /boom')!;

    expect(capture.find('order requested')).toMatchObject({
      level: 'info',
      context: 'OrdersController',
      service: 'orders',
      environment: 'test',
      trace_id: server.traceId,
      span_id: server.spanId,
      correlation_id: 'corr-7',
    });
    expect(capture.find('order 7 loaded')).toMatchObject({
      context: 'OrdersService',
      trace_id: server.traceId,
      span_id: service.spanId,
      orderId: '7',
    });
    const handlerError = capture.find('kaboom')!;
    expect(handlerError).toMatchObject({
      level: 'error',
      context: 'ExceptionsHandler',
      trace_id: failed.traceId,
      span_id: failed.spanId,
      error: { type: 'Error', message: 'kaboom' },
    });
    expect((handlerError.error as { stack: string }).stack).toContain('OrdersController.boom');
    // Start-up lines came before any request: Nest's own, without ids.
    expect(capture.lines.find((l) => l.context === 'NestApplication')).not.toHaveProperty(
      'trace_id',
    );
  });

  it('only queues lines while the handler runs: they are written after, in one chunk', async () => {
    const { app, url, capture } = await start(platform);
    const res = await request(url).get('/chatty').expect(200);
    expect(res.body).toEqual({ writesWhileLogging: 0 });
    await app.get(TraceLogger).flush();
    expect(capture.lines.filter((l) => String(l.message).startsWith('chatty'))).toHaveLength(200);
  });

  it('records the lines as log events on the spans they were logged in, when asked', async () => {
    const { url, spans } = await start(platform, { logging: { spanEvents: true } });
    await request(url).get('/orders/7').expect(200);
    const finished = await spans.waitForSpans(2);
    const server = finished.find((s) => s.kind === SpanKind.SERVER)!;
    const service = finished.find((s) => s.name === 'OrdersService.findOne')!;
    expect(server.events.find((e) => e.name === 'log')?.attributes).toEqual({
      'log.severity': 'info',
      'log.message': 'order requested',
      'log.context': 'OrdersController',
    });
    expect(service.events.find((e) => e.name === 'log')?.attributes?.['log.message']).toBe(
      'order 7 loaded',
    );
  });

  it('ships a request’s lines and spans to a log exporter, with the ids of that request’s spans', async () => {
    const loki = await logEndpoint('ok');
    const { app, url, spans } = await start(platform, {
      logging: { exporters: [{ type: 'loki', url: loki.url, spans: true }] },
    });
    await request(url).get('/orders/9').expect(200);
    const finished = await spans.waitForSpans(2);
    await app.get(TraceLogger).flush();
    const lines = loki.bodies.flatMap((b) =>
      (JSON.parse(b) as { streams: { values: [string, string][] }[] }).streams.flatMap((s) =>
        s.values.map(([, line]) => JSON.parse(line) as Record<string, unknown>),
      ),
    );
    const server = finished.find((s) => s.name === 'GET /orders/:id')!;
    const service = finished.find((s) => s.name === 'OrdersService.findOne')!;
    expect(lines.find((l) => l.message === 'order requested')).toMatchObject({
      trace_id: server.traceId,
      span_id: server.spanId,
    });
    expect(lines.find((l) => l.message === 'order 9 loaded')).toMatchObject({
      trace_id: service.traceId,
      span_id: service.spanId,
    });
    // The spans themselves, as lines of their own.
    expect(
      lines.find((l) => l.context === 'span' && l.message === 'GET /orders/:id'),
    ).toMatchObject({
      trace_id: server.traceId,
      span_id: server.spanId,
      'span.kind': 'server',
      'http.route': '/orders/:id',
    });
  });

  it('keeps answering and writing lines while its log endpoints fail, hang or are down', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const failing = await logEndpoint('fail');
      const hanging = await logEndpoint('hang');
      const down = await closedPort();
      const batch = {
        maxRetries: 1,
        retryInitialDelayMs: 10,
        exportTimeoutMs: 300,
        scheduledDelayMs: 10,
        shutdownTimeoutMs: 1000,
      };
      const { app, url, capture } = await start(platform, {
        logging: {
          batch,
          exporters: [
            { type: 'loki', url: failing.url, spans: true },
            {
              type: 'datadog',
              apiKey: 'k',
              url: `${hanging.url}/api/v2/logs`,
              compression: 'none',
              timeoutMs: 400,
            },
            { type: 'rest', url: `${down}/logs` },
          ],
        },
      });
      const started = performance.now();
      for (let i = 0; i < 10; i++) await request(url).get(`/orders/${i}`).expect(200);
      // Ten requests with three broken log backends take no longer than a healthy app's would.
      expect(performance.now() - started).toBeLessThan(2000);
      await sleep(800);
      const logger = app.get(TraceLogger);
      await logger.flush();
      const stats = logger.getExporterStats();
      expect(stats.map((s) => s.exporter)).toEqual([
        'LokiLogExporter',
        'DatadogLogExporter',
        'RestLogExporter',
        'LokiLogExporter (spans)',
      ]);
      for (const s of stats) expect(s.failed).toBeGreaterThan(0);
      expect(failing.bodies.length).toBeGreaterThan(0);
      expect(hanging.bodies.length).toBeGreaterThan(0);
      for (let i = 0; i < 10; i++) expect(capture.find(`order ${i} loaded`)).toBeDefined();
      // The failures are reported once each, on the local destination only.
      const warnings = capture.lines.filter(
        (l) => l.context === 'TraceLogger' && l.level === 'warn',
      );
      expect(warnings.some((w) => String(w.message).includes('LokiLogExporter'))).toBe(true);
      expect(warnings.some((w) => String(w.message).includes('DatadogLogExporter'))).toBe(true);
      expect(warnings.some((w) => String(w.message).includes('RestLogExporter'))).toBe(true);
      const closing = performance.now();
      await app.close();
      apps.splice(0);
      expect(performance.now() - closing).toBeLessThan(5000);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('traces and logs background work outside HTTP with the run’s fields on every span and line', async () => {
    const { app, url, capture, spans } = await start(platform);
    await request(url).post('/jobs').expect(201);
    const finished = await spans.waitForSpans(3);
    await app.get(TraceLogger).flush();
    const run = finished.find((s) => s.name === 'run nightly/reindex')!;
    const inner = finished.find((s) => s.name === 'OrdersService.findOne')!;
    const runFields = {
      run_id: 'run-42',
      workflow: 'nightly',
      job: 'reindex',
      user_id: 'u-1',
      tenant_id: 'acme',
    };
    expect(run.parentSpanId).toBeUndefined();
    expect(run.attributes).toMatchObject(runFields);
    expect(inner.parentSpanId).toBe(run.spanId);
    expect(inner.attributes).toMatchObject(runFields);
    for (const message of ['reindex started', 'order 7 loaded', 'reindex slow']) {
      expect(capture.find(message)).toMatchObject({ ...runFields, trace_id: run.traceId });
    }
    expect(capture.find('order 7 loaded')!.span_id).toBe(inner.spanId);
    expect(capture.find('reindex slow')!.level).toBe('warn');
  });
});

describe('logging options at start-up', () => {
  it('fails to start with an error naming a bad logging option', async () => {
    @Module({ imports: [TracingModule.forRoot({ logging: { level: 'loud' as 'info' } })] })
    class BadModule {}
    await expect(
      NestFactory.create(BadModule, { logger: false, abortOnError: false }),
    ).rejects.toThrow(
      /option "logging.level" must be one of trace, debug, info, warn, error, fatal/,
    );
  });

  it('fails to start naming the exporter entry whose options are wrong', async () => {
    @Module({
      imports: [
        TracingModule.forRoot({
          logging: {
            exporters: [
              { type: 'loki', url: 'http://127.0.0.1:3100' },
              { type: 'rest', url: 'ftp://x' },
            ],
          },
        }),
      ],
    })
    class BadExporterModule {}
    await expect(
      NestFactory.create(BadExporterModule, { logger: false, abortOnError: false }),
    ).rejects.toThrow(
      /option "logging.exporters\[1\].url" must be an http: or https: URL; got "ftp:\/\/x"/,
    );
  });

  it('keeps writing lines, without ids or exporters, when tracing is disabled', async () => {
    const loki = await logEndpoint('ok');
    const { app, url, capture } = await start('express', {
      enabled: false,
      logging: { exporters: [{ type: 'loki', url: loki.url }] },
    });
    await request(url).get('/orders/3').expect(200);
    const logger = app.get(TraceLogger);
    await logger.flush();
    expect(capture.find('order 3 loaded')).toMatchObject({ service: 'orders', orderId: '3' });
    expect(capture.find('order 3 loaded')).not.toHaveProperty('trace_id');
    expect(logger.getExporterStats()).toEqual([]);
    expect(loki.bodies).toEqual([]);
  });
});
