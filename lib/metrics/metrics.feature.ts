import { RequestMethod, type MiddlewareConsumer } from '@nestjs/common';
import type { ResolvedTracingConfig } from '../config/tracing-config.js';
import type { TracingFeature } from '../config/tracing-feature.js';
import { TRACING_CONFIG } from '../tracing.internal-constants.js';
import { TracingHealthMiddleware } from './health.middleware.js';
import { METRICS_PROCESSORS, OBSERVABILITY_STATE } from './metrics.constants.js';
import { TracingMetricsMiddleware } from './metrics.middleware.js';
import { resolveObservabilitySettings } from './metrics-settings.js';
import { createObservabilityState, type ObservabilityState } from './observability-state.js';
import { SpanMetricsProcessor } from './span-metrics.processor.js';
import { TracingHealthIndicator } from './tracing-health.indicator.js';
import { TracingHealthService } from './tracing-health.service.js';
import { TracingMetricsService } from './tracing-metrics.service.js';

/**
 * RED metrics from spans (`metrics`), the health summary (`health`), their routes, and
 * the terminus indicator. Without either option no processor is added: spans cost
 * exactly what they did.
 */
export const metricsFeature: TracingFeature = {
  providers: [
    {
      provide: OBSERVABILITY_STATE,
      useFactory: createObservabilityState,
      inject: [TRACING_CONFIG],
    },
    {
      provide: METRICS_PROCESSORS,
      useFactory: (state: ObservabilityState) =>
        state.spans === undefined && state.window === undefined
          ? []
          : [new SpanMetricsProcessor(state.spans, state.window)],
      inject: [OBSERVABILITY_STATE],
    },
    TracingMetricsService,
    TracingHealthService,
    TracingHealthIndicator,
  ],
  processorsToken: METRICS_PROCESSORS,
  // A scrape every few seconds is not a request worth a span or a metric.
  ignoredRoutes(options) {
    const { metrics, health } = resolveObservabilitySettings(options);
    return [metrics?.path, health?.path].filter((p): p is string => p !== undefined);
  },
  configure(consumer: MiddlewareConsumer, config: ResolvedTracingConfig): void {
    const { metrics, health } = resolveObservabilitySettings(config.options);
    if (metrics?.path !== undefined) {
      consumer
        .apply(TracingMetricsMiddleware)
        .forRoutes({ path: metrics.path, method: RequestMethod.GET });
    }
    if (health?.path !== undefined) {
      consumer
        .apply(TracingHealthMiddleware)
        .forRoutes({ path: health.path, method: RequestMethod.GET });
    }
  },
};
