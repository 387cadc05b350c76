import { Logger } from '@nestjs/common';
import type { ResolvedTracingConfig } from '../config/tracing-config.js';
import { MetricsRegistry } from './metrics-registry.js';
import { resolveObservabilitySettings, type ObservabilitySettings } from './metrics-settings.js';
import { RequestWindow } from './request-window.js';
import { SpanMetrics } from './span-metrics.js';

/**
 * What the metrics feature keeps for one app: built before the tracer (its processor
 * writes here), read by the services (which need the tracer for exporter stats).
 */
export interface ObservabilityState {
  readonly settings: ObservabilitySettings;
  readonly registry: MetricsRegistry;
  /** Undefined unless `metrics` is enabled. */
  readonly spans: SpanMetrics | undefined;
  /** Undefined unless `health` is enabled. */
  readonly window: RequestWindow | undefined;
}

const logger = new Logger('TracingModule');

/** Validates `metrics` and `health` at start-up and builds what they enable. */
export function createObservabilityState(config: ResolvedTracingConfig): ObservabilityState {
  const settings = resolveObservabilitySettings(config.options);
  const metrics = settings.metrics;
  const registry = new MetricsRegistry({
    maxSeriesPerMetric: metrics?.maxSeriesPerMetric,
    onOverflow: (metric, max) =>
      logger.warn(
        `Metric ${metric} reached its cap of ${max} series; further label sets are counted under overflow="true" (metrics.maxSeriesPerMetric).`,
      ),
  });
  const on = config.enabled;
  return {
    settings,
    registry,
    spans:
      on && metrics
        ? new SpanMetrics(registry, metrics.buckets, metrics.maxSeriesPerMetric)
        : undefined,
    window: on && settings.health ? new RequestWindow(settings.health.windowMs) : undefined,
  };
}
