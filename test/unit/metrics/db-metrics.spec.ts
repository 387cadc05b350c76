import { describe, expect, it } from 'vitest';
import { ROOT_CONTEXT } from '../../../lib/core/trace-context.js';
import { Tracer } from '../../../lib/core/tracer.js';
import { SpanKind } from '../../../lib/core/types.js';
import { endDbSpan, startDbSpan, type DbCall } from '../../../lib/integrations/db-span.js';
import type { ActiveHost } from '../../../lib/integrations/integration.js';
import { DB_LABEL_LIMITS, DB_METRIC_NAMES } from '../../../lib/metrics/db-metrics.js';
import { MetricsRegistry } from '../../../lib/metrics/metrics-registry.js';
import { DEFAULT_DURATION_BUCKETS } from '../../../lib/metrics/metrics-settings.js';
import { formatPrometheus } from '../../../lib/metrics/prometheus-format.js';
import { SpanMetricsProcessor } from '../../../lib/metrics/span-metrics.processor.js';
import { SpanMetrics } from '../../../lib/metrics/span-metrics.js';
import { parsePrometheusText, sampleValue } from './prometheus-text-parser.js';

const N = DB_METRIC_NAMES;

/** Spans made the way the integrations make them (startDbSpan/endDbSpan), into the metrics. */
function setup(maxSeries = 1000) {
  const registry = new MetricsRegistry({ maxSeriesPerMetric: maxSeries });
  const processor = new SpanMetricsProcessor(
    new SpanMetrics(registry, DEFAULT_DURATION_BUCKETS, maxSeries),
    undefined,
  );
  const tracer = new Tracer({
    processor,
    resource: { attributes: {} },
    recordUnsampled: processor.wantsUnsampled,
  });
  const active: ActiveHost = {
    host: {
      tracer,
      settings: { enabled: new Set(), queryText: 'sanitized', graphqlResolvers: false },
      inject: () => {},
    },
    context: ROOT_CONTEXT,
  };
  /** One call that lasted `ms` (the span's end time is set from its start). */
  const call = (db: DbCall, ms: number, error?: unknown) => {
    const span = startDbSpan(active, db)!;
    const end = span.end.bind(span);
    // startTime is on the performance clock; end() takes epoch milliseconds.
    const start = performance.timeOrigin + (span as unknown as { startTime: number }).startTime;
    span.end = () => end(start + ms);
    endDbSpan(span, error);
  };
  const text = () => formatPrometheus(registry.collect());
  return { call, text, scrape: () => parsePrometheusText(text()), tracer };
}

const pg = (text: string): DbCall => ({
  system: 'postgresql',
  namespace: 'shop',
  sql: { text, dialect: 'postgresql' },
});

describe('db metrics (db_client_operation_*)', () => {
  it('counts calls and times them by system, operation and collection, never by statement', () => {
    const { call, scrape, text } = setup();
    call(pg("SELECT * FROM users WHERE id = 1 AND name = 'ada'"), 3);
    call(pg('SELECT * FROM users WHERE id = 2'), 30);
    call(pg('INSERT INTO orders (id) VALUES (7)'), 700);
    call({ system: 'redis', operation: 'GET', queryText: 'GET user:1' }, 0.4);
    const m = scrape();
    const users = {
      db_system_name: 'postgresql',
      db_operation_name: 'SELECT',
      db_collection_name: 'users',
    };
    expect(sampleValue(m, N.operations, users)).toBe(2);
    expect(
      sampleValue(m, N.operations, {
        ...users,
        db_operation_name: 'INSERT',
        db_collection_name: 'orders',
      }),
    ).toBe(1);
    expect(
      sampleValue(m, N.operations, {
        db_system_name: 'redis',
        db_operation_name: 'GET',
        db_collection_name: '',
      }),
    ).toBe(1);
    // OpenTelemetry's buckets for db.client.operation.duration, in seconds.
    const bucket = (le: string) =>
      sampleValue(m, `${N.duration}_bucket`, { ...users, error_type: '', le });
    expect([
      bucket('0.001'),
      bucket('0.005'),
      bucket('0.05'),
      bucket('10'),
      bucket('+Inf'),
    ]).toEqual([0, 1, 2, 2, 2]);
    expect(sampleValue(m, `${N.duration}_sum`, users)).toBeCloseTo(0.033, 6);
    expect(m.get(N.errors)?.samples ?? []).toHaveLength(0);
    // No literal, no statement text in any label.
    expect(text()).not.toMatch(/ada|id = |WHERE|user:1/);
  });

  it('counts failures by error type, their durations under the same error_type', () => {
    const { call, scrape } = setup();
    const missing = Object.assign(new Error('relation "nope" does not exist'), { code: '42P01' });
    call(pg('SELECT * FROM nope'), 2, missing);
    call(pg('SELECT * FROM nope'), 2, missing);
    call(pg('SELECT * FROM nope'), 2, new TypeError('boom'));
    call(pg('SELECT * FROM nope'), 2);
    const m = scrape();
    const labels = {
      db_system_name: 'postgresql',
      db_operation_name: 'SELECT',
      db_collection_name: 'nope',
    };
    expect(sampleValue(m, N.operations, labels)).toBe(4);
    expect(sampleValue(m, N.errors, { ...labels, error_type: '42P01' })).toBe(2);
    expect(sampleValue(m, N.errors, { ...labels, error_type: 'TypeError' })).toBe(1);
    expect(sampleValue(m, `${N.duration}_count`, { ...labels, error_type: '42P01' })).toBe(2);
    expect(sampleValue(m, `${N.duration}_count`, { ...labels, error_type: '' })).toBe(1);
  });

  it('bounds collections, operations and error types per system with _OTHER', () => {
    const { call, scrape } = setup(100_000);
    const extra = 25;
    for (let i = 0; i < DB_LABEL_LIMITS.collections + extra; i++) {
      call(pg(`SELECT * FROM tenant_${i}`), 1);
    }
    for (let i = 0; i < DB_LABEL_LIMITS.operations + extra; i++) {
      call({ system: 'redis', operation: `CMD${i}` }, 1);
    }
    for (let i = 0; i < DB_LABEL_LIMITS.errorTypes + extra; i++) {
      call(
        { system: 'redis', operation: 'CMD0' },
        1,
        Object.assign(new Error('x'), { code: `E${i}` }),
      );
    }
    const m = scrape();
    expect(
      sampleValue(m, N.operations, {
        db_system_name: 'postgresql',
        db_operation_name: 'SELECT',
        db_collection_name: '_OTHER',
      }),
    ).toBe(extra);
    expect(
      sampleValue(m, N.operations, {
        db_system_name: 'redis',
        db_operation_name: '_OTHER',
        db_collection_name: '',
      }),
    ).toBe(extra);
    expect(sampleValue(m, N.errors, { db_operation_name: 'CMD0', error_type: '_OTHER' })).toBe(
      extra,
    );
    const series = m.get(N.operations)!.samples;
    expect(series.filter((s) => s.labels.db_system_name === 'postgresql')).toHaveLength(
      DB_LABEL_LIMITS.collections + 1,
    );
  });

  it('leaves the registry cap in force (overflow="true")', () => {
    const { call, scrape } = setup(5);
    for (let i = 0; i < 20; i++) call(pg(`SELECT * FROM t${i}`), 1);
    const m = scrape();
    expect(m.get(N.operations)!.samples).toHaveLength(6);
    expect(sampleValue(m, N.operations, { overflow: 'true' })).toBe(15);
  });

  it('counts only CLIENT spans with db.system.name (a @Traced() fake repository is an operation)', () => {
    const { tracer, scrape } = setup();
    tracer
      .startSpan('db.products.findBySku', {
        kind: SpanKind.INTERNAL,
        attributes: { 'db.system.name': 'in-memory', 'code.function.name': 'Repo.find' },
      })
      .end();
    tracer
      .startSpan('GET', {
        kind: SpanKind.CLIENT,
        attributes: { 'http.request.method': 'GET', 'server.address': 'api' },
      })
      .end();
    const m = scrape();
    expect(m.get(N.operations)?.samples ?? []).toHaveLength(0);
    expect(
      sampleValue(m, 'traced_operation_calls_total', { operation: 'db.products.findBySku' }),
    ).toBe(1);
  });
});
