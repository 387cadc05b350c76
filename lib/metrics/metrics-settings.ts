import type { TracingModuleOptions } from '../interfaces/tracing-module-options.interface.js';
import { optionKeys } from '../config/option-keys.js';
import { invalidOption, rejectUnknownOptions } from '../tracing.errors.js';
import { checkBuckets } from './metrics-registry.js';
import type { HealthOptions, MetricsOptions } from './metrics-options.interface.js';

/** OpenTelemetry's advice for `http.server.request.duration`, in seconds. */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

export interface MetricsSettings {
  readonly path: string | undefined;
  readonly buckets: readonly number[];
  readonly maxSeriesPerMetric: number;
}

export interface HealthSettings {
  readonly path: string | undefined;
  readonly windowMs: number;
  readonly maxErrorRate: number;
  readonly maxP95LatencyMs: number | undefined;
  readonly minRequests: number;
}

/** `metrics` and `health` after defaults; undefined when not enabled. */
export interface ObservabilitySettings {
  readonly metrics: MetricsSettings | undefined;
  readonly health: HealthSettings | undefined;
}

// Plain path characters only: Nest reads route syntax (`:param`, `*`, `{}`) in the others.
const PATH = /^\/[A-Za-z0-9._~/-]*$/;
const resolved = new WeakMap<object, ObservabilitySettings>();

/** Validates `metrics` and `health` (throwing a TracingConfigError naming the option). */
export function resolveObservabilitySettings(
  options: Readonly<TracingModuleOptions>,
): ObservabilitySettings {
  const cached = resolved.get(options);
  if (cached !== undefined) return cached;
  const metrics = resolveMetrics(options.metrics);
  const health = resolveHealth(options.health);
  if (metrics?.path !== undefined && metrics.path === health?.path) {
    throw invalidOption('health.path', `a path other than metrics.path`, health.path);
  }
  const settings = { metrics, health };
  resolved.set(options, settings);
  return settings;
}

function section<T extends object>(value: unknown, name: string): Partial<T> | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidOption(name, 'true, false or an object of options', value);
  }
  return value as Partial<T>;
}

function resolvePath(value: unknown, name: string, fallback: string): string | undefined {
  if (value === false) return undefined;
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !PATH.test(value) || value === '/') {
    throw invalidOption(
      name,
      'false or a path such as "/metrics" (letters, digits, "-", "_", ".", "~", "/")',
      value,
    );
  }
  return value.length > 1 && value.endsWith('/') ? value.slice(0, -1) : value;
}

function resolveMetrics(value: unknown): MetricsSettings | undefined {
  const given = section<MetricsOptions>(value, 'metrics');
  if (given === undefined) return undefined;
  rejectUnknownOptions(
    given,
    'metrics',
    optionKeys<MetricsOptions>({ path: true, buckets: true, maxSeriesPerMetric: true }),
  );
  if (given.buckets !== undefined) {
    const problem = checkBuckets(given.buckets);
    if (problem !== undefined || given.buckets.some((b) => b <= 0)) {
      throw invalidOption(
        'metrics.buckets',
        'a non-empty, strictly increasing array of positive finite numbers (seconds)',
        given.buckets,
      );
    }
  }
  const max = given.maxSeriesPerMetric;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1)) {
    throw invalidOption('metrics.maxSeriesPerMetric', 'an integer of at least 1', max);
  }
  return {
    path: resolvePath(given.path, 'metrics.path', '/metrics'),
    buckets:
      given.buckets === undefined ? DEFAULT_DURATION_BUCKETS : Object.freeze([...given.buckets]),
    maxSeriesPerMetric: max ?? 1000,
  };
}

function resolveHealth(value: unknown): HealthSettings | undefined {
  const given = section<HealthOptions>(value, 'health');
  if (given === undefined) return undefined;
  rejectUnknownOptions(
    given,
    'health',
    optionKeys<HealthOptions>({
      path: true,
      windowMs: true,
      maxErrorRate: true,
      maxP95LatencyMs: true,
      minRequests: true,
    }),
  );
  const { windowMs, maxErrorRate, maxP95LatencyMs, minRequests } = given;
  if (windowMs !== undefined && !(Number.isInteger(windowMs) && windowMs >= 1000)) {
    throw invalidOption('health.windowMs', 'an integer of at least 1000 (milliseconds)', windowMs);
  }
  if (
    maxErrorRate !== undefined &&
    !(typeof maxErrorRate === 'number' && maxErrorRate >= 0 && maxErrorRate <= 1)
  ) {
    throw invalidOption('health.maxErrorRate', 'a number from 0 to 1', maxErrorRate);
  }
  if (
    maxP95LatencyMs !== undefined &&
    !(
      typeof maxP95LatencyMs === 'number' &&
      maxP95LatencyMs > 0 &&
      Number.isFinite(maxP95LatencyMs)
    )
  ) {
    throw invalidOption(
      'health.maxP95LatencyMs',
      'a positive number of milliseconds',
      maxP95LatencyMs,
    );
  }
  if (minRequests !== undefined && !(Number.isInteger(minRequests) && minRequests >= 0)) {
    throw invalidOption('health.minRequests', 'a non-negative integer', minRequests);
  }
  return {
    path: resolvePath(given.path, 'health.path', '/tracing/health'),
    windowMs: windowMs ?? 60_000,
    maxErrorRate: maxErrorRate ?? 0.1,
    maxP95LatencyMs,
    minRequests: minRequests ?? 10,
  };
}
