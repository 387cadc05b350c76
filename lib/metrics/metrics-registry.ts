/**
 * Counters, gauges and histograms keyed by label values, with a cap on series per metric.
 * Framework-free: the span metrics and users' own metrics live here, and the Prometheus
 * formatter reads the families as they are (no copy per scrape).
 */

import {
  Counter,
  Gauge,
  Histogram,
  type HistogramSeries,
  type MetricFamilySnapshot,
  type MetricLabels,
  type MetricType,
  type ScalarSeries,
} from './metric-series.js';

export {
  Counter,
  Gauge,
  Histogram,
  type HistogramSeries,
  type MetricFamilySnapshot,
  type MetricLabels,
  type MetricType,
  type ScalarSeries,
} from './metric-series.js';

export interface MetricsRegistryOptions {
  /**
   * Most series a metric keeps; later label sets are all counted in one series whose only
   * label is `overflow="true"`. @default 1000
   */
  maxSeriesPerMetric?: number;
  /** Called once per metric when it first overflows (to log a warning). */
  onOverflow?: (metric: string, maxSeries: number) => void;
}

/** The label of the series that collects what goes beyond a metric's cap. */
export const OVERFLOW_LABEL = 'overflow';
const OVERFLOW_LABELS: MetricLabels = Object.freeze([
  Object.freeze([OVERFLOW_LABEL, 'true'] as const),
]);

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// Joins label values into a map key; a NUL cannot be confused with text in a label value.
const KEY_SEPARATOR = '\u0000';

/** The series of one metric, by label values. */
export class MetricFamily<S extends ScalarSeries | HistogramSeries> {
  private readonly byKey = new Map<string, S>();
  private overflowSeries: S | undefined;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    readonly labelNames: readonly string[],
    private readonly create: (labels: MetricLabels) => S,
    private readonly maxSeries: number,
    private readonly onOverflow: ((metric: string, maxSeries: number) => void) | undefined,
  ) {}

  /**
   * The series for these label values (in `labelNames` order), made on first use. Beyond
   * the cap, every new label set gets the one overflow series. Callers on a hot path keep
   * the returned series instead of calling this per event.
   */
  labels(...values: string[]): S {
    if (values.length !== this.labelNames.length) {
      throw new Error(
        `metric ${this.name}: expected ${this.labelNames.length} label values (${this.labelNames.join(', ')}), got ${values.length}`,
      );
    }
    const key = values.join(KEY_SEPARATOR);
    const found = this.byKey.get(key);
    if (found !== undefined) return found;
    if (this.byKey.size >= this.maxSeries) return this.overflow();
    const series = this.create(
      Object.freeze(this.labelNames.map((name, i) => Object.freeze([name, values[i]!] as const))),
    );
    this.byKey.set(key, series);
    return series;
  }

  /** The series that counts label sets beyond the cap. */
  overflow(): S {
    if (this.overflowSeries === undefined) {
      this.overflowSeries = this.create(OVERFLOW_LABELS);
      this.onOverflow?.(this.name, this.maxSeries);
    }
    return this.overflowSeries;
  }

  /** Whether the cap is reached (new label sets now go to the overflow series). */
  get full(): boolean {
    return this.byKey.size >= this.maxSeries;
  }

  /** Number of series, the overflow series included. */
  get size(): number {
    return this.byKey.size + (this.overflowSeries === undefined ? 0 : 1);
  }

  *series(): IterableIterator<S> {
    yield* this.byKey.values();
    if (this.overflowSeries !== undefined) yield this.overflowSeries;
  }
}

/** Histogram family with its bucket bounds, for the formatter. */
export class HistogramFamily extends MetricFamily<Histogram> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
    maxSeries: number,
    onOverflow: ((metric: string, maxSeries: number) => void) | undefined,
  ) {
    super(
      name,
      help,
      'histogram',
      labelNames,
      (labels) => new Histogram(labels, buckets),
      maxSeries,
      onOverflow,
    );
  }
}

export type CounterFamily = MetricFamily<Counter>;
export type GaugeFamily = MetricFamily<Gauge>;

/** The metrics of one app: span-derived ones and any the user adds. */
export class MetricsRegistry {
  private readonly families = new Map<string, CounterFamily | GaugeFamily | HistogramFamily>();
  private readonly maxSeries: number;
  private readonly onOverflow: MetricsRegistryOptions['onOverflow'];

  constructor(options: MetricsRegistryOptions = {}) {
    const max = options.maxSeriesPerMetric ?? 1000;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`maxSeriesPerMetric must be an integer of at least 1; got ${max}`);
    }
    this.maxSeries = max;
    this.onOverflow = options.onOverflow;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): CounterFamily {
    return this.scalar(name, help, 'counter', labelNames, (labels) => new Counter(labels));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): GaugeFamily {
    return this.scalar(name, help, 'gauge', labelNames, (labels) => new Gauge(labels));
  }

  private scalar<S extends Counter | Gauge>(
    name: string,
    help: string,
    type: 'counter' | 'gauge',
    labelNames: readonly string[],
    make: (labels: MetricLabels) => S,
  ): MetricFamily<S> {
    return this.add(
      new MetricFamily(
        name,
        help,
        type,
        this.checkLabels(name, labelNames),
        make,
        this.maxSeries,
        this.onOverflow,
      ),
    );
  }

  /** `buckets`: upper bounds, strictly increasing and finite (+Inf is implicit). */
  histogram(
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ): HistogramFamily {
    const labels = this.checkLabels(name, labelNames);
    if (labels.includes('le')) throw new Error(`metric ${name}: "le" is reserved in histograms`);
    const problem = checkBuckets(buckets);
    if (problem !== undefined) throw new Error(`metric ${name}: buckets ${problem}`);
    return this.add(
      new HistogramFamily(
        name,
        help,
        labels,
        Object.freeze([...buckets]),
        this.maxSeries,
        this.onOverflow,
      ),
    );
  }

  /** Every family, in the order they were added. */
  collect(): MetricFamilySnapshot[] {
    const out: MetricFamilySnapshot[] = [];
    for (const family of this.families.values()) {
      if (family instanceof HistogramFamily) {
        out.push({
          name: family.name,
          help: family.help,
          type: 'histogram',
          buckets: family.buckets,
          series: family.series(),
        });
      } else {
        out.push({
          name: family.name,
          help: family.help,
          type: family.type === 'gauge' ? 'gauge' : 'counter',
          series: (family as CounterFamily | GaugeFamily).series(),
        });
      }
    }
    return out;
  }

  private add<F extends CounterFamily | GaugeFamily | HistogramFamily>(family: F): F {
    if (!METRIC_NAME.test(family.name)) throw new Error(`invalid metric name "${family.name}"`);
    if (this.families.has(family.name)) {
      throw new Error(`metric ${family.name} is already registered`);
    }
    this.families.set(family.name, family);
    return family;
  }

  private checkLabels(metric: string, names: readonly string[]): readonly string[] {
    for (const name of names) {
      if (!LABEL_NAME.test(name) || name.startsWith('__') || name === OVERFLOW_LABEL) {
        throw new Error(`metric ${metric}: invalid or reserved label name "${name}"`);
      }
    }
    if (new Set(names).size !== names.length) {
      throw new Error(`metric ${metric}: duplicate label names`);
    }
    return Object.freeze([...names]);
  }
}

/** Why `buckets` cannot be histogram bounds, or undefined when they can. */
export function checkBuckets(buckets: unknown): string | undefined {
  if (!Array.isArray(buckets) || buckets.length === 0) return 'must be a non-empty array';
  for (let i = 0; i < buckets.length; i++) {
    const b: unknown = buckets[i];
    if (typeof b !== 'number' || !Number.isFinite(b)) return 'must be finite numbers';
    if (i > 0 && b <= (buckets[i - 1] as number)) return 'must be strictly increasing';
  }
  return undefined;
}
