import { Inject, Injectable } from '@nestjs/common';
import type { ExporterStats } from '../core/exporter-stats.js';
import { TracingService } from '../nest/tracing.service.js';
import { exporterLabels } from './exporter-metrics.js';
import { OBSERVABILITY_STATE } from './metrics.constants.js';
import type { ObservabilityState } from './observability-state.js';

/** One exporter pipeline in the health summary. */
export interface ExporterHealth extends ExporterStats {
  /** `failing` when its last error falls inside the window. */
  state: 'ok' | 'failing';
}

/** Recent requests and the exporters' state, as `TracingHealthService` sees them. */
export interface TracingHealthSummary {
  /** False when the error rate or p95 latency is above its limit (see `health` options). */
  healthy: boolean;
  /** Why it is not healthy; empty when it is. */
  reasons: string[];
  /** The sliding window, in milliseconds (0 when `health` is not enabled). */
  windowMs: number;
  /** Requests (HTTP, messages, events) that ended in the window. */
  requests: number;
  errors: number;
  /** errors / requests, 0 without requests. */
  errorRate: number;
  averageLatencyMs: number;
  /** Within 10% of the true p95. */
  p95LatencyMs: number;
  /** Traces that started in, or entered, this service in the window. */
  recentTraces: number;
  exporters: ExporterHealth[];
}

const DEFAULT_FAILING_WINDOW_MS = 60_000;

/**
 * Is tracing, and the app as its spans see it, healthy? Error rate, average and p95
 * latency and trace count over a sliding window (with `health` enabled), and each
 * exporter's queue, drops and last error.
 */
@Injectable()
export class TracingHealthService {
  constructor(
    @Inject(OBSERVABILITY_STATE) private readonly state: ObservabilityState,
    private readonly tracing: TracingService,
  ) {}

  getSummary(): TracingHealthSummary {
    const settings = this.state.settings.health;
    const window = this.state.window?.stats();
    const requests = window?.requests ?? 0;
    const errorRate = window?.errorRate ?? 0;
    const p95 = round(window?.p95LatencyMs ?? 0);
    const reasons: string[] = [];
    if (settings !== undefined && requests >= settings.minRequests) {
      if (errorRate > settings.maxErrorRate) {
        reasons.push(`error rate ${round(errorRate)} is above ${settings.maxErrorRate}`);
      }
      if (settings.maxP95LatencyMs !== undefined && p95 > settings.maxP95LatencyMs) {
        reasons.push(`p95 latency ${p95} ms is above ${settings.maxP95LatencyMs} ms`);
      }
    }
    const windowMs = settings?.windowMs ?? 0;
    const since = Date.now() - (windowMs || DEFAULT_FAILING_WINDOW_MS);
    const stats = this.tracing.getExporterStats();
    const names = exporterLabels(stats);
    return {
      healthy: reasons.length === 0,
      reasons,
      windowMs,
      requests,
      errors: window?.errors ?? 0,
      errorRate,
      averageLatencyMs: round(window?.averageLatencyMs ?? 0),
      p95LatencyMs: p95,
      recentTraces: window?.traces ?? 0,
      exporters: stats.map((s, i) => ({
        ...s,
        exporter: names[i]!,
        state: s.lastError !== undefined && Date.parse(s.lastError.at) >= since ? 'failing' : 'ok',
      })),
    };
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
