import { COMPRESSIONS, isHttpUrl, optionError, type OtlpCompression } from './otlp-http-options.js';
import type { OtlpPartialSuccess } from './otlp-partial-success.js';

/** PEM material for a TLS connection; each a PEM string or its bytes. */
export interface OtlpGrpcTlsOptions {
  /** Trusted CA certificates. Default: `OTEL_EXPORTER_OTLP_(TRACES_)CERTIFICATE`, else the system roots. */
  ca?: string | Buffer;
  /** Client certificate chain (mTLS). Default: `OTEL_EXPORTER_OTLP_(TRACES_)CLIENT_CERTIFICATE`. */
  cert?: string | Buffer;
  /** Client private key (mTLS), given with `cert`. Default: `OTEL_EXPORTER_OTLP_(TRACES_)CLIENT_KEY`. */
  key?: string | Buffer;
}

export interface OtlpGrpcExporterOptions {
  /**
   * The collector's gRPC endpoint, `http://host:port` (plaintext) or `https://host:port`
   * (TLS); a path is ignored. Default: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else
   * `OTEL_EXPORTER_OTLP_ENDPOINT` (both as is: gRPC has no `/v1/traces`), else
   * `http://localhost:4317`.
   */
  url?: string;
  /** Sent as gRPC metadata with every call, over `OTEL_EXPORTER_OTLP_(TRACES_)HEADERS` per name. */
  headers?: Record<string, string>;
  /** `gzip` compresses each message (`grpc-encoding: gzip`). Default: `OTEL_EXPORTER_OTLP_(TRACES_)COMPRESSION`, else `none`. */
  compression?: OtlpCompression;
  /** Per-call deadline in ms. Default: `OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT`, else 10000. */
  timeoutMs?: number;
  /**
   * `false` uses TLS even with an `http:` URL; `true` with an `https:` URL is an error.
   * Default: the URL's scheme decides (`https:` TLS, `http:` plaintext).
   */
  insecure?: boolean;
  /** Custom CA and client certificate for TLS. Default: the `OTEL_EXPORTER_OTLP_*` certificate files. */
  tls?: OtlpGrpcTlsOptions;
  /** Called when a backend accepted a batch only in part (or with a warning). */
  onPartialSuccess?: (partialSuccess: OtlpPartialSuccess) => void;
  /** Where `OTEL_EXPORTER_OTLP_*` are read from. Default `process.env`; `{}` ignores them. */
  env?: Readonly<Record<string, string | undefined>>;
}

export const DEFAULT_OTLP_GRPC_URL = 'http://localhost:4317';

/** What grpc-js accepts as a metadata key (it throws on anything else). */
const GRPC_METADATA_KEY = /^[0-9a-z_.-]+$/;
/** What grpc-js accepts as a non-binary metadata value. */
const GRPC_METADATA_VALUE = /^[ -~]*$/;
/** Set by gRPC itself; a user value would break or contradict the call. */
const RESERVED_METADATA = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'te',
  'host',
  'user-agent',
]);

/** Why `name` cannot be sent as gRPC metadata with a string value; undefined when it can. */
export function grpcMetadataProblem(name: string, value: unknown): string | undefined {
  const key = name.toLowerCase();
  if (!GRPC_METADATA_KEY.test(key)) return 'a metadata key of a-z, 0-9, "-", "_" and "."';
  if (key.startsWith('grpc-') || RESERVED_METADATA.has(key)) {
    return 'absent: gRPC sets this header itself';
  }
  if (key.endsWith('-bin')) return 'a key not ending in "-bin" (binary metadata is not supported)';
  if (typeof value !== 'string' || !GRPC_METADATA_VALUE.test(value)) {
    return 'a string of printable ASCII characters';
  }
  return undefined;
}

function invalid(option: string, expected: string, got: unknown): Error {
  return optionError('OtlpGrpcExporter', option, expected, got);
}

/** Throws, naming the option, when `options` cannot configure an exporter. */
export function validateOtlpGrpcOptions(options: OtlpGrpcExporterOptions): void {
  if (options === null || typeof options !== 'object') {
    throw invalid('options', 'an object', options);
  }
  const { url, headers, compression, timeoutMs, insecure, tls, onPartialSuccess, env } = options;
  if (url !== undefined && (typeof url !== 'string' || !isHttpUrl(url))) {
    throw invalid('url', 'an http: or https: URL such as http://localhost:4317', url);
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
  if (insecure !== undefined && typeof insecure !== 'boolean') {
    throw invalid('insecure', 'a boolean', insecure);
  }
  if (insecure === true && typeof url === 'string' && url.startsWith('https:')) {
    throw invalid('insecure', 'false or absent with an https: URL', url);
  }
  if (tls !== undefined) {
    if (tls === null || typeof tls !== 'object' || Array.isArray(tls)) {
      throw invalid('tls', 'an object { ca?, cert?, key? }', tls);
    }
    for (const [key, value] of Object.entries(tls)) {
      if (key !== 'ca' && key !== 'cert' && key !== 'key') {
        throw invalid(`tls.${key}`, 'absent (known: ca, cert, key)', value);
      }
      if (value !== undefined && typeof value !== 'string' && !Buffer.isBuffer(value)) {
        throw invalid(`tls.${key}`, 'a PEM string or Buffer', value);
      }
    }
    if ((tls.key === undefined) !== (tls.cert === undefined)) {
      const [given, missing] = tls.key === undefined ? ['cert', 'key'] : ['key', 'cert'];
      throw new Error(
        `OtlpGrpcExporter: option "tls.${given}" needs "tls.${missing}" too (a client certificate is a key and its chain).`,
      );
    }
    if (insecure === true) throw invalid('insecure', 'false or absent when tls is given', insecure);
  }
  if (onPartialSuccess !== undefined && typeof onPartialSuccess !== 'function') {
    throw invalid('onPartialSuccess', 'a function', onPartialSuccess);
  }
  if (env !== undefined && (env === null || typeof env !== 'object')) {
    throw invalid('env', 'an object of environment variables', env);
  }
  if (headers !== undefined) {
    if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
      throw invalid('headers', 'an object of metadata keys to string values', headers);
    }
    for (const [name, value] of Object.entries(headers)) {
      const problem = grpcMetadataProblem(name, value);
      if (problem !== undefined) throw invalid(`headers["${name}"]`, problem, value);
    }
  }
}
