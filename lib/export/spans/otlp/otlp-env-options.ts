import { isHeaderValue, isHttpToken } from '../../../core/http-token.js';
import {
  COMPRESSIONS,
  PROTOCOLS,
  RESERVED_HEADERS,
  isHttpUrl,
  type OtlpCompression,
  type OtlpHttpExporterOptions,
} from './otlp-http-options.js';

/** Every protocol `OTEL_EXPORTER_OTLP_PROTOCOL` may name. */
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

/** Exporter options read from `OTEL_EXPORTER_OTLP_*`, and what was wrong with them. */
export interface OtlpEnvOptions {
  options: Pick<OtlpHttpExporterOptions, 'url' | 'headers' | 'compression' | 'timeoutMs'> & {
    protocol?: OtlpProtocol;
    /**
     * The endpoint for OTLP/gRPC: either endpoint variable as is (gRPC has no `/v1/traces`
     * path), where `url` has the OTLP/HTTP traces URL.
     */
    grpcUrl?: string;
    /** `OTEL_EXPORTER_OTLP_(TRACES_)CERTIFICATE`: a PEM file of trusted CAs (gRPC TLS). */
    certificateFile?: string;
    /** `OTEL_EXPORTER_OTLP_(TRACES_)CLIENT_KEY`: a PEM file of the client's private key. */
    clientKeyFile?: string;
    /** `OTEL_EXPORTER_OTLP_(TRACES_)CLIENT_CERTIFICATE`: a PEM file of the client's chain. */
    clientCertificateFile?: string;
  };
  /** One message per ignored variable or member: the environment is not code, so never thrown. */
  warnings: string[];
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
    if (isHttpUrl(tracesEndpoint)) {
      options.url = tracesEndpoint;
      options.grpcUrl = tracesEndpoint;
    } else
      warnings.push(
        ignored('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', tracesEndpoint, 'an http(s) URL'),
      );
  }
  if (options.url === undefined && endpoint) {
    if (isHttpUrl(endpoint)) {
      options.url = tracesUrlFromBase(endpoint);
      options.grpcUrl = endpoint;
    } else warnings.push(ignored('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint, 'an http(s) URL'));
  }

  const protocol = pick('PROTOCOL');
  if (protocol !== undefined) {
    const [name, value] = protocol;
    if (PROTOCOLS.includes(value) || value === 'grpc') options.protocol = value as OtlpProtocol;
    else warnings.push(ignored(name, value, 'http/protobuf, http/json or grpc'));
  }

  const files = [
    ['CERTIFICATE', 'certificateFile'],
    ['CLIENT_KEY', 'clientKeyFile'],
    ['CLIENT_CERTIFICATE', 'clientCertificateFile'],
  ] as const;
  for (const [suffix, key] of files) {
    const file = pick(suffix);
    if (file !== undefined) options[key] = file[1];
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

function ignored(name: string, value: string, expected: string): string {
  return `${name}=${JSON.stringify(value)} is not valid (expected ${expected}); ignoring it.`;
}
