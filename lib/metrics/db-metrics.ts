import { SpanStatusCode, type ReadableSpan } from '../core/types.js';
import type {
  Counter,
  CounterFamily,
  Histogram,
  HistogramFamily,
  MetricsRegistry,
} from './metrics-registry.js';

/** OpenTelemetry's advice for `db.client.operation.duration`, in seconds. */
export const DB_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10,
]);

export const DB_METRIC_NAMES = {
  operations: 'db_client_operations_total',
  errors: 'db_client_operation_errors_total',
  duration: 'db_client_operation_duration_seconds',
} as const;

/**
 * Label values of one kind kept per database system before the rest share `_OTHER` (the
 * OpenTelemetry catch-all): operation names and error types are few by nature, collection
 * names are the app's tables, but an app that creates tables per tenant or per day must not
 * make one series each. The registry's per-metric cap still applies on top.
 */
export const DB_LABEL_LIMITS = Object.freeze({ operations: 64, collections: 200, errorTypes: 32 });

export const OTHER_LABEL = '_OTHER';

/** One (system, operation, collection): the series a span lands in, found once and kept. */
interface DbSeries {
  readonly labels: readonly [string, string, string];
  readonly operations: Counter;
  /** Successful calls' durations (`error_type=""`). */
  readonly duration: Histogram;
  /** By error type: the error counter and the failed calls' durations. */
  readonly failures: Map<string, { readonly errors: Counter; readonly duration: Histogram }>;
}

/** Distinct label values seen per system, to bound each label. */
interface SystemState {
  readonly operations: Map<string, Map<string, DbSeries>>;
  collectionNames: Set<string>;
  errorTypes: Set<string>;
}

/**
 * Database and cache calls (the CLIENT spans the integrations open with `db.system.name`):
 * calls, failures by `error.type` and duration, by system, operation and collection, after
 * OpenTelemetry's `db.client.operation.duration`. A query in an N+1 loop is a span per row, so
 * this path costs map lookups and increments only, no string building past the first call of
 * each label set.
 */
export class DbMetrics {
  private readonly operations: CounterFamily;
  private readonly errors: CounterFamily;
  private readonly duration: HistogramFamily;
  private readonly systems = new Map<string, SystemState>();

  constructor(registry: MetricsRegistry) {
    const n = DB_METRIC_NAMES;
    const labels = ['db_system_name', 'db_operation_name', 'db_collection_name'];
    this.operations = registry.counter(
      n.operations,
      'Database and cache calls, by system, operation and collection.',
      labels,
    );
    this.errors = registry.counter(
      n.errors,
      'Database and cache calls that failed, by error type (the error code, else its class).',
      [...labels, 'error_type'],
    );
    this.duration = registry.histogram(
      n.duration,
      'Duration of database and cache calls, in seconds (error_type set when the call failed).',
      [...labels, 'error_type'],
      DB_DURATION_BUCKETS,
    );
  }

  /** Counts one ended CLIENT span whose `db.system.name` is `system`. */
  record(span: ReadableSpan, system: string): void {
    const attrs = span.attributes;
    const series = this.series(system, attrs['db.operation.name'], attrs['db.collection.name']);
    series.operations.inc();
    const seconds = span.durationMs / 1000;
    if (span.status.code !== SpanStatusCode.ERROR) {
      series.duration.observe(seconds);
      return;
    }
    const type = attrs['error.type'];
    const failure = this.failure(series, system, typeof type === 'string' ? type : OTHER_LABEL);
    failure.errors.inc();
    failure.duration.observe(seconds);
  }

  private series(system: string, operation: unknown, collection: unknown): DbSeries {
    let state = this.systems.get(system);
    const op = typeof operation === 'string' ? operation : '';
    const coll = typeof collection === 'string' ? collection : '';
    const found = state?.operations.get(op)?.get(coll);
    if (found !== undefined) return found;

    // First call of this label set (or a value past its limit): the slow path.
    if (state === undefined) {
      // Systems come from the integrations' own constants: a handful.
      state = { operations: new Map(), collectionNames: new Set(), errorTypes: new Set() };
      this.systems.set(system, state);
    }
    let opKey = op;
    if (!state.operations.has(op) && state.operations.size >= DB_LABEL_LIMITS.operations) {
      opKey = OTHER_LABEL;
    }
    let collKey = coll;
    if (coll !== '' && !state.collectionNames.has(coll)) {
      if (state.collectionNames.size >= DB_LABEL_LIMITS.collections) collKey = OTHER_LABEL;
      else state.collectionNames.add(coll);
    }
    let byCollection = state.operations.get(opKey);
    if (byCollection === undefined) state.operations.set(opKey, (byCollection = new Map()));
    let series = byCollection.get(collKey);
    if (series === undefined) {
      const labels = [system, opKey, collKey] as const;
      series = {
        labels,
        operations: this.operations.labels(...labels),
        duration: this.duration.labels(...labels, ''),
        failures: new Map(),
      };
      byCollection.set(collKey, series);
    }
    // A value past its limit is not cached under its own name: it keeps taking this path,
    // which only costs the map misses above (the series is `_OTHER`'s).
    return series;
  }

  private failure(
    series: DbSeries,
    system: string,
    type: string,
  ): { readonly errors: Counter; readonly duration: Histogram } {
    const found = series.failures.get(type);
    if (found !== undefined) return found;
    const state = this.systems.get(system)!;
    let key = type;
    if (!state.errorTypes.has(type)) {
      if (state.errorTypes.size >= DB_LABEL_LIMITS.errorTypes) key = OTHER_LABEL;
      else state.errorTypes.add(type);
    }
    let failure = series.failures.get(key);
    if (failure === undefined) {
      failure = {
        errors: this.errors.labels(...series.labels, key),
        duration: this.duration.labels(...series.labels, key),
      };
      series.failures.set(key, failure);
    }
    return failure;
  }
}
