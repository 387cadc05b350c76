import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ExportResultCode,
  InMemorySpanExporter,
  SpanKind,
  Traced,
  TracingModule,
  TracingService,
  type ExportResult,
  type ReadableSpan,
  type SpanExporter,
  type TracingModuleOptions,
} from '../../lib/index.js';
import {
  createTracingTestingModule,
  expectAttributes,
  expectParent,
  findSpan,
  overrideTracingExporters,
  waitForTrace,
} from '../../lib/testing/index.js';
import { OtlpSink } from '../fixtures/otlp-sink.js';

// The testing kit on real apps: every exporter the app configures is swapped for one
// in-memory exporter, whichever way it was configured.

/** An exporter of the app's own that must never be called under the kit. */
@Injectable()
class AuditExporter implements SpanExporter {
  static exported: ReadableSpan[] = [];
  export(spans: readonly ReadableSpan[]): Promise<ExportResult> {
    AuditExporter.exported.push(...spans);
    return Promise.resolve({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

@Injectable()
class GreetingService {
  @Traced()
  greet(name: string): string {
    return `hello ${name}`;
  }
}

@Controller()
class GreetingController {
  constructor(private readonly greetings: GreetingService) {}

  @Get('greet')
  greet() {
    return { text: this.greetings.greet('ada') };
  }
}

/** Real output that the swap must silence. */
const CONSOLE = { write: vi.fn<(text: string) => void>() };
const FLAG = Symbol('FLAG');

function appModule(tracing: ReturnType<typeof TracingModule.forRoot>) {
  @Module({
    imports: [tracing],
    controllers: [GreetingController],
    providers: [GreetingService, { provide: FLAG, useValue: 'real' }],
  })
  class AppModule {}
  return AppModule;
}

function options(sink: OtlpSink): TracingModuleOptions {
  return {
    serviceName: 'greetings',
    exporters: [
      { type: 'console', write: (text) => CONSOLE.write(text), batch: false },
      { type: 'otlp', url: sink.tracesUrl, protocol: 'http/json', batch: { scheduledDelayMs: 1 } },
      AuditExporter,
    ],
  };
}

describe('testing kit', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).toReversed()) await close();
    AuditExporter.exported = [];
    CONSOLE.write.mockReset();
    vi.unstubAllEnvs();
  });

  async function start(builder: ReturnType<typeof Test.createTestingModule>) {
    const moduleRef = await builder.compile();
    const app: INestApplication = moduleRef.createNestApplication({ logger: false });
    await app.init();
    closers.push(() => app.close());
    return app;
  }

  async function sink() {
    const started = await OtlpSink.start();
    closers.push(() => started.close());
    return started;
  }

  it('swaps the console, OTLP and class exporters for one in-memory exporter', async () => {
    const otlp = await sink();
    const app = await start(
      createTracingTestingModule({ imports: [appModule(TracingModule.forRoot(options(otlp)))] }),
    );
    await request(app.getHttpServer()).get('/greet').expect(200);
    const trace = await waitForTrace(app.get(InMemorySpanExporter), { span: 'GET /greet' });
    expect(trace.spans.map((s) => s.name)).toEqual(['GET /greet', 'GreetingService.greet']);
    expect(app.get(TracingService).getExporters()).toEqual([app.get(InMemorySpanExporter)]);
    await app.get(TracingService).forceFlush();
    expect(CONSOLE.write).not.toHaveBeenCalled();
    expect(otlp.requests).toEqual([]);
    expect(AuditExporter.exported).toEqual([]);
  });

  it('lets the assertion helpers check what a request traced', async () => {
    const app = await start(
      createTracingTestingModule({
        imports: [appModule(TracingModule.forRoot({ serviceName: 'greetings' }))],
      }),
    );
    const res = await request(app.getHttpServer()).get('/greet').expect(200);
    const trace = await waitForTrace(app.get(InMemorySpanExporter), {
      traceId: res.headers['x-correlation-id'],
    });
    const server = findSpan(trace, { kind: SpanKind.SERVER });
    expect(trace.root).toBe(server);
    expectAttributes(server, { 'http.route': '/greet', 'http.response.status_code': 200 });
    expectParent(findSpan(trace, 'GreetingService.greet'), server);
  });

  it('swaps exporters named by OTEL_TRACES_EXPORTER and those an async factory returns', async () => {
    vi.stubEnv('OTEL_TRACES_EXPORTER', 'console');
    const fromEnv = await start(
      createTracingTestingModule({ imports: [appModule(TracingModule.forRoot({}))] }),
    );
    await request(fromEnv.getHttpServer()).get('/greet').expect(200);
    await waitForTrace(fromEnv.get(InMemorySpanExporter), { span: 'GET /greet' });

    const otlp = await sink();
    const fromFactory = await start(
      createTracingTestingModule({
        imports: [
          appModule(
            TracingModule.forRootAsync({
              useFactory: () => options(otlp),
              exporters: [AuditExporter],
            }),
          ),
        ],
      }),
    );
    await request(fromFactory.getHttpServer()).get('/greet').expect(200);
    await waitForTrace(fromFactory.get(InMemorySpanExporter), { span: 'GET /greet' });
    await fromFactory.get(TracingService).forceFlush();
    expect(CONSOLE.write).not.toHaveBeenCalled();
    expect(otlp.requests).toEqual([]);
    expect(AuditExporter.exported).toEqual([]);
  });

  it('works on a builder that has other overrides, keeping them', async () => {
    const builder = Test.createTestingModule({
      imports: [appModule(TracingModule.forRoot({ exporters: [AuditExporter] }))],
    })
      .overrideProvider(FLAG)
      .useValue('overridden');
    const app = await start(overrideTracingExporters(builder, { maxSpans: 5 }));
    expect(app.get(FLAG)).toBe('overridden');
    expect(app.get(InMemorySpanExporter).maxSpans).toBe(5);
    await request(app.getHttpServer()).get('/greet').expect(200);
    await waitForTrace(app.get(InMemorySpanExporter));
    expect(AuditExporter.exported).toEqual([]);
  });

  it('gives each compiled app its own exporter', async () => {
    const module = appModule(TracingModule.forRoot({}));
    const first = await start(createTracingTestingModule({ imports: [module] }));
    const second = await start(createTracingTestingModule({ imports: [module] }));
    await request(first.getHttpServer()).get('/greet').expect(200);
    await waitForTrace(first.get(InMemorySpanExporter));
    expect(second.get(InMemorySpanExporter)).not.toBe(first.get(InMemorySpanExporter));
    expect(second.get(InMemorySpanExporter).getFinishedSpans()).toEqual([]);
  });
});
