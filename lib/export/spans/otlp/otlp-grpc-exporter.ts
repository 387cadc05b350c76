import { readFileSync } from 'node:fs';
import {
  ExportResultCode,
  type ExportResult,
  type SpanExporter,
} from '../../../core/span-exporter.js';
import type { ReadableSpan } from '../../../core/types.js';
import { InFlightRequests } from '../../transport/in-flight-requests.js';
import { otlpOptionsFromEnv } from './otlp-env-options.js';
import {
  DEFAULT_OTLP_GRPC_URL,
  grpcMetadataProblem,
  validateOtlpGrpcOptions,
  type OtlpGrpcExporterOptions,
  type OtlpGrpcTlsOptions,
} from './otlp-grpc-options.js';
import {
  GRPC_STATUS_DETAILS_KEY,
  isRetryableGrpcStatus,
  readRetryDelayMs,
} from './otlp-grpc-status.js';
import type { OtlpCompression } from './otlp-http-options.js';
import { readOtlpPartialSuccess, type OtlpPartialSuccess } from './otlp-partial-success.js';
import { encodeOtlpProtobuf } from './otlp-protobuf-encoder.js';

/** `ExportResult` plus the gRPC status code, when the call ended with one. */
export interface OtlpGrpcExportResult extends ExportResult {
  grpcCode?: number;
}

/** Loads `@grpc/grpc-js`; replaceable for tests of a missing package. */
export type GrpcJsLoader = () => Promise<unknown>;

// import() works in the ESM build and, compiled to require(), in the CommonJS one.
const loadGrpcJs: GrpcJsLoader = () => import('@grpc/grpc-js');

const METHOD = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const DEFAULT_TIMEOUT_MS = 10_000;
/**
 * grpc-js backs off reconnecting up to 120 s; the batch queue has its own backoff, so the
 * channel's is capped: after an outage the next retry finds it reconnecting, not still
 * failing fast.
 */
const MAX_RECONNECT_BACKOFF_MS = 5000;
const GZIP = 2; // grpc-js CompressionAlgorithms.gzip

const GRPC_CODE_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

// ---------------------------------------------------------------------------------------
// The part of @grpc/grpc-js used here (an optional peer: no type import from it).

interface MetadataLike {
  set(key: string, value: string): void;
  get(key: string): (string | Buffer)[];
}
interface GrpcServiceError extends Error {
  code?: number;
  details?: string;
  metadata?: MetadataLike;
}
interface GrpcClientLike {
  makeUnaryRequest(
    method: string,
    serialize: (value: Buffer) => Buffer,
    deserialize: (value: Buffer) => Buffer,
    argument: Buffer,
    metadata: MetadataLike,
    options: { deadline: number },
    callback: (error: GrpcServiceError | null, value?: Buffer) => void,
  ): unknown;
  close(): void;
}
interface GrpcJs {
  Client: new (
    address: string,
    credentials: unknown,
    options: Record<string, unknown>,
  ) => GrpcClientLike;
  credentials: {
    createInsecure(): unknown;
    createSsl(
      rootCerts?: Buffer | null,
      privateKey?: Buffer | null,
      certChain?: Buffer | null,
    ): unknown;
  };
  Metadata: new () => MetadataLike;
}

type Connection = { client: GrpcClientLike; grpc: GrpcJs } | { error: Error };

/**
 * Exports spans with OTLP/gRPC (`opentelemetry.proto.collector.trace.v1.TraceService/Export`,
 * unary), the same protobuf as OTLP/HTTP, to a collector's gRPC port (4317). Needs the
 * optional peer dependency `@grpc/grpc-js`, loaded on first use. One call per batch and no
 * retries of its own: the batch processor retries the status codes the OTLP specification
 * calls retryable, after the server's `RetryInfo` delay when it sends one.
 */
export class OtlpGrpcExporter implements SpanExporter {
  readonly url: string;
  readonly compression: OtlpCompression;
  readonly timeoutMs: number;
  /** Whether the channel uses TLS. */
  readonly secure: boolean;
  /** Problems with `OTEL_EXPORTER_OTLP_*` variables that were ignored; log them once. */
  readonly warnings: readonly string[];
  private readonly address: string;
  private readonly target: string;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly tls: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  private readonly onPartialSuccess: ((partialSuccess: OtlpPartialSuccess) => void) | undefined;
  private readonly requests = new InFlightRequests('OtlpGrpcExporter');
  private readonly loadGrpc: GrpcJsLoader;
  private connection: Promise<Connection> | undefined;
  private partialSuccess: OtlpPartialSuccess | undefined;

  /** @param loadGrpc how `@grpc/grpc-js` is loaded (tests replace it); not for apps. */
  constructor(options: OtlpGrpcExporterOptions = {}, loadGrpc: GrpcJsLoader = loadGrpcJs) {
    validateOtlpGrpcOptions(options);
    const fromEnv = otlpOptionsFromEnv(options.env ?? process.env);
    const env = fromEnv.options;
    const warnings = [...fromEnv.warnings];
    this.loadGrpc = loadGrpc;
    this.url = options.url ?? env.grpcUrl ?? DEFAULT_OTLP_GRPC_URL;
    this.compression = options.compression ?? env.compression ?? 'none';
    this.timeoutMs = options.timeoutMs ?? env.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.onPartialSuccess = options.onPartialSuccess;

    const parsed = new URL(this.url);
    const https = parsed.protocol === 'https:';
    if (https && options.insecure === true) {
      throw new Error(
        `OtlpGrpcExporter: option "insecure" is true but the endpoint ${parsed.origin} is https:.`,
      );
    }
    this.secure = https || options.insecure === false;
    if (options.tls !== undefined && !this.secure) {
      throw new Error(
        `OtlpGrpcExporter: option "tls" needs TLS, but the endpoint ${parsed.origin} is http: ` +
          '(plaintext); use an https: URL or insecure: false.',
      );
    }
    const port = parsed.port || (https ? '443' : '80');
    this.address = `${parsed.hostname}:${port}`;
    this.target = `${parsed.protocol}//${this.address}`;
    this.tls = this.secure ? tlsMaterial(options.tls, env, warnings) : {};

    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(env.headers ?? {})) {
      const problem = grpcMetadataProblem(name, value);
      if (problem === undefined) headers[name] = value;
      else warnings.push(`OTEL_EXPORTER_OTLP_HEADERS: ignoring "${name}": must be ${problem}.`);
    }
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      headers[name.toLowerCase()] = value;
    }
    this.headers = headers;
    this.warnings = warnings;
  }

  /** The latest partial success a backend reported, if any. */
  get lastPartialSuccess(): OtlpPartialSuccess | undefined {
    return this.partialSuccess;
  }

  /**
   * Loads `@grpc/grpc-js` and opens the channel (it connects on the first call); rejects
   * with an error naming the package when it is not installed.
   */
  async ready(): Promise<void> {
    const connection = await this.connect();
    if ('error' in connection) throw connection.error;
  }

  export(spans: readonly ReadableSpan[]): Promise<OtlpGrpcExportResult> {
    return this.requests.export(spans.length, () => this.send(spans));
  }

  /** Waits for the calls already made. */
  async forceFlush(): Promise<void> {
    await this.requests.waitAll();
  }

  /** Later exports fail at once; calls already made are awaited, then the channel closes. */
  async shutdown(): Promise<void> {
    await this.requests.stop();
    const connection = await this.connection;
    if (connection !== undefined && !('error' in connection)) connection.client.close();
  }

  private connect(): Promise<Connection> {
    return (this.connection ??= this.loadGrpc().then(
      (loaded) => {
        const grpc = grpcApi(loaded);
        if (grpc === undefined) {
          return { error: new Error('OtlpGrpcExporter: @grpc/grpc-js loaded without its API') };
        }
        try {
          const credentials = this.secure
            ? grpc.credentials.createSsl(
                this.tls.ca ?? null,
                this.tls.key ?? null,
                this.tls.cert ?? null,
              )
            : grpc.credentials.createInsecure();
          const channelOptions: Record<string, unknown> = {
            'grpc.max_reconnect_backoff_ms': MAX_RECONNECT_BACKOFF_MS,
          };
          if (this.compression === 'gzip') {
            channelOptions['grpc.default_compression_algorithm'] = GZIP;
          }
          return { client: new grpc.Client(this.address, credentials, channelOptions), grpc };
        } catch (error) {
          return {
            error: new Error(`OtlpGrpcExporter: could not open a channel: ${message(error)}`, {
              cause: error,
            }),
          };
        }
      },
      (error: unknown) => ({ error: missingPackage(error) }),
    ));
  }

  /** Never rejects: every failure is a result. */
  private async send(spans: readonly ReadableSpan[]): Promise<OtlpGrpcExportResult> {
    const connection = await this.connect();
    if ('error' in connection) {
      return { code: ExportResultCode.FAILED, error: connection.error, retryable: false };
    }
    let body: Buffer;
    try {
      const encoded = encodeOtlpProtobuf(spans);
      body = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
    } catch (error) {
      return {
        code: ExportResultCode.FAILED,
        error: new Error(
          `OtlpGrpcExporter: could not encode ${spans.length} spans: ${message(error)}`,
          { cause: error },
        ),
        retryable: false,
      };
    }
    const { client, grpc } = connection;
    const metadata = new grpc.Metadata();
    for (const [name, value] of Object.entries(this.headers)) metadata.set(name, value);
    return new Promise<OtlpGrpcExportResult>((resolve) => {
      try {
        client.makeUnaryRequest(
          METHOD,
          identity,
          identity,
          body,
          metadata,
          { deadline: Date.now() + this.timeoutMs },
          (error, response) => {
            resolve(
              error ? this.failure(error) : this.success(response ?? Buffer.alloc(0), spans.length),
            );
          },
        );
      } catch (error) {
        // grpc-js refusing the call itself (a closed channel): not worth retrying.
        resolve({
          code: ExportResultCode.FAILED,
          error: new Error(`OTLP/gRPC export to ${this.target} failed: ${message(error)}`, {
            cause: error,
          }),
          retryable: false,
        });
      }
    });
  }

  private success(response: Buffer, sent: number): OtlpGrpcExportResult {
    const out: OtlpGrpcExportResult = { code: ExportResultCode.SUCCESS, grpcCode: 0 };
    const partial = response.length > 0 ? this.readPartialSuccess(response) : undefined;
    // Refused spans are lost (the spec forbids retrying them): counted as failed, not exported.
    if (partial !== undefined && partial.rejectedSpans > 0) {
      out.rejected = Math.min(partial.rejectedSpans, sent);
    }
    return out;
  }

  private failure(error: GrpcServiceError): OtlpGrpcExportResult {
    const code = typeof error.code === 'number' ? error.code : 2; // UNKNOWN
    const details = error.metadata?.get(GRPC_STATUS_DETAILS_KEY)[0];
    const retryAfterMs = Buffer.isBuffer(details) ? readRetryDelayMs(details) : undefined;
    const retryable = isRetryableGrpcStatus(code, retryAfterMs);
    const name = GRPC_CODE_NAMES[code] ?? `status ${code}`;
    const text = error.details || error.message;
    const out: OtlpGrpcExportResult = {
      code: ExportResultCode.FAILED,
      grpcCode: code,
      error: new Error(`OTLP/gRPC export to ${this.target} failed: ${name} (${code}): ${text}`, {
        cause: error,
      }),
      retryable,
    };
    if (retryable && retryAfterMs !== undefined && retryAfterMs > 0) {
      out.retryAfterMs = retryAfterMs;
    }
    return out;
  }

  /** The partial success in a response, once reported; undefined without one. */
  private readPartialSuccess(body: Buffer): OtlpPartialSuccess | undefined {
    const partial = readOtlpPartialSuccess(body, 'http/protobuf');
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

function identity(value: Buffer): Buffer {
  return value;
}

function grpcApi(loaded: unknown): GrpcJs | undefined {
  const mod = loaded as Partial<GrpcJs> & { default?: Partial<GrpcJs> };
  const api = typeof mod?.Client === 'function' ? mod : mod?.default;
  return typeof api?.Client === 'function' &&
    typeof api.Metadata === 'function' &&
    typeof api.credentials?.createSsl === 'function'
    ? (api as GrpcJs)
    : undefined;
}

function missingPackage(error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  const notFound = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
  return new Error(
    `OtlpGrpcExporter: OTLP/gRPC needs the optional peer dependency @grpc/grpc-js, which ` +
      `${notFound ? 'is not installed' : `could not be loaded (${message(error)})`}. ` +
      'Install it with `npm install @grpc/grpc-js`, or use protocol http/protobuf (port 4318).',
    { cause: error },
  );
}

/** PEM bytes from the options, else from the files the environment names (a bad file warns). */
function tlsMaterial(
  tls: OtlpGrpcTlsOptions | undefined,
  env: ReturnType<typeof otlpOptionsFromEnv>['options'],
  warnings: string[],
): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const read = (variable: string, file: string | undefined): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (error) {
      warnings.push(
        `${variable}: cannot read ${JSON.stringify(file)} (${message(error)}); ignoring it.`,
      );
      return undefined;
    }
  };
  const out: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  const ca =
    tls?.ca !== undefined
      ? bytes(tls.ca)
      : read('OTEL_EXPORTER_OTLP_(TRACES_)CERTIFICATE', env.certificateFile);
  if (ca !== undefined) out.ca = ca;
  if (tls?.cert !== undefined && tls.key !== undefined) {
    out.cert = bytes(tls.cert);
    out.key = bytes(tls.key);
  } else if (tls?.cert === undefined) {
    const cert = read('OTEL_EXPORTER_OTLP_(TRACES_)CLIENT_CERTIFICATE', env.clientCertificateFile);
    const key = read('OTEL_EXPORTER_OTLP_(TRACES_)CLIENT_KEY', env.clientKeyFile);
    if ((cert === undefined) !== (key === undefined)) {
      warnings.push(
        'OTEL_EXPORTER_OTLP_CLIENT_KEY and OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE go together; ' +
          'ignoring the one given alone.',
      );
    } else if (cert !== undefined && key !== undefined) {
      out.cert = cert;
      out.key = key;
    }
  }
  return out;
}

function bytes(value: string | Buffer): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
