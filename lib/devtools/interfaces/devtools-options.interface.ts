/**
 * The trace viewer: a page served by the app itself, over a bounded in-memory store of
 * recent traces. For development: refused when NODE_ENV is `production` unless forced.
 */
export interface DevtoolsOptions {
  /**
   * Where the viewer is served; every path under it belongs to the viewer and is never
   * traced. Absolute: a global prefix set with `app.setGlobalPrefix` does not apply.
   * @default '/_tracing'
   */
  path?: string;
  /** Most traces kept; when full, the oldest trace is dropped. @default 100 */
  maxTraces?: number;
  /** Most spans kept per trace; later ones are counted as dropped. @default 1000 */
  maxSpansPerTrace?: number;
  /**
   * Accept spans from other services as OTLP/HTTP JSON at `<path>/v1/traces`, so a trace
   * that crosses services shows as one. Point another service's exporter at it:
   * `{ type: 'otlp', protocol: 'http/json', url: 'http://gateway:3000/_tracing/v1/traces' }`.
   * @default true
   */
  acceptSpans?: boolean;
  /**
   * Serve the viewer even when NODE_ENV is `production`. It shows recorded request data
   * to anyone who can reach the app: only behind your own access control.
   * @default false
   */
  force?: boolean;
}
