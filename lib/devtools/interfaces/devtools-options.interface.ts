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
   * Hosts the viewer answers under besides the loopback ones (`localhost`, `*.localhost`,
   * `127.0.0.1`, `[::1]`, any port): `'traces.internal:3000'` for that port only,
   * `'traces.internal'` for any. A request with another `Host` gets 403, which keeps a web
   * page from reading the viewer through DNS rebinding. Applies to the span intake too.
   * @default []
   */
  allowedHosts?: readonly string[];
  /**
   * Accept spans from other services as OTLP/HTTP JSON at `<path>/v1/traces`, so a trace
   * that crosses services shows as one. Point another service's exporter at it:
   * `{ type: 'otlp', protocol: 'http/json', url: 'http://127.0.0.1:3000/_tracing/v1/traces' }`.
   * `true` takes spans from any client that reaches the app under an allowed host; `false`
   * turns the intake off; an object restricts it.
   * @default true
   */
  acceptSpans?: boolean | DevtoolsSpanIntakeOptions;
  /**
   * Serve the viewer even when NODE_ENV is `production`. It shows recorded request data
   * to anyone who can reach the app: only behind your own access control.
   * @default false
   */
  force?: boolean;
}

/** Who may post spans to the viewer; given both, a sender must pass both. */
export interface DevtoolsSpanIntakeOptions {
  /**
   * Remote IP addresses spans are taken from, as the socket sees them (proxies' forwarding
   * headers are not trusted); `'loopback'` stands for 127.0.0.0/8 and ::1.
   * Example: `['loopback', '10.0.0.7']`. @default any address
   */
  from?: readonly string[];
  /**
   * A shared secret each post must carry as `Authorization: Bearer <token>`: set it on the
   * sender's exporter with `headers: { authorization: 'Bearer <token>' }`. @default none
   */
  token?: string;
}
