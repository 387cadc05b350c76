export {
  DEFAULT_OTLP_TRACES_URL,
  OtlpHttpExporter,
  otlpOptionsFromEnv,
  type OtlpCompression,
  type OtlpEnvOptions,
  type OtlpExportResult,
  type OtlpHttpExporterOptions,
  type OtlpHttpProtocol,
  type OtlpPartialSuccess,
} from './otlp-http-exporter.js';
export { encodeOtlpJson } from './otlp-json-encoder.js';
export { encodeOtlpProtobuf } from './otlp-protobuf-encoder.js';
