import { Controller, Get, Injectable, Logger, Module, type INestApplication } from '@nestjs/common';
import {
  context,
  propagation,
  SpanStatusCode as ApiStatus,
  trace,
  type Span as ApiSpan,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter as OtelMemory,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  SpanStatusCode,
  Traced,
  TracingModule,
  type ReadableSpan,
  type TracingModuleOptions,
} from '../../lib/index.js';
import { PLATFORMS, startApp, type PlatformName } from '../fixtures/platforms.js';

// Code that speaks the OpenTelemetry API inside a Nest app traced by this module: its spans
// are ours (same exporters), nest both ways with @Traced() and the server span, and carry
// links, events, exceptions and status; context, baggage and suppression map both ways.

const library = trace.getTracer('some-library', '1.2.3');

@Injectable()
class ReportsService {
  /** What a library does: an API span around its work, ours inside it. */
  async build(): Promise<Record<string, unknown>> {
    return library.startActiveSpan(
      'library.work',
      { kind: 1 + 1, attributes: { 'lib.n': 3 } },
      async (span: ApiSpan) => {
        try {
          span.addEvent('started', { step: 1 });
          span.addLink({
            context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 },
            attributes: { why: 'batch' },
          });
          const inner = await this.inner();
          span.recordException(new Error('retried once'));
          span.setStatus({ code: ApiStatus.OK });
          return inner;
        } finally {
          span.end();
        }
      },
    );
  }

  @Traced()
  async inner(): Promise<Record<string, unknown>> {
    await sleep(1);
    const active = trace.getActiveSpan();
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    const bound = context.bind(context.active(), () => trace.getActiveSpan()?.spanContext().spanId);
    const later = await new Promise<string | undefined>((resolve) =>
      setImmediate(() => resolve(bound())),
    );
    const baggage = propagation.getBaggage(context.active());
    let suppressed = 0;
    context.with(suppressTracing(context.active()), () => {
      const s = library.startSpan('never.exported');
      suppressed = s.isRecording() ? 1 : 0;
      s.end();
    });
    return {
      activeSpanId: active?.spanContext().spanId,
      traceparent: carrier.traceparent,
      boundSpanId: later,
      tenant: baggage?.getEntry('tenant')?.value,
      suppressedRecording: suppressed,
    };
  }

  @Traced()
  failing(): void {
    const span = trace.getActiveSpan();
    span?.setAttribute('from.api', true);
    throw new Error('boom');
  }
}

@Controller()
class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get('report')
  report(): Promise<Record<string, unknown>> {
    return this.reports.build();
  }
}

function appModule(options: TracingModuleOptions) {
  @Module({
    imports: [
      TracingModule.forRoot({
        serviceName: 'otel-api',
        exporters: [{ type: 'memory' }],
        ...options,
      }),
    ],
    controllers: [ReportsController],
    providers: [ReportsService],
  })
  class AppModule {}
  return AppModule;
}

let running: INestApplication | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function boot(
  options: TracingModuleOptions,
  platform: PlatformName,
): Promise<INestApplication> {
  running = (await startApp(appModule(options), platform)).app;
  return running;
}

function byName(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const span = spans.find((s) => s.name === name);
  if (span === undefined)
    throw new Error(`no span ${name} in ${spans.map((s) => s.name).join(', ')}`);
  return span;
}

describe.each(PLATFORMS)('OpenTelemetry API on %s', (platform) => {
  it('joins API spans to the request trace, both ways, with everything they carry', async () => {
    const app = await boot({}, platform);
    const res = await request(app.getHttpServer())
      .get('/report')
      .set('baggage', 'tenant=acme')
      .expect(200);
    const spans = await app.get(InMemorySpanExporter).waitForSpans(3);
    const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
    const work = byName(spans, 'library.work');
    const inner = byName(spans, 'ReportsService.inner');
    expect(work.parentSpanId).toBe(server.spanId);
    expect(work.traceId).toBe(server.traceId);
    expect(inner.parentSpanId).toBe(work.spanId);
    expect(work.kind).toBe(SpanKind.CLIENT);
    expect(work.attributes['lib.n']).toBe(3);
    expect(work.events.map((e) => e.name)).toEqual(['started', 'exception']);
    expect(work.links[0]?.context.spanId).toBe('b'.repeat(16));
    expect(work.links[0]?.attributes).toEqual({ why: 'batch' });
    expect(work.status.code).toBe(SpanStatusCode.OK);
    // Inside @Traced(), the API sees our span: active span, injected parent, bound callbacks.
    const body = res.body as Record<string, unknown>;
    expect(body.activeSpanId).toBe(inner.spanId);
    // Our W3C propagator writes the random-trace-id flag too (Level 2): 03.
    expect(body.traceparent).toBe(`00-${inner.traceId}-${inner.spanId}-03`);
    expect(body.boundSpanId).toBe(inner.spanId);
    expect(body.tenant).toBe('acme');
    expect(body.suppressedRecording).toBe(0);
    expect(spans.some((s) => s.name === 'never.exported')).toBe(false);
  });

  it('an API call on our active span lands on it', async () => {
    const app = await boot({}, platform);
    const reports = app.get(ReportsService);
    expect(() => reports.failing()).toThrow('boom');
    const [span] = await app.get(InMemorySpanExporter).waitForSpans(1);
    expect(span!.attributes['from.api']).toBe(true);
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('openTelemetryApi: false leaves the API alone', async () => {
    const app = await boot({ openTelemetryApi: false }, platform);
    await request(app.getHttpServer()).get('/report').expect(200);
    const spans = await app.get(InMemorySpanExporter).waitForSpans(2);
    expect(spans.some((s) => s.name === 'library.work')).toBe(false);
    await sleep(20);
    expect(
      app
        .get(InMemorySpanExporter)
        .getFinishedSpans()
        .some((s) => s.name === 'library.work'),
    ).toBe(false);
  });
});

describe('OpenTelemetry API with the OpenTelemetry SDK registered first', () => {
  it('leaves the SDK its spans and says so', async () => {
    const sdkSpans = new OtelMemory();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(sdkSpans)],
    });
    expect(trace.setGlobalTracerProvider(provider)).toBe(true);
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const app = await boot({}, 'express');
      expect(warn.mock.calls.map((c) => String(c[0])).join('\n')).toContain(
        'another global TracerProvider is registered',
      );
      trace.getTracer('late-library').startSpan('late.span').end();
      expect(sdkSpans.getFinishedSpans().map((s) => s.name)).toEqual(['late.span']);
      await sleep(20);
      const ours = app.get(InMemorySpanExporter).getFinishedSpans();
      expect(ours.some((s) => s.name === 'late.span')).toBe(false);
    } finally {
      warn.mockRestore();
      await running?.close();
      running = undefined;
      trace.disable();
    }
  });
});
