import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InMemorySpanExporter,
  TracingMetricsService,
  type TracingModuleOptions,
} from '../../lib/index.js';
import { PLATFORMS, startApp } from '../fixtures/platforms.js';
import { usersAppModule } from '../fixtures/users-app.js';
import {
  parsePrometheusText,
  sampleValue,
  type ParsedFamily,
} from '../unit/metrics/prometheus-text-parser.js';

describe.each(PLATFORMS)('metrics endpoint on %s', (platform) => {
  let app: INestApplication | undefined;
  let url: string;

  async function start(options: TracingModuleOptions): Promise<void> {
    ({ app, url } = await startApp(usersAppModule(options), platform));
  }

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function scrape(path = '/metrics'): Promise<Map<string, ParsedFamily>> {
    const res = await request(url).get(path).expect(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    return parsePrometheusText(res.text);
  }

  it('counts requests per route template and status, errors and durations, with no raw URL', async () => {
    await start({ exporters: [{ type: 'memory' }], metrics: true });
    await request(url).get('/users/1').expect(200);
    await request(url).get('/users/2').expect(200);
    await request(url).get('/fail').expect(500);
    await request(url).get('/missing').expect(404);
    const res = await request(url).get('/metrics').expect(200);
    expect(res.text).not.toContain('/users/1');
    expect(res.text).not.toContain('/users/2');
    const m = parsePrometheusText(res.text);
    const route = { http_request_method: 'GET', http_route: '/users/:id' };
    expect(
      sampleValue(m, 'http_server_requests_total', { ...route, http_response_status_code: '200' }),
    ).toBe(2);
    expect(sampleValue(m, 'http_server_request_duration_seconds_count', route)).toBe(2);
    expect(
      sampleValue(m, 'http_server_request_duration_seconds_bucket', { ...route, le: '+Inf' }),
    ).toBe(2);
    expect(sampleValue(m, 'http_server_request_duration_seconds_sum', route)).toBeGreaterThan(0);
    expect(sampleValue(m, 'http_server_request_errors_total', route)).toBe(0);
    const fail = { http_request_method: 'GET', http_route: '/fail' };
    expect(
      sampleValue(m, 'http_server_requests_total', { ...fail, http_response_status_code: '500' }),
    ).toBe(1);
    expect(sampleValue(m, 'http_server_request_errors_total', fail)).toBe(1);
    // A 4xx is the client's fault: counted, not an error.
    const missing = { http_request_method: 'GET', http_route: '/missing' };
    expect(
      sampleValue(m, 'http_server_requests_total', {
        ...missing,
        http_response_status_code: '404',
      }),
    ).toBe(1);
    expect(sampleValue(m, 'http_server_request_errors_total', missing)).toBe(0);
    // @Traced() operations, by span name.
    expect(
      sampleValue(m, 'traced_operation_calls_total', { operation: 'UsersService.findOne' }),
    ).toBe(2);
    expect(sampleValue(m, 'traced_operation_calls_total', { operation: 'users.explode' })).toBe(1);
    expect(sampleValue(m, 'traced_operation_errors_total', { operation: 'users.explode' })).toBe(1);
    expect(
      sampleValue(m, 'traced_operation_duration_seconds_count', {
        operation: 'UsersRepository.lookup',
      }),
    ).toBe(2);
  });

  it('serves the exporters’ self-telemetry next to the span metrics', async () => {
    await start({ exporters: [{ type: 'memory' }], metrics: true });
    await request(url).get('/users/1').expect(200);
    await app!.get(InMemorySpanExporter).waitForSpans(3);
    const m = await scrape();
    const exporter = { exporter: 'InMemorySpanExporter' };
    expect(sampleValue(m, 'tracing_exporter_spans_exported_total', exporter)).toBe(3);
    expect(sampleValue(m, 'tracing_exporter_spans_dropped_total', exporter)).toBe(0);
    expect(sampleValue(m, 'tracing_exporter_spans_failed_total', exporter)).toBe(0);
    expect(sampleValue(m, 'tracing_exporter_queue_length', exporter)).toBe(0);
    expect(m.get('tracing_exporter_queue_length')?.type).toBe('gauge');
    expect(m.get('tracing_exporter_spans_exported_total')?.help).toBe(
      'Spans the exporter backend accepted.',
    );
  });

  it('never traces or counts its own path', async () => {
    await start({ exporters: [{ type: 'memory' }], metrics: true });
    await scrape();
    await scrape('/metrics/');
    await request(url).get('/users/1').expect(200);
    const spans = await app!.get(InMemorySpanExporter).waitForSpans(3);
    expect(spans.map((s) => s.attributes['url.path'])).not.toContain('/metrics');
    expect(spans).toHaveLength(3);
    const m = await scrape();
    expect(JSON.stringify([...m.values()])).not.toContain('/metrics');
  });

  it('counts requests that the sampler drops, without exporting them', async () => {
    await start({ exporters: [{ type: 'memory' }], metrics: true, sampler: 'always_off' });
    await request(url).get('/users/1').expect(200);
    await request(url).get('/users/2').expect(200);
    const m = await scrape();
    expect(
      sampleValue(m, 'http_server_requests_total', {
        http_route: '/users/:id',
        http_response_status_code: '200',
      }),
    ).toBe(2);
    expect(app!.get(InMemorySpanExporter).getFinishedSpans()).toHaveLength(0);
  });

  it('serves on a configured path with configured buckets and bounds series with an overflow label', async () => {
    await start({
      exporters: [],
      metrics: { path: '/internal/prom', buckets: [0.5, 60], maxSeriesPerMetric: 1 },
    });
    await request(url).get('/users/1').expect(200);
    await request(url).get('/missing').expect(404);
    const m = await scrape('/internal/prom');
    await request(url).get('/metrics').expect(404);
    const les = m
      .get('http_server_request_duration_seconds')!
      .samples.filter((s) => s.name.endsWith('_bucket') && s.labels.http_route === '/users/:id')
      .map((s) => s.labels.le);
    expect(les).toEqual(['0.5', '60', '+Inf']);
    expect(sampleValue(m, 'http_server_request_duration_seconds_count', { overflow: 'true' })).toBe(
      1,
    );
    expect(sampleValue(m, 'http_server_requests_total', { overflow: 'true' })).toBe(1);
    expect(
      sampleValue(m, 'http_server_requests_total', { http_route: '/missing' }),
    ).toBeUndefined();
  });

  it('lets the app add its own metrics to the same exposition', async () => {
    await start({ exporters: [], metrics: true });
    const metrics = app!.get(TracingMetricsService);
    metrics.registry
      .counter('orders_placed_total', 'Orders placed.', ['channel'])
      .labels('web')
      .inc(3);
    const m = await scrape();
    expect(sampleValue(m, 'orders_placed_total', { channel: 'web' })).toBe(3);
  });

  it('serves nothing when tracing is disabled', async () => {
    await start({ enabled: false, exporters: [{ type: 'memory' }], metrics: true });
    await request(url).get('/users/1').expect(200);
    await request(url).get('/metrics').expect(404);
    expect(app!.get(TracingMetricsService).renderPrometheus()).not.toContain(
      'http_server_requests_total',
    );
  });

  it('serves nothing and records nothing without the metrics option', async () => {
    await start({ exporters: [{ type: 'memory' }] });
    await request(url).get('/users/1').expect(200);
    await request(url).get('/metrics').expect(404);
    const text = app!.get(TracingMetricsService).renderPrometheus();
    expect(text).not.toContain('http_server_requests_total');
  });
});
