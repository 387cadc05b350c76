export {
  InMemorySpanExporter,
  type InMemorySpanExporterOptions,
} from './in-memory-span-exporter.js';
export { ConsoleSpanExporter, type ConsoleSpanExporterOptions } from './console-span-exporter.js';
export {
  DEFAULT_TREE_ATTRIBUTE_KEYS,
  formatDuration,
  formatJsonLines,
  formatTraceTree,
  spanKindName,
  spanStatusName,
  spanToJson,
  type SpanEventJson,
  type SpanJson,
  type SpanKindName,
  type SpanLinkJson,
  type SpanStatusName,
  type TraceTreeOptions,
} from './console-format.js';
export * from './file-span-exporter.js';
export * from './otlp/index.js';
export * from './zipkin/index.js';
