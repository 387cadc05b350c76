import {
  ExportResultCode,
  SUCCESS,
  type ExportResult,
  type SpanExporter,
} from '../../../core/span-exporter.js';
import type { ReadableSpan } from '../../../core/types.js';
import { HttpSender } from '../http-sender.js';
import { InFlightRequests } from '../in-flight-requests.js';
import { encodeOtlpJson } from './otlp-json-encoder.js';
import { encodeOtlpProtobuf } from './otlp-protobuf-encoder.js';
import { isHeaderValue, isHttpToken } from '../../../core/http-token.js';

export type OtlpHttpProtocol = 'http/json' | 'http/protobuf';
export type OtlpCompression = 'gzip' | 'none';

/** What a backend reported in `ExportTraceServiceResponse.partial_success`. */
export interface OtlpPartialSuccess {
  /** Spans the backend rejected; the others were accepted. 0 when it only sent a warning. */
  rejectedSpans: number;
  /** The backend's explanation (may be empty when spans were rejected). */
  errorMessage: string;
}

export interface OtlpHttpExporterOptions {
  /**
   * The full traces URL, used as is. Default: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else
   * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, else `http://localhost:4318/v1/traces`.
   */
  url?: string;
  /** Default: `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL`, else `http/protobuf`. */
  protocol?: OtlpHttpProtocol;
  /** Sent with every request, over `OTEL_EXPORTER_OTLP_(TRACES_)HEADERS` for the same name. */
  headers?: Record<string, string>;
  /** Default: `OTEL_EXPORTER_OTLP_(TRACES_)COMPRESSION`, else `none`. */
  compression?: OtlpCompression;
  /** Per-request deadline in ms. Default: `OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT`, else 10000. */
  timeoutMs?: number;
  /**
   * Called when a backend accepted a batch only in part (or accepted it with a warning).
   * The export still counts as a success: the OTLP spec forbids retrying it.
   */
  onPartialSuccess?: (partialSuccess: OtlpPartialSuccess) => void;
  /** Where `OTEL_EXPORTER_OTLP_*` are read from. Default `process.env`; `{}` ignores them. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** `ExportResult` plus the HTTP status, when a response arrived. */
export interface OtlpExportResult extends ExportResult {
  statusCode?: number;
}

/** Exporter options read from `OTEL_EXPORTER_OTLP_*`, and what was wrong with them. */
export interface OtlpEnvOptions {
  options: Pick<
    OtlpHttpExporterOptions,
    'url' | 'protocol' | 'headers' | 'compression' | 'timeoutMs'
  >;
  /** One message per ignored variable or member: the environment is not code, so never thrown. */
  warnings: string[];
}

export const DEFAULT_OTLP_TRACES_URL = 'http://localhost:4318/v1/traces';
const DEFAULT_TIMEOUT_MS = 10_000;
const CONTENT_TYPES: Readonly<Record<OtlpHttpProtocol, string>> = {
  'http/json': 'application/json',
  'http/protobuf': 'application/x-protobuf',
};
const PROTOCOLS: readonly string[] = ['http/protobuf', 'http/json'];
const COMPRESSIONS: readonly string[] = ['gzip', 'none'];
/** Set by the exporter for each request; a user value would contradict the body. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'content-encoding']);

/**
 * Exports spans with OTLP/HTTP 1.x (`POST /v1/traces`) as protobuf or JSON, optionally
 * gzipped, to an OpenTelemetry Collector, Jaeger, Tempo or any OTLP backend. One
 * request per batch and no retries of its own: the batch processor retries, using the
 * `retryable` and `retryAfterMs` of the result.
 */
export class OtlpHttpExporter implements SpanExporter {
  readonly url: string;
  readonly protocol: OtlpHttpProtocol;
  readonly compression: OtlpCompression;
  readonly timeoutMs: number;
  /** Problems with `OTEL_EXPORTER_OTLP_*` variables that were ignored; log them once. */
  readonly warnings: readonly string[];
  private readonly sender: HttpSender;
  private readonly contentType: string;
  /** The URL for error messages: no credentials or query string. */
  private readonly target: string;
  private readonly onPartialSuccess: ((partialSuccess: OtlpPartialSuccess) => void) | undefined;
  private readonly requests = new InFlightRequests('OtlpHttpExporter');
  private partialSuccess: OtlpPartialSuccess | undefined;

  constructor(options: OtlpHttpExporterOptions = {}) {
    validateOptions(options);
    const fromEnv = otlpOptionsFromEnv(options.env ?? process.env);
    const env = fromEnv.options;
    this.warnings = fromEnv.warnings;
    this.url = options.url ?? env.url ?? DEFAULT_OTLP_TRACES_URL;
    this.protocol = options.protocol ?? env.protocol ?? 'http/protobuf';
    this.compression = options.compression ?? env.compression ?? 'none';
    this.timeoutMs = options.timeoutMs ?? env.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.contentType = CONTENT_TYPES[this.protocol];
    const parsed = new URL(this.url);
    this.target = parsed.origin + parsed.pathname;
    this.onPartialSuccess = options.onPartialSuccess;
    const headers: Record<string, string> = { ...env.headers };
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      headers[name.toLowerCase()] = value;
    }
    this.sender = new HttpSender({
      url: this.url,
      headers,
      timeoutMs: this.timeoutMs,
      compression: this.compression,
    });
  }

  /** The latest partial success a backend reported, if any. */
  get lastPartialSuccess(): OtlpPartialSuccess | undefined {
    return this.partialSuccess;
  }

  export(spans: readonly ReadableSpan[]): Promise<OtlpExportResult> {
    const refused = this.requests.refusal();
    if (refused !== undefined) return Promise.resolve({ ...refused, retryable: false });
    if (spans.length === 0) return Promise.resolve(SUCCESS);
    return this.requests.track(this.send(spans));
  }

  /** Waits for the requests already sent. */
  async forceFlush(): Promise<void> {
    await this.requests.waitAll();
  }

  /** Later exports fail at once; requests already sent are awaited (each within `timeoutMs`). */
  async shutdown(): Promise<void> {
    await this.requests.stop();
  }

  /** Never rejects: every failure is a result. */
  private async send(spans: readonly ReadableSpan[]): Promise<OtlpExportResult> {
    let body: string | Uint8Array;
    try {
      body = this.protocol === 'http/json' ? encodeOtlpJson(spans) : encodeOtlpProtobuf(spans);
    } catch (error) {
      return {
        code: ExportResultCode.FAILED,
        error: new Error(
          `OtlpHttpExporter: could not encode ${spans.length} spans: ${message(error)}`,
          {
            cause: error,
          },
        ),
        retryable: false,
      };
    }
    const result = await this.sender.send(body, this.contentType);
    if (result.code === ExportResultCode.SUCCESS) {
      const partial =
        result.body !== undefined && result.body.length > 0
          ? this.readPartialSuccess(result.body)
          : undefined;
      const out: OtlpExportResult = {
        code: ExportResultCode.SUCCESS,
        statusCode: result.statusCode,
      };
      // Refused spans are lost (the spec forbids retrying them): counted as failed, not exported.
      if (partial !== undefined && partial.rejectedSpans > 0) {
        out.rejected = Math.min(partial.rejectedSpans, spans.length);
      }
      return out;
    }
    const out: OtlpExportResult = {
      code: ExportResultCode.FAILED,
      error: new Error(`OTLP export to ${this.target} failed: ${message(result.error)}`, {
        cause: result.error,
      }),
      retryable: result.retryable === true,
    };
    if (result.retryAfterMs !== undefined) out.retryAfterMs = result.retryAfterMs;
    if (result.statusCode !== undefined) out.statusCode = result.statusCode;
    return out;
  }

  /** The partial success in a response body, once reported; undefined without one. */
  private readPartialSuccess(body: Buffer): OtlpPartialSuccess | undefined {
    const partial =
      this.protocol === 'http/json' ? jsonPartialSuccess(body) : protobufPartialSuccess(body);
    // OTLP: rejected = 0 with a message is a warning; both are worth one log line.
    if (partial === undefined || (partial.rejectedSpans === 0 && partial.errorMessage === '')) {
      return undefined;
    }
    this.partialSuccess = partial;
    try {
      this.onPartialSuccess?.(partial);
    } catch {
      // A throwing callback must not turn an accepted batch into a failure.
    }
    return partial;
  }
}

/**
 * Reads the OTLP exporter variables of the OpenTelemetry specification for traces. The
 * signal-specific variable wins over the generic one; an empty value counts as unset;
 * a value that cannot be used is ignored with a warning.
 */
export function otlpOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): OtlpEnvOptions {
  const warnings: string[] = [];
  const options: OtlpEnvOptions['options'] = {};
  const pick = (suffix: string): [string, string] | undefined => {
    for (const name of [`OTEL_EXPORTER_OTLP_TRACES_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`]) {
      const value = env[name]?.trim();
      if (value) return [name, value];
    }
    return undefined;
  };

  const tracesEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (tracesEndpoint) {
    if (isHttpUrl(tracesEndpoint)) options.url = tracesEndpoint;
    else
      warnings.push(
        ignored('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', tracesEndpoint, 'an http(s) URL'),
      );
  }
  if (options.url === undefined && endpoint) {
    if (isHttpUrl(endpoint)) options.url = tracesUrlFromBase(endpoint);
    else warnings.push(ignored('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint, 'an http(s) URL'));
  }

  const protocol = pick('PROTOCOL');
  if (protocol !== undefined) {
    const [name, value] = protocol;
    if (PROTOCOLS.includes(value)) options.protocol = value as OtlpHttpProtocol;
    else if (value === 'grpc') {
      warnings.push(
        `${name}=grpc is not supported: this exporter speaks OTLP/HTTP only; using http/protobuf. ` +
          'Point the endpoint at the OTLP/HTTP port of the backend (4318 by default).',
      );
    } else warnings.push(ignored(name, value, 'http/protobuf or http/json'));
  }

  const compression = pick('COMPRESSION');
  if (compression !== undefined) {
    const [name, value] = compression;
    if (COMPRESSIONS.includes(value)) options.compression = value as OtlpCompression;
    else warnings.push(ignored(name, value, 'gzip or none'));
  }

  const timeout = pick('TIMEOUT');
  if (timeout !== undefined) {
    const [name, value] = timeout;
    const ms = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (ms > 0 && Number.isSafeInteger(ms)) options.timeoutMs = ms;
    else warnings.push(ignored(name, value, 'a positive integer of milliseconds'));
  }

  // Generic headers first, so that the traces-specific ones override them per name.
  const headers: Record<string, string> = {};
  let anyHeader = false;
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']) {
    const value = env[name];
    if (value?.trim()) anyHeader = parseHeaders(name, value, headers, warnings) || anyHeader;
  }
  if (anyHeader) options.headers = headers;
  return { options, warnings };
}

/** `key1=value1,key2=value2`, values percent-encoded (the W3C Baggage list format). */
function parseHeaders(
  variable: string,
  value: string,
  into: Record<string, string>,
  warnings: string[],
): boolean {
  let parsed = false;
  for (const member of value.split(',')) {
    if (member.trim() === '') continue;
    const eq = member.indexOf('=');
    const name = eq === -1 ? '' : member.slice(0, eq).trim().toLowerCase();
    let decoded: string | undefined;
    try {
      decoded = eq === -1 ? undefined : decodeURIComponent(member.slice(eq + 1).trim());
    } catch {
      decoded = undefined;
    }
    if (
      decoded === undefined ||
      !isHttpToken(name) ||
      !isHeaderValue(decoded) ||
      RESERVED_HEADERS.has(name)
    ) {
      // The member is not echoed: header values are often credentials.
      warnings.push(
        `${variable}: ignoring a member that is not name=value with a header name and a ` +
          `percent-encoded value (or names a header the exporter sets itself)` +
          (isHttpToken(name) ? ` ("${name}")` : '') +
          '.',
      );
      continue;
    }
    into[name] = decoded;
    parsed = true;
  }
  return parsed;
}

function tracesUrlFromBase(base: string): string {
  const url = new URL(base);
  url.pathname = url.pathname.replace(/\/+$/, '') + '/v1/traces';
  return url.href;
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function ignored(name: string, value: string, expected: string): string {
  return `${name}=${JSON.stringify(value)} is not valid (expected ${expected}); ignoring it.`;
}

function invalid(option: string, expected: string, got: unknown): Error {
  const shown = typeof got === 'string' ? JSON.stringify(got) : got === null ? 'null' : typeof got;
  return new Error(`OtlpHttpExporter: option "${option}" must be ${expected}; got ${shown}.`);
}

function validateOptions(options: OtlpHttpExporterOptions): void {
  if (options === null || typeof options !== 'object') {
    throw invalid('options', 'an object', options);
  }
  const { url, protocol, headers, compression, timeoutMs, onPartialSuccess, env } = options;
  if (url !== undefined && (typeof url !== 'string' || !isHttpUrl(url))) {
    throw invalid('url', 'an http: or https: URL', url);
  }
  if (protocol !== undefined && !PROTOCOLS.includes(protocol)) {
    throw invalid(
      'protocol',
      (protocol as string) === 'grpc'
        ? '"http/protobuf" or "http/json" (gRPC is not supported)'
        : '"http/protobuf" or "http/json"',
      protocol,
    );
  }
  if (compression !== undefined && !COMPRESSIONS.includes(compression)) {
    throw invalid('compression', '"gzip" or "none"', compression);
  }
  if (
    timeoutMs !== undefined &&
    (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0)
  ) {
    throw invalid('timeoutMs', 'a positive number of milliseconds', timeoutMs);
  }
  if (onPartialSuccess !== undefined && typeof onPartialSuccess !== 'function') {
    throw invalid('onPartialSuccess', 'a function', onPartialSuccess);
  }
  if (env !== undefined && (env === null || typeof env !== 'object')) {
    throw invalid('env', 'an object of environment variables', env);
  }
  if (headers !== undefined) {
    if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
      throw invalid('headers', 'an object of header names to string values', headers);
    }
    for (const [name, value] of Object.entries(headers)) {
      if (!isHttpToken(name)) throw invalid(`headers["${name}"]`, 'a valid header name', name);
      if (RESERVED_HEADERS.has(name.toLowerCase())) {
        throw invalid(`headers["${name}"]`, 'absent: the exporter sets this header itself', value);
      }
      if (typeof value !== 'string' || !isHeaderValue(value)) {
        throw new Error(
          `OtlpHttpExporter: option "headers["${name}"]" must be a string without control characters.`,
        );
      }
    }
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `{"partialSuccess":{"rejectedSpans":"3","errorMessage":"..."}}` (int64 as string or number). */
function jsonPartialSuccess(body: Buffer): OtlpPartialSuccess | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const partial = (parsed as { partialSuccess?: unknown }).partialSuccess;
  if (partial === null || typeof partial !== 'object') return undefined;
  const { rejectedSpans, errorMessage } = partial as {
    rejectedSpans?: unknown;
    errorMessage?: unknown;
  };
  const rejected =
    typeof rejectedSpans === 'number' || typeof rejectedSpans === 'string'
      ? Number(rejectedSpans)
      : 0;
  return {
    rejectedSpans: Number.isFinite(rejected) && rejected > 0 ? rejected : 0,
    errorMessage: typeof errorMessage === 'string' ? errorMessage : '',
  };
}

/**
 * `ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }` with
 * `ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }`
 * (trace_service.proto). Malformed input gives undefined, never a throw.
 */
function protobufPartialSuccess(body: Uint8Array): OtlpPartialSuccess | undefined {
  const reader = { bytes: body, pos: 0, end: body.length };
  let result: OtlpPartialSuccess | undefined;
  while (reader.pos < reader.end) {
    const tag = readVarint(reader);
    if (tag === undefined) return undefined;
    if (tag === 0x0a) {
      const length = readVarint(reader);
      if (length === undefined || reader.pos + length > reader.end) return undefined;
      result = readPartialSuccessMessage({
        bytes: body,
        pos: reader.pos,
        end: reader.pos + length,
      });
      if (result === undefined) return undefined;
      reader.pos += length;
    } else if (!skipField(reader, tag)) return undefined;
  }
  return result;
}

interface Reader {
  bytes: Uint8Array;
  pos: number;
  end: number;
}

function readPartialSuccessMessage(reader: Reader): OtlpPartialSuccess | undefined {
  const out: OtlpPartialSuccess = { rejectedSpans: 0, errorMessage: '' };
  while (reader.pos < reader.end) {
    const tag = readVarint(reader);
    if (tag === undefined) return undefined;
    if (tag === 0x08) {
      const rejected = readVarint(reader);
      if (rejected === undefined) return undefined;
      out.rejectedSpans = rejected;
    } else if (tag === 0x12) {
      const length = readVarint(reader);
      if (length === undefined || reader.pos + length > reader.end) return undefined;
      out.errorMessage = Buffer.from(
        reader.bytes.buffer,
        reader.bytes.byteOffset + reader.pos,
        length,
      ).toString('utf8');
      reader.pos += length;
    } else if (!skipField(reader, tag)) return undefined;
  }
  return out;
}

/** A varint as a number (exact below 2^53; an int64 count never gets near). */
function readVarint(reader: Reader): number | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (reader.pos >= reader.end) return undefined;
    const byte = reader.bytes[reader.pos++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 128;
  }
  return undefined;
}

function skipField(reader: Reader, tag: number): boolean {
  switch (tag & 7) {
    case 0:
      return readVarint(reader) !== undefined;
    case 1:
      reader.pos += 8;
      return reader.pos <= reader.end;
    case 2: {
      const length = readVarint(reader);
      if (length === undefined) return false;
      reader.pos += length;
      return reader.pos <= reader.end;
    }
    case 5:
      reader.pos += 4;
      return reader.pos <= reader.end;
    default:
      return false;
  }
}
