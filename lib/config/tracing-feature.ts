import type { InjectionToken, MiddlewareConsumer, Provider } from '@nestjs/common';
import type { SpanProcessor } from '../core/span-processor.js';
import type {
  IgnoredRoute,
  TracingModuleOptions,
} from '../interfaces/tracing-module-options.interface.js';
import type { ResolvedTracingConfig } from './tracing-config.js';

/**
 * Stands between the tracer and the export chain: it is handed every span bound for
 * export, and decides what reaches `downstream` (e.g. collapses a request's spans). It must
 * pass `onStart` on: the tail sampler, innermost, holds a trace from its local root's start.
 */
export interface ExportWrapper {
  wrapExport(downstream: SpanProcessor): SpanProcessor;
}

/**
 * The contract of an optional feature of TracingModule (metrics, devtools, logs,
 * instrumentation): each plugs in with one entry of the feature list, so the module itself
 * stays a list of features. Nest's types are named here as types only: config/ still runs
 * without Nest.
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
