import type { Type } from '@nestjs/common';
import type { BatchSpanProcessorOptions } from '../core/batch-span-processor.js';
import type { ConsoleSpanExporterOptions } from '../export/spans/console-span-exporter.js';
import type { FileSpanExporterOptions } from '../export/spans/file-span-exporter.js';
import type { OtlpHttpExporterOptions } from '../export/spans/otlp/otlp-http-options.js';
import type { OtlpProtocol } from '../export/spans/otlp/otlp-env-options.js';
import type { OtlpGrpcTlsOptions } from '../export/spans/otlp/otlp-grpc-options.js';
import type { ZipkinExporterOptions } from '../export/spans/zipkin/zipkin-exporter.js';
import type { InMemorySpanExporterOptions } from '../export/spans/in-memory-span-exporter.js';
import type { TextMapPropagator } from '../core/propagation/text-map-propagator.js';
import type { Sampler, SamplerFunction, SamplerName } from '../core/samplers.js';
import type { SpanExporter } from '../core/span-exporter.js';
import type { SpanRule } from '../core/tail-sampler.js';
import type { ErrorMatcher } from '../core/error-policy.js';
import type { Attributes, SpanLimits } from '../core/types.js';
import type { DevtoolsOptions } from '../devtools/interfaces/devtools-options.interface.js';
import type { HealthOptions, MetricsOptions } from '../metrics/metrics-options.interface.js';
import type { GenAiOptions } from '../genai/genai-options.interface.js';
import type { LoggingOptions } from '../logging/logging-options.interface.js';
import type { SpanExporterType } from '../config/exporter-types.js';
import type { IntegrationsOptions } from '../config/integration-options.js';

/** Per-exporter batching; `false` exports each span as it ends (for development only). */
export interface ExporterBatchConfig {
  batch?: BatchSpanProcessorOptions | false;
}

/** Each built-in exporter's options, by its type (config/exporter-types.ts lists the types). */
export interface BuiltInExporterOptions {
  console: ConsoleSpanExporterOptions & ExporterBatchConfig;
  memory: InMemorySpanExporterOptions;
  file: FileSpanExporterOptions & ExporterBatchConfig;
  otlp: OtlpExporterConfig & ExporterBatchConfig;
  /** Jaeger through its OTLP port: the same as `otlp` (OTLP/HTTP by default, or `protocol: 'grpc'`). */
  jaeger: OtlpExporterConfig & ExporterBatchConfig;
  zipkin: ZipkinExporterOptions & ExporterBatchConfig;
}

/** A built-in exporter named by type. */
export type BuiltInExporterConfig = {
  [T in SpanExporterType]: { type: T } & BuiltInExporterOptions[T];
}[SpanExporterType];

/**
 * OTLP settings, over HTTP (default) or gRPC; OTEL_EXPORTER_OTLP_* variables fill in what is
 * left out. `url` is the traces URL for OTLP/HTTP (default http://localhost:4318/v1/traces)
 * and the endpoint for OTLP/gRPC (default http://localhost:4317).
 */
export type OtlpExporterConfig = Omit<
  OtlpHttpExporterOptions,
  'env' | 'onPartialSuccess' | 'protocol'
> & {
  /**
   * `grpc` exports with OTLP/gRPC (needs the optional peer `@grpc/grpc-js`).
   * Default: `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL`, else `http/protobuf`.
   */
  protocol?: OtlpProtocol;
  /** gRPC only: `false` uses TLS with an `http:` URL. Default: the URL's scheme decides. */
  insecure?: boolean;
  /** gRPC only: CA and client certificate (PEM) for TLS. */
  tls?: OtlpGrpcTlsOptions;
};

/**
 * An exporter: a built-in one by type, an `@Injectable()` class implementing
 * SpanExporter (resolved through DI, so it may inject ConfigService), or an instance.
 */
export type ExporterOption = BuiltInExporterConfig | Type<SpanExporter> | SpanExporter;

/** A sampler: by OTEL_TRACES_SAMPLER name, an instance, or a function. */
export type SamplerOption =
  SamplerName | { type: SamplerName; ratio?: number } | Sampler | SamplerFunction;

/** Propagator names as in OTEL_PROPAGATORS. */
export type PropagatorName = 'tracecontext' | 'baggage' | 'b3' | 'b3multi' | 'none';

export interface CorrelationOptions {
  /**
   * Incoming headers read for a correlation id, first well-formed one wins.
   * @default ['x-correlation-id', 'x-request-id']
   */
  requestHeaders?: string[];
  /**
   * Response header that echoes the correlation id; `false` sends none.
   * @default 'x-correlation-id'
   */
  responseHeader?: string | false;
  /**
   * Makes a correlation id when the request brings none. By default the trace id is used.
   */
  generate?: () => string;
}

/**
 * What counts as an error. By default (the OpenTelemetry conventions) a thrown
 * HttpException with a 4xx status is recorded as an `exception` event and leaves the span's
 * status unset; 5xx statuses and every other thrown value set it to ERROR.
 */
export interface TracingErrorOptions {
  /**
   * Thrown values and response statuses that also count as errors (status ERROR, counted by
   * the error metrics and the viewer): an HTTP status (`409`: a thrown HttpException with it,
   * or a server response with it), an error class (`ConflictException`, matched with
   * `instanceof`), or a predicate `(error) => boolean`. @default []
   */
  countAsError?: ErrorMatcher[];
}

/**
 * In-process tail sampling (`sampling.tail`): each trace's local spans are held until its
 * local root ends, then kept when a span failed, the root was slow or a `keep` rule matches,
 * dropped when a `drop` rule matches, else decided by the head `sampler`. Metrics and the
 * health summary still see every request. Every span is recorded and propagated sampled
 * (`sampled=1`): the decision is local to this service.
 */
export interface TailSamplingOptions {
  /** @default true once `tail` is given */
  enabled?: boolean;
  /** Keep traces with any span of error status. @default true */
  keepErrors?: boolean;
  /** Keep traces whose local root took longer than this many ms. @default none */
  thresholdMs?: number;
  /** Keep traces whose local root matches any rule. */
  keep?: SpanRule[];
  /** Drop traces whose local root matches any rule (checked first), e.g. `{ route: '/health', statusCode: 200 }`. */
  drop?: SpanRule[];
  /** Traces held at once; more are decided by the head sampler and counted. @default 1000 */
  maxTraces?: number;
  /** Spans held per trace; more are decided by the head sampler and counted. @default 500 */
  maxSpansPerTrace?: number;
  /** Longest a trace is held (ms), then decided by the head sampler and counted. @default 30000 */
  maxWaitMs?: number;
}

export interface SamplingOptions {
  /** Off by default. */
  tail?: TailSamplingOptions;
}

/** A route that produces no spans: an exact path, a path ending in `*` (prefix), or a RegExp. */
export type IgnoredRoute = string | RegExp;

export interface TracingModuleOptions {
  /** `service.name`. @default OTEL_SERVICE_NAME, else `unknown_service:node` */
  serviceName?: string;
  /** `service.version`. */
  serviceVersion?: string;
  /** `deployment.environment.name`. */
  environment?: string;
  /** Extra resource attributes; OTEL_RESOURCE_ATTRIBUTES fills in the rest. */
  resourceAttributes?: Attributes;
  /** `false` turns every piece into a cheap no-op. @default true unless OTEL_SDK_DISABLED=true */
  enabled?: boolean;
  /** @default OTEL_TRACES_SAMPLER, else 'parentbased_always_on' */
  sampler?: SamplerOption;
  /** Tail sampling and span rules, decided when a trace's local root ends. @default off */
  sampling?: SamplingOptions;
  /** @default OTEL_PROPAGATORS, else ['tracecontext', 'baggage'] */
  propagators?: PropagatorName[] | TextMapPropagator;
  correlation?: CorrelationOptions;
  /** @default OTEL_TRACES_EXPORTER (`console`, `memory`, `otlp`, `jaeger`, `zipkin`, `none`), else none */
  exporters?: ExporterOption[];
  /**
   * Batching for every exporter but the in-memory one (which exports at once); a
   * built-in exporter's own `batch` wins. @default OTEL_BSP_* variables, else 2048 queued
   * spans, batches of 512, a 5 s delay, a 30 s export timeout, 5 retries
   */
  batch?: BatchSpanProcessorOptions;
  /** Routes that produce no spans, such as health checks. */
  ignoreRoutes?: IgnoredRoute[];
  /** @default 128 attributes, 4096 characters per value, 128 events, 128 links */
  spanLimits?: Partial<SpanLimits>;
  /**
   * Trace HTTP requests from the server itself (its request listener, an Express middleware,
   * Fastify hooks; a Nest middleware on other adapters), so middleware, guards, pipes and
   * exception filters see the request's context. With `false` the interceptor opens the
   * context, and only code inside it sees it. @default true
   */
  instrumentServer?: boolean;
  /**
   * @deprecated Renamed `instrumentServer` (it installs platform hooks, not a middleware);
   * accepted, with a warning, until the next release.
   */
  mountMiddleware?: boolean;
  /**
   * The trace viewer: a page at `path` (default `/_tracing`) listing recent traces, with
   * a waterfall per trace, span details and live updates, over a bounded in-memory store.
   * `true` for the defaults. Refused when NODE_ENV is `production` unless `force: true`.
   * @default undefined (off)
   */
  devtools?: boolean | DevtoolsOptions;
  /**
   * RED metrics derived from spans (requests by route, outgoing calls by host, `@Traced()`
   * operations, GenAI calls), served in the Prometheus text format at `path` (default
   * `/metrics`) with the exporters' self-telemetry. `true` for the defaults.
   * @default undefined (off: no metrics are recorded)
   */
  metrics?: boolean | MetricsOptions;
  /**
   * A health summary over a sliding window (error rate, average and p95 latency, recent
   * traces, exporter state): `TracingHealthService`, `TracingHealthIndicator` for
   * @nestjs/terminus, and a JSON route at `path` (default `/tracing/health`). `true` for
   * the defaults. @default undefined (off: no window is recorded)
   */
  health?: boolean | HealthOptions;
  /** GenAI call tracing: the price table that gives calls a cost. @default { prices: {} } */
  genAi?: GenAiOptions;
  /**
   * Correlated logs: the TraceLogger's level, format and destination, logs as span events,
   * and log exporters (Datadog, Loki, CloudWatch Logs, REST). The TraceLogger is always
   * available; this tunes it. @default { level: 'info', format: 'json', destination: 'stdout', spanEvents: false, exporters: [] }
   */
  logging?: LoggingOptions;
  /** Which thrown values count as errors beyond the OpenTelemetry conventions. @default { countAsError: [] } */
  errors?: TracingErrorOptions;
  /**
   * The client libraries traced with no preload, from the diagnostics channels they publish
   * (`pg`, which has none yet, by wrapping its query methods): outgoing `fetch` and
   * `node:http`, pg, mysql2, ioredis, node-redis, mongoose, GraphQL. All on; switch any off
   * (`{ pg: false }`) or all (`false`). `OTEL_NODE_DISABLED_INSTRUMENTATIONS=pg,http` works too.
   */
  integrations?: IntegrationsOptions | false;
  /**
   * With `@opentelemetry/api` 1.x installed, register a global TracerProvider, context manager
   * and propagator backed by this module, so code and libraries that speak the OpenTelemetry
   * API (instrumentation-* packages, Prisma, the AI SDK, `trace.getActiveSpan()`) join these
   * traces. If another provider (the OpenTelemetry SDK) is registered first, it is left alone
   * and a warning says so. @default true
   */
  openTelemetryApi?: boolean;
}

export interface TracingOptionsFactory {
  createTracingOptions(): Promise<TracingModuleOptions> | TracingModuleOptions;
}
