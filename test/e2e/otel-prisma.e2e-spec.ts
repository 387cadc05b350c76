import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { PrismaInstrumentation } from '@prisma/instrumentation';
import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  Traced,
  TracingModule,
  type ReadableSpan,
} from '../../lib/index.js';
import { PLATFORMS, startApp } from '../fixtures/platforms.js';
import { startPostgres, type DatabaseServer } from '../fixtures/postgres-server.js';
import { needsServices } from '../fixtures/system-services.js';

// Prisma 7 (its TypeScript client, the pg driver adapter) with @prisma/instrumentation, which
// speaks only the OpenTelemetry API: its spans join the request's trace through the bridge.
// Offline: `prisma generate` only needs the schema engine for migrations, so it is pointed at
// a no-op binary; the table is created with pg.

registerInstrumentations({ instrumentations: [new PrismaInstrumentation()] });

const run = promisify(execFile);
const prismaDir = fileURLToPath(new URL('../fixtures/prisma-otel/', import.meta.url));

interface OrderClient {
  order: {
    create(args: { data: { item: string } }): Promise<{ id: number; item: string }>;
    findMany(): Promise<{ id: number; item: string }[]>;
  };
  $disconnect(): Promise<void>;
}
let prisma: OrderClient;

@Injectable()
class OrdersService {
  @Traced()
  async addAndList(): Promise<number> {
    await prisma.order.create({ data: { item: 'book' } });
    return (await prisma.order.findMany()).length;
  }
}

@Controller()
class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get('orders')
  async list(): Promise<{ n: number }> {
    return { n: await this.orders.addAndList() };
  }
}

@Module({
  imports: [
    TracingModule.forRoot({
      serviceName: 'otel-prisma',
      exporters: [{ type: 'memory' }],
      integrations: { pg: false },
    }),
  ],
  controllers: [OrdersController],
  providers: [OrdersService],
})
class AppModule {}

describe(
  'Prisma 7 with @prisma/instrumentation through the bridge',
  needsServices('postgres'),
  () => {
    let server: DatabaseServer;
    let app: INestApplication | undefined;

    beforeAll(async () => {
      server = await startPostgres();
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      await client.query('CREATE TABLE "Order" (id serial PRIMARY KEY, item text NOT NULL)');
      await client.end();
      await run(
        process.execPath,
        [
          fileURLToPath(import.meta.resolve('prisma/build/index.js')),
          'generate',
          '--config',
          'prisma.config.ts',
        ],
        { cwd: prismaDir, env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true' } },
      );
      // Generated at test time (gitignored): imported by a path tsc does not resolve.
      const generated = '../fixtures/prisma-otel/generated/client.js';
      const { PrismaClient } = (await import(/* @vite-ignore */ generated)) as {
        PrismaClient: new (options: unknown) => OrderClient;
      };
      const { PrismaPg } = await import('@prisma/adapter-pg');
      prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: server.url }) });
    }, 90_000);

    afterEach(async () => {
      await app?.close();
      app = undefined;
    });

    afterAll(async () => {
      await prisma?.$disconnect();
      await server?.stop();
    });

    it.each(PLATFORMS)(
      'its operation and db_query spans join the request trace under @Traced() (%s)',
      async (platform) => {
        app = (await startApp(AppModule, platform)).app;
        await request(app.getHttpServer()).get('/orders').expect(200);
        // serialize, db_query and operation per call (connect and compile the first times).
        const spans = await app.get(InMemorySpanExporter).waitForSpans(8);
        const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
        const traced = spans.find((s) => s.name === 'OrdersService.addAndList')!;
        expect(traced.parentSpanId).toBe(server.spanId);
        const operations = spans.filter((s) => s.name === 'prisma:client:operation');
        expect(operations.map((s) => s.attributes.name)).toEqual([
          'Order.create',
          'Order.findMany',
        ]);
        for (const operation of operations) {
          expect(operation.parentSpanId).toBe(traced.spanId);
          expect(operation.traceId).toBe(server.traceId);
        }
        const queries = spans.filter((s: ReadableSpan) => s.name === 'prisma:client:db_query');
        expect(queries.map((s) => s.parentSpanId)).toEqual(operations.map((s) => s.spanId));
        expect(queries[0]!.kind).toBe(SpanKind.CLIENT);
        expect(queries[0]!.attributes['db.system.name']).toBe('postgresql');
        expect(String(queries[0]!.attributes['db.query.text'])).toMatch(
          /^INSERT INTO "public"."Order"/,
        );
      },
    );
  },
);
