import type { BatchQueueOptions } from '../core/batch-queue.js';
import type { CloudWatchLogExporterOptions } from '../export/logs/cloudwatch-log-exporter.js';
import type { DatadogLogExporterOptions } from '../export/logs/datadog-log-exporter.js';
import type { LokiLogExporterOptions } from '../export/logs/loki-log-exporter.js';
import type { RestLogExporterOptions } from '../export/logs/rest-log-exporter.js';
import type { LogDestination } from './log-output.js';
import type { LogExporter, LogLevelName } from '../core/log-record.js';

/** Settings every log exporter entry takes besides its own. */
export interface LogExporterCommonConfig {
  /** Also ship every finished (sampled) span as a log line. @default false */
  spans?: boolean;
  /** Lowest level this exporter ships; the logger's `level` applies first. @default every level logged */
  level?: LogLevelName;
  /** This exporter's batching; wins over `logging.batch`. */
  batch?: BatchQueueOptions;
}

/** A built-in log exporter named by type. */
export type LogExporterConfig =
  | ({ type: 'datadog' } & DatadogLogExporterOptions & LogExporterCommonConfig)
  | ({ type: 'loki' } & LokiLogExporterOptions & LogExporterCommonConfig)
  | ({ type: 'cloudwatch' } & Omit<CloudWatchLogExporterOptions, 'onRejected'> &
      LogExporterCommonConfig)
  | ({ type: 'rest' } & RestLogExporterOptions & LogExporterCommonConfig);

/** A log exporter: a built-in one by type, or your own instance (alone or with common settings). */
export type LogExporterOption =
  LogExporterConfig | LogExporter | ({ exporter: LogExporter } & LogExporterCommonConfig);

/** `TracingModule.forRoot({ logging })`: the TraceLogger and the log exporters. */
export interface LoggingOptions {
  /** Lowest level written and exported (`verbose` and `log` are Nest's names for trace and info). @default 'info' */
  level?: LogLevelName;
  /** `json`: one JSON object per line. `pretty`: readable lines for development. @default 'json' */
  format?: 'json' | 'pretty';
  /** Where lines are written: a stream, or `false` for none (exporters only). @default 'stdout' */
  destination?: 'stdout' | 'stderr' | false | LogDestination;
  /** Record every line logged inside a span as a `log` event on it. @default false */
  spanEvents?: boolean;
  /** Field names redacted besides the built-in ones (password, secret, token, api key, authorization, cookie…). */
  redactKeys?: string[];
  /** Lines held while the destination is slow before lines are dropped (and counted). @default 10000 */
  maxBufferedLines?: number;
  /** Log platforms to ship records (and, with `spans: true`, spans) to. @default none */
  exporters?: LogExporterOption[];
  /**
   * Batching of every log exporter. @default 4096 queued records, batches of 512, a 1 s delay,
   * a 30 s export timeout, 5 retries with backoff from 1 s, a 10 s shutdown deadline
   */
  batch?: BatchQueueOptions;
}
