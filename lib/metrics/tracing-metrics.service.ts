import { Inject, Injectable } from '@nestjs/common';
import { TracingService } from '../nest/tracing.service.js';
import { exporterMetricFamilies } from './exporter-metrics.js';
import { OBSERVABILITY_STATE } from './metrics.constants.js';
import type { MetricFamilySnapshot, MetricsRegistry } from './metrics-registry.js';
import type { ObservabilityState } from './observability-state.js';
import { formatPrometheus } from './prometheus-format.js';

/**
 * The app's metrics: those derived from spans (with `metrics` enabled), any added to
 * `registry`, and the exporters' self-telemetry.
 */
@Injectable()
export class TracingMetricsService {
  constructor(
    @Inject(OBSERVABILITY_STATE) private readonly state: ObservabilityState,
    private readonly tracing: TracingService,
  ) {}

  /** Where the span metrics live; add your own counters, gauges and histograms here. */
  get registry(): MetricsRegistry {
    return this.state.registry;
  }

  /** Every metric family, the exporters' counters last. */
  collect(): MetricFamilySnapshot[] {
    return [
      ...this.state.registry.collect(),
      ...exporterMetricFamilies(this.tracing.getExporterStats()),
    ];
  }

  /** The Prometheus text exposition of `collect()`. */
  renderPrometheus(): string {
    return formatPrometheus(this.collect());
  }
}
