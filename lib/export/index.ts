// The "./export" entry: the building blocks under the module, for code that works with spans
// and log records outside Nest or writes its own pipeline. Wire encoders (OTLP, Zipkin,
// Datadog, Loki, CloudWatch, JSON log lines), span processors, the tracer and its context
// functions, ids, timestamps and propagation helpers. A Nest app needs none of it: the root
// entry has what it writes against. Framework-free: core/ and export/ only.

// Wire encoders: spans
export { encodeOtlpJson, encodeOtlpProtobuf, type OtlpPartialSuccess } from './spans/otlp/index.js';
export { encodeZipkinJson, type ZipkinSpan } from './spans/zipkin/index.js';

// Wire encoders: logs
export { logRecordToJson, type LogJson } from '../core/log-format.js';
export { encodeDatadogLogs, encodeLokiPush, toCloudWatchLogEvents } from './logs/index.js';

// Span processors
export type { SpanProcessor } from '../core/span-processor.js';
export { SimpleSpanProcessor } from '../core/simple-span-processor.js';
export {
  BatchSpanProcessor,
  type BatchSpanProcessorOptions,
} from '../core/batch-span-processor.js';
export { MultiSpanProcessor } from '../core/multi-span-processor.js';

// Tracer and context
export { Tracer, type TracerConfig } from '../core/tracer.js';
export { TraceContext, activeContext, bindContext, runWithContext } from '../core/trace-context.js';
export { Baggage, type BaggageEntry } from '../core/baggage.js';
export { DEFAULT_SPAN_LIMITS } from '../core/types.js';
export { createSampler } from '../core/samplers.js';

// Ids and time
export {
  RandomIdGenerator,
  isValidSpanId,
  isValidTraceId,
  type IdGenerator,
} from '../core/id-generator.js';
export { hrTimeToUnixMicros, hrTimeToUnixMillis, hrTimeToUnixNanos } from '../core/clock.js';

// Propagation
export {
  createPropagator,
  defaultGetter,
  defaultSetter,
  formatTraceparent,
  parseTraceparent,
} from '../core/propagation/index.js';
export { TraceState, parseTraceState } from '../core/trace-state.js';
