export { ChunkedDelivery } from '../transport/chunked-delivery.js';
export {
  CloudWatchLogExporter,
  type CloudWatchLogExporterOptions,
} from './cloudwatch-log-exporter.js';
export {
  CLOUDWATCH_SDK_PACKAGE,
  type AwsCredentials,
  type CloudWatchSdkLoader,
} from './cloudwatch-logs-api.js';
export {
  CLOUDWATCH_LIMITS,
  splitCloudWatchBatches,
  toCloudWatchLogEvents,
  type CloudWatchLimits,
  type CloudWatchLogEvent,
} from './cloudwatch-log-format.js';
export { DatadogLogExporter, type DatadogLogExporterOptions } from './datadog-log-exporter.js';
export {
  DATADOG_LIMITS,
  encodeDatadogLogs,
  toDatadogId,
  toDatadogLog,
  type DatadogFormatOptions,
  type DatadogLimits,
  type DatadogLog,
} from './datadog-log-format.js';
export type { HttpAuth } from '../transport/exporter-options.js';
export { HttpLogExporter } from './http-log-exporter.js';
export {
  DEFAULT_LOKI_URL,
  LokiLogExporter,
  type LokiLogExporterOptions,
} from './loki-log-exporter.js';
export {
  encodeLokiPush,
  LOKI_LIMITS,
  lokiLabels,
  toLokiPush,
  type LokiFormatOptions,
  type LokiLimits,
  type LokiPushRequest,
  type LokiStream,
} from './loki-log-format.js';
export {
  encodeLogJsonArray,
  RestLogExporter,
  type RestLogExporterOptions,
  type RestLogFormatter,
} from './rest-log-exporter.js';
