export {
  DEFAULT_ZIPKIN_TIMEOUT_MS,
  DEFAULT_ZIPKIN_URL,
  ZipkinExporter,
  zipkinOptionsFromEnv,
  type ZipkinExporterOptions,
} from './zipkin-exporter.js';
export {
  encodeZipkinJson,
  tagValue,
  toZipkinSpan,
  type ZipkinAnnotation,
  type ZipkinEndpoint,
  type ZipkinFormatOptions,
  type ZipkinSpan,
  type ZipkinSpanKind,
} from './zipkin-format.js';
