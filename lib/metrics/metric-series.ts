/**
 * One series of a metric: what the span metrics increment on the request path, and what
 * the Prometheus formatter reads.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Label name/value pairs of one series, in the family's label order. */
export type MetricLabels = readonly (readonly [name: string, value: string])[];

/** One counter or gauge series. */
export interface ScalarSeries {
  readonly labels: MetricLabels;
  readonly value: number;
}

/** One histogram series. `bucketCounts` are per bucket (not cumulative); the last one is +Inf. */
export interface HistogramSeries {
  readonly labels: MetricLabels;
  readonly bucketCounts: ArrayLike<number>;
  readonly sum: number;
  readonly count: number;
}

/** A metric family as the formatter reads it. */
export type MetricFamilySnapshot =
  | {
      readonly name: string;
      readonly help: string;
      readonly type: 'counter' | 'gauge';
      readonly series: Iterable<ScalarSeries>;
    }
  | {
      readonly name: string;
      readonly help: string;
      readonly type: 'histogram';
      /** Upper bounds, increasing, without +Inf. */
      readonly buckets: readonly number[];
      readonly series: Iterable<HistogramSeries>;
    };

export class Counter implements ScalarSeries {
  value = 0;
  constructor(readonly labels: MetricLabels) {}

  inc(amount = 1): void {
    // A counter only goes up: negative or NaN increments would break rate().
    if (amount > 0) this.value += amount;
  }
}

export class Gauge implements ScalarSeries {
  value = 0;
  constructor(readonly labels: MetricLabels) {}

  set(value: number): void {
    this.value = value;
  }

  inc(amount = 1): void {
    this.value += amount;
  }
}

export class Histogram implements HistogramSeries {
  readonly bucketCounts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: MetricLabels,
    private readonly bounds: readonly number[],
  ) {
    this.bucketCounts = new Float64Array(bounds.length + 1);
  }

  /** Counts `value` in the first bucket whose upper bound is >= it (`le` is inclusive). */
  observe(value: number): void {
    if (Number.isNaN(value)) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.bucketCounts[i]!++;
    this.sum += value;
    this.count++;
  }
}
