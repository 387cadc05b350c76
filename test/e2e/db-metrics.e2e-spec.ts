import { Controller, Get, Injectable, Module, Param, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  Traced,
  TracingModule,
  type TracingModuleOptions,
} from '../../lib/index.js';
import { endDbSpan, startDbSpan, type DbCall } from '../../lib/integrations/db-span.js';
import { integrationRegistry } from '../../lib/integrations/index.js';
import { PLATFORMS, startApp } from '../fixtures/platforms.js';
import { parsePrometheusText, sampleValue } from '../unit/metrics/prometheus-text-parser.js';

/** A query as an integration reports it: through the registry, to the app whose request runs. */
async function query(text: string, fail = false): Promise<void> {
  const active = integrationRegistry.current('pg');
  const call: DbCall = {
    system: 'postgresql',
    namespace: 'shop',
    sql: { text, dialect: 'postgresql' },
    serverAddress: '127.0.0.1',
    serverPort: 5432,
  };
  const span = active && startDbSpan(active, call);
  await new Promise((resolve) => setImmediate(resolve));
  if (span === undefined) return;
  if (fail) {
    endDbSpan(span, Object.assign(new Error('relation "audit" does not exist'), { code: '42P01' }));
  } else {
    endDbSpan(span);
  }
}

@Injectable()
class OrdersService {
  /** The ORM loop: one query for the orders, then one per order. */
  @Traced()
  async ordersOf(userId: string): Promise<number> {
    await query(`SELECT id FROM orders WHERE user_id = ${Number(userId)}`);
    for (let i = 1; i <= 3; i++) await query(`SELECT * FROM order_lines WHERE order_id = ${i}`);
    await query(`INSERT INTO audit (user_id) VALUES (${Number(userId)})`, true);
    return 3;
  }
}

@Controller('users')
class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get(':id/orders')
  async list(@Param('id') id: string): Promise<{ orders: number }> {
    return { orders: await this.orders.ordersOf(id) };
  }
}

function appModule(options: TracingModuleOptions) {
  @Module({
    imports: [TracingModule.forRoot({ serviceName: 'db-metrics', ...options })],
    controllers: [OrdersController],
    providers: [OrdersService],
  })
  class AppModule {}
  return AppModule;
}

describe.each(PLATFORMS)('db metrics at /metrics on %s', (platform) => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('counts the database spans of traced requests by system, operation and collection', async () => {
    let url: string;
    ({ app, url } = await startApp(
      appModule({ exporters: [{ type: 'memory' }], metrics: true }),
      platform,
    ));
    await request(url).get('/users/7/orders').expect(200);
    await request(url).get('/users/8/orders').expect(200);

    // The spans are database CLIENT spans under the request's @Traced() span.
    const spans = app.get(InMemorySpanExporter).getFinishedSpans();
    const db = spans.filter((s) => s.attributes['db.system.name'] === 'postgresql');
    expect(db).toHaveLength(10);
    const service = spans.find((s) => s.name === 'OrdersService.ordersOf')!;
    expect(db.every((s) => s.kind === SpanKind.CLIENT)).toBe(true);
    expect(db.filter((s) => s.parentSpanId === service.spanContext().spanId)).toHaveLength(5);

    const res = await request(url).get('/metrics').expect(200);
    const m = parsePrometheusText(res.text);
    const lines = {
      db_system_name: 'postgresql',
      db_operation_name: 'SELECT',
      db_collection_name: 'order_lines',
    };
    expect(sampleValue(m, 'db_client_operations_total', lines)).toBe(6);
    expect(
      sampleValue(m, 'db_client_operation_duration_seconds_count', { ...lines, error_type: '' }),
    ).toBe(6);
    expect(
      sampleValue(m, 'db_client_operations_total', { ...lines, db_collection_name: 'orders' }),
    ).toBe(2);
    const audit = {
      db_system_name: 'postgresql',
      db_operation_name: 'INSERT',
      db_collection_name: 'audit',
    };
    expect(sampleValue(m, 'db_client_operations_total', audit)).toBe(2);
    expect(
      sampleValue(m, 'db_client_operation_errors_total', { ...audit, error_type: '42P01' }),
    ).toBe(2);
    expect(
      sampleValue(m, 'db_client_operation_duration_seconds_count', {
        ...audit,
        error_type: '42P01',
      }),
    ).toBe(2);
    // Database spans are not counted as @Traced() operations or outgoing HTTP calls.
    expect(res.text).not.toMatch(/operation="SELECT|http_client_requests_total\{/);
    // No literal from the statements in any label.
    expect(res.text).not.toMatch(/user_id|order_id|= ?7/);
  });

  it('counts nothing when the pg integration is off (no span is made)', async () => {
    let url: string;
    ({ app, url } = await startApp(
      appModule({ exporters: [{ type: 'memory' }], metrics: true, integrations: { pg: false } }),
      platform,
    ));
    await request(url).get('/users/7/orders').expect(200);
    const m = parsePrometheusText((await request(url).get('/metrics').expect(200)).text);
    expect(m.get('db_client_operations_total')?.samples ?? []).toEqual([]);
    expect(
      sampleValue(m, 'traced_operation_calls_total', { operation: 'OrdersService.ordersOf' }),
    ).toBe(1);
  });
});
