// Nest glue
export { TracingModule, type TracingModuleAsyncOptions } from './tracing.module.js';
export { TracingService } from './nest/tracing.service.js';
export { TracingInterceptor } from './nest/tracing.interceptor.js';
export { TracingContextMiddleware } from './nest/tracing-context.middleware.js';
export { Traced, type TracedOptions } from './nest/traced.decorator.js';
export { CurrentSpan, CorrelationId } from './nest/tracing.param-decorators.js';
export { TRACING_EXPORTERS, TRACED_METADATA } from './tracing.constants.js';
export { TRACING_MODULE_OPTIONS } from './tracing.module-definition.js';
export { TracingConfigError } from './tracing.errors.js';
export type {
  BuiltInExporterConfig,
  CorrelationOptions,
  ExporterOption,
  IgnoredRoute,
  PropagatorName,
  SamplerOption,
  TracingModuleOptions,
  TracingOptionsFactory,
} from './interfaces/tracing-module-options.interface.js';

// Core
export { Tracer, type SpanOptions, type TracerConfig } from './core/tracer.js';
export {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  DEFAULT_SPAN_LIMITS,
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
export { Baggage, type BaggageEntry } from './core/baggage.js';
export { TraceContext, activeContext, runWithContext, bindContext } from './core/trace-context.js';
export {
  RandomIdGenerator,
  isValidSpanId,
  isValidTraceId,
  type IdGenerator,
} from './core/id-generator.js';
export { hrTimeToUnixNanos, hrTimeToUnixMicros, hrTimeToUnixMillis } from './core/clock.js';
export {
  AlwaysOffSampler,
  AlwaysOnSampler,
  FunctionSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  createSampler,
  type Sampler,
  type SamplerFunction,
  type SamplerName,
  type SamplingParameters,
} from './core/samplers.js';
export { ExportResultCode, type ExportResult, type SpanExporter } from './core/span-exporter.js';
export type { SpanProcessor } from './core/span-processor.js';
export { SimpleSpanProcessor } from './core/simple-span-processor.js';
export {
  BatchSpanProcessor,
  type BatchSpanProcessorOptions,
  type ExporterStats,
} from './core/batch-span-processor.js';
export { MultiSpanProcessor } from './core/multi-span-processor.js';
export {
  InMemorySpanExporter,
  type InMemorySpanExporterOptions,
} from './core/exporters/in-memory-span-exporter.js';
export {
  ConsoleSpanExporter,
  type ConsoleSpanExporterOptions,
} from './core/exporters/console-span-exporter.js';
export {
  B3Propagator,
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
  createPropagator,
  defaultGetter,
  defaultSetter,
  formatTraceparent,
  parseTraceparent,
  type Carrier,
  type CarrierGetter,
  type CarrierSetter,
  type PropagationState,
  type TextMapPropagator,
} from './core/propagation/index.js';
export { TraceState, parseTraceState } from './core/trace-state.js';
export {
  FileSpanExporter,
  type FileSpanExporterOptions,
} from './core/exporters/file-span-exporter.js';
export {
  OtlpHttpExporter,
  encodeOtlpJson,
  encodeOtlpProtobuf,
  type OtlpHttpExporterOptions,
  type OtlpHttpProtocol,
  type OtlpCompression,
  type OtlpPartialSuccess,
} from './core/exporters/otlp/index.js';
export {
  ZipkinExporter,
  encodeZipkinJson,
  type ZipkinExporterOptions,
  type ZipkinSpan,
} from './core/exporters/zipkin/index.js';
export type {
  OtlpExporterConfig,
  ExporterBatchConfig,
} from './interfaces/tracing-module-options.interface.js';
