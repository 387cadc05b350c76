export { OtlpHttpExporter, type OtlpExportResult } from './otlp-http-exporter.js';
export {
  DEFAULT_OTLP_TRACES_URL,
  type OtlpCompression,
  type OtlpHttpExporterOptions,
  type OtlpHttpProtocol,
} from './otlp-http-options.js';
export { otlpOptionsFromEnv, type OtlpEnvOptions } from './otlp-env-options.js';
export { type OtlpPartialSuccess } from './otlp-partial-success.js';
export { encodeOtlpJson } from './otlp-json-encoder.js';
export { encodeOtlpProtobuf } from './otlp-protobuf-encoder.js';
