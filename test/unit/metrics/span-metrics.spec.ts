import { describe, expect, it } from 'vitest';
import { SpanMetrics } from '../../../lib/metrics/span-metrics.js';
import { SpanMetricsProcessor } from '../../../lib/metrics/span-metrics.processor.js';
import { RequestWindow } from '../../../lib/metrics/request-window.js';
import { DEFAULT_DURATION_BUCKETS } from '../../../lib/metrics/metrics-settings.js';
import {
  AlwaysOffSampler,
  SpanKind,
  SpanStatusCode,
  type AttributesInput,
} from '../../../lib/index.js';
import { MetricsRegistry } from '../../../lib/metrics/metrics-registry.js';
import { Tracer } from '../../../lib/export/index.js';
import { formatPrometheus } from '../../../lib/metrics/prometheus-format.js';
import { parsePrometheusText, sampleValue } from './prometheus-text-parser.js';

function setup(options: { maxSeries?: number; sampled?: boolean; window?: RequestWindow } = {}) {
  const registry = new MetricsRegistry({ maxSeriesPerMetric: options.maxSeries });
  const metrics = new SpanMetrics(registry, DEFAULT_DURATION_BUCKETS, options.maxSeries ?? 1000);
  const processor = new SpanMetricsProcessor(metrics, options.window);
  const tracer = new Tracer({
    processor,
    resource: { attributes: {} },
    sampler: options.sampled === false ? new AlwaysOffSampler() : undefined,
    recordUnsampled: processor.wantsUnsampled,
  });
  /** Ends a span that lasted `ms` milliseconds. */
  const span = (
    name: string,
    kind: SpanKind,
    attributes: AttributesInput,
    ms = 1,
    error = false,
    parent?: { traceId: string; spanId: string },
  ) => {
    const start = Date.now();
    const s = tracer.startSpan(name, {
      kind,
      attributes,
      startTime: start,
      root: parent === undefined,
      parent: parent && { ...parent, traceFlags: 1, isRemote: false },
    });
    if (error) s.setStatus({ code: SpanStatusCode.ERROR });
    s.end(start + ms);
    return s;
  };
  const scrape = () => parsePrometheusText(formatPrometheus(registry.collect()));
  return { registry, span, scrape };
}

const server = (path: string, route: string | undefined, status: number): AttributesInput => ({
  'http.request.method': 'GET',
  'http.route': route,
  'url.path': path,
  'http.response.status_code': status,
});

const client = (host: string, status?: number): AttributesInput => ({
  'http.request.method': 'GET',
  'server.address': host,
  'url.full': `http://${host}/items/${Math.random()}`,
  'http.response.status_code': status,
});

describe('span-derived RED metrics', () => {
  it('counts server requests by route template, never by raw path, with their status codes', () => {
    const { span, scrape } = setup();
    span('GET /users/:id', SpanKind.SERVER, server('/users/1', '/users/:id', 200));
    span('GET /users/:id', SpanKind.SERVER, server('/users/2', '/users/:id', 200));
    span('GET /users/:id', SpanKind.SERVER, server('/users/3', '/users/:id', 404));
    span('GET', SpanKind.SERVER, server('/nope', undefined, 404));
    const m = scrape();
    const route = { http_request_method: 'GET', http_route: '/users/:id' };
    expect(
      sampleValue(m, 'http_server_requests_total', { ...route, http_response_status_code: '200' }),
    ).toBe(2);
    expect(
      sampleValue(m, 'http_server_requests_total', { ...route, http_response_status_code: '404' }),
    ).toBe(1);
    expect(sampleValue(m, 'http_server_requests_total', { http_route: '' })).toBe(1);
    expect(JSON.stringify([...m.values()])).not.toMatch(/users\/\d|nope/);
  });

  it('counts as errors the spans with error status and 5xx answers, not 4xx', () => {
    const { span, scrape } = setup();
    span('GET /a', SpanKind.SERVER, server('/a', '/a', 500), 1, true);
    span('GET /a', SpanKind.SERVER, server('/a', '/a', 503));
    span('GET /a', SpanKind.SERVER, server('/a', '/a', 404));
    span('GET /a', SpanKind.SERVER, server('/a', '/a', 200));
    expect(sampleValue(scrape(), 'http_server_request_errors_total', { http_route: '/a' })).toBe(2);
  });

  it('puts durations, in seconds, in the buckets that hold them', () => {
    const { span, scrape } = setup();
    for (const ms of [3, 30, 300, 30_000])
      span('GET /a', SpanKind.SERVER, server('/a', '/a', 200), ms);
    const m = scrape();
    const bucket = (le: string) =>
      sampleValue(m, 'http_server_request_duration_seconds_bucket', { http_route: '/a', le });
    expect([
      bucket('0.005'),
      bucket('0.025'),
      bucket('0.05'),
      bucket('0.5'),
      bucket('10'),
      bucket('+Inf'),
    ]).toEqual([1, 1, 2, 3, 3, 4]);
    expect(
      sampleValue(m, 'http_server_request_duration_seconds_sum', { http_route: '/a' }),
    ).toBeCloseTo(30.333, 6);
  });

  it('counts outgoing HTTP calls per host, a call with no answer as an error without status', () => {
    const { span, scrape } = setup();
    span('GET', SpanKind.CLIENT, client('catalog.internal', 200));
    span('GET', SpanKind.CLIENT, client('catalog.internal', 200));
    span('GET', SpanKind.CLIENT, client('payments.internal'), 5, true);
    const m = scrape();
    expect(
      sampleValue(m, 'http_client_requests_total', {
        server_address: 'catalog.internal',
        http_response_status_code: '200',
      }),
    ).toBe(2);
    expect(
      sampleValue(m, 'http_client_requests_total', {
        server_address: 'payments.internal',
        http_response_status_code: '',
      }),
    ).toBe(1);
    expect(
      sampleValue(m, 'http_client_request_errors_total', { server_address: 'payments.internal' }),
    ).toBe(1);
    expect(
      sampleValue(m, 'http_client_request_duration_seconds_count', {
        server_address: 'catalog.internal',
      }),
    ).toBe(2);
  });

  it('counts @Traced() operations by span name, and no other internal span', () => {
    const { span, scrape } = setup();
    span('OrdersService.find', SpanKind.INTERNAL, { 'code.function.name': 'OrdersService.find' });
    span(
      'OrdersService.find',
      SpanKind.INTERNAL,
      { 'code.function.name': 'OrdersService.find' },
      1,
      true,
    );
    span('manual span', SpanKind.INTERNAL, {});
    const m = scrape();
    expect(
      sampleValue(m, 'traced_operation_calls_total', { operation: 'OrdersService.find' }),
    ).toBe(2);
    expect(
      sampleValue(m, 'traced_operation_errors_total', { operation: 'OrdersService.find' }),
    ).toBe(1);
    expect(m.get('traced_operation_calls_total')!.samples).toHaveLength(1);
  });

  it('counts GenAI requests, input and output tokens, cost and duration', () => {
    const { span, scrape } = setup();
    const call = {
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.operation.name': 'chat',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 20,
      'gen_ai.usage.cost': 0.00045,
    };
    span('chat gpt-4o', SpanKind.CLIENT, call, 1500);
    span('chat gpt-4o', SpanKind.CLIENT, call, 500);
    span(
      'chat gpt-4o',
      SpanKind.CLIENT,
      { ...call, 'gen_ai.usage.input_tokens': undefined },
      10,
      true,
    );
    const m = scrape();
    const labels = {
      gen_ai_provider_name: 'openai',
      gen_ai_request_model: 'gpt-4o',
      gen_ai_operation_name: 'chat',
    };
    expect(sampleValue(m, 'gen_ai_client_requests_total', labels)).toBe(3);
    expect(sampleValue(m, 'gen_ai_client_request_errors_total', labels)).toBe(1);
    expect(
      sampleValue(m, 'gen_ai_client_tokens_total', { ...labels, gen_ai_token_type: 'input' }),
    ).toBe(200);
    expect(
      sampleValue(m, 'gen_ai_client_tokens_total', { ...labels, gen_ai_token_type: 'output' }),
    ).toBe(60);
    expect(sampleValue(m, 'gen_ai_client_cost_total', labels)).toBeCloseTo(0.00135, 12);
    expect(
      sampleValue(m, 'gen_ai_client_operation_duration_seconds_bucket', { ...labels, le: '1.28' }),
    ).toBe(2);
    expect(sampleValue(m, 'gen_ai_client_operation_duration_seconds_count', labels)).toBe(3);
  });

  it("does not count an agent's span, which sums the model calls beneath it", () => {
    const { span, scrape } = setup();
    const usage = {
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 20,
    };
    span('chat gpt-4o', SpanKind.CLIENT, { ...usage, 'gen_ai.operation.name': 'chat' });
    span('invoke_agent gpt-4o', SpanKind.CLIENT, {
      ...usage,
      'gen_ai.operation.name': 'invoke_agent',
    });
    const m = scrape();
    const labels = { gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o' };
    const input = { ...labels, gen_ai_token_type: 'input' };
    expect(
      sampleValue(m, 'gen_ai_client_tokens_total', { ...input, gen_ai_operation_name: 'chat' }),
    ).toBe(100);
    expect(
      sampleValue(m, 'gen_ai_client_requests_total', {
        ...labels,
        gen_ai_operation_name: 'invoke_agent',
      }),
    ).toBeUndefined();
  });

  it('counts spans the sampler drops', () => {
    const { span, scrape } = setup({ sampled: false });
    const s = span('GET /a', SpanKind.SERVER, server('/a', '/a', 200));
    expect(s.spanContext().traceFlags & 1).toBe(0);
    expect(sampleValue(scrape(), 'http_server_requests_total', { http_route: '/a' })).toBe(1);
  });

  it('caps the series of each metric and counts the rest under overflow="true"', () => {
    const { span, scrape } = setup({ maxSeries: 3 });
    for (let i = 0; i < 1000; i++) {
      span(`GET /r${i}`, SpanKind.SERVER, server(`/r${i}`, `/r${i}`, 200));
      span(`op${i}`, SpanKind.INTERNAL, { 'code.function.name': `op${i}` });
    }
    const m = scrape();
    expect(m.get('http_server_requests_total')!.samples).toHaveLength(4);
    expect(sampleValue(m, 'http_server_requests_total', { overflow: 'true' })).toBe(997);
    expect(sampleValue(m, 'http_server_request_duration_seconds_count', { overflow: 'true' })).toBe(
      997,
    );
    expect(sampleValue(m, 'traced_operation_calls_total', { overflow: 'true' })).toBe(997);
    expect(sampleValue(m, 'traced_operation_calls_total', { operation: 'op2' })).toBe(1);
  });

  it('feeds the health window with requests and the traces that start here', () => {
    const window = new RequestWindow(60_000);
    const { span } = setup({ window });
    const root = span('GET /a', SpanKind.SERVER, server('/a', '/a', 500), 10, true);
    span('child', SpanKind.INTERNAL, {}, 1, false, root.spanContext());
    span('job', SpanKind.CONSUMER, {}, 30);
    const stats = window.stats();
    expect(stats).toMatchObject({ requests: 2, errors: 1, errorRate: 0.5, traces: 2 });
    expect(stats.averageLatencyMs).toBeCloseTo(20, 6);
  });
});
