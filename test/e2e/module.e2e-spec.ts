import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ExportResultCode,
  InMemorySpanExporter,
  Traced,
  TracingConfigError,
  TracingModule,
  TracingService,
  TRACING_EXPORTERS,
  type ExportResult,
  type ReadableSpan,
  type SpanExporter,
  type TracingModuleOptions,
  type TracingOptionsFactory,
} from '../../lib/index.js';

@Injectable()
class SettingsService {
  readonly serviceName = 'from-settings';
  readonly label = 'settings-label';
}

@Module({ providers: [SettingsService], exports: [SettingsService] })
class SettingsModule {}

/** A user exporter that depends on another provider, resolved through DI. */
@Injectable()
class LabellingExporter implements SpanExporter {
  readonly seen: string[] = [];
  shutdowns = 0;
  constructor(readonly settings: SettingsService) {}
  async export(spans: readonly ReadableSpan[]): Promise<ExportResult> {
    for (const span of spans) this.seen.push(`${this.settings.label}:${span.name}`);
    return { code: ExportResultCode.SUCCESS };
  }
  async shutdown(): Promise<void> {
    this.shutdowns++;
  }
}

@Injectable()
class PingService {
  @Traced()
  ping(): string {
    return 'pong';
  }
}

@Controller()
class PingController {
  constructor(
    private readonly ping: PingService,
    private readonly tracing: TracingService,
  ) {}

  @Get('ping')
  get() {
    return { answer: this.ping.ping(), traceId: this.tracing.getTraceId() ?? null };
  }
}

function appModule(tracing: ReturnType<typeof TracingModule.forRoot>) {
  @Module({
    imports: [SettingsModule, tracing],
    controllers: [PingController],
    providers: [PingService],
  })
  class AppModule {}
  return AppModule;
}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function boot(tracing: ReturnType<typeof TracingModule.forRoot>): Promise<string> {
  app = await NestFactory.create(appModule(tracing), { logger: false });
  await app.listen(0, '127.0.0.1');
  return app.getUrl();
}

describe('TracingModule.forRootAsync', () => {
  it('builds options from an injected provider and resolves exporter classes through DI', async () => {
    const url = await boot(
      TracingModule.forRootAsync({
        imports: [SettingsModule],
        inject: [SettingsService],
        useFactory: (settings: SettingsService): TracingModuleOptions => ({
          serviceName: settings.serviceName,
          exporters: [LabellingExporter, { type: 'memory' }],
        }),
        exporters: [LabellingExporter],
      }),
    );
    await request(url).get('/ping').expect(200);
    const memory = app!.get(InMemorySpanExporter);
    const spans = await memory.waitForSpans(2);
    expect(spans[0]!.resource.attributes['service.name']).toBe('from-settings');
    const labelling = app!.get(LabellingExporter);
    // User exporters are batched: flushing sends what is queued.
    await app!.get(TracingService).forceFlush();
    expect(labelling.settings).toBeInstanceOf(SettingsService);
    expect(labelling.seen).toEqual(['settings-label:PingService.ping', 'settings-label:GET /ping']);
    expect(app!.get(TRACING_EXPORTERS)).toContain(labelling);
  });

  it('accepts an options factory class', async () => {
    @Injectable()
    class Factory implements TracingOptionsFactory {
      createTracingOptions(): TracingModuleOptions {
        return { serviceName: 'factory-class', exporters: [{ type: 'memory' }] };
      }
    }
    const url = await boot(TracingModule.forRootAsync({ useClass: Factory }));
    await request(url).get('/ping').expect(200);
    const spans = await app!.get(InMemorySpanExporter).waitForSpans(2);
    expect(spans[0]!.resource.attributes['service.name']).toBe('factory-class');
  });

  it('throws a clear error when no options source is given', () => {
    expect(() => TracingModule.forRootAsync({} as never)).toThrow(TracingConfigError);
    expect(() => TracingModule.forRootAsync({} as never)).toThrow(
      /useFactory, useClass or useExisting/,
    );
  });
});

describe('TracingModule.forRoot', () => {
  it('makes a user exporter instance injectable by its class and shuts it down with the app', async () => {
    const labelling = new LabellingExporter(new SettingsService());
    const url = await boot(TracingModule.forRoot({ exporters: [labelling] }));
    expect(app!.get(LabellingExporter)).toBe(labelling);
    await request(url).get('/ping').expect(200);
    await app!.close();
    app = undefined;
    expect(labelling.seen).toHaveLength(2);
    expect(labelling.shutdowns).toBe(1);
  });

  it('fails at start-up with a message naming a bad option', async () => {
    await expect(
      NestFactory.create(
        appModule(TracingModule.forRoot({ sampler: { type: 'traceidratio', ratio: 7 } })),
        {
          logger: false,
          abortOnError: false,
        },
      ),
    ).rejects.toThrow(/option "sampler.ratio" must be a number from 0 to 1; got 7/);
  });

  it('is a cheap no-op with enabled: false, keeping the same API', async () => {
    const url = await boot(
      TracingModule.forRoot({ enabled: false, exporters: [{ type: 'memory' }] }),
    );
    const res = await request(url)
      .get('/ping')
      .set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
      .expect(200);
    expect(res.body).toEqual({ answer: 'pong', traceId: null });
    expect(res.headers['x-correlation-id']).toBeUndefined();
    expect(app!.get(TracingService).getCorrelationId()).toBeUndefined();
  });

  // mountMiddleware: the deprecated name of instrumentServer.
  it.each(['instrumentServer', 'mountMiddleware'] as const)(
    'opens the context in the interceptor with %s: false',
    async (key) => {
      const url = await boot(
        TracingModule.forRoot({ [key]: false, exporters: [{ type: 'memory' }] }),
      );
      const res = await request(url).get('/ping').set('x-correlation-id', 'no-mw').expect(200);
      expect(res.headers['x-correlation-id']).toBe('no-mw');
      const spans = await app!.get(InMemorySpanExporter).waitForSpans(2);
      const server = spans.find((s) => s.name === 'GET /ping')!;
      expect(spans.find((s) => s.name === 'PingService.ping')!.parentSpanId).toBe(server.spanId);
      expect(res.body.traceId).toBe(server.traceId);
    },
  );

  it('works in a @nestjs/testing module with the in-memory exporter', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [TracingModule.forRoot({ serviceName: 'testing', exporters: [{ type: 'memory' }] })],
      providers: [PingService],
    }).compile();
    await moduleRef.init();
    const tracing = moduleRef.get(TracingService);
    const result = tracing.withSpan('job', () => moduleRef.get(PingService).ping());
    expect(result).toBe('pong');
    const spans = moduleRef.get(InMemorySpanExporter).getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['PingService.ping', 'job']);
    expect(spans[0]!.parentSpanId).toBe(spans[1]!.spanId);
    await moduleRef.close();
  });
});
