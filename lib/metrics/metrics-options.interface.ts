/** `metrics` in TracingModule.forRoot: RED metrics derived from spans, served for Prometheus. */
export interface MetricsOptions {
  /**
   * Path that serves the metrics in the Prometheus text format (never traced itself);
   * `false` serves none (read them through `TracingMetricsService`). Like any Nest route
   * it moves under a global prefix: exclude it from the prefix
   * (`setGlobalPrefix('api', { exclude: ['metrics'] })`) or list the prefixed path in
   * `ignoreRoutes`. @default '/metrics'
   */
  path?: string | false;
  /**
   * Upper bounds, in seconds, of the request, outgoing-call and operation duration
   * histograms; strictly increasing (+Inf is implicit).
   * @default [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
   */
  buckets?: number[];
  /**
   * Most series one metric keeps; label sets beyond it are counted together in a series
   * labelled `overflow="true"`, so memory and scrape size stay bounded. @default 1000
   */
  maxSeriesPerMetric?: number;
}

/** `health` in TracingModule.forRoot: a summary of recent requests and of the exporters. */
export interface HealthOptions {
  /**
   * Route that serves the summary as JSON (200 when healthy, 503 when not; never traced
   * itself, with the same global-prefix caveat as `metrics.path`); `false` serves none
   * (inject `TracingHealthService`). @default '/tracing/health'
   */
  path?: string | false;
  /** Length of the sliding window, in milliseconds (at least 1000). @default 60000 */
  windowMs?: number;
  /** Highest share of failed requests (0 to 1) that is still healthy. @default 0.1 */
  maxErrorRate?: number;
  /** Highest p95 latency, in milliseconds, that is still healthy. @default no limit */
  maxP95LatencyMs?: number;
  /** With fewer requests than this in the window, error rate and latency are not judged. @default 10 */
  minRequests?: number;
}
