import type { InjectionToken, MiddlewareConsumer, Provider } from '@nestjs/common';
import type { SpanProcessor } from './core/span-processor.js';
import type {
  IgnoredRoute,
  TracingModuleOptions,
} from './interfaces/tracing-module-options.interface.js';
import type { ResolvedTracingConfig } from './config/tracing-config.js';
import { devtoolsFeature } from './devtools/devtools.feature.js';
import { instrumentationFeature } from './instrumentation/instrumentation.feature.js';
import { metricsFeature } from './metrics/metrics.feature.js';
import { genAiFeature } from './genai/genai.feature.js';
import { loggingFeature } from './logging/logging.feature.js';

/**
 * Stands between the tracer and the export chain: it is handed every span bound for
 * export, and decides what reaches `downstream` (e.g. collapses a request's spans).
 */
export interface ExportWrapper {
  wrapExport(downstream: SpanProcessor): SpanProcessor;
}

/**
 * The optional features of TracingModule (metrics, devtools, logs, instrumentation)
 * plug in here, each with one entry, so the module itself stays a list of features.
 *
 * - `providers` are added to TracingModule and exported (it is global).
 * - `processorsToken` names a provider that resolves to `SpanProcessor[]`: processors
 *   that see every ended span before anything is exported (e.g. metrics, a trace store).
 * - `exportProcessorsToken` names a provider that resolves to `SpanProcessor[]`:
 *   processors that ship spans like exporters do, so they join the export chain, after
 *   any export wrapper, and see exactly what the exporters see.
 * - `exportWrapperToken` names a provider that resolves to an `ExportWrapper`, applied
 *   around the export chain (exporters' pipelines and export processors).
 * - `ignoredRoutes` lists the routes the feature serves, read from the options when the
 *   config is resolved (only when tracing is on): they are never traced.
 * - `configure` applies middleware, for routes the feature serves (e.g. /metrics).
 */
export interface TracingFeature {
  providers?: Provider[];
  processorsToken?: InjectionToken;
  exportProcessorsToken?: InjectionToken;
  exportWrapperToken?: InjectionToken;
  ignoredRoutes?(options: Readonly<TracingModuleOptions>): readonly IgnoredRoute[];
  configure?(consumer: MiddlewareConsumer, config: ResolvedTracingConfig): void;
}

// Processors run in this order; export wrappers are applied in this order, each around
// the chain the previous one made (the last one sees spans first).
export const TRACING_FEATURES: readonly TracingFeature[] = [
  devtoolsFeature,
  metricsFeature,
  genAiFeature,
  instrumentationFeature,
  loggingFeature,
];

export const FEATURE_PROVIDERS: Provider[] = TRACING_FEATURES.flatMap((f) => f.providers ?? []);

export const FEATURE_PROCESSOR_TOKENS: InjectionToken[] = TRACING_FEATURES.flatMap((f) =>
  f.processorsToken === undefined ? [] : [f.processorsToken],
);

export const FEATURE_EXPORT_PROCESSOR_TOKENS: InjectionToken[] = TRACING_FEATURES.flatMap((f) =>
  f.exportProcessorsToken === undefined ? [] : [f.exportProcessorsToken],
);

export const FEATURE_EXPORT_WRAPPER_TOKENS: InjectionToken[] = TRACING_FEATURES.flatMap((f) =>
  f.exportWrapperToken === undefined ? [] : [f.exportWrapperToken],
);

/** The routes the features serve, for `resolveTracingConfig`. */
export function featureIgnoredRoutes(options: Readonly<TracingModuleOptions>): IgnoredRoute[] {
  return TRACING_FEATURES.flatMap((f) => f.ignoredRoutes?.(options) ?? []);
}

/** What the features provide, for TracingModule's exports (class and token providers). */
export const FEATURE_EXPORTS: InjectionToken[] = FEATURE_PROVIDERS.map((p) =>
  typeof p === 'function' ? p : p.provide,
);
