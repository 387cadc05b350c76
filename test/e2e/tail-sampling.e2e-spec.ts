import { Controller, Get, Injectable, Module, Param, type INestApplication } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Traced,
  TracingModule,
  TracingService,
  type TailSamplerStats,
  type TracingModuleOptions,
} from '../../lib/index.js';
import { OtlpSink, type SinkSpan } from '../fixtures/otlp-sink.js';
import { PLATFORMS, startApp } from '../fixtures/platforms.js';

// Tail sampling on a real app at a 1% head ratio: the requests that fail or are slow reach the
// OTLP sink whole, the fast successful ones at about the head rate, and the held traces stay
// capped under a flood of slow ones, with the overflow counted where the exporters are.

const SLOW_MS = 300;
const THRESHOLD_MS = 150;

/** Holds `/hold` requests open until the test opens it. */
const gate = {
  waiting: 0,
  open: () => {},
  opened: Promise.resolve(),
  reset() {
    this.waiting = 0;
    this.opened = new Promise<void>((resolve) => (this.open = resolve));
  },
};

@Injectable()
class OrdersRepository {
  @Traced()
  async load(id: string): Promise<{ id: string }> {
    await sleep(0);
    return { id };
  }
}

@Injectable()
class OrdersService {
  constructor(private readonly repository: OrdersRepository) {}

  @Traced()
  async find(id: string, mode: 'fast' | 'slow' | 'fail' | 'hold'): Promise<{ id: string }> {
    const order = await this.repository.load(id);
    if (mode === 'slow') await sleep(SLOW_MS);
    if (mode === 'hold') {
      gate.waiting++;
      await gate.opened;
    }
    if (mode === 'fail') throw new Error(`order ${id}: database is down`);
    return order;
  }
}

@Controller()
class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get('fast/:id')
  fast(@Param('id') id: string) {
    return this.orders.find(id, 'fast');
  }

  @Get('slow/:id')
  slow(@Param('id') id: string) {
    return this.orders.find(id, 'slow');
  }

  @Get('hold/:id')
  hold(@Param('id') id: string) {
    return this.orders.find(id, 'hold');
  }

  @Get('fail/:id')
  fail(@Param('id') id: string) {
    return this.orders.find(id, 'fail');
  }
}

function appModule(options: TracingModuleOptions) {
  @Module({
    imports: [TracingModule.forRoot(options)],
    controllers: [OrdersController],
    providers: [OrdersService, OrdersRepository],
  })
  class TailAppModule {}
  return TailAppModule;
}

const apps: INestApplication[] = [];
const sinks: OtlpSink[] = [];

afterEach(async () => {
  gate.open(); // a failed assertion must not leave requests hanging on close
  for (const app of apps.splice(0)) await app.close();
  for (const sink of sinks.splice(0)) await sink.close();
});

async function boot(platform: (typeof PLATFORMS)[number], options: TracingModuleOptions) {
  const sink = await OtlpSink.start();
  sinks.push(sink);
  const { app, url } = await startApp(
    appModule({
      serviceName: 'orders',
      exporters: [{ type: 'otlp', url: sink.tracesUrl, batch: { scheduledDelayMs: 20 } }],
      ...options,
    }),
    platform,
  );
  apps.push(app);
  return { app, url, sink, tracing: app.get(TracingService) };
}

function byTrace(spans: readonly SinkSpan[]): Map<string, SinkSpan[]> {
  const traces = new Map<string, SinkSpan[]>();
  for (const span of spans) {
    const list = traces.get(span.traceId) ?? [];
    list.push(span);
    traces.set(span.traceId, list);
  }
  return traces;
}

const ROUTE_SPANS = ['GET {route}', 'OrdersService.find', 'OrdersRepository.load'];

/** GET `path`; the trace id (the correlation id header, which is the trace id by default). */
async function get(url: string, path: string, status: number): Promise<string> {
  const res = await fetch(`${url}${path}`);
  await res.arrayBuffer();
  expect(res.status).toBe(status);
  const traceId = res.headers.get('x-correlation-id');
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  return traceId!;
}

async function inWaves<T>(count: number, width: number, one: (i: number) => Promise<T>) {
  const out: T[] = [];
  for (let start = 0; start < count; start += width) {
    const wave = Array.from({ length: Math.min(width, count - start) }, (_, i) => one(start + i));
    out.push(...(await Promise.all(wave)));
  }
  return out;
}

/** The trace arrived whole: the three spans of the route, each the child of the one before. */
function expectWhole(spans: SinkSpan[] | undefined, route: string): void {
  expect(spans?.map((s) => s.name).toSorted()).toEqual(
    ROUTE_SPANS.map((n) => n.replace('{route}', route)).toSorted(),
  );
  const [root, service, repository] = ROUTE_SPANS.map((n) =>
    spans!.find((s) => s.name === n.replace('{route}', route)),
  );
  expect(root!.parentSpanId).toBeUndefined();
  expect(service!.parentSpanId).toBe(root!.spanId);
  expect(repository!.parentSpanId).toBe(service!.spanId);
}

function tailStats(tracing: TracingService) {
  const stats = tracing.getExporterStats().find((s) => s.exporter === 'TailSampler');
  expect(stats).toBeDefined();
  return stats as TailSamplerStats;
}

describe.each(PLATFORMS)('tail sampling on %s at a head ratio of 0.01', (platform) => {
  const HEAD = { type: 'parentbased_traceidratio', ratio: 0.01 } as const;

  it('exports every failed and slow request whole, the fast ones at about the head rate', async () => {
    const { url, sink, tracing } = await boot(platform, {
      sampler: HEAD,
      sampling: { tail: { thresholdMs: THRESHOLD_MS } },
      health: true,
    });
    const fast = await inWaves(200, 10, (i) => get(url, `/fast/${i}`, 200));
    const failed = await inWaves(10, 5, (i) => get(url, `/fail/${i}`, 500));
    const slow = await inWaves(5, 5, (i) => get(url, `/slow/${i}`, 200));
    await tracing.forceFlush();

    const traces = byTrace(sink.spans);
    for (const id of failed) expectWhole(traces.get(id), '/fail/:id');
    for (const id of slow) expectWhole(traces.get(id), '/slow/:id');
    const fastKept = fast.filter((id) => traces.has(id));
    expect(fastKept.length).toBeLessThan(20);
    for (const id of fastKept) expectWhole(traces.get(id), '/fast/:id');
    expect(traces.size).toBe(failed.length + slow.length + fastKept.length);

    // Metrics and the health summary still saw every request.
    const health = (await (await fetch(`${url}/tracing/health`)).json()) as {
      requests: number;
      errors: number;
      exporters: { exporter: string; sampledOut?: number }[];
    };
    expect(health).toMatchObject({ requests: 215, errors: 10 });
    const stats = tailStats(tracing);
    expect(stats).toMatchObject({
      exported: 3 * (failed.length + slow.length + fastKept.length),
      sampledOut: 3 * (fast.length - fastKept.length),
      overflowed: 0,
      heldTraces: 0,
    });
    expect(health.exporters.find((e) => e.exporter === 'TailSampler')).toMatchObject({
      sampledOut: stats.sampledOut,
    });
  });

  it('keeps the held traces capped under a flood of slow ones, counting the overflow', async () => {
    const { url, sink, tracing } = await boot(platform, {
      sampler: HEAD,
      // Every held trace is kept (threshold 0): what is missing at the sink overflowed.
      sampling: { tail: { thresholdMs: 0, maxTraces: 4 } },
      health: true,
    });
    gate.reset();
    const flood = Array.from({ length: 24 }, (_, i) => get(url, `/hold/${i}`, 200));
    await expect.poll(() => gate.waiting, { timeout: 10_000 }).toBe(24);
    expect(tailStats(tracing)).toMatchObject({ heldTraces: 4 });
    gate.open();
    const ids = await Promise.all(flood);
    await tracing.forceFlush();

    const stats = tailStats(tracing);
    expect(stats).toMatchObject({ heldTraces: 0, queueLength: 0 });
    const traces = byTrace(sink.spans);
    const kept = ids.filter((id) => traces.has(id));
    for (const id of kept) expectWhole(traces.get(id), '/hold/:id');
    // 4 held and kept; the other 20 went by the 1% head rule, span by span, and were counted.
    expect(kept.length).toBeGreaterThanOrEqual(4);
    expect(kept.length).toBeLessThan(4 + 20);
    expect(stats.overflowed).toBe(3 * 20);
    expect(stats.sampledOut).toBe(3 * (24 - kept.length));
    const health = (await (await fetch(`${url}/tracing/health`)).json()) as {
      requests: number;
      exporters: { exporter: string; overflowed?: number }[];
    };
    expect(health.requests).toBe(24);
    expect(health.exporters.find((e) => e.exporter === 'TailSampler')).toMatchObject({
      overflowed: 60,
    });
  });

  it("skips chosen routes' and statuses' spans by rule, keeping their metrics", async () => {
    const { url, sink, tracing } = await boot(platform, {
      sampling: { tail: { drop: [{ route: '/fast/:id', statusCode: 200 }] } },
      health: true,
    });
    const fast = await inWaves(5, 5, (i) => get(url, `/fast/${i}`, 200));
    const failed = await get(url, '/fail/1', 500);
    const slow = await get(url, '/slow/1', 200);
    await tracing.forceFlush();
    const traces = byTrace(sink.spans);
    for (const id of fast) expect(traces.has(id)).toBe(false);
    expectWhole(traces.get(failed), '/fail/:id');
    expectWhole(traces.get(slow), '/slow/:id');
    const health = (await (await fetch(`${url}/tracing/health`)).json()) as { requests: number };
    expect(health.requests).toBe(7);
  });
});
