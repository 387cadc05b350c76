import { Test, type TestingModule } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ExportResultCode,
  InMemorySpanExporter,
  SpanKind,
  TracingModule,
  TracingService,
  type TracingModuleOptions,
} from '../../lib/index.js';
import { Tracer } from '../../lib/export/index.js';
import { TraceStore } from '../../lib/devtools/trace-store.js';
import { SpanCollapse } from '../../lib/instrumentation/span-collapse.js';
import type { LogExporter, LogRecord } from '../../lib/core/log-record.js';
import type { ResolvedTracingConfig } from '../../lib/config/tracing-config.js';
import { TRACING_CONFIG } from '../../lib/tracing.internal-constants.js';

// How the features plug into TracingModule: their routes join the ignored routes when the
// config is resolved, and the collapse rule wraps the export chain, log shipping included.

const FEATURE_OPTIONS: TracingModuleOptions = {
  exporters: [{ type: 'memory' }],
  metrics: true,
  health: { path: '/status' },
  devtools: { path: '/debug' },
};

function configOf(ref: TestingModule): ResolvedTracingConfig {
  return ref.get<ResolvedTracingConfig>(TRACING_CONFIG);
}

const PATHS = ['/metrics', '/status', '/debug', '/debug/', '/debug/api/traces'];
const OTHER_PATHS = ['/metrics-x', '/debug-not', '/users/1'];

/** Which of the paths above the config ignores. */
function ignoredPaths(config: ResolvedTracingConfig): string[] {
  return [...PATHS, ...OTHER_PATHS].filter((path) => config.isIgnoredRoute(path));
}

describe('TracingModule features', () => {
  let moduleRef: TestingModule | undefined;

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  it('ignores the routes the features serve from the start with forRoot, and never swaps the check', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [TracingModule.forRoot({ ...FEATURE_OPTIONS, ignoreRoutes: ['/ping'] })],
    }).compile();
    const config = configOf(moduleRef);
    const check = config.isIgnoredRoute;
    // Before any middleware is configured: nothing waits for `configure`.
    expect(ignoredPaths(config)).toEqual(PATHS);
    expect(config.isIgnoredRoute('/ping')).toBe(true);
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    expect(configOf(moduleRef).isIgnoredRoute).toBe(check);
    await app.close();
  });

  it('ignores the routes the features serve from the start with forRootAsync', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [TracingModule.forRootAsync({ useFactory: async () => FEATURE_OPTIONS })],
    }).compile();
    expect(ignoredPaths(configOf(moduleRef))).toEqual(PATHS);
  });

  it('does not consult the features when tracing is off', async () => {
    const env = process.env.NODE_ENV;
    // The viewer refuses production unless forced: asking for its routes would throw.
    process.env.NODE_ENV = 'production';
    try {
      moduleRef = await Test.createTestingModule({
        imports: [TracingModule.forRoot({ ...FEATURE_OPTIONS, enabled: false })],
      }).compile();
    } finally {
      process.env.NODE_ENV = env;
    }
    expect(configOf(moduleRef).isIgnoredRoute('/metrics')).toBe(false);
  });

  it('ships to the log exporters the collapsed spans the exporters get, while the viewer sees them all', async () => {
    const records: LogRecord[] = [];
    const logs: LogExporter = {
      export: (batch) => {
        records.push(...batch);
        return Promise.resolve({ code: ExportResultCode.SUCCESS });
      },
      shutdown: () => Promise.resolve(),
    };
    moduleRef = await Test.createTestingModule({
      imports: [
        TracingModule.forRoot({
          exporters: [{ type: 'memory' }],
          devtools: true,
          logging: { destination: false, exporters: [{ exporter: logs, spans: true }] },
        }),
      ],
    }).compile();
    await moduleRef.init();
    moduleRef.get(SpanCollapse).configure({
      threshold: 2,
      keep: 1,
      keepOnlyRoot: undefined,
      maxSpansPerTrace: 1000,
      maxHeldSpans: 1000,
      maxHoldMs: 60_000,
    });
    const tracer = moduleRef.get(Tracer);
    const root = tracer.startSpan('GET /graph', { kind: SpanKind.SERVER });
    const ctx = tracer.createContext(root, undefined, undefined);
    for (let i = 0; i < 5; i++) {
      const attributes = { 'code.function.name': 'FieldsService.resolve' };
      tracer.startSpan('FieldsService.resolve', { attributes }, ctx).end();
    }
    root.end();
    await moduleRef.get(TracingService).forceFlush();

    const exported = moduleRef.get(InMemorySpanExporter).getFinishedSpans();
    // The root, the slowest call and one summary for the other four.
    expect(exported).toHaveLength(3);
    expect(exported.some((s) => s.attributes['nestjs.collapsed.count'] === 4)).toBe(true);
    const shipped = records.filter((r) => r.source === 'span').map((r) => r.spanId);
    expect(shipped.toSorted()).toEqual(exported.map((s) => s.spanId).toSorted());
    const traceId = root.spanContext().traceId;
    expect(moduleRef.get(TraceStore).getTrace(traceId)?.spans).toHaveLength(6);
  });
});
