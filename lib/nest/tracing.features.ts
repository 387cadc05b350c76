import type { InjectionToken, MiddlewareConsumer, Provider } from '@nestjs/common';
import type { ResolvedTracingConfig } from './tracing-config.js';
import { devtoolsFeature } from '../devtools/devtools.feature.js';
import { instrumentationFeature } from '../instrumentation/instrumentation.feature.js';
import { metricsFeature } from '../metrics/metrics.feature.js';
import { genAiFeature } from '../genai/genai.feature.js';
import { loggingFeature } from '../logging/logging.feature.js';

/**
 * The optional features of TracingModule (metrics, devtools, logs, instrumentation)
 * plug in here, each with one entry, so the module itself stays a list of features.
 *
 * - `providers` are added to TracingModule and exported (it is global).
 * - `processorsToken` names a provider that resolves to `SpanProcessor[]`: processors
 *   that see every ended span before the exporters do (e.g. metrics, a trace store).
 * - `configure` applies middleware, for routes the feature serves (e.g. /metrics).
 */
export interface TracingFeature {
  providers?: Provider[];
  processorsToken?: InjectionToken;
  configure?(consumer: MiddlewareConsumer, config: ResolvedTracingConfig): void;
}

// instrumentationFeature stays last: its processor holds spans back from the processors after it.
// loggingFeature is the exception: it ships spans like an exporter, so it sees what exporters see.
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

/** What the features provide, for TracingModule's exports (class and token providers). */
export const FEATURE_EXPORTS: InjectionToken[] = FEATURE_PROVIDERS.map((p) =>
  typeof p === 'function' ? p : p.provide,
);
