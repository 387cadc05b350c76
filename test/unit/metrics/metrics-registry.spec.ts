import { describe, expect, it, vi } from 'vitest';
import { MetricsRegistry, type Histogram } from '../../../lib/metrics/metrics-registry.js';

function counts(histogram: Histogram): number[] {
  return Array.from(histogram.bucketCounts);
}

describe('MetricsRegistry', () => {
  it('keeps one series per label set and only ever increments a counter', () => {
    const registry = new MetricsRegistry();
    const requests = registry.counter('requests_total', 'Requests.', ['route']);
    requests.labels('/a').inc();
    requests.labels('/a').inc(2);
    requests.labels('/b').inc();
    requests.labels('/b').inc(-5);
    requests.labels('/b').inc(Number.NaN);
    expect([...requests.series()].map((s) => [s.labels, s.value])).toEqual([
      [[['route', '/a']], 3],
      [[['route', '/b']], 1],
    ]);
  });

  it('counts a histogram value in the first bucket whose upper bound is at least the value', () => {
    const h = new MetricsRegistry().histogram('d_seconds', 'D.', [], [0.1, 0.5, 1]).labels();
    for (const v of [0, 0.1, 0.10001, 0.5, 0.7, 1, 1.5, 100]) h.observe(v);
    // le is inclusive: 0.1 falls in le="0.1", 0.10001 in le="0.5"; the last bucket is +Inf.
    expect(counts(h)).toEqual([2, 2, 2, 2]);
    expect(h.count).toBe(8);
    expect(h.sum).toBeCloseTo(0 + 0.1 + 0.10001 + 0.5 + 0.7 + 1 + 1.5 + 100, 10);
  });

  it('ignores NaN observations, which would poison _sum', () => {
    const h = new MetricsRegistry().histogram('d_seconds', 'D.', [], [1]).labels();
    h.observe(Number.NaN);
    h.observe(2);
    expect(h.count).toBe(1);
    expect(h.sum).toBe(2);
  });

  it('counts label sets beyond the cap in one overflow series and warns once', () => {
    const onOverflow = vi.fn<(metric: string, maxSeries: number) => void>();
    const registry = new MetricsRegistry({ maxSeriesPerMetric: 2, onOverflow });
    const family = registry.counter('hits_total', 'Hits.', ['user']);
    for (const user of ['ann', 'bob', 'cat', 'dan', 'ann', 'eve']) family.labels(user).inc();
    expect([...family.series()].map((s) => [s.labels, s.value])).toEqual([
      [[['user', 'ann']], 2],
      [[['user', 'bob']], 1],
      [[['overflow', 'true']], 3],
    ]);
    expect(family.size).toBe(3);
    expect(family.full).toBe(true);
    expect(onOverflow).toHaveBeenCalledTimes(1);
    expect(onOverflow).toHaveBeenCalledWith('hits_total', 2);
  });

  it('collects families in the order they were added, with histogram buckets', () => {
    const registry = new MetricsRegistry();
    registry.gauge('queue_length', 'Queue.').labels().set(4);
    registry.histogram('d_seconds', 'D.', ['op'], [1, 2]).labels('x').observe(1.5);
    const [gauge, histogram] = registry.collect();
    expect(gauge).toMatchObject({ name: 'queue_length', type: 'gauge' });
    expect([...gauge!.series].map((s) => ('value' in s ? s.value : undefined))).toEqual([4]);
    expect(histogram).toMatchObject({ name: 'd_seconds', type: 'histogram', buckets: [1, 2] });
  });

  it('refuses invalid or duplicate names, reserved labels, wrong label counts and bad buckets', () => {
    const registry = new MetricsRegistry();
    registry.counter('ok_total', 'Ok.');
    expect(() => registry.counter('ok_total', 'Again.')).toThrow('already registered');
    expect(() => registry.counter('bad-name', 'x')).toThrow('invalid metric name "bad-name"');
    expect(() => registry.counter('a_total', 'x', ['__reserved'])).toThrow('reserved label');
    expect(() => registry.counter('b_total', 'x', ['overflow'])).toThrow('reserved label');
    expect(() => registry.counter('c_total', 'x', ['a', 'a'])).toThrow('duplicate label');
    expect(() => registry.histogram('h1', 'x', ['le'], [1])).toThrow('"le" is reserved');
    expect(() => registry.histogram('h2', 'x', [], [2, 1])).toThrow('strictly increasing');
    expect(() => registry.histogram('h3', 'x', [], [])).toThrow('non-empty');
    expect(() => registry.histogram('h4', 'x', [], [1, Infinity])).toThrow('finite');
    expect(() => registry.counter('d_total', 'x', ['a']).labels()).toThrow(
      'expected 1 label values',
    );
    expect(() => new MetricsRegistry({ maxSeriesPerMetric: 0 })).toThrow('at least 1');
  });
});
