import { describe, expect, it, vi } from 'vitest';
import { resolveTracingConfig } from '../../../lib/config/tracing-config.js';
import {
  AlwaysOffSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracingConfigError,
} from '../../../lib/index.js';

const NO_ENV = {};

describe('resolveTracingConfig', () => {
  it('applies the documented defaults', () => {
    const config = resolveTracingConfig({}, NO_ENV);
    expect(config.enabled).toBe(true);
    expect(config.serviceName).toBe('unknown_service:node');
    expect(config.sampler.toString()).toBe('ParentBased{root=AlwaysOnSampler}');
    expect(config.propagator.fields).toEqual(
      expect.arrayContaining(['traceparent', 'tracestate', 'baggage']),
    );
    expect(config.exporters).toEqual([]);
    expect(config.correlationRequestHeaders).toEqual(['x-correlation-id', 'x-request-id']);
    expect(config.correlationResponseHeader).toBe('x-correlation-id');
    expect(config.instrumentServer).toBe(true);
    expect(config.spanLimits.attributeCountLimit).toBe(128);
  });

  it('reads the OTEL_* variables for what options leave out', () => {
    const config = resolveTracingConfig(
      {},
      {
        OTEL_SERVICE_NAME: 'from-env',
        OTEL_RESOURCE_ATTRIBUTES:
          'service.version=1.2.3,deployment.environment.name=staging,team=a%20b',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        OTEL_PROPAGATORS: 'b3multi',
        OTEL_TRACES_EXPORTER: 'console',
        OTEL_ATTRIBUTE_COUNT_LIMIT: '10',
        OTEL_SPAN_EVENT_COUNT_LIMIT: '5',
      },
    );
    expect(config.serviceName).toBe('from-env');
    expect(config.serviceVersion).toBe('1.2.3');
    expect(config.environment).toBe('staging');
    expect(config.resourceAttributes.team).toBe('a b');
    expect(config.sampler.toString()).toBe('ParentBased{root=TraceIdRatioBased{0.25}}');
    expect(config.propagator.fields).toContain('x-b3-traceid');
    expect(config.propagator.fields).not.toContain('traceparent');
    expect(config.exporters).toEqual([{ type: 'console' }]);
    expect(config.spanLimits.attributeCountLimit).toBe(10);
    expect(config.spanLimits.eventCountLimit).toBe(5);
    expect(config.warnings).toEqual([]);
  });

  it('chooses OTLP, Zipkin or Jaeger exporters from OTEL_TRACES_EXPORTER', () => {
    const config = resolveTracingConfig({}, { OTEL_TRACES_EXPORTER: 'otlp, zipkin,jaeger,none' });
    expect(config.exporters).toEqual([{ type: 'otlp' }, { type: 'zipkin' }, { type: 'jaeger' }]);
    expect(config.warnings).toEqual([]);
  });

  it('lets explicit options win over the environment', () => {
    const exporter = new InMemorySpanExporter();
    const config = resolveTracingConfig(
      {
        serviceName: 'explicit',
        sampler: 'always_off',
        exporters: [exporter],
        enabled: true,
        propagators: ['tracecontext'],
      },
      {
        OTEL_SERVICE_NAME: 'env',
        OTEL_TRACES_SAMPLER: 'always_on',
        OTEL_TRACES_EXPORTER: 'console',
        OTEL_SDK_DISABLED: 'true',
        OTEL_PROPAGATORS: 'b3',
      },
    );
    expect(config.serviceName).toBe('explicit');
    expect(config.sampler).toBeInstanceOf(AlwaysOffSampler);
    expect(config.exporters).toEqual([exporter]);
    expect(config.enabled).toBe(true);
    expect(config.propagator.fields).toEqual(['traceparent', 'tracestate']);
  });

  it('turns everything off with OTEL_SDK_DISABLED=true', () => {
    expect(resolveTracingConfig({}, { OTEL_SDK_DISABLED: 'TRUE' }).enabled).toBe(false);
    expect(resolveTracingConfig({}, { OTEL_SDK_DISABLED: 'false' }).enabled).toBe(true);
  });

  it('warns and falls back on invalid environment values instead of failing', () => {
    const config = resolveTracingConfig(
      {},
      {
        OTEL_RESOURCE_ATTRIBUTES: 'team=a,oops',
        OTEL_TRACES_SAMPLER: 'sometimes',
        OTEL_TRACES_EXPORTER: 'otlp-magic',
        OTEL_PROPAGATORS: 'xray-ish',
        OTEL_SPAN_LINK_COUNT_LIMIT: '-1',
      },
    );
    expect(config.sampler).toBeInstanceOf(ParentBasedSampler);
    expect(config.warnings.join('\n')).toMatch(/OTEL_TRACES_SAMPLER="sometimes"/);
    expect(config.warnings.join('\n')).toMatch(/otlp-magic/);
    expect(config.warnings.join('\n')).toMatch(/xray-ish/);
    expect(config.warnings.join('\n')).toMatch(/OTEL_SPAN_LINK_COUNT_LIMIT/);
    expect(config.warnings.join('\n')).toMatch(/OTEL_RESOURCE_ATTRIBUTES: member "oops"/);
    expect(config.resourceAttributes.team).toBeUndefined();
    expect(config.spanLimits.linkCountLimit).toBe(128);
  });

  it('accepts every sampler form', () => {
    expect(
      resolveTracingConfig({ sampler: { type: 'traceidratio', ratio: 0.5 } }, NO_ENV).sampler,
    ).toBeInstanceOf(TraceIdRatioBasedSampler);
    const custom = new AlwaysOffSampler();
    expect(resolveTracingConfig({ sampler: custom }, NO_ENV).sampler).toBe(custom);
    const fn = resolveTracingConfig({ sampler: () => false }, NO_ENV).sampler;
    expect(fn.shouldSample(undefined, 'a'.repeat(32), 'x', 0, undefined)).toBe(0);
  });

  it.each([
    [{ serviceName: 42 }, /option "serviceName" must be a string; got 42/],
    [{ serviceName: '' }, /option "serviceName" must be a non-empty string/],
    [{ enabled: 'yes' }, /option "enabled" must be a boolean; got "yes"/],
    [{ sampler: 'sometimes' }, /option "sampler" must be one of always_on/],
    [
      { sampler: { type: 'traceidratio', ratio: 2 } },
      /option "sampler.ratio" must be a number from 0 to 1; got 2/,
    ],
    [{ propagators: ['w3c'] }, /option "propagators".*"w3c"/],
    [{ exporters: {} }, /option "exporters" must be an array/],
    [
      { exporters: [{ type: 'kafka' }] },
      /option "exporters\[0\].type" must be "console", "memory", "file", "otlp", "jaeger", "zipkin"; got "kafka"/,
    ],
    [
      { exporters: [class NotAnExporter {}] },
      /option "exporters\[0\]" must be a class implementing SpanExporter/,
    ],
    [{ exporters: [42] }, /option "exporters\[0\]" must be/],
    [{ ignoreRoutes: ['health'] }, /option "ignoreRoutes\[0\]" must be a path starting with "\/"/],
    [
      { correlation: { requestHeaders: ['bad header'] } },
      /option "correlation.requestHeaders\[0\]" must be a header name/,
    ],
    [
      { correlation: { responseHeader: 7 } },
      /option "correlation.responseHeader" must be a header name or false/,
    ],
    [
      { spanLimits: { attributeCountLimit: -1 } },
      /option "spanLimits.attributeCountLimit" must be a non-negative integer/,
    ],
    [{ instrumentServer: 'no' }, /option "instrumentServer" must be a boolean/],
    [{ mountMiddleware: 'no' }, /option "mountMiddleware" must be a boolean/],
    [
      { instrumentServer: false, mountMiddleware: false },
      /options "instrumentServer" and "mountMiddleware" are the same option/,
    ],
    [{ serviceNmae: 'typo' }, /unknown option "serviceNmae"/],
  ])('rejects %j with a message naming the option', (options, message) => {
    expect(() => resolveTracingConfig(options as never, NO_ENV)).toThrow(TracingConfigError);
    expect(() => resolveTracingConfig(options as never, NO_ENV)).toThrow(message);
  });

  it('reads batch settings from OTEL_BSP_* and lets the batch option win', () => {
    const config = resolveTracingConfig(
      { batch: { maxQueueSize: 100 } },
      {
        OTEL_BSP_MAX_QUEUE_SIZE: '10',
        OTEL_BSP_SCHEDULE_DELAY: '250',
        OTEL_BSP_EXPORT_TIMEOUT: 'soon',
      },
    );
    expect(config.batch).toEqual({ maxQueueSize: 100, scheduledDelayMs: 250 });
    expect(config.warnings.join('\n')).toMatch(/OTEL_BSP_EXPORT_TIMEOUT="soon"/);
  });

  it.each([
    [
      { batch: { maxQueueSize: 0 } },
      /option "batch.maxQueueSize" must be an integer of at least 1; got 0/,
    ],
    [{ batch: { queue: 5 } }, /unknown option "batch.queue"/],
    [
      { exporters: [{ type: 'console', batch: { maxRetries: -1 } }] },
      /option "exporters\[0\].batch.maxRetries" must be an integer of at least 0/,
    ],
    [{ exporters: [{ type: 'file' }] }, /option "exporters\[0\].path" must be a file path/],
  ])('rejects batch and file settings %j naming the option', (options, message) => {
    expect(() => resolveTracingConfig(options as never, NO_ENV)).toThrow(message);
  });

  it('matches ignored routes by exact path, prefix and RegExp', () => {
    const { isIgnoredRoute } = resolveTracingConfig(
      { ignoreRoutes: ['/health', '/internal/*', /^\/metrics/] },
      NO_ENV,
    );
    expect(isIgnoredRoute('/health')).toBe(true);
    expect(isIgnoredRoute('/health/')).toBe(true);
    expect(isIgnoredRoute('/healthz')).toBe(false);
    expect(isIgnoredRoute('/internal/a/b')).toBe(true);
    expect(isIgnoredRoute('/metrics')).toBe(true);
    expect(isIgnoredRoute('/users/1')).toBe(false);
  });

  it("adds the features' routes to the ignored routes, next to the user's", () => {
    const seen: unknown[] = [];
    const options = { ignoreRoutes: ['/health'], metrics: true };
    const { isIgnoredRoute } = resolveTracingConfig(options, NO_ENV, (given) => {
      seen.push(given);
      return ['/metrics', '/_tracing/*'];
    });
    expect(seen).toEqual([options]);
    expect(seen[0]).toBe(options);
    expect(isIgnoredRoute('/health')).toBe(true);
    expect(isIgnoredRoute('/metrics')).toBe(true);
    expect(isIgnoredRoute('/metrics/')).toBe(true);
    expect(isIgnoredRoute('/_tracing/api/traces')).toBe(true);
    expect(isIgnoredRoute('/metricsz')).toBe(false);
    expect(isIgnoredRoute('/users/1')).toBe(false);
  });

  it('asks the features for their routes only when tracing is on, after the shared options pass', () => {
    let asked = 0;
    const routes = () => {
      asked++;
      return ['/metrics'];
    };
    const off = resolveTracingConfig({ enabled: false }, NO_ENV, routes);
    expect(asked).toBe(0);
    expect(off.isIgnoredRoute('/metrics')).toBe(false);
    expect(() => resolveTracingConfig({ ignoreRoutes: ['health'] }, NO_ENV, routes)).toThrow(
      'ignoreRoutes[0]',
    );
    expect(asked).toBe(0);
  });

  it('does not mutate the options it is given', () => {
    const options = Object.freeze({
      serviceName: 's',
      ignoreRoutes: Object.freeze(['/a']) as string[],
      exporters: Object.freeze([]) as [],
    });
    expect(() => resolveTracingConfig(options, NO_ENV)).not.toThrow();
  });
});

describe('mountMiddleware, the deprecated name of instrumentServer', () => {
  it('means the same, and is warned about once per process', async () => {
    vi.resetModules();
    const { resolveTracingConfig: resolve } = await import('../../../lib/config/tracing-config.js');
    const first = resolve({ mountMiddleware: false }, NO_ENV);
    expect(first.instrumentServer).toBe(false);
    expect(first.warnings).toContain(
      'TracingModule: option "mountMiddleware" is deprecated and will be removed in the next release; use "instrumentServer" (same meaning).',
    );
    const second = resolve({ mountMiddleware: true }, NO_ENV);
    expect(second.instrumentServer).toBe(true);
    expect(second.warnings.join('\n')).not.toMatch(/mountMiddleware/);
    expect(resolve({ instrumentServer: false }, NO_ENV).instrumentServer).toBe(false);
  });

  it('is a known option key, as instrumentServer is', () => {
    for (const key of ['instrumentServer', 'mountMiddleware']) {
      expect(() => resolveTracingConfig({ [key]: true }, NO_ENV)).not.toThrow();
    }
  });
});
