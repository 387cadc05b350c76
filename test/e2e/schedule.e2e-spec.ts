import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Cron, CronExpression, Interval, ScheduleModule, Timeout } from '@nestjs/schedule';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTracingInstrument,
  InMemorySpanExporter,
  TracingModule,
  TracingService,
  type ReadableSpan,
} from '../../lib/index.js';

const runs: { job: string; traceId?: string }[] = [];

@Injectable()
class ReportsService {
  build(kind: string): string {
    return `${kind} report`;
  }
}

@Injectable()
class ReportJobs {
  constructor(
    private readonly reports: ReportsService,
    private readonly tracing: TracingService,
  ) {}

  @Cron(CronExpression.EVERY_SECOND, { name: 'nightly' })
  nightly(): void {
    this.reports.build('nightly');
    runs.push({ job: 'cron', traceId: this.tracing.getTraceId() });
  }

  @Interval('heartbeat', 40)
  async heartbeat(): Promise<void> {
    await sleep(1);
    runs.push({ job: 'interval', traceId: this.tracing.getTraceId() });
  }

  @Timeout(10)
  warmUp(): void {
    runs.push({ job: 'timeout', traceId: this.tracing.getTraceId() });
  }
}

@Module({
  imports: [
    TracingModule.forRoot({ serviceName: 'reports', exporters: [{ type: 'memory' }] }),
    ScheduleModule.forRoot(),
  ],
  providers: [ReportJobs, ReportsService],
})
class ReportsModule {}

async function waitFor<T>(find: () => T | undefined, what: string, timeoutMs = 4000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function named(spans: readonly ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((s) => s.name === name);
}

describe('@nestjs/schedule jobs with the instrument', () => {
  let app: INestApplicationContext | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
    runs.length = 0;
  });

  async function start() {
    app = await NestFactory.createApplicationContext(ReportsModule, {
      logger: false,
      instrument: createTracingInstrument(),
    });
    await app.init();
    return app.get(InMemorySpanExporter);
  }

  it('gives every cron run a root span, with the services it calls as children', async () => {
    const exporter = await start();
    const cron = await waitFor(
      () => named(exporter.getFinishedSpans(), 'ReportJobs.nightly')[0],
      'a cron run',
    );
    expect(cron.parentSpanId).toBeUndefined();
    expect(cron.attributes).toMatchObject({
      'nestjs.type': 'cron',
      'nestjs.schedule.name': 'nightly',
      'nestjs.schedule.cron': CronExpression.EVERY_SECOND,
      'code.function.name': 'ReportJobs.nightly',
    });
    const build = exporter
      .getSpansByTraceId(cron.traceId)
      .find((s) => s.name === 'ReportsService.build')!;
    expect(build.parentSpanId).toBe(cron.spanId);
    expect(runs.find((r) => r.job === 'cron')!.traceId).toBe(cron.traceId);
  });

  it('gives interval and timeout runs root spans, each run a trace of its own', async () => {
    const exporter = await start();
    const intervals = await waitFor(() => {
      const found = named(exporter.getFinishedSpans(), 'ReportJobs.heartbeat');
      return found.length >= 2 ? found : undefined;
    }, 'two interval runs');
    const timeout = named(exporter.getFinishedSpans(), 'ReportJobs.warmUp')[0]!;
    expect(timeout.attributes['nestjs.type']).toBe('timeout');
    expect(intervals[0]!.attributes).toMatchObject({
      'nestjs.type': 'interval',
      'nestjs.schedule.name': 'heartbeat',
    });
    expect([...intervals, timeout].every((s) => s.parentSpanId === undefined)).toBe(true);
    expect(new Set(intervals.map((s) => s.traceId)).size).toBe(intervals.length);
  });
});
