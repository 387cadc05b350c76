import { GEN_AI_ATTRIBUTES as GEN_AI } from '../core/genai-attributes.js';
import { SpanKind, SpanStatusCode, type ReadableSpan } from '../core/types.js';
import type {
  Counter,
  CounterFamily,
  Histogram,
  HistogramFamily,
  MetricsRegistry,
} from './metrics-registry.js';
import { DbMetrics } from './db-metrics.js';
import { GenAiMetrics } from './genai-metrics.js';

/** The span-derived metric names, for dashboards and tests. */
export const SPAN_METRIC_NAMES = {
  serverRequests: 'http_server_requests_total',
  serverErrors: 'http_server_request_errors_total',
  serverDuration: 'http_server_request_duration_seconds',
  clientRequests: 'http_client_requests_total',
  clientErrors: 'http_client_request_errors_total',
  clientDuration: 'http_client_request_duration_seconds',
  operationCalls: 'traced_operation_calls_total',
  operationErrors: 'traced_operation_errors_total',
  operationDuration: 'traced_operation_duration_seconds',
} as const;

/** The series of one label set, found once and then kept, so a span costs no lookup by string. */
interface RedSeries {
  /** Requests by status code (server and client), made on first use of each code. */
  readonly requestsByStatus: Map<number, Counter> | undefined;
  /** Calls (operations, which have no status code). */
  readonly requests: Counter | undefined;
  readonly errors: Counter;
  readonly duration: Histogram;
  /** Label values before the status code; undefined for the overflow series. */
  readonly labels: readonly string[] | undefined;
}

/**
 * RED metrics derived from ended spans: HTTP server requests by route template, outgoing
 * HTTP calls by host, `@Traced()` operations by name, database and cache calls (DbMetrics) and GenAI calls (GenAiMetrics). Label values come from attributes that are bounded by design (route
 * templates, never raw URLs); every metric is capped (see MetricsRegistry) and so is
 * each lookup cache.
 */
export class SpanMetrics {
  private readonly serverRequests: CounterFamily;
  private readonly serverErrors: CounterFamily;
  private readonly serverDuration: HistogramFamily;
  private readonly clientRequests: CounterFamily;
  private readonly clientErrors: CounterFamily;
  private readonly clientDuration: HistogramFamily;
  private readonly operationCalls: CounterFamily;
  private readonly operationErrors: CounterFamily;
  private readonly operationDuration: HistogramFamily;
  private readonly genAi: GenAiMetrics;
  private readonly db: DbMetrics;

  // method -> route -> series; host -> series; operation -> series.
  private readonly routes = new Map<string, Map<string, RedSeries>>();
  private routeCount = 0;
  private readonly hosts = new Map<string, RedSeries>();
  private readonly operations = new Map<string, RedSeries>();
  private overflowRoute: RedSeries | undefined;
  private overflowHost: RedSeries | undefined;
  private overflowOperation: RedSeries | undefined;
  private readonly cacheLimit: number;

  constructor(registry: MetricsRegistry, buckets: readonly number[], maxSeriesPerMetric: number) {
    const n = SPAN_METRIC_NAMES;
    const server = ['http_request_method', 'http_route'];
    this.serverRequests = registry.counter(
      n.serverRequests,
      'HTTP requests served, by method, route template and status code.',
      [...server, 'http_response_status_code'],
    );
    this.serverErrors = registry.counter(
      n.serverErrors,
      'HTTP requests that failed (5xx, an unhandled error or an aborted response).',
      server,
    );
    this.serverDuration = registry.histogram(
      n.serverDuration,
      'Duration of HTTP requests served, in seconds.',
      server,
      buckets,
    );
    this.clientRequests = registry.counter(
      n.clientRequests,
      'Outgoing HTTP calls, by host and status code.',
      ['server_address', 'http_response_status_code'],
    );
    this.clientErrors = registry.counter(
      n.clientErrors,
      'Outgoing HTTP calls that failed (no answer or 5xx).',
      ['server_address'],
    );
    this.clientDuration = registry.histogram(
      n.clientDuration,
      'Duration of outgoing HTTP calls, in seconds.',
      ['server_address'],
      buckets,
    );
    this.operationCalls = registry.counter(n.operationCalls, 'Calls of @Traced() operations.', [
      'operation',
    ]);
    this.operationErrors = registry.counter(
      n.operationErrors,
      'Calls of @Traced() operations that threw or rejected.',
      ['operation'],
    );
    this.operationDuration = registry.histogram(
      n.operationDuration,
      'Duration of @Traced() operations, in seconds.',
      ['operation'],
      buckets,
    );
    this.genAi = new GenAiMetrics(registry, maxSeriesPerMetric);
    this.db = new DbMetrics(registry);
    this.cacheLimit = maxSeriesPerMetric;
  }

  /**
   * Counts one ended span. On the request path: a few attribute reads, map lookups and
   * increments, no string building (past the first span of each label set).
   */
  record(span: ReadableSpan): void {
    const attrs = span.attributes;
    const kind = span.kind;
    // HTTP spans are only HTTP metrics: the other lookups are skipped for them.
    if (kind === SpanKind.SERVER) {
      const method = attrs['http.request.method'];
      if (typeof method === 'string') {
        const route = attrs['http.route'];
        const series = this.routeSeries(method, typeof route === 'string' ? route : '');
        this.count(series, this.serverRequests, span);
        return;
      }
    } else if (kind === SpanKind.CLIENT) {
      const host = attrs['server.address'];
      if (typeof host === 'string' && attrs['http.request.method'] !== undefined) {
        this.count(this.hostSeries(host), this.clientRequests, span);
        return;
      }
      const system = attrs['db.system.name'];
      if (typeof system === 'string') {
        this.db.record(span, system);
        return;
      }
    }
    if (attrs['code.function.name'] !== undefined) {
      const series = this.operationSeries(span.name);
      series.requests!.inc();
      if (span.status.code === SpanStatusCode.ERROR) series.errors.inc();
      series.duration.observe(span.durationMs / 1000);
    }
    if (attrs[GEN_AI.providerName] !== undefined) this.genAi.record(span);
  }

  private count(series: RedSeries, requests: CounterFamily, span: ReadableSpan): void {
    const status = span.attributes['http.response.status_code'];
    const code = typeof status === 'number' ? status : 0;
    const byStatus = series.requestsByStatus!;
    let counter = byStatus.get(code);
    if (counter === undefined) {
      counter =
        series.labels === undefined
          ? requests.overflow()
          : requests.labels(...series.labels, code === 0 ? '' : String(code));
      // Status codes are few, but a misbehaving peer could send many: cap the cache too.
      if (byStatus.size < 100) byStatus.set(code, counter);
    }
    counter.inc();
    if (span.status.code === SpanStatusCode.ERROR || code >= 500) series.errors.inc();
    series.duration.observe(span.durationMs / 1000);
  }

  private routeSeries(method: string, route: string): RedSeries {
    let byRoute = this.routes.get(method);
    const found = byRoute?.get(route);
    if (found !== undefined) return found;
    // Past the cap every new label set shares one overflow series (and no cache entry).
    if (this.routeCount >= this.cacheLimit) {
      return (this.overflowRoute ??= {
        requestsByStatus: new Map(),
        requests: undefined,
        errors: this.serverErrors.overflow(),
        duration: this.serverDuration.overflow(),
        labels: undefined,
      });
    }
    const series: RedSeries = {
      requestsByStatus: new Map(),
      requests: undefined,
      errors: this.serverErrors.labels(method, route),
      duration: this.serverDuration.labels(method, route),
      labels: [method, route],
    };
    if (byRoute === undefined) this.routes.set(method, (byRoute = new Map()));
    byRoute.set(route, series);
    this.routeCount++;
    return series;
  }

  private hostSeries(host: string): RedSeries {
    const found = this.hosts.get(host);
    if (found !== undefined) return found;
    if (this.hosts.size >= this.cacheLimit) {
      return (this.overflowHost ??= {
        requestsByStatus: new Map(),
        requests: undefined,
        errors: this.clientErrors.overflow(),
        duration: this.clientDuration.overflow(),
        labels: undefined,
      });
    }
    const series: RedSeries = {
      requestsByStatus: new Map(),
      requests: undefined,
      errors: this.clientErrors.labels(host),
      duration: this.clientDuration.labels(host),
      labels: [host],
    };
    this.hosts.set(host, series);
    return series;
  }

  private operationSeries(name: string): RedSeries {
    const found = this.operations.get(name);
    if (found !== undefined) return found;
    if (this.operations.size >= this.cacheLimit) {
      return (this.overflowOperation ??= {
        requestsByStatus: undefined,
        requests: this.operationCalls.overflow(),
        errors: this.operationErrors.overflow(),
        duration: this.operationDuration.overflow(),
        labels: undefined,
      });
    }
    const series: RedSeries = {
      requestsByStatus: undefined,
      requests: this.operationCalls.labels(name),
      errors: this.operationErrors.labels(name),
      duration: this.operationDuration.labels(name),
      labels: [name],
    };
    this.operations.set(name, series);
    return series;
  }
}
