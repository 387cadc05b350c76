export { OtlpHttpExporter, type OtlpExportResult } from './otlp-http-exporter.js';
export {
  DEFAULT_OTLP_TRACES_URL,
  type OtlpCompression,
  type OtlpHttpExporterOptions,
  type OtlpHttpProtocol,
} from './otlp-http-options.js';
export { otlpOptionsFromEnv, type OtlpEnvOptions, type OtlpProtocol } from './otlp-env-options.js';
export { type OtlpPartialSuccess } from './otlp-partial-success.js';
export { encodeOtlpJson } from './otlp-json-encoder.js';
export { encodeOtlpProtobuf } from './otlp-protobuf-encoder.js';
export {
  OtlpGrpcExporter,
  type GrpcJsLoader,
  type OtlpGrpcExportResult,
} from './otlp-grpc-exporter.js';
export {
  DEFAULT_OTLP_GRPC_URL,
  type OtlpGrpcExporterOptions,
  type OtlpGrpcTlsOptions,
} from './otlp-grpc-options.js';
