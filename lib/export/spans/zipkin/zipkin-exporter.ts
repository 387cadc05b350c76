import {
  ExportResultCode,
  SUCCESS,
  type ExportResult,
  type SpanExporter,
} from '../../../core/span-exporter.js';
import type { ReadableSpan } from '../../../core/types.js';
import { HttpSender } from '../../transport/http-sender.js';
import { InFlightRequests } from '../../transport/in-flight-requests.js';
import { encodeZipkinJson } from './zipkin-format.js';
import { describeValue } from '../../../core/describe-value.js';
import { checkOptions, validateHeaders, validateUrl } from '../../transport/exporter-options.js';

export interface ZipkinExporterOptions {
  /** The collector's span endpoint. @default 'http://localhost:9411/api/v2/spans' */
  url?: string;
  /** Extra request headers (e.g. auth for a proxy in front of Zipkin). */
  headers?: Record<string, string>;
  /** Per-request deadline in ms. @default 10000 */
  timeoutMs?: number;
  /** Local service name; wins over the resource's `service.name` when set. */
  serviceName?: string;
}

/** The OpenTelemetry default for OTEL_EXPORTER_ZIPKIN_ENDPOINT. */
const OWNER = 'ZipkinExporter';

export const DEFAULT_ZIPKIN_URL = 'http://localhost:9411/api/v2/spans';
/** The OpenTelemetry default for OTEL_EXPORTER_ZIPKIN_TIMEOUT, in ms. */
export const DEFAULT_ZIPKIN_TIMEOUT_MS = 10_000;

/**
 * Sends spans as Zipkin v2 JSON (`POST /api/v2/spans`). One request per batch; retries
 * are the batch processor's job, driven by the `retryable`/`retryAfterMs` the sender reports.
 */
export class ZipkinExporter implements SpanExporter {
  readonly url: string;
  private readonly sender: HttpSender;
  private readonly serviceName: string | undefined;
  private readonly requests = new InFlightRequests('ZipkinExporter');

  constructor(options: ZipkinExporterOptions = {}) {
    checkOptions(OWNER, options);
    const url = validateUrl(OWNER, 'url', options.url ?? DEFAULT_ZIPKIN_URL, DEFAULT_ZIPKIN_URL);
    const headers = validateHeaders(OWNER, options.headers);
    const timeoutMs = options.timeoutMs ?? DEFAULT_ZIPKIN_TIMEOUT_MS;
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new Error(
        `ZipkinExporter: option "timeoutMs" must be a positive number of milliseconds, got ${describeValue(timeoutMs)}`,
      );
    }
    const serviceName = options.serviceName;
    if (
      serviceName !== undefined &&
      (typeof serviceName !== 'string' || serviceName.trim() === '')
    ) {
      throw new Error(
        `ZipkinExporter: option "serviceName" must be a non-empty string, got ${describeValue(serviceName)}`,
      );
    }
    this.url = url;
    this.serviceName = serviceName;
    this.sender = new HttpSender({ url, headers, timeoutMs });
  }

  export(spans: readonly ReadableSpan[]): Promise<ExportResult> {
    const refused = this.requests.refusal();
    if (refused !== undefined) return Promise.resolve(refused);
    if (spans.length === 0) return Promise.resolve(SUCCESS);
    let body: string;
    try {
      body = encodeZipkinJson(spans, { serviceName: this.serviceName });
    } catch (error) {
      return Promise.resolve({
        code: ExportResultCode.FAILED,
        error: new Error(`ZipkinExporter: could not encode ${spans.length} spans`, {
          cause: error,
        }),
      });
    }
    return this.requests.track(this.send(body));
  }

  /** Waits for requests already sent; nothing else is buffered here. */
  async forceFlush(): Promise<void> {
    await this.requests.waitAll();
  }

  /** Later exports fail at once; requests already sent are awaited. */
  async shutdown(): Promise<void> {
    await this.requests.stop();
  }

  private async send(body: string): Promise<ExportResult> {
    const result = await this.sender.send(body, 'application/json');
    if (result.code === ExportResultCode.SUCCESS) return SUCCESS;
    const outcome: ExportResult = {
      code: ExportResultCode.FAILED,
      error: new Error(
        `ZipkinExporter: POST ${this.url} failed: ${result.error?.message ?? 'unknown error'}`,
        { cause: result.error },
      ),
      retryable: result.retryable === true,
    };
    if (result.retryAfterMs !== undefined) outcome.retryAfterMs = result.retryAfterMs;
    return outcome;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Exporter options from the OpenTelemetry SDK variables OTEL_EXPORTER_ZIPKIN_ENDPOINT and
 * OTEL_EXPORTER_ZIPKIN_TIMEOUT (ms). An invalid value is skipped with a message pushed to
 * `warnings` (the environment is not code, so this never throws). Spread explicit options
 * after the result so they win: `new ZipkinExporter({ ...zipkinOptionsFromEnv(env), ...mine })`.
 */
export function zipkinOptionsFromEnv(
  env: Env = process.env,
  warnings: string[] = [],
): ZipkinExporterOptions {
  const options: ZipkinExporterOptions = {};
  const endpoint = env.OTEL_EXPORTER_ZIPKIN_ENDPOINT?.trim();
  if (endpoint) {
    try {
      options.url = validateUrl(OWNER, 'url', endpoint, DEFAULT_ZIPKIN_URL);
    } catch {
      warnings.push(
        envIgnored('OTEL_EXPORTER_ZIPKIN_ENDPOINT', endpoint, 'an http: or https: URL'),
      );
    }
  }
  const timeout = env.OTEL_EXPORTER_ZIPKIN_TIMEOUT?.trim();
  if (timeout) {
    const ms = /^\d+$/.test(timeout) ? Number(timeout) : NaN;
    if (Number.isSafeInteger(ms) && ms > 0) options.timeoutMs = ms;
    else {
      warnings.push(
        envIgnored('OTEL_EXPORTER_ZIPKIN_TIMEOUT', timeout, 'a positive integer of milliseconds'),
      );
    }
  }
  return options;
}

function envIgnored(name: string, value: string, expected: string): string {
  return `${name}=${JSON.stringify(value)} is not valid (expected ${expected}); using the default.`;
}
