import type { LogRecord } from '../../core/log-record.js';
import {
  DATADOG_LIMITS,
  encodeDatadogLogs,
  type DatadogFormatOptions,
  type DatadogLimits,
} from './datadog-log-format.js';
import {
  checkOptions,
  compressionOf,
  optionError,
  optionalString,
  positiveInteger,
  validateHeaders,
  validateUrl,
} from '../transport/exporter-options.js';
import { HttpLogExporter } from './http-log-exporter.js';

export interface DatadogLogExporterOptions {
  /** Datadog API key, sent as `DD-API-KEY`. @default DD_API_KEY */
  apiKey?: string;
  /**
   * The Datadog site: `datadoghq.com`, `us3.datadoghq.com`, `us5.datadoghq.com`,
   * `datadoghq.eu`, `ap1.datadoghq.com`, `ap2.datadoghq.com`, `ddog-gov.com`…
   * @default DD_SITE, else 'datadoghq.com'
   */
  site?: string;
  /** The full intake URL (a proxy, a test server); wins over `site`. @default `https://http-intake.logs.<site>/api/v2/logs` */
  url?: string;
  /** @default the app's service name */
  service?: string;
  /** @default the host name */
  hostname?: string;
  /** @default 'nodejs' */
  ddsource?: string;
  /** `'team:checkout,tier:1'`, `['team:checkout']` or `{ team: 'checkout' }`; `env` and `version` are added. */
  ddtags?: string | readonly string[] | Readonly<Record<string, string>>;
  /** Extra request headers (a proxy's auth). */
  headers?: Record<string, string>;
  /** Datadog recommends compressed payloads. @default 'gzip' */
  compression?: 'gzip' | 'none';
  /** Per-request deadline in ms. @default 10000 */
  timeoutMs?: number;
  /** Most logs per request (the intake accepts 1000). @default 1000 */
  maxEntriesPerRequest?: number;
}

const SITE = /^[a-z0-9]+([.-][a-z0-9]+)*\.[a-z]{2,}$/;
const OWNER = 'DatadogLogExporter';

/** Ships log records to the Datadog logs intake v2 (`POST /api/v2/logs`). */
export class DatadogLogExporter extends HttpLogExporter {
  private readonly format: DatadogFormatOptions;
  private readonly limits: DatadogLimits;

  constructor(options: DatadogLogExporterOptions = {}, env: NodeJS.ProcessEnv = process.env) {
    checkOptions(OWNER, options);
    const apiKey = options.apiKey ?? env.DD_API_KEY?.trim();
    if (typeof apiKey !== 'string' || apiKey === '' || /[^\x21-\x7e]/.test(apiKey)) {
      throw optionError(OWNER, 'apiKey', 'a Datadog API key (or set DD_API_KEY)', options.apiKey);
    }
    const site = options.site ?? (env.DD_SITE?.trim() || 'datadoghq.com');
    if (typeof site !== 'string' || !SITE.test(site)) {
      throw optionError(OWNER, 'site', "a Datadog site such as 'datadoghq.eu'", site);
    }
    const url = validateUrl(
      OWNER,
      'url',
      options.url ?? `https://http-intake.logs.${site}/api/v2/logs`,
      'https://http-intake.logs.datadoghq.com/api/v2/logs',
    );
    super(OWNER, {
      url,
      headers: { ...validateHeaders(OWNER, options.headers), 'dd-api-key': apiKey },
      timeoutMs: positiveInteger(OWNER, 'timeoutMs', options.timeoutMs, 10_000),
      compression: compressionOf(OWNER, options.compression, 'gzip'),
      contentType: 'application/json',
      // The intake's documented retryable answers: 408, 429 and 5xx.
      retryableStatus: [408],
    });
    this.format = {
      service: optionalString(OWNER, 'service', options.service),
      hostname: optionalString(OWNER, 'hostname', options.hostname),
      ddsource: optionalString(OWNER, 'ddsource', options.ddsource),
      ddtags: parseTags(options.ddtags),
    };
    this.limits = {
      ...DATADOG_LIMITS,
      maxEntries: positiveInteger(
        OWNER,
        'maxEntriesPerRequest',
        options.maxEntriesPerRequest,
        DATADOG_LIMITS.maxEntries,
        DATADOG_LIMITS.maxEntries,
      ),
    };
  }

  protected encode(records: readonly LogRecord[]): string[] {
    return encodeDatadogLogs(records, this.format, this.limits);
  }
}

function parseTags(value: DatadogLogExporterOptions['ddtags']): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') {
    return value
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
  }
  if (Array.isArray(value)) {
    if (value.every((t) => typeof t === 'string')) return [...(value as readonly string[])];
  } else if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.every(([, v]) => typeof v === 'string')) {
      return entries.map(([k, v]) => `${k}:${v as string}`);
    }
  }
  throw optionError(OWNER, 'ddtags', "'key:value,…', an array of 'key:value' or an object", value);
}
