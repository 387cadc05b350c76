import { Controller, Get, Injectable, Module, Param, type INestApplication } from '@nestjs/common';
import mongoose from 'mongoose';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  Traced,
  TracingModule,
  type ReadableSpan,
  type TracingModuleOptions,
} from '../../lib/index.js';
import { PLATFORMS, startApp } from '../fixtures/platforms.js';

// mongoose's channels seen from a Nest app. No MongoDB server here: the lookup is answered
// by mongoose itself (a pre hook's skipMiddlewareFunction, inside the traced exec), the
// listing fails fast in mongoose (never connected, bufferCommands off). See
// test/unit/integrations/mongoose.spec.ts for what this covers and what it cannot.

const SECRET = 'e2e-secret-5b7c@example.com';

const base = mongoose.createConnection();
const schema = new mongoose.Schema({ email: String, name: String }, { bufferCommands: false });
schema.pre('findOne', function () {
  throw mongoose.skipMiddlewareFunction({ email: SECRET, name: 'Ann' });
});
const Customer = base.useDb('crm').model('Customer', schema);

afterAll(async () => {
  await base.close();
});

@Injectable()
class CustomersService {
  @Traced()
  async byEmail(email: string): Promise<unknown> {
    return Customer.findOne({ email }).lean().exec();
  }

  @Traced()
  async list(): Promise<number> {
    try {
      return (await Customer.find({ name: { $ne: null } }).exec()).length;
    } catch {
      return -1;
    }
  }
}

@Controller('customers')
class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  @Get('by-email/:email')
  byEmail(@Param('email') email: string): Promise<unknown> {
    return this.customers.byEmail(email);
  }

  @Get()
  list(): Promise<number> {
    return this.customers.list();
  }
}

const apps: INestApplication[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function boot(platform: (typeof PLATFORMS)[number], options: TracingModuleOptions = {}) {
  @Module({
    imports: [
      TracingModule.forRoot({ serviceName: 'crm', exporters: [{ type: 'memory' }], ...options }),
    ],
    controllers: [CustomersController],
    providers: [CustomersService],
  })
  class CrmModule {}
  const { app, url } = await startApp(CrmModule, platform);
  apps.push(app);
  return { url, spans: app.get(InMemorySpanExporter) };
}

async function get(
  booted: { url: string; spans: InMemorySpanExporter },
  path: string,
): Promise<{ body: unknown; spans: ReadableSpan[] }> {
  booted.spans.reset();
  const res = await fetch(`${booted.url}${path}`);
  expect(res.status).toBe(200);
  const body: unknown = await res.json();
  await expect
    .poll(() => booted.spans.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER).length)
    .toBe(1);
  return { body, spans: booted.spans.getFinishedSpans() };
}

describe.each(PLATFORMS)('mongoose integration in a Nest app on %s', (platform) => {
  it('server span -> @Traced() service span -> mongoose CLIENT span, no value recorded', async () => {
    const booted = await boot(platform);
    const { body, spans } = await get(booted, `/customers/by-email/${encodeURIComponent(SECRET)}`);
    expect(body).toEqual({ email: SECRET, name: 'Ann' });
    const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
    const service = spans.find((s) => s.name === 'CustomersService.byEmail')!;
    const db = spans.filter((s) => s.kind === SpanKind.CLIENT);
    expect(db.map((s) => s.name)).toEqual(['findOne customers']);
    expect(service.parentSpanId).toBe(server.spanId);
    expect(db[0]!.parentSpanId).toBe(service.spanId);
    expect(db[0]!.attributes).toMatchObject({
      'db.system.name': 'mongodb',
      'db.namespace': 'crm',
      'db.collection.name': 'customers',
      'db.query.text': '{"email":"?"}',
    });
    // The secret is in the URL path of the server span; never in the database span.
    expect(JSON.stringify(db[0]!.attributes)).not.toContain(SECRET);
    expect(JSON.stringify(db[0]!.attributes)).not.toContain(encodeURIComponent(SECRET));
  });

  it('records the failed operation under the service span; `mongoose: false` removes it', async () => {
    const on = await boot(platform);
    const traced = await get(on, '/customers');
    expect(traced.body).toBe(-1);
    const db = traced.spans.filter((s) => s.kind === SpanKind.CLIENT);
    expect(db.map((s) => [s.name, s.attributes['error.type']])).toEqual([
      ['find customers', 'MongooseError'],
    ]);
    expect(db[0]!.parentSpanId).toBe(
      traced.spans.find((s) => s.name === 'CustomersService.list')!.spanId,
    );
    await apps.pop()!.close();

    const off = await boot(platform, { integrations: { mongoose: false } });
    const untraced = await get(off, '/customers');
    expect(untraced.body).toBe(-1);
    expect(untraced.spans.filter((s) => s.kind === SpanKind.CLIENT)).toEqual([]);
    expect(untraced.spans.some((s) => s.name === 'CustomersService.list')).toBe(true);
  });
});
