import { readFileSync } from 'node:fs';
import { ConsoleLogger, Logger, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CloudWatchLogExporter,
  DatadogLogExporter,
  LOG_EXPORTERS,
  LokiLogExporter,
  OtlpGrpcExporter,
  OtlpHttpExporter,
  TRACING_EXPORTERS,
  TracingModule,
  ZipkinExporter,
  type LogExporter,
  type SpanExporter,
  type TracingModuleOptions,
} from '../../../lib/index.js';
import { resolveTracingConfig } from '../../../lib/config/tracing-config.js';

// The README's "Sending traces to a backend" section is configuration people copy. Each of
// its `forRoot` blocks and environment-only blocks is run through the real module here: it
// must start without a warning and build the exporter, URL and settings the text promises.

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

function section(from: string, to: string): string {
  const start = README.indexOf(from);
  const end = README.indexOf(to, start);
  if (start === -1 || end === -1) throw new Error(`README section "${from}" not found`);
  return README.slice(start, end);
}

const BACKENDS = section('## Sending traces to a backend', '### Fault tolerance');
// Datadog, Loki and CloudWatch: the REST example imports a helper and is TypeScript only.
const LOG_BACKENDS = section('### Datadog', '### Any REST endpoint');

/** The fenced blocks of one language, in order. */
function blocks(text: string, language: string): string[] {
  const fence = new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g');
  return [...text.matchAll(fence)].map((m) => m[1]!);
}

/** Evaluates a `TracingModule.forRoot({...})` example and returns the options it passes. */
function forRootOptions(code: string): TracingModuleOptions {
  let captured: TracingModuleOptions | undefined;
  const stub = { forRoot: (options: TracingModuleOptions) => (captured = options) };
  new Function('TracingModule', code)(stub);
  if (captured === undefined) throw new Error(`no forRoot call in:\n${code}`);
  return captured;
}

/** `NAME=value   # comment` lines of a shell example (a placeholder value may hold spaces). */
function envOf(code: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of code.split('\n')) {
    const m = /^(OTEL_[A-Z_]+)=(.*?)(\s+#.*)?$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

/** Warnings the library logs while the module starts. */
class WarningLog implements LoggerService {
  readonly warnings: string[] = [];
  log(): void {}
  error(message: unknown): void {
    this.warnings.push(`error: ${String(message)}`);
  }
  warn(message: unknown): void {
    this.warnings.push(String(message));
  }
}

async function startExporters(
  options?: TracingModuleOptions,
): Promise<{ exporters: SpanExporter[]; logExporters: LogExporter[]; warnings: string[] }> {
  const log = new WarningLog();
  // The testing module installs its own logger (errors only) unless given one.
  const ref = await Test.createTestingModule({
    imports: [TracingModule.forRoot(options)],
  })
    .setLogger(log)
    .compile();
  await ref.init();
  const exporters = ref.get<SpanExporter[]>(TRACING_EXPORTERS);
  const logExporters = options?.logging ? ref.get<LogExporter[]>(LOG_EXPORTERS) : [];
  await ref.close();
  return { exporters, logExporters, warnings: log.warnings };
}

/** What the checks compare: the exporter's kind and the settings the README states. */
function describeExporter(exporter: SpanExporter): Record<string, unknown> {
  if (exporter instanceof ZipkinExporter) return { kind: 'zipkin', url: exporter.url };
  if (exporter instanceof OtlpHttpExporter) {
    return otlpDescription(
      exporter.url,
      exporter.protocol,
      exporter.compression,
      exporter.warnings,
    );
  }
  if (exporter instanceof OtlpGrpcExporter) {
    return otlpDescription(exporter.url, 'grpc', exporter.compression, exporter.warnings);
  }
  return { kind: exporter.constructor.name };
}

function otlpDescription(
  url: string,
  protocol = 'http/protobuf',
  compression = 'none',
  warnings: readonly string[] = [],
): Record<string, unknown> {
  return { kind: 'otlp', url, protocol, compression, warnings };
}

const savedEnv = { ...process.env };
afterEach(() => {
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('OTEL_') && !(name in savedEnv)) delete process.env[name];
  }
  Object.assign(process.env, savedEnv);
  Logger.overrideLogger(new ConsoleLogger());
});

describe('README backend configurations', () => {
  const tsExamples = blocks(BACKENDS, 'ts').filter((code) => code.includes('forRoot('));
  const shExamples = blocks(BACKENDS, 'sh').filter((code) => code.includes('OTEL_'));

  it('finds the examples it checks', () => {
    // Collector, OTLP/gRPC, Jaeger, Tempo, Zipkin: one options block and one environment
    // block each.
    expect(tsExamples).toHaveLength(5);
    expect(shExamples).toHaveLength(5);
  });

  it.each(tsExamples.map((code, i) => [i, code]))(
    'forRoot example %i builds its exporters without a warning',
    async (_i, code) => {
      const options = forRootOptions(code as string);
      const { exporters, warnings } = await startExporters(options);
      expect(warnings).toEqual([]);
      const specs = options.exporters as {
        type: string;
        url: string;
        protocol?: string;
        compression?: string;
      }[];
      expect(exporters.map(describeExporter)).toEqual(
        specs.map((spec) =>
          spec.type === 'zipkin'
            ? { kind: 'zipkin', url: spec.url }
            : otlpDescription(spec.url, spec.protocol, spec.compression),
        ),
      );
    },
  );

  it.each(shExamples.map((code, i) => [i, code]))(
    'environment example %i builds the exporter it names without a warning',
    async (_i, code) => {
      const env = envOf(code as string);
      expect(resolveTracingConfig({}, env).warnings).toEqual([]);
      Object.assign(process.env, env);
      const { exporters, warnings } = await startExporters();
      expect(warnings).toEqual([]);
      expect(exporters.map(describeExporter)).toEqual([
        env.OTEL_TRACES_EXPORTER === 'zipkin'
          ? { kind: 'zipkin', url: env.OTEL_EXPORTER_ZIPKIN_ENDPOINT }
          : env.OTEL_EXPORTER_OTLP_PROTOCOL === 'grpc'
            ? // gRPC takes the endpoint as is, as the README says.
              otlpDescription(env.OTEL_EXPORTER_OTLP_ENDPOINT!, 'grpc', 'none')
            : // The generic endpoint gets /v1/traces appended, as the README says.
              otlpDescription(
                `${env.OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces`,
                env.OTEL_EXPORTER_OTLP_PROTOCOL,
                env.OTEL_EXPORTER_OTLP_COMPRESSION,
              ),
      ]);
    },
  );

  const logExamples = blocks(LOG_BACKENDS, 'ts').filter((code) => code.includes('forRoot('));
  const LOG_CLASSES: Record<string, Function> = {
    datadog: DatadogLogExporter,
    loki: LokiLogExporter,
    cloudwatch: CloudWatchLogExporter,
  };

  it('finds the log backend examples', () => {
    expect(logExamples.map((code) => /type: '(\w+)'/.exec(code)?.[1])).toEqual([
      'datadog',
      'loki',
      'cloudwatch',
    ]);
  });

  it.each(logExamples.map((code, i) => [i, code]))(
    'log backend example %i builds its exporter without a warning',
    async (_i, code) => {
      process.env.DD_API_KEY = 'test-api-key'; // the Datadog example reads it
      const options = forRootOptions(code as string);
      const { logExporters, warnings } = await startExporters(options);
      // These examples configure logs only: the notice that no spans are exported is right.
      expect(warnings.filter((w) => !w.startsWith('No span exporters configured'))).toEqual([]);
      const specs = (options.logging as { exporters: { type: string }[] }).exporters;
      expect(logExporters).toHaveLength(specs.length);
      expect(logExporters.map((exporter) => exporter.constructor)).toEqual(
        specs.map((spec) => LOG_CLASSES[spec.type]),
      );
    },
  );
});
