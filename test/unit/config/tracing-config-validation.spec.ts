import { Injectable, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ExportResult, ReadableSpan, SpanExporter } from '../../../lib/index.js';
import { InMemorySpanExporter, TracingConfigError, TracingModule } from '../../../lib/index.js';
import { resolveTracingConfig } from '../../../lib/config/tracing-config.js';

const NO_ENV = {};
const OTLP_KEYS = 'type, url, protocol, headers, compression, timeoutMs, insecure, tls, batch';

function thrownBy(options: unknown): unknown {
  try {
    resolveTracingConfig(options as never, NO_ENV);
  } catch (error) {
    return error;
  }
  return undefined;
}

/** A string is the whole message; a RegExp says what it must match. */
function whole(message: string | RegExp): RegExp {
  return typeof message === 'string'
    ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)
    : message;
}

describe('options validation: unknown keys at every level', () => {
  it.each([
    [
      'an exporter entry (endpoint is url elsewhere)',
      { exporters: [{ type: 'otlp', endpoint: 'http://collector:4318/v1/traces' }] },
      `TracingModule: unknown option "exporters[0].endpoint"; known options are ${OTLP_KEYS} (did you mean "url"?).`,
    ],
    [
      'a jaeger entry',
      { exporters: [{ type: 'console' }, { type: 'jaeger', timeout: 5 }] },
      `TracingModule: unknown option "exporters[1].timeout"; known options are ${OTLP_KEYS} (did you mean "timeoutMs"?).`,
    ],
    [
      'a zipkin entry',
      { exporters: [{ type: 'zipkin', servicename: 'x' }] },
      'TracingModule: unknown option "exporters[0].servicename"; known options are type, url, headers, timeoutMs, serviceName, batch (did you mean "serviceName"?).',
    ],
    [
      'a memory entry',
      { exporters: [{ type: 'memory', maxSpan: 5 }] },
      'TracingModule: unknown option "exporters[0].maxSpan"; known options are type, maxSpans (did you mean "maxSpans"?).',
    ],
    [
      'a console entry',
      { exporters: [{ type: 'console', formatt: 'json' }] },
      'TracingModule: unknown option "exporters[0].formatt"; known options are type, format, write, attributeKeys, maxPendingSpans, batch (did you mean "format"?).',
    ],
    [
      'a file entry',
      { exporters: [{ type: 'file', path: '/tmp/x', maxFileSize: 1 }] },
      'TracingModule: unknown option "exporters[0].maxFileSize"; known options are type, path, maxFileBytes, maxFiles, batch (did you mean "maxFileBytes"?).',
    ],
    [
      'an exporter batch',
      { exporters: [{ type: 'otlp', batch: { scheduledDelayMillis: 100 } }] },
      /^TracingModule: unknown option "exporters\[0\]\.batch\.scheduledDelayMillis"; known options are .*scheduledDelayMs.* \(did you mean "scheduledDelayMs"\?\)\.$/,
    ],
    [
      'correlation',
      { correlation: { idHeader: 'x-id' } },
      'TracingModule: unknown option "correlation.idHeader"; known options are requestHeaders, responseHeader, generate.',
    ],
    [
      'correlation, with a close match',
      { correlation: { responseHeaders: 'x-id' } },
      'TracingModule: unknown option "correlation.responseHeaders"; known options are requestHeaders, responseHeader, generate (did you mean "responseHeader"?).',
    ],
    [
      'spanLimits',
      { spanLimits: { attributeCountLimits: 10 } },
      'TracingModule: unknown option "spanLimits.attributeCountLimits"; known options are attributeCountLimit, attributeValueLengthLimit, eventCountLimit, linkCountLimit (did you mean "attributeCountLimit"?).',
    ],
    [
      'the sampler object',
      { sampler: { type: 'traceidratio', probability: 0.5 } },
      'TracingModule: unknown option "sampler.probability"; known options are type, ratio (did you mean "ratio"?).',
    ],
    [
      'the sampler object without its type',
      { sampler: { typ: 'always_on' } },
      'TracingModule: unknown option "sampler.typ"; known options are type, ratio (did you mean "type"?).',
    ],
    [
      'the root, by an alias',
      { service: 'orders' },
      /^TracingModule: unknown option "service"; known options are serviceName, .* \(did you mean "serviceName"\?\)\.$/,
    ],
    [
      'the root, misspelt',
      { serviceNmae: 'orders' },
      /^TracingModule: unknown option "serviceNmae"; known options are serviceName, serviceVersion, .*, logging, errors, integrations, openTelemetryApi \(did you mean "serviceName"\?\)\.$/,
    ],
  ])('in %s', (_, options, message) => {
    const error = thrownBy(options);
    expect(error).toBeInstanceOf(TracingConfigError);
    expect((error as Error).message).toMatch(whole(message));
  });

  it("does not key-check the user's own exporter classes and instances", () => {
    class MyExporter implements SpanExporter {
      endpoint = 'anything';
      export(_spans: readonly ReadableSpan[]): Promise<ExportResult> {
        return Promise.resolve({ code: 0 });
      }
      shutdown(): Promise<void> {
        return Promise.resolve();
      }
    }
    const config = resolveTracingConfig({ exporters: [MyExporter, new MyExporter()] }, NO_ENV);
    expect(config.exporters).toHaveLength(2);
  });
});

describe('options validation: shapes that used to fail with a TypeError or boot', () => {
  it.each([
    [
      'exporters as one object',
      { exporters: { type: 'otlp' } },
      'TracingModule: option "exporters" must be an array; got an object with keys [type].',
    ],
    [
      'a null exporter',
      { exporters: [null] },
      /^TracingModule: option "exporters\[0\]" must be \{ type: 'console' \| 'memory' \| 'file' \| 'otlp' \| 'jaeger' \| 'zipkin', \.\.\. \}, an exporter class or a SpanExporter instance; got null\.$/,
    ],
    [
      'an OTLP protocol that is none of the three',
      { exporters: [{ type: 'otlp', protocol: 'grpc-web' }] },
      'TracingModule: option "exporters[0].protocol" must be "http/protobuf", "http/json" or "grpc"; got "grpc-web".',
    ],
    [
      'a gRPC-only option with an HTTP protocol',
      { exporters: [{ type: 'jaeger', protocol: 'http/protobuf', tls: { ca: 'x' } }] },
      'TracingModule: option "exporters[0].tls" applies to protocol "grpc" only, not "http/protobuf".',
    ],
    [
      'an OTLP url without a scheme',
      { exporters: [{ type: 'otlp', url: 'localhost:4318' }] },
      'TracingModule: option "exporters[0].url" must be an http: or https: URL such as http://localhost:4318/v1/traces; got "localhost:4318".',
    ],
    [
      'a zipkin url that is not http',
      { exporters: [{ type: 'zipkin', url: 'ftp://zipkin:9411' }] },
      'TracingModule: option "exporters[0].url" must be an http: or https: URL such as http://localhost:9411/api/v2/spans; got "ftp://zipkin:9411".',
    ],
    [
      'a nested object in resourceAttributes',
      { resourceAttributes: { team: { name: 'payments' } } },
      'TracingModule: option "resourceAttributes["team"]" must be a string, number, boolean or an array of one of these; got an object with keys [name].',
    ],
    [
      'a mixed array in resourceAttributes',
      { resourceAttributes: { 'team.ids': [1, 'two'] } },
      'TracingModule: option "resourceAttributes["team.ids"]" must be a string, number, boolean or an array of one of these; got an array.',
    ],
    [
      'a null item in a resourceAttributes array',
      { resourceAttributes: { 'team.ids': ['a', null] } },
      'TracingModule: option "resourceAttributes["team.ids"]" must be a string, number, boolean or an array of one of these; got an array.',
    ],
    [
      'null in resourceAttributes',
      { resourceAttributes: { owner: null } },
      'TracingModule: option "resourceAttributes["owner"]" must be a string, number, boolean or an array of one of these; got null.',
    ],
  ])('%s', (_, options, message) => {
    const error = thrownBy(options);
    expect(error).toBeInstanceOf(TracingConfigError);
    expect((error as Error).message).toMatch(whole(message));
  });

  it('accepts attribute values and arrays of one kind in resourceAttributes', () => {
    const resourceAttributes = { a: 'x', b: 1, c: true, d: ['x', 'y'], e: [1, 2], f: [] };
    expect(resolveTracingConfig({ resourceAttributes }, NO_ENV).resourceAttributes).toEqual(
      resourceAttributes,
    );
  });
});

describe('OTEL_SDK_DISABLED', () => {
  it.each([
    ['maybe', true],
    ['1', true],
    ['yes', true],
  ])('=%s is warned about, naming the variable and the accepted values', (value, enabled) => {
    const config = resolveTracingConfig({}, { OTEL_SDK_DISABLED: value });
    expect(config.enabled).toBe(enabled);
    expect(config.warnings).toContain(
      `OTEL_SDK_DISABLED=${JSON.stringify(value)} is not valid (expected true or false); using the default.`,
    );
  });

  it.each(['true', 'FALSE', ' false ', ''])('=%j is accepted without a warning', (value) => {
    const config = resolveTracingConfig({}, { OTEL_SDK_DISABLED: value });
    expect(config.warnings.filter((w) => w.includes('OTEL_SDK_DISABLED'))).toEqual([]);
  });

  it('is not read (nor warned about) when the enabled option is given', () => {
    const config = resolveTracingConfig({ enabled: true }, { OTEL_SDK_DISABLED: 'maybe' });
    expect(config.warnings.filter((w) => w.includes('OTEL_SDK_DISABLED'))).toEqual([]);
  });
});

const forRootAsync = (exporters: unknown) => () =>
  TracingModule.forRootAsync({ useFactory: () => ({}), exporters: exporters as never });

describe('a TracingModule with bad options fails to compile, naming the option', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    [
      'forRoot, unknown exporter key',
      () =>
        TracingModule.forRoot({
          exporters: [{ type: 'otlp', endpoint: 'http://c:4318' }],
        } as never),
      'TracingModule: unknown option "exporters[0].endpoint"; known options are ' +
        `${OTLP_KEYS} (did you mean "url"?).`,
    ],
    [
      'forRoot, exporters not an array',
      () => TracingModule.forRoot({ exporters: { type: 'otlp' } } as never),
      'TracingModule: option "exporters" must be an array; got an object with keys [type].',
    ],
    [
      'forRoot, a null exporter',
      () => TracingModule.forRoot({ exporters: [null] } as never),
      'TracingModule: option "exporters[0]" must be',
    ],
    [
      'forRootAsync, the factory result',
      () =>
        TracingModule.forRootAsync({
          useFactory: () => ({ spanLimits: { eventLimit: 5 } }) as never,
        }),
      'TracingModule: unknown option "spanLimits.eventLimit"; known options are attributeCountLimit, attributeValueLengthLimit, eventCountLimit, linkCountLimit (did you mean "eventCountLimit"?).',
    ],
  ])('%s', async (_, module, message) => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const compiling = Test.createTestingModule({ imports: [module()] }).compile();
    await expect(compiling).rejects.toThrow(TracingConfigError);
    await expect(compiling).rejects.toThrow(message);
  });

  it("refuses forRootAsync's exporter class list when it is not one, at once", () => {
    expect(forRootAsync({ type: 'otlp' })).toThrow(TracingConfigError);
    expect(forRootAsync({ type: 'otlp' })).toThrow(
      'TracingModule: option "exporters" must be an array of exporter classes; got an object with keys [type].',
    );
    expect(forRootAsync([null])).toThrow('option "exporters" must be an array of exporter classes');
    expect(forRootAsync([InMemorySpanExporter])).not.toThrow();
  });

  it('names the exporter entry when a built-in exporter refuses a value', async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const compiling = Test.createTestingModule({
      imports: [TracingModule.forRoot({ exporters: [{ type: 'otlp', timeoutMs: -1 }] })],
    }).compile();
    await expect(compiling).rejects.toThrow(TracingConfigError);
    await expect(compiling).rejects.toThrow(
      'TracingModule: option "exporters[0]": OtlpHttpExporter: option "timeoutMs" must be a positive number of milliseconds; got number.',
    );
  });

  it('names the exporter entry when the OTLP/gRPC exporter refuses a value', async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const compiling = Test.createTestingModule({
      imports: [
        TracingModule.forRoot({
          exporters: [{ type: 'otlp', protocol: 'grpc', url: 'https://c:4317', insecure: true }],
        }),
      ],
    }).compile();
    await expect(compiling).rejects.toThrow(TracingConfigError);
    await expect(compiling).rejects.toThrow(
      /^TracingModule: option "exporters\[0\]": OtlpGrpcExporter: option "insecure" must be false or absent with an https: URL/,
    );
  });

  it('warns that insecure and tls are ignored when the OTLP exporter speaks HTTP', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const moduleRef = await Test.createTestingModule({
      imports: [TracingModule.forRoot({ exporters: [{ type: 'otlp', insecure: false }] })],
    }).compile();
    expect(warn.mock.calls.map(([message]) => String(message))).toContain(
      'Options "insecure" and "tls" of the otlp exporter apply to protocol "grpc" only; ignoring them for OTLP/HTTP.',
    );
    await moduleRef.close();
  });

  it("leaves the errors of the user's own exporter class as they are", async () => {
    @Injectable()
    class BrokenExporter implements SpanExporter {
      constructor() {
        throw new RangeError('no credentials');
      }
      export(): Promise<ExportResult> {
        return Promise.resolve({ code: 0 });
      }
      shutdown(): Promise<void> {
        return Promise.resolve();
      }
    }
    const compiling = Test.createTestingModule({
      imports: [TracingModule.forRoot({ exporters: [BrokenExporter] })],
    }).compile();
    await expect(compiling).rejects.toThrow(RangeError);
  });
});
