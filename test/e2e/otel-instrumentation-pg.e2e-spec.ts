// First, before pg is loaded in this file: what a user's `instrumentation.ts` does.
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  Traced,
  TracingModule,
  type ReadableSpan,
} from '../../lib/index.js';
import { startApp, PLATFORMS } from '../fixtures/platforms.js';
import { startPostgres, type DatabaseServer } from '../fixtures/postgres-server.js';
import { needsServices } from '../fixtures/system-services.js';

// `@opentelemetry/instrumentation-pg`, a library that speaks only the OpenTelemetry API,
// traced through the bridge against a real PostgreSQL: registered before pg is imported, the
// global provider comes later (at forRoot), and its spans join the request's trace. In child
// processes: what the order of imports does in an ESM app, with and without the ESM hook.

registerInstrumentations({ instrumentations: [new PgInstrumentation()] });
const { default: pg } = await import('pg');

const run = promisify(execFile);
const esmDir = fileURLToPath(new URL('../fixtures/otel-esm/', import.meta.url));

interface ProbeResult {
  spans: { name: string; parent?: string; traceId: string }[];
  parentSpanId: string;
}

async function probe(script: string, url: string, nodeArgs: string[] = []): Promise<ProbeResult> {
  const { stdout, stderr } = await run(process.execPath, [...nodeArgs, script], {
    cwd: esmDir,
    env: { ...process.env, PG_URL: url },
    timeout: 20_000,
  });
  expect(stderr).toBe('');
  return JSON.parse(stdout) as ProbeResult;
}

function byName(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const span = spans.find((s) => s.name === name);
  if (span === undefined)
    throw new Error(`no span ${name} in ${spans.map((s) => s.name).join(', ')}`);
  return span;
}

@Injectable()
class OrdersRepository {
  private pool: InstanceType<typeof pg.Pool> | undefined;

  use(url: string): void {
    this.pool = new pg.Pool({ connectionString: url, max: 2 });
  }

  @Traced()
  async count(): Promise<number> {
    const { rows } = await this.pool!.query<{ n: number }>('SELECT 2 AS n');
    return rows[0]!.n;
  }

  async close(): Promise<void> {
    await this.pool?.end();
  }
}

@Controller()
class OrdersController {
  constructor(private readonly orders: OrdersRepository) {}

  @Get('orders/count')
  async count(): Promise<{ n: number }> {
    return { n: await this.orders.count() };
  }
}

@Module({
  imports: [
    TracingModule.forRoot({
      serviceName: 'otel-pg',
      exporters: [{ type: 'memory' }],
      // Our own pg integration would trace each query a second time.
      integrations: { pg: false },
    }),
  ],
  controllers: [OrdersController],
  providers: [OrdersRepository],
})
class AppModule {}

describe('@opentelemetry/instrumentation-pg through the bridge', needsServices('postgres'), () => {
  let server: DatabaseServer;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);

  afterEach(async () => {
    await app?.get(OrdersRepository).close();
    await app?.close();
    app = undefined;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it.each(PLATFORMS)(
    'its query spans join the request trace under @Traced() (%s)',
    async (platform) => {
      app = (await startApp(AppModule, platform)).app;
      app.get(OrdersRepository).use(server.url);
      const res = await request(app.getHttpServer()).get('/orders/count').expect(200);
      expect(res.body).toEqual({ n: 2 });
      const exporter = app.get(InMemorySpanExporter);
      const spans = await exporter.waitForSpans(3);
      const serverSpan = spans.find((s) => s.kind === SpanKind.SERVER)!;
      const traced = byName(spans, 'OrdersRepository.count');
      const query = byName(spans, 'pg.query:SELECT tracing');
      expect(traced.parentSpanId).toBe(serverSpan.spanId);
      expect(query.traceId).toBe(serverSpan.traceId);
      expect(query.parentSpanId).toBe(traced.spanId);
      expect(query.kind).toBe(SpanKind.CLIENT);
      expect(query.attributes['db.system.name']).toBe('postgresql');
      expect(query.attributes['db.query.text']).toBe('SELECT 2 AS n');
      // The pool's connect, also an API span, under the same @Traced() span.
      expect(byName(spans, 'pg-pool.connect').parentSpanId).toBe(traced.spanId);
    },
  );

  it('ESM: registered in a module imported before pg, with the provider registered later: spans', async () => {
    const result = await probe('pg-registered-first.mjs', server.url);
    expect(result.spans.map((s) => s.name)).toEqual(['pg.query:SELECT tracing']);
    expect(result.spans[0]!.parent).toBe(result.parentSpanId);
  });

  it('ESM: registered after `import pg`: no span and no error', async () => {
    const result = await probe('pg-registered-after.mjs', server.url);
    expect(result.spans).toEqual([]);
  });

  it('ESM: registered after `import pg`, but with the ESM hook (--import): spans', async () => {
    // import-in-the-middle's loader wraps the module as it loads, so a later patch lands.
    const result = await probe('pg-registered-after.mjs', server.url, ['--import', './hook.mjs']);
    expect(result.spans.map((s) => s.name)).toEqual(['pg.query:SELECT tracing']);
    expect(result.spans[0]!.parent).toBe(result.parentSpanId);
  });
});
