// Nest glue
export { TracingModule, type TracingModuleAsyncOptions } from './tracing.module.js';
export { TracingService } from './nest/tracing.service.js';
export { TracingInterceptor } from './nest/tracing.interceptor.js';
export { Traced, type TracedOptions } from './decorators/traced.decorator.js';
export { CurrentSpan, CorrelationId } from './nest/tracing.param-decorators.js';
export { TRACING_EXPORTERS } from './tracing.constants.js';
export { TracingConfigError } from './tracing.errors.js';
export type {
  BuiltInExporterConfig,
  CorrelationOptions,
  ExporterOption,
  IgnoredRoute,
  PropagatorName,
  SamplerOption,
  SamplingOptions,
  TailSamplingOptions,
  TracingErrorOptions,
  TracingModuleOptions,
  TracingOptionsFactory,
} from './interfaces/tracing-module-options.interface.js';
export type {
  IntegrationName,
  IntegrationsOptions,
  QueryTextMode,
} from './config/integration-options.js';

// Spans, context, samplers, propagators and exporters (the lower layers: './export/index.ts')
export type { SpanOptions } from './core/tracer.js';
export type { SpanRule, TailSamplerStats } from './core/tail-sampler.js';
export type { ErrorClass, ErrorMatcher, ErrorPolicy } from './core/error-policy.js';
export {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type AttributeValue,
  type Attributes,
  type AttributesInput,
  type InstrumentationScope,
  type Link,
  type ReadableSpan,
  type Resource,
  type Span,
  type SpanContext,
  type SpanEvent,
  type SpanLimits,
  type SpanStatus,
  type TimeInput,
  type TraceStateLike,
} from './core/types.js';
export type { TraceContext } from './core/trace-context.js';
export {
  AlwaysOffSampler,
  AlwaysOnSampler,
  FunctionSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplerFunction,
  type SamplerName,
  type SamplingParameters,
} from './core/samplers.js';
export { ExportResultCode, type ExportResult, type SpanExporter } from './core/span-exporter.js';
export type { ExporterStats } from './core/exporter-stats.js';
export {
  InMemorySpanExporter,
  type InMemorySpanExporterOptions,
} from './export/spans/in-memory-span-exporter.js';
export {
  ConsoleSpanExporter,
  type ConsoleSpanExporterOptions,
} from './export/spans/console-span-exporter.js';
export {
  B3Propagator,
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
  type Carrier,
  type CarrierGetter,
  type CarrierSetter,
  type PropagationState,
  type TextMapPropagator,
} from './core/propagation/index.js';
export {
  FileSpanExporter,
  type FileSpanExporterOptions,
} from './export/spans/file-span-exporter.js';
export {
  OtlpHttpExporter,
  type OtlpHttpExporterOptions,
  type OtlpHttpProtocol,
  type OtlpCompression,
  OtlpGrpcExporter,
  type OtlpGrpcExporterOptions,
  type OtlpGrpcTlsOptions,
  type OtlpProtocol,
} from './export/spans/otlp/index.js';
export { ZipkinExporter, type ZipkinExporterOptions } from './export/spans/zipkin/index.js';
export type {
  OtlpExporterConfig,
  ExporterBatchConfig,
} from './interfaces/tracing-module-options.interface.js';

// Metrics, health and GenAI
export { TracingMetricsService } from './metrics/tracing-metrics.service.js';
export {
  TracingHealthService,
  type ExporterHealth,
  type TracingHealthSummary,
} from './metrics/tracing-health.service.js';
export {
  TracingHealthIndicator,
  type TracingHealthIndicatorDetails,
  type TracingHealthIndicatorResult,
} from './metrics/tracing-health.indicator.js';
// The types of TracingMetricsService's `registry` and `collect()`.
export type { MetricFamilySnapshot, MetricsRegistry } from './metrics/metrics-registry.js';
export type { HealthOptions, MetricsOptions } from './metrics/metrics-options.interface.js';
export { traceGenAi, traceGenAiStream, recordGenAiUsage } from './genai/genai.helpers.js';
export type { GenAiCall } from './genai/genai-call.js';
export type {
  GenAiRequest,
  GenAiUsage,
  GenAiUsageReader,
  TracedGenAiOptions,
} from './core/genai-call.interface.js';
export type { GenAiModelPrice, GenAiOptions } from './genai/genai-options.interface.js';

// Devtools: the trace viewer
export { TraceStore, type TraceQuery, type TraceStoreOptions } from './devtools/trace-store.js';
export type {
  DevtoolsOptions,
  DevtoolsSpanIntakeOptions,
} from './devtools/interfaces/devtools-options.interface.js';
export type {
  DevtoolsRepeatedQuery,
  DevtoolsSpan,
  DevtoolsTrace,
  DevtoolsTraceList,
  DevtoolsTraceStatus,
  DevtoolsTraceSummary,
} from './devtools/interfaces/devtools-api.interface.js';

// Automatic instrumentation (Nest's `instrument` option)
export {
  createTracingInstrument,
  type TracingInstrument,
} from './instrumentation/tracing-instrument.js';
export { NoTrace } from './instrumentation/no-trace.decorator.js';
export { DEFAULT_FRAMEWORK_MODULES } from './instrumentation/instrument-options.js';
export type {
  CollapseOptions,
  InstrumentationMatcher,
  NestComponentType,
  SpanHoldLimits,
  TracingInstrumentOptions,
} from './instrumentation/tracing-instrument-options.interface.js';

// Correlated logs and log exporters
export { TraceLogger, type StandaloneTraceLoggerOptions } from './logging/trace-logger.js';
export { runJob, currentRun, type RunContext, type RunOptions } from './logging/run-context.js';
export { LOG_EXPORTERS } from './logging/logging.constants.js';
export type {
  LogError,
  LogExporter,
  LogFields,
  LogLevel,
  LogLevelName,
  LogRecord,
} from './core/log-record.js';
export type { LogDestination } from './logging/log-output.js';
export type {
  LogExporterCommonConfig,
  LogExporterConfig,
  LogExporterOption,
  LoggingOptions,
} from './logging/logging-options.interface.js';
export {
  CloudWatchLogExporter,
  DatadogLogExporter,
  LokiLogExporter,
  RestLogExporter,
  type AwsCredentials,
  type CloudWatchLogExporterOptions,
  type DatadogLogExporterOptions,
  type HttpAuth,
  type LokiLogExporterOptions,
  type RestLogExporterOptions,
  type RestLogFormatter,
} from './export/logs/index.js';
