import { Injectable } from '@nestjs/common';
import { TracingHealthService } from './tracing-health.service.js';

/** What the indicator reports under its key, as @nestjs/terminus shows it. */
export interface TracingHealthIndicatorDetails {
  /** `degraded` (terminus 12+): healthy, but an exporter failed inside the window. */
  status: 'up' | 'down' | 'degraded';
  requests: number;
  errorRate: number;
  p95LatencyMs: number;
  recentTraces: number;
  failingExporters: string[];
  reasons: string[];
}

/** The result of `isHealthy(key)`: a terminus `HealthIndicatorResult`. */
export type TracingHealthIndicatorResult<Key extends string = 'tracing'> = Record<
  Key,
  TracingHealthIndicatorDetails
>;

type Details = Omit<TracingHealthIndicatorDetails, 'status'>;
interface TerminusSession {
  up(data: Details): Record<string, unknown>;
  down(data: Details): Record<string, unknown>;
  degraded?(data: Details): Record<string, unknown>;
}
interface Terminus {
  HealthIndicatorService: new () => { check(key: string): TerminusSession };
}

// A variable specifier: @nestjs/terminus is an optional peer, loaded on first use only,
// and its types must not leak into this package's declarations.
const TERMINUS = '@nestjs/terminus';
let terminus: Promise<Terminus> | undefined;

function loadTerminus(): Promise<Terminus> {
  terminus ??= (import(TERMINUS) as Promise<Terminus>).catch((error: unknown) => {
    terminus = undefined;
    throw new Error(
      `TracingHealthIndicator needs @nestjs/terminus (npm install @nestjs/terminus): ${(error as Error).message}`,
    );
  });
  return terminus;
}

/**
 * A @nestjs/terminus health indicator for `HealthCheckService.check()`: `down` when
 * `TracingHealthService` finds the app unhealthy, `degraded` when an exporter is failing.
 * Terminus is loaded on the first check, so apps without it never load it.
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.tracing.isHealthy('tracing')]); }
 * ```
 */
@Injectable()
export class TracingHealthIndicator {
  constructor(private readonly health: TracingHealthService) {}

  async isHealthy<const Key extends string = 'tracing'>(
    key: Key = 'tracing' as Key,
  ): Promise<TracingHealthIndicatorResult<Key>> {
    const { HealthIndicatorService } = await loadTerminus();
    const summary = this.health.getSummary();
    const failing = summary.exporters.filter((e) => e.state === 'failing').map((e) => e.exporter);
    const details: Details = {
      requests: summary.requests,
      errorRate: summary.errorRate,
      p95LatencyMs: summary.p95LatencyMs,
      recentTraces: summary.recentTraces,
      failingExporters: failing,
      reasons: summary.reasons,
    };
    const session = new HealthIndicatorService().check(key);
    const result = !summary.healthy
      ? session.down(details)
      : failing.length > 0 && session.degraded
        ? session.degraded(details)
        : session.up(details);
    return result as TracingHealthIndicatorResult<Key>;
  }
}
