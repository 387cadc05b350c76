import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import {
  TracingConfigError,
  TracingModule,
  type TracingModuleOptions,
} from '../../../lib/index.js';
import {
  DEFAULT_DURATION_BUCKETS,
  resolveObservabilitySettings,
} from '../../../lib/metrics/metrics-settings.js';

const resolve = (options: Record<string, unknown>) =>
  resolveObservabilitySettings(options as TracingModuleOptions);

describe('the metrics and health options', () => {
  it('are off unless given, and true means the defaults', () => {
    expect(resolve({})).toEqual({ metrics: undefined, health: undefined });
    expect(resolve({ metrics: false, health: false })).toEqual({
      metrics: undefined,
      health: undefined,
    });
    expect(resolve({ metrics: true, health: true })).toEqual({
      metrics: { path: '/metrics', buckets: DEFAULT_DURATION_BUCKETS, maxSeriesPerMetric: 1000 },
      health: {
        path: '/tracing/health',
        windowMs: 60_000,
        maxErrorRate: 0.1,
        maxP95LatencyMs: undefined,
        minRequests: 10,
      },
    });
  });

  it('take a path (trailing slash dropped) or false, and copy the buckets', () => {
    const buckets = [0.1, 1];
    const { metrics, health } = resolve({
      metrics: { path: '/internal/metrics/', buckets },
      health: { path: false },
    });
    expect(metrics).toMatchObject({ path: '/internal/metrics', buckets: [0.1, 1] });
    buckets.push(5);
    expect(metrics!.buckets).toEqual([0.1, 1]);
    expect(health!.path).toBeUndefined();
  });

  it.each<[Record<string, unknown>, string]>([
    [{ metrics: 'yes' }, 'option "metrics" must be true, false or an object of options; got "yes"'],
    [
      { metrics: { path: 'metrics' } },
      'option "metrics.path" must be false or a path such as "/metrics"',
    ],
    [{ metrics: { path: '/users/:id' } }, 'option "metrics.path"'],
    [
      { metrics: { buckets: [1, 0.5] } },
      'option "metrics.buckets" must be a non-empty, strictly increasing array of positive finite numbers (seconds)',
    ],
    [{ metrics: { buckets: [0, 1] } }, 'option "metrics.buckets"'],
    [
      { metrics: { maxSeriesPerMetric: 0 } },
      'option "metrics.maxSeriesPerMetric" must be an integer of at least 1; got 0',
    ],
    [
      { metrics: { bucket: [1] } },
      'unknown option "metrics.bucket"; known options are path, buckets, maxSeriesPerMetric (did you mean "buckets"?)',
    ],
    [
      { health: { maxErrorRatio: 0.5 } },
      'TracingModule: unknown option "health.maxErrorRatio"; known options are path, windowMs, maxErrorRate, maxP95LatencyMs, minRequests (did you mean "maxErrorRate"?).',
    ],
    [
      { health: { windowMs: 10 } },
      'option "health.windowMs" must be an integer of at least 1000 (milliseconds); got 10',
    ],
    [
      { health: { maxErrorRate: 2 } },
      'option "health.maxErrorRate" must be a number from 0 to 1; got 2',
    ],
    [
      { health: { maxP95LatencyMs: -1 } },
      'option "health.maxP95LatencyMs" must be a positive number of milliseconds; got -1',
    ],
    [
      { health: { minRequests: 1.5 } },
      'option "health.minRequests" must be a non-negative integer; got 1.5',
    ],
    [
      { metrics: { path: '/status' }, health: { path: '/status' } },
      'option "health.path" must be a path other than metrics.path',
    ],
  ])('refuse %j with an error naming the option and what was expected', (options, message) => {
    expect(() => resolve(options)).toThrow(TracingConfigError);
    expect(() => resolve(options)).toThrow(message);
  });

  it('make the app fail at start-up when invalid', async () => {
    await expect(
      Test.createTestingModule({
        imports: [TracingModule.forRoot({ metrics: { buckets: [] } })],
      }).compile(),
    ).rejects.toThrow('option "metrics.buckets"');
    await expect(
      Test.createTestingModule({
        imports: [
          TracingModule.forRoot({
            genAi: { prices: { m: { inputPerMillion: 1, outputPerMillion: 'x' as never } } },
          }),
        ],
      }).compile(),
    ).rejects.toThrow('option "genAi.prices["m"].outputPerMillion"');
  });
});
