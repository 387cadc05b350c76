import type { BatchQueueOptions } from '../core/batch-queue.js';
import { findInvalidBatchOption } from '../config/batch-options.js';
import type { AwsCredentials } from '../export/logs/cloudwatch-logs-api.js';
import type { HttpAuth } from '../export/transport/exporter-options.js';
import { isHttpUrl } from '../export/spans/otlp/otlp-http-options.js';
import { optionKeys } from '../config/option-keys.js';
import { CloudWatchLogExporter } from '../export/logs/cloudwatch-log-exporter.js';
import { DatadogLogExporter } from '../export/logs/datadog-log-exporter.js';
import { LokiLogExporter } from '../export/logs/loki-log-exporter.js';
import { RestLogExporter } from '../export/logs/rest-log-exporter.js';
import { invalidOption, rejectUnknownOptions, TracingConfigError } from '../tracing.errors.js';
import type { LogDestination } from './log-output.js';
import { toLogLevel, type LogExporter, type LogLevel } from '../core/log-record.js';
import type {
  LogExporterCommonConfig,
  LogExporterConfig,
  LogExporterOption,
  LoggingOptions,
} from './logging-options.interface.js';

/** `logging` after defaults: what the logging feature reads. */
export interface ResolvedLoggingConfig {
  readonly level: LogLevel;
  readonly format: 'json' | 'pretty';
  readonly destination: LogDestination | false;
  readonly spanEvents: boolean;
  readonly redactKeys: readonly string[];
  readonly maxBufferedLines: number;
  readonly batch: BatchQueueOptions;
  readonly exporters: readonly LogExporterOption[];
}

/** One exporter made from its entry, with the settings its queues need. */
export interface LogExporterEntry {
  readonly exporter: LogExporter;
  readonly spans: boolean;
  readonly level: LogLevel | undefined;
  readonly batch: BatchQueueOptions;
}

const KNOWN = optionKeys<LoggingOptions>({
  level: true,
  format: true,
  destination: true,
  spanEvents: true,
  redactKeys: true,
  maxBufferedLines: true,
  exporters: true,
  batch: true,
});
type Entry<T extends LogExporterConfig['type']> = Extract<LogExporterConfig, { type: T }>;
const COMMON = { spans: true, level: true, batch: true } as const;
/** The keys of each built-in log exporter's entry, and of `{ exporter }` entries. */
const ENTRY_KEYS: Readonly<Record<LogExporterConfig['type'] | 'exporter', readonly string[]>> = {
  datadog: optionKeys<Entry<'datadog'>>({
    ...COMMON,
    type: true,
    apiKey: true,
    site: true,
    url: true,
    service: true,
    hostname: true,
    ddsource: true,
    ddtags: true,
    headers: true,
    compression: true,
    timeoutMs: true,
    maxEntriesPerRequest: true,
  }),
  loki: optionKeys<Entry<'loki'>>({
    ...COMMON,
    type: true,
    url: true,
    labels: true,
    tenantId: true,
    auth: true,
    headers: true,
    compression: true,
    timeoutMs: true,
    maxRequestBytes: true,
    maxLineBytes: true,
  }),
  cloudwatch: optionKeys<Entry<'cloudwatch'>>({
    ...COMMON,
    type: true,
    logGroupName: true,
    logStreamName: true,
    region: true,
    endpoint: true,
    credentials: true,
    createMissing: true,
    clientConfig: true,
  }),
  rest: optionKeys<Entry<'rest'>>({
    ...COMMON,
    type: true,
    url: true,
    method: true,
    headers: true,
    auth: true,
    format: true,
    contentType: true,
    compression: true,
    timeoutMs: true,
    maxRecordsPerRequest: true,
  }),
  exporter: optionKeys<{ exporter: LogExporter } & LogExporterCommonConfig>({
    ...COMMON,
    exporter: true,
  }),
};
const TYPES = ['datadog', 'loki', 'cloudwatch', 'rest'] as const;
type Basic = Extract<HttpAuth, { username: string }>;
type Bearer = Extract<HttpAuth, { bearerToken: string }>;
type ApiKey = Extract<HttpAuth, { header: string }>;
const BASIC_AND_BEARER = { username: true, password: true, bearerToken: true } as const;
/** Objects nested in an entry, with their keys (`auth` takes any one of its forms). */
const NESTED_KEYS: Partial<Record<keyof typeof ENTRY_KEYS, Record<string, readonly string[]>>> = {
  loki: { auth: optionKeys<Basic & Bearer>(BASIC_AND_BEARER) },
  rest: {
    auth: optionKeys<Basic & Bearer & ApiKey>({ ...BASIC_AND_BEARER, header: true, value: true }),
  },
  cloudwatch: {
    credentials: optionKeys<AwsCredentials>({
      accessKeyId: true,
      secretAccessKey: true,
      sessionToken: true,
    }),
  },
};
const LEVELS = "one of trace, debug, info, warn, error, fatal (or Nest's verbose, log)";

/** Validates `logging` (throwing on the first bad option, named) and fills in the defaults. */
export function resolveLoggingConfig(options: LoggingOptions | undefined): ResolvedLoggingConfig {
  const given: LoggingOptions = options ?? {};
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw invalidOption('logging', 'an object', given);
  }
  rejectUnknownOptions(given, 'logging', KNOWN);
  const level = toLogLevel(given.level ?? 'info');
  if (level === undefined) throw invalidOption('logging.level', LEVELS, given.level);
  const format = given.format ?? 'json';
  if (format !== 'json' && format !== 'pretty') {
    throw invalidOption('logging.format', "'json' or 'pretty'", format);
  }
  if (given.spanEvents !== undefined && typeof given.spanEvents !== 'boolean') {
    throw invalidOption('logging.spanEvents', 'a boolean', given.spanEvents);
  }
  const redactKeys = given.redactKeys ?? [];
  if (!Array.isArray(redactKeys) || redactKeys.some((k) => typeof k !== 'string' || k === '')) {
    throw invalidOption('logging.redactKeys', 'an array of field names', redactKeys);
  }
  const maxBufferedLines = given.maxBufferedLines ?? 10_000;
  if (!Number.isSafeInteger(maxBufferedLines) || maxBufferedLines < 1) {
    throw invalidOption('logging.maxBufferedLines', 'a positive integer', maxBufferedLines);
  }
  const batch = validBatch(given.batch, 'logging.batch');
  const exporters = given.exporters ?? [];
  if (!Array.isArray(exporters)) throw invalidOption('logging.exporters', 'an array', exporters);
  exporters.forEach((entry, i) => validateEntry(entry, `logging.exporters[${i}]`));
  return {
    level,
    format,
    destination: resolveDestination(given.destination),
    spanEvents: given.spanEvents === true,
    redactKeys,
    maxBufferedLines,
    batch,
    exporters: [...exporters],
  };
}

function resolveDestination(value: LoggingOptions['destination']): LogDestination | false {
  if (value === undefined || value === 'stdout') return process.stdout;
  if (value === 'stderr') return process.stderr;
  if (value === false) return false;
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof value.write === 'function' &&
    typeof value.once === 'function'
  ) {
    return value;
  }
  throw invalidOption(
    'logging.destination',
    "'stdout', 'stderr', false or a writable stream",
    value,
  );
}

function validBatch(value: unknown, path: string): BatchQueueOptions {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidOption(path, 'an object of batch options', value);
  }
  const invalid = findInvalidBatchOption(value as BatchQueueOptions, path);
  if (invalid !== undefined) throw new TracingConfigError(`TracingModule: ${invalid}.`);
  return value as BatchQueueOptions;
}

function isExporter(value: unknown): value is LogExporter {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as LogExporter).export === 'function' &&
    typeof (value as LogExporter).shutdown === 'function'
  );
}

function validateEntry(entry: unknown, path: string): void {
  if (isExporter(entry)) return;
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw invalidOption(
      path,
      `{ type: ${TYPES.map((t) => `'${t}'`).join(' | ')}, ... }, a LogExporter or { exporter }`,
      entry,
    );
  }
  const e = entry as Record<string, unknown>;
  if ('exporter' in e) {
    if (!isExporter(e.exporter)) {
      throw invalidOption(
        `${path}.exporter`,
        'a LogExporter (with export and shutdown)',
        e.exporter,
      );
    }
  } else if (!(TYPES as readonly unknown[]).includes(e.type)) {
    throw invalidOption(`${path}.type`, TYPES.map((t) => `'${t}'`).join(', '), e.type);
  }
  const kind = 'exporter' in e ? 'exporter' : (e.type as LogExporterConfig['type']);
  rejectUnknownOptions(e, path, ENTRY_KEYS[kind]);
  for (const [key, known] of Object.entries(NESTED_KEYS[kind] ?? {})) {
    const value = e[key];
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      rejectUnknownOptions(value, `${path}.${key}`, known);
    }
  }
  const urlKey = kind === 'cloudwatch' ? 'endpoint' : 'url';
  const url = e[urlKey];
  if ((url !== undefined || kind === 'rest') && (typeof url !== 'string' || !isHttpUrl(url))) {
    throw invalidOption(`${path}.${urlKey}`, 'an http: or https: URL', url);
  }
  if (e.spans !== undefined && typeof e.spans !== 'boolean') {
    throw invalidOption(`${path}.spans`, 'a boolean', e.spans);
  }
  if (e.level !== undefined && toLogLevel(e.level) === undefined) {
    throw invalidOption(`${path}.level`, LEVELS, e.level);
  }
  validBatch(e.batch, `${path}.batch`);
}

/**
 * Makes the exporter of entry `index` and, for those that load something at start-up
 * (the CloudWatch SDK), waits for it: a missing package or region fails the app's
 * start with the option named, not the first export.
 */
export async function createLogExporter(
  entry: LogExporterOption,
  index: number,
  onRejected: (message: string) => void,
): Promise<LogExporterEntry> {
  const path = `logging.exporters[${index}]`;
  try {
    if (isExporter(entry)) return { exporter: entry, spans: false, level: undefined, batch: {} };
    const common = {
      spans: entry.spans === true,
      level: toLogLevel(entry.level),
      batch: entry.batch ?? {},
    };
    if ('exporter' in entry) return { ...common, exporter: entry.exporter };
    switch (entry.type) {
      case 'datadog': {
        const { type: _t, spans: _s, level: _l, batch: _b, ...options } = entry;
        return { ...common, exporter: new DatadogLogExporter(options) };
      }
      case 'loki': {
        const { type: _t, spans: _s, level: _l, batch: _b, ...options } = entry;
        return { ...common, exporter: new LokiLogExporter(options) };
      }
      case 'rest': {
        const { type: _t, spans: _s, level: _l, batch: _b, ...options } = entry;
        return { ...common, exporter: new RestLogExporter(options) };
      }
      default: {
        const { type: _t, spans: _s, level: _l, batch: _b, ...options } = entry;
        const exporter = new CloudWatchLogExporter({ ...options, onRejected });
        await exporter.start();
        return { ...common, exporter };
      }
    }
  } catch (error) {
    if (error instanceof TracingConfigError) throw error;
    throw new TracingConfigError(
      `TracingModule: option "${path}": ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
