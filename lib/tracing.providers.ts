import { Logger, type InjectionToken, type Provider, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ConsoleSpanExporter } from './export/spans/console-span-exporter.js';
import { InMemorySpanExporter } from './export/spans/in-memory-span-exporter.js';
import { FileSpanExporter } from './export/spans/file-span-exporter.js';
import { OtlpHttpExporter } from './export/spans/otlp/otlp-http-exporter.js';
import { OtlpGrpcExporter } from './export/spans/otlp/otlp-grpc-exporter.js';
import { otlpOptionsFromEnv } from './export/spans/otlp/otlp-env-options.js';
import type { OtlpHttpProtocol } from './export/spans/otlp/otlp-http-options.js';
import type { OtlpPartialSuccess } from './export/spans/otlp/otlp-partial-success.js';
import { ZipkinExporter, zipkinOptionsFromEnv } from './export/spans/zipkin/zipkin-exporter.js';
import { BatchSpanProcessor } from './core/batch-span-processor.js';
import { createResource } from './core/resource.js';
import { createSampler } from './core/samplers.js';
import { SimpleSpanProcessor } from './core/simple-span-processor.js';
import type { SpanExporter } from './core/span-exporter.js';
import type { SpanProcessor } from './core/span-processor.js';
import { Tracer } from './core/tracer.js';
import type {
  ExporterOption,
  IgnoredRoute,
  TracingModuleOptions,
} from './interfaces/tracing-module-options.interface.js';
import { TRACING_MODULE_OPTIONS } from './tracing.module-definition.js';
import { TRACING_EXPORTERS } from './tracing.constants.js';
import { MESSAGES, TracingConfigError } from './tracing.errors.js';
import { TRACING_CONFIG, TRACING_INTEGRATIONS } from './tracing.internal-constants.js';
import { createIntegrationHost } from './integrations/host.js';
import { integrationRegistry } from './integrations/index.js';
import type { RegisteredHost } from './integrations/registry.js';
import { createSpanPipeline } from './config/span-pipeline.js';
import type { ExportWrapper, TracingFeature } from './config/tracing-feature.js';
import { TRACING_FEATURES } from './tracing.features.js';
import {
  isBuiltInExporterClass,
  resolveTracingConfig,
  type ResolvedTracingConfig,
} from './config/tracing-config.js';

const logger = new Logger('TracingModule');

function isExporterClass(entry: ExporterOption): entry is Type<SpanExporter> {
  return typeof entry === 'function';
}

function isExporterInstance(entry: ExporterOption): entry is SpanExporter {
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof (entry as SpanExporter).export === 'function'
  );
}

/**
 * Providers that make user exporter classes and instances injectable by their class.
 * Malformed `exporters` give none here: the options are validated, with the option named,
 * when the module is compiled.
 */
export function exporterClassProviders(
  exporters: readonly ExporterOption[] | undefined,
): Provider[] {
  const providers: Provider[] = [];
  const seen = new Set<unknown>();
  for (const entry of Array.isArray(exporters) ? exporters : []) {
    if (isExporterClass(entry)) {
      if (isBuiltInExporterClass(entry) || seen.has(entry)) continue;
      seen.add(entry);
      providers.push({ provide: entry, useClass: entry });
    } else if (isExporterInstance(entry)) {
      const ctor = entry.constructor;
      if (ctor === Object || isBuiltInExporterClass(ctor) || seen.has(ctor)) continue;
      seen.add(ctor);
      providers.push({ provide: ctor, useValue: entry });
    }
  }
  return providers;
}

async function resolveExporter(entry: ExporterOption, moduleRef: ModuleRef): Promise<SpanExporter> {
  if (isExporterClass(entry)) {
    if (entry === InMemorySpanExporter) return new InMemorySpanExporter();
    if (entry === ConsoleSpanExporter) return new ConsoleSpanExporter();
    try {
      return moduleRef.get(entry, { strict: false });
    } catch {
      // Not registered (e.g. returned by an async factory): build it with DI anyway.
      return moduleRef.create(entry);
    }
  }
  if (isExporterInstance(entry)) return entry;
  switch (entry.type) {
    case 'memory': {
      const { type: _memory, ...options } = entry;
      return new InMemorySpanExporter(options);
    }
    case 'file': {
      const { type: _file, batch: _batch, ...options } = entry;
      return new FileSpanExporter(options);
    }
    case 'otlp':
    case 'jaeger': {
      const { type: _otlp, batch: _batch, protocol, insecure, tls, ...options } = entry;
      const onPartialSuccess = ({ rejectedSpans, errorMessage }: OtlpPartialSuccess) =>
        partialSuccessLogger(
          `OTLP backend rejected ${rejectedSpans} spans: ${errorMessage || 'no reason given'}`,
        );
      if ((protocol ?? otlpOptionsFromEnv(process.env).options.protocol) === 'grpc') {
        const exporter = new OtlpGrpcExporter({ ...options, insecure, tls, onPartialSuccess });
        for (const warning of exporter.warnings) logger.warn(warning);
        try {
          await exporter.ready();
        } catch (error) {
          // Asked for in code: an error at start-up. Asked for by OTEL_EXPORTER_OTLP_PROTOCOL:
          // the environment is not code, so a warning, and every export fails saying why.
          if (protocol === 'grpc') throw error;
          logger.warn((error as Error).message);
        }
        return exporter;
      }
      if (insecure !== undefined || tls !== undefined) {
        logger.warn(
          `Options "insecure" and "tls" of the ${entry.type} exporter apply to protocol "grpc" only; ` +
            'ignoring them for OTLP/HTTP.',
        );
      }
      const exporter = new OtlpHttpExporter({
        ...options,
        // Not grpc: that took the branch above.
        protocol: protocol as OtlpHttpProtocol | undefined,
        onPartialSuccess,
      });
      for (const warning of exporter.warnings) logger.warn(warning);
      return exporter;
    }
    case 'zipkin': {
      const { type: _zipkin, batch: _batch, ...options } = entry;
      const warnings: string[] = [];
      const exporter = new ZipkinExporter({
        ...zipkinOptionsFromEnv(process.env, warnings),
        ...options,
      });
      for (const warning of warnings) logger.warn(warning);
      return exporter;
    }
    case 'console': {
      const { type: _console, batch: _batch, ...options } = entry;
      return new ConsoleSpanExporter(options);
    }
    default:
      // Every type in SPAN_EXPORTER_TYPES has its case: a new one does not compile without it.
      return entry satisfies never;
  }
}

/** A built-in exporter's constructor refusing an option, as a config error naming the entry. */
function exporterError(error: unknown, index: number): unknown {
  if (!(error instanceof Error) || error instanceof TracingConfigError) return error;
  return new TracingConfigError(`TracingModule: option "exporters[${index}]": ${error.message}`, {
    cause: error,
  });
}

// A partial success repeats with every batch while the cause lasts: say it once.
let partialSuccessLogged = false;
function partialSuccessLogger(message: string): void {
  if (partialSuccessLogged) return;
  partialSuccessLogged = true;
  logger.warn(`${message} (further partial successes are not logged)`);
}

/**
 * Every exporter gets its own pipeline, so a slow one never holds back the others: the
 * in-memory exporter stores at once (tests read it synchronously), the rest are batched.
 */
function processorFor(
  exporter: SpanExporter,
  entry: ExporterOption | undefined,
  config: ResolvedTracingConfig,
): SpanProcessor {
  const name = exporter.constructor?.name || 'exporter';
  const own =
    entry !== undefined && !isExporterClass(entry) && !isExporterInstance(entry) && 'batch' in entry
      ? entry.batch
      : undefined;
  if (exporter instanceof InMemorySpanExporter || own === false) {
    let reported = false;
    return new SimpleSpanProcessor(exporter, (error) => {
      if (reported) return;
      reported = true;
      logger.warn(MESSAGES.exportFailed(name, error.message));
    });
  }
  // The console is read by a person waiting for the request they just sent.
  const defaults = exporter instanceof ConsoleSpanExporter ? { scheduledDelayMs: 200 } : {};
  return new BatchSpanProcessor(
    exporter,
    { ...defaults, ...config.batch, ...own },
    (_kind, message) => logger.warn(message),
  );
}

/**
 * One named token per stage of the span pipeline, each resolving to what the features give
 * that stage, in the order of the feature list: the tracer injects the stages by name.
 */
const FEATURE_PROCESSORS = Symbol('nestjs-tracing:feature-processors');
const FEATURE_EXPORT_PROCESSORS = Symbol('nestjs-tracing:feature-export-processors');
const FEATURE_EXPORT_WRAPPERS = Symbol('nestjs-tracing:feature-export-wrappers');

type StageToken = 'processorsToken' | 'exportProcessorsToken' | 'exportWrapperToken';

/** The tokens the features name for one stage, in list order. */
function stageTokens(features: readonly TracingFeature[], stage: StageToken): InjectionToken[] {
  return features.flatMap((f) => (f[stage] === undefined ? [] : [f[stage]]));
}

const concat = (...lists: SpanProcessor[][]): SpanProcessor[] => lists.flat();

/** The providers of the three stage tokens, gathering what these features give each stage. */
export function featureStageProviders(features: readonly TracingFeature[]): Provider[] {
  return [
    {
      provide: FEATURE_PROCESSORS,
      useFactory: concat,
      inject: stageTokens(features, 'processorsToken'),
    },
    {
      provide: FEATURE_EXPORT_PROCESSORS,
      useFactory: concat,
      inject: stageTokens(features, 'exportProcessorsToken'),
    },
    {
      provide: FEATURE_EXPORT_WRAPPERS,
      useFactory: (...wrappers: ExportWrapper[]) => wrappers,
      inject: stageTokens(features, 'exportWrapperToken'),
    },
  ];
}

/** The routes the features serve, for `resolveTracingConfig`. */
function featureIgnoredRoutes(options: Readonly<TracingModuleOptions>): IgnoredRoute[] {
  return TRACING_FEATURES.flatMap((f) => f.ignoredRoutes?.(options) ?? []);
}

export const tracingProviders: Provider[] = [
  {
    provide: TRACING_CONFIG,
    useFactory: (options: TracingModuleOptions): ResolvedTracingConfig => {
      const config = resolveTracingConfig(options, process.env, featureIgnoredRoutes);
      for (const warning of config.warnings) logger.warn(warning);
      return config;
    },
    inject: [TRACING_MODULE_OPTIONS],
  },
  {
    provide: TRACING_EXPORTERS,
    useFactory: async (config: ResolvedTracingConfig, moduleRef: ModuleRef) =>
      config.enabled
        ? Promise.all(
            config.exporters.map((entry, i) =>
              resolveExporter(entry, moduleRef).catch((error: unknown) => {
                throw isExporterClass(entry) || isExporterInstance(entry)
                  ? error
                  : exporterError(error, i);
              }),
            ),
          )
        : [],
    inject: [TRACING_CONFIG, ModuleRef],
  },
  ...featureStageProviders(TRACING_FEATURES),
  {
    provide: Tracer,
    useFactory: (
      config: ResolvedTracingConfig,
      exporters: SpanExporter[],
      processors: SpanProcessor[],
      shipping: SpanProcessor[],
      exportWrappers: ExportWrapper[],
    ) => {
      const exportProcessors = [
        ...shipping,
        ...exporters.map((exporter, i) => processorFor(exporter, config.exporters[i], config)),
      ];
      return new Tracer({
        enabled: config.enabled,
        // With tail sampling, every span is recorded (and propagated sampled) so the tail can
        // decide; the head sampler is applied there instead.
        sampler: config.tailSampling === undefined ? config.sampler : createSampler('always_on'),
        limits: config.spanLimits,
        errorPolicy: config.errorPolicy,
        recordUnsampled: [...processors, ...exportProcessors].some(
          (p) => p.wantsUnsampled === true,
        ),
        resource: createResource({
          serviceName: config.serviceName,
          serviceVersion: config.serviceVersion,
          environment: config.environment,
          attributes: config.resourceAttributes,
        }),
        processor: createSpanPipeline({
          processors,
          exportProcessors,
          exportWrappers,
          tailSampling: config.tailSampling,
        }),
      });
    },
    inject: [
      TRACING_CONFIG,
      TRACING_EXPORTERS,
      FEATURE_PROCESSORS,
      FEATURE_EXPORT_PROCESSORS,
      FEATURE_EXPORT_WRAPPERS,
    ],
  },
  {
    // As soon as the tracer exists, before other modules' init hooks run their first queries.
    provide: TRACING_INTEGRATIONS,
    useFactory: (tracer: Tracer, config: ResolvedTracingConfig): RegisteredHost => {
      const registered = integrationRegistry.register(createIntegrationHost(tracer, config));
      for (const failure of registered.failures) logger.warn(failure);
      return registered;
    },
    inject: [Tracer, TRACING_CONFIG],
  },
  // The built-in exporters are injectable whether they were named in forRoot or made by
  // an async factory: tests inject InMemorySpanExporter to read spans.
  {
    provide: InMemorySpanExporter,
    useFactory: (exporters: SpanExporter[]) =>
      exporters.find((e) => e instanceof InMemorySpanExporter),
    inject: [TRACING_EXPORTERS],
  },
  {
    provide: ConsoleSpanExporter,
    useFactory: (exporters: SpanExporter[]) =>
      exporters.find((e) => e instanceof ConsoleSpanExporter),
    inject: [TRACING_EXPORTERS],
  },
];

/** What the features provide: added to TracingModule, and exported (class and token providers). */
export const FEATURE_PROVIDERS: Provider[] = TRACING_FEATURES.flatMap((f) => f.providers ?? []);

export const FEATURE_EXPORTS: InjectionToken[] = FEATURE_PROVIDERS.map((p) =>
  typeof p === 'function' ? p : p.provide,
);
