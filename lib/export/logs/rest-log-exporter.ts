import { formatLogJsonLine } from '../../core/log-format.js';
import type { LogRecord } from '../../core/log-record.js';
import {
  authHeader,
  checkOptions,
  compressionOf,
  optionError,
  positiveInteger,
  validateHeaders,
  validateUrl,
  type HttpAuth,
} from '../transport/exporter-options.js';
import { HttpLogExporter } from './http-log-exporter.js';

/** Turns a batch into a request body: text or bytes as they are, anything else as JSON. */
export type RestLogFormatter = (records: readonly LogRecord[]) => string | Uint8Array | object;

export interface RestLogExporterOptions {
  url: string;
  /** @default 'POST' */
  method?: 'POST' | 'PUT' | 'PATCH';
  headers?: Record<string, string>;
  /** Basic, bearer, or a header of your own such as `{ header: 'x-api-key', value }`. */
  auth?: HttpAuth;
  /**
   * `'json'`: a JSON array of the log lines' objects. `'ndjson'`: one JSON line per record.
   * Or a function of your own. @default 'json'
   */
  format?: 'json' | 'ndjson' | RestLogFormatter;
  /** @default 'application/json' ('application/x-ndjson' for ndjson) */
  contentType?: string;
  /** @default 'none' */
  compression?: 'gzip' | 'none';
  /** Per-request deadline in ms. @default 10000 */
  timeoutMs?: number;
  /** Most records per request; a larger batch is sent as several. @default no limit */
  maxRecordsPerRequest?: number;
}

const OWNER = 'RestLogExporter';
const METHODS = new Set(['POST', 'PUT', 'PATCH']);
const CONTENT_TYPE = /^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/;

/** A JSON array of the records as the JSON lines show them. */
export function encodeLogJsonArray(records: readonly LogRecord[]): string {
  return `[${records.map(formatLogJsonLine).join(',')}]`;
}

/** Ships log records to any HTTP endpoint: url, method, headers, auth and a body format. */
export class RestLogExporter extends HttpLogExporter {
  private readonly formatter: RestLogFormatter;
  private readonly maxRecords: number;

  constructor(options: RestLogExporterOptions) {
    checkOptions(OWNER, options);
    const url = validateUrl(OWNER, 'url', options.url, 'https://logs.example.com/ingest');
    const method = options.method ?? 'POST';
    if (!METHODS.has(method))
      throw optionError(OWNER, 'method', "'POST', 'PUT' or 'PATCH'", method);
    const format = options.format ?? 'json';
    if (format !== 'json' && format !== 'ndjson' && typeof format !== 'function') {
      throw optionError(OWNER, 'format', "'json', 'ndjson' or a function", format);
    }
    const contentType =
      options.contentType ?? (format === 'ndjson' ? 'application/x-ndjson' : 'application/json');
    if (typeof contentType !== 'string' || !CONTENT_TYPE.test(contentType)) {
      throw optionError(OWNER, 'contentType', 'a media type such as application/json', contentType);
    }
    super(OWNER, {
      url,
      method,
      headers: { ...validateHeaders(OWNER, options.headers), ...authHeader(OWNER, options.auth) },
      timeoutMs: positiveInteger(OWNER, 'timeoutMs', options.timeoutMs, 10_000),
      compression: compressionOf(OWNER, options.compression, 'none'),
      contentType,
    });
    this.formatter =
      format === 'json'
        ? encodeLogJsonArray
        : format === 'ndjson'
          ? (records) => records.map((r) => formatLogJsonLine(r) + '\n').join('')
          : format;
    this.maxRecords = positiveInteger(
      OWNER,
      'maxRecordsPerRequest',
      options.maxRecordsPerRequest,
      Number.MAX_SAFE_INTEGER,
    );
  }

  protected encode(records: readonly LogRecord[]): (string | Uint8Array)[] {
    const bodies: (string | Uint8Array)[] = [];
    for (let i = 0; i < records.length; i += this.maxRecords) {
      const body = this.formatter(records.slice(i, i + this.maxRecords));
      if (typeof body === 'string' || body instanceof Uint8Array) bodies.push(body);
      else if (body !== null && typeof body === 'object') bodies.push(JSON.stringify(body));
      else
        throw new Error(
          `the format function returned ${typeof body}, not a string, bytes or an object`,
        );
    }
    return bodies;
  }
}
