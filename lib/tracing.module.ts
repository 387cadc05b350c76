import {
  Inject,
  Logger,
  Module,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
  type OnApplicationShutdown,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { clearGlobalTracer, setGlobalTracer } from './core/global-tracer.js';
import type { SpanExporter } from './core/span-exporter.js';
import { Tracer } from './core/tracer.js';
import { ConsoleSpanExporter } from './export/spans/console-span-exporter.js';
import { InMemorySpanExporter } from './export/spans/in-memory-span-exporter.js';
import type { ResolvedTracingConfig } from './config/tracing-config.js';
import { TracingContextMiddleware } from './nest/tracing-context.middleware.js';
import { installHttpTracing } from './server/http-platform.js';
import { recordHttpExceptions } from './nest/http-exceptions.js';
import { installServerResponseAccounting } from './server/stream-accounting.js';
import { tracingInterceptorProvider } from './nest/tracing.interceptor.js';
import {
  exporterClassProviders,
  FEATURE_EXPORTS,
  FEATURE_PROVIDERS,
  tracingProviders,
} from './tracing.providers.js';
import { TracingService } from './nest/tracing.service.js';
import { TRACING_FEATURES } from './tracing.features.js';
import { TRACING_EXPORTERS } from './tracing.constants.js';
import { invalidOption, MESSAGES, TracingConfigError } from './tracing.errors.js';
import { TRACING_CONFIG, TRACING_INTEGRATIONS } from './tracing.internal-constants.js';
import type { RegisteredHost } from './integrations/registry.js';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  OPTIONS_TYPE,
} from './tracing.module-definition.js';

const EXPORTS = [
  ...FEATURE_EXPORTS,
  TracingService,
  Tracer,
  TRACING_EXPORTERS,
  InMemorySpanExporter,
  ConsoleSpanExporter,
];

export type TracingModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE & {
  /** Exporter classes the factory may return, registered as providers so they are injectable. */
  exporters?: Type<SpanExporter>[];
};

function isClassList(value: unknown): boolean {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'function');
}

/**
 * Distributed tracing for the whole app: import once, in the root module.
 *
 * Traces HTTP requests from the platform's own hooks (Express, Fastify; other adapters
 * get the context middleware), registers the interceptor globally when the app has
 * message or WebSocket handlers, and flushes exporters on shutdown.
 */
@Module({
  providers: [
    ...tracingProviders,
    ...FEATURE_PROVIDERS,
    TracingService,
    TracingContextMiddleware,
    tracingInterceptorProvider,
  ],
  exports: EXPORTS,
})
export class TracingModule
  extends ConfigurableModuleClass
  implements NestModule, OnModuleInit, OnApplicationShutdown
{
  private readonly logger = new Logger('TracingModule');

  constructor(
    private readonly tracer: Tracer,
    @Inject(TRACING_CONFIG) private readonly config: ResolvedTracingConfig,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(TRACING_INTEGRATIONS) private readonly integrations: RegisteredHost,
  ) {
    super();
  }

  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    const base = super.forRoot(options);
    const extra = exporterClassProviders(options.exporters);
    return {
      ...base,
      providers: [...(base.providers ?? []), ...extra],
      exports: [...EXPORTS, ...extra],
    };
  }

  static override forRootAsync(options: TracingModuleAsyncOptions): DynamicModule {
    if (!options || (!options.useFactory && !options.useClass && !options.useExisting)) {
      throw new TracingConfigError(MESSAGES.asyncSourceMissing);
    }
    const { exporters, ...rest } = options;
    // Checked here: unlike the factory's result, this list is not part of the options.
    if (exporters !== undefined && !isClassList(exporters)) {
      throw invalidOption('exporters', 'an array of exporter classes', exporters);
    }
    const base = super.forRootAsync(rest);
    const extra = exporterClassProviders(exporters);
    return {
      ...base,
      providers: [...(base.providers ?? []), ...extra],
      exports: [...EXPORTS, ...extra],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    if (!this.config.enabled) return;
    recordHttpExceptions();
    installServerResponseAccounting();
    const adapter = this.adapterHost.httpAdapter;
    if (
      this.config.instrumentServer &&
      (adapter === undefined || !installHttpTracing(adapter, this.tracer, this.config))
    ) {
      // '{*path}' matches every path on both Express 5 and Fastify route syntax (Nest 11+).
      consumer.apply(TracingContextMiddleware).forRoutes('{*path}');
    }
    for (const feature of TRACING_FEATURES) feature.configure?.(consumer, this.config);
  }

  onModuleInit(): void {
    if (!this.config.enabled) return;
    setGlobalTracer(this.tracer);
  }

  async onApplicationShutdown(): Promise<void> {
    clearGlobalTracer(this.tracer);
    this.integrations.unregister();
    try {
      await this.tracer.processor.shutdown();
    } catch (error) {
      this.logger.warn(`Flushing spans on shutdown failed: ${(error as Error).message}`);
    }
  }
}
