import {
  ExportResultCode,
  type ExportResult,
  type SpanExporter,
} from '../../../core/span-exporter.js';
import type { ReadableSpan } from '../../../core/types.js';
import { HttpSender } from '../../transport/http-sender.js';
import { InFlightRequests } from '../../transport/in-flight-requests.js';
import { encodeOtlpJson } from './otlp-json-encoder.js';
import { otlpOptionsFromEnv } from './otlp-env-options.js';
import {
  DEFAULT_OTLP_TRACES_URL,
  validateOtlpHttpOptions,
  type OtlpCompression,
  type OtlpHttpExporterOptions,
  type OtlpHttpProtocol,
} from './otlp-http-options.js';
import { encodeOtlpProtobufInto, MAX_RETAINED_CAPACITY } from './otlp-protobuf-encoder.js';
import { readOtlpPartialSuccess, type OtlpPartialSuccess } from './otlp-partial-success.js';

/** `ExportResult` plus the HTTP status, when a response arrived. */
export interface OtlpExportResult extends ExportResult {
  statusCode?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** Encoding buffers kept for the next batches (one per export in flight, up to this many). */
const MAX_SPARE_BUFFERS = 2;
const CONTENT_TYPES: Readonly<Record<OtlpHttpProtocol, string>> = {
  'http/json': 'application/json',
  'http/protobuf': 'application/x-protobuf',
};

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
  /** Protobuf encoding buffers whose requests were sent and answered, for the next batches. */
  private readonly spareBuffers: Buffer[] = [];
  private partialSuccess: OtlpPartialSuccess | undefined;

  constructor(options: OtlpHttpExporterOptions = {}) {
    validateOtlpHttpOptions(options);
    const fromEnv = otlpOptionsFromEnv(options.env ?? process.env);
    const env = fromEnv.options;
    const warnings = [...fromEnv.warnings];
    let envProtocol: OtlpHttpProtocol | undefined;
    if (env.protocol === 'grpc') {
      // The variable asks for the other exporter: forRoot builds OtlpGrpcExporter for it.
      if (options.protocol === undefined) {
        warnings.push(
          'OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL=grpc names OTLP/gRPC, which OtlpHttpExporter does not ' +
            'speak: using http/protobuf. Use OtlpGrpcExporter (or { type: "otlp" } in forRoot) for gRPC.',
        );
      }
    } else envProtocol = env.protocol;
    this.warnings = warnings;
    this.url = options.url ?? env.url ?? DEFAULT_OTLP_TRACES_URL;
    this.protocol = options.protocol ?? envProtocol ?? 'http/protobuf';
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
    return this.requests.export(spans.length, () => this.send(spans));
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
    let buffer: Buffer | undefined;
    try {
      if (this.protocol === 'http/json') body = encodeOtlpJson(spans);
      else ({ bytes: body, buffer } = encodeOtlpProtobufInto(spans, this.spareBuffers.pop()));
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
      // Answered, and the body was written in full: its buffer can take the next batch.
      if (
        buffer !== undefined &&
        result.bodyWritten === true &&
        buffer.length <= MAX_RETAINED_CAPACITY &&
        this.spareBuffers.length < MAX_SPARE_BUFFERS
      ) {
        this.spareBuffers.push(buffer);
      }
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
    const partial = readOtlpPartialSuccess(body, this.protocol);
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

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
