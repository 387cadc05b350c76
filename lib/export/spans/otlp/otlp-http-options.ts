import { isHeaderValue, isHttpToken } from '../../../core/http-token.js';
import type { OtlpPartialSuccess } from './otlp-partial-success.js';

export type OtlpHttpProtocol = 'http/json' | 'http/protobuf';
export type OtlpCompression = 'gzip' | 'none';

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

export const DEFAULT_OTLP_TRACES_URL = 'http://localhost:4318/v1/traces';
export const PROTOCOLS: readonly string[] = ['http/protobuf', 'http/json'];
export const COMPRESSIONS: readonly string[] = ['gzip', 'none'];
/** Set by the exporter for each request; a user value would contradict the body. */
export const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'content-encoding']);

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The error an OTLP exporter's constructor throws for a bad option, naming the exporter. */
export function optionError(owner: string, option: string, expected: string, got: unknown): Error {
  const shown = typeof got === 'string' ? JSON.stringify(got) : got === null ? 'null' : typeof got;
  return new Error(`${owner}: option "${option}" must be ${expected}; got ${shown}.`);
}

function invalid(option: string, expected: string, got: unknown): Error {
  return optionError('OtlpHttpExporter', option, expected, got);
}

/** Throws, naming the option, when `options` cannot configure an exporter. */
export function validateOtlpHttpOptions(options: OtlpHttpExporterOptions): void {
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
        ? '"http/protobuf" or "http/json" (for gRPC, use OtlpGrpcExporter)'
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
