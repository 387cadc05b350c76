import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ExportResultCode,
  InMemorySpanExporter,
  TracingHealthIndicator,
  TracingHealthService,
  TracingModule,
  type ExportResult,
  type SpanExporter,
  type TracingModuleOptions,
} from '../../lib/index.js';
import { PLATFORMS, startApp } from '../fixtures/platforms.js';
import { UsersController, UsersRepository, UsersService } from '../fixtures/users-app.js';

@Controller('health-check')
class TerminusController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly tracing: TracingHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.tracing.isHealthy('tracing')]);
  }
}

function healthApp(options: TracingModuleOptions) {
  @Module({
    imports: [TracingModule.forRoot(options), TerminusModule.forRoot({ logger: false })],
    controllers: [UsersController, TerminusController],
    providers: [UsersService, UsersRepository],
  })
  class HealthAppModule {}
  return HealthAppModule;
}

/** A backend that refuses every batch (not retryable), so the exporter's last error is set. */
class RefusingExporter implements SpanExporter {
  async export(): Promise<ExportResult> {
    return { code: ExportResultCode.FAILED, error: new Error('backend refused the batch') };
  }
  async shutdown(): Promise<void> {}
}

describe.each(PLATFORMS)('health summary on %s', (platform) => {
  let app: INestApplication | undefined;
  let url: string;

  async function start(options: TracingModuleOptions): Promise<void> {
    ({ app, url } = await startApp(healthApp(options), platform));
  }

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('serves error rate, latency, recent traces and exporter state as JSON, untraced', async () => {
    await start({ exporters: [{ type: 'memory' }], health: true });
    for (let i = 0; i < 4; i++) await request(url).get(`/users/${i}`).expect(200);
    await request(url).get('/fail').expect(500);
    const res = await request(url).get('/tracing/health').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({
      healthy: true,
      reasons: [],
      windowMs: 60_000,
      requests: 5,
      errors: 1,
      errorRate: 0.2,
      recentTraces: 5,
      exporters: [
        { exporter: 'InMemorySpanExporter', state: 'ok', dropped: 0, failed: 0, queueLength: 0 },
      ],
    });
    expect(res.body.p95LatencyMs).toBeGreaterThan(0);
    expect(res.body.p95LatencyMs).toBeGreaterThanOrEqual(res.body.averageLatencyMs * 0.9);
    await request(url).get('/tracing/health').expect(200);
    const spans = app!.get(InMemorySpanExporter).getFinishedSpans();
    expect(spans.map((s) => s.attributes['url.path'])).not.toContain('/tracing/health');
    expect(app!.get(TracingHealthService).getSummary().requests).toBe(5);
  });

  it('answers 503 with the reasons once the error rate passes its limit', async () => {
    await start({
      exporters: [{ type: 'memory' }],
      health: { path: '/status/tracing', minRequests: 4, maxErrorRate: 0.25 },
    });
    await request(url).get('/users/1').expect(200);
    for (let i = 0; i < 2; i++) await request(url).get('/fail').expect(500);
    // Below minRequests the rate is not judged.
    await request(url).get('/status/tracing').expect(200);
    await request(url).get('/fail').expect(500);
    const res = await request(url).get('/status/tracing').expect(503);
    expect(res.body.healthy).toBe(false);
    expect(res.body.errorRate).toBe(0.75);
    expect(res.body.reasons).toEqual(['error rate 0.75 is above 0.25']);
  });

  it('judges p95 latency against maxP95LatencyMs', async () => {
    await start({ exporters: [], health: { minRequests: 1, maxP95LatencyMs: 0.001 } });
    await request(url).get('/users/1').expect(200);
    const res = await request(url).get('/tracing/health').expect(503);
    expect(res.body.reasons[0]).toMatch(/^p95 latency [\d.]+ ms is above 0\.001 ms$/);
  });

  it('reports a failing exporter with its last error', async () => {
    await start({
      exporters: [new RefusingExporter()],
      batch: { scheduledDelayMs: 0 },
      health: { path: false },
    });
    // Without a path, the health route is an unknown route like any other (one span).
    await request(url).get('/tracing/health').expect(404);
    await request(url).get('/users/1').expect(200);
    const health = app!.get(TracingHealthService);
    await expect.poll(() => health.getSummary().exporters[0]?.failed).toBe(4);
    const [exporter] = health.getSummary().exporters;
    expect(exporter).toMatchObject({
      exporter: 'RefusingExporter',
      state: 'failing',
      failed: 4,
      lastError: { message: 'backend refused the batch' },
    });
  });

  it('is a terminus health indicator: up while healthy, down once the error rate passes its limit', async () => {
    await start({
      exporters: [{ type: 'memory' }],
      health: { minRequests: 2, maxErrorRate: 0.5 },
    });
    await request(url).get('/users/1').expect(200);
    const up = await request(url).get('/health-check').expect(200);
    expect(up.body).toMatchObject({
      status: 'ok',
      info: { tracing: { status: 'up', requests: 1, failingExporters: [] } },
    });
    for (let i = 0; i < 3; i++) await request(url).get('/fail').expect(500);
    // The first check is a request too: 3 errors in 5 requests.
    const down = await request(url).get('/health-check').expect(503);
    expect(down.body).toMatchObject({
      status: 'error',
      error: { tracing: { status: 'down', requests: 5, errorRate: 0.6 } },
    });
    expect(down.body.error.tracing.reasons).toEqual(['error rate 0.6 is above 0.5']);
  });

  it('reports degraded through terminus when an exporter fails but requests are fine', async () => {
    await start({
      exporters: [new RefusingExporter()],
      batch: { scheduledDelayMs: 0 },
      health: true,
    });
    await request(url).get('/users/1').expect(200);
    const health = app!.get(TracingHealthService);
    await expect.poll(() => health.getSummary().exporters[0]?.state).toBe('failing');
    const res = await request(url).get('/health-check').expect(200);
    expect(res.body).toMatchObject({
      status: 'degraded',
      details: { tracing: { status: 'degraded', failingExporters: ['RefusingExporter'] } },
    });
  });
});
