import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { ExportResultCode, type ExportResult } from '../../core/span-exporter.js';

const gzipAsync = promisify(gzip);

export interface HttpSenderOptions {
  url: string;
  headers?: Record<string, string>;
  /** Per-request deadline in ms. @default 10000 */
  timeoutMs?: number;
  /** gzip the body and send `content-encoding: gzip`. @default false */
  compression?: 'gzip' | 'none';
  /** @default 'POST' */
  method?: string;
  /** Failure statuses worth retrying. @default OTLP_RETRYABLE_STATUS (429, 502, 503, 504) */
  retryableStatus?: ReadonlySet<number>;
}

export interface HttpSendResult extends ExportResult {
  /** HTTP status when a response arrived. */
  statusCode?: number;
  /** The response body (capped), for partial-success handling. */
  body?: Buffer;
  /**
   * Whether the whole request body had been handed to the OS when the response ended: only
   * then may the caller reuse the memory of the body it passed.
   */
  bodyWritten?: boolean;
}

/** Statuses worth retrying, per the OTLP/HTTP specification. */
export const OTLP_RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 502, 503, 504]);
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * Sends one request body (POST unless told otherwise) and classifies the outcome for the
 * batch processor: success, retryable failure (network error, timeout, a status in
 * `retryableStatus`, with Retry-After), or a final failure. `send` never rejects.
 */
export class HttpSender {
  private readonly url: URL;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly gzip: boolean;
  private readonly method: string;
  private readonly retryableStatus: ReadonlySet<number>;

  constructor(options: HttpSenderOptions) {
    this.url = new URL(options.url);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') {
      throw new Error(`url must be an http: or https: URL; got "${options.url}"`);
    }
    this.headers = { ...options.headers };
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.gzip = options.compression === 'gzip';
    this.method = options.method ?? 'POST';
    this.retryableStatus = new Set(options.retryableStatus ?? OTLP_RETRYABLE_STATUS);
  }

  get endpoint(): string {
    return this.url.href;
  }

  async send(body: Uint8Array | string, contentType: string): Promise<HttpSendResult> {
    let payload: Buffer =
      typeof body === 'string'
        ? Buffer.from(body)
        : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const headers: Record<string, string | number> = {
      ...this.headers,
      'content-type': contentType,
    };
    if (this.gzip) {
      try {
        payload = await gzipAsync(payload);
        headers['content-encoding'] = 'gzip';
      } catch (error) {
        return { code: ExportResultCode.FAILED, error: asError(error) };
      }
    }
    headers['content-length'] = payload.length;
    return new Promise<HttpSendResult>((resolve) => {
      let settled = false;
      const finish = (result: HttpSendResult) => {
        if (settled) return;
        settled = true;
        resolve(result);
      };
      const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
      let req: ClientRequest;
      try {
        req = send(this.url, { method: this.method, headers, timeout: this.timeoutMs }, (res) =>
          readResponse(res, this.retryableStatus, (result) => {
            result.bodyWritten = req.writableFinished;
            finish(result);
          }),
        );
      } catch (error) {
        // An invalid header value, say: a configuration fault, not worth retrying.
        finish({ code: ExportResultCode.FAILED, error: asError(error) });
        return;
      }
      req.on('timeout', () => {
        req.destroy(new Error(`request to ${this.url.host} timed out after ${this.timeoutMs} ms`));
      });
      req.on('error', (error) => finish({ code: ExportResultCode.FAILED, error, retryable: true }));
      req.end(payload);
    });
  }
}

function readResponse(
  res: IncomingMessage,
  retryableStatus: ReadonlySet<number>,
  finish: (r: HttpSendResult) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    if (size < MAX_RESPONSE_BYTES) chunks.push(chunk);
    size += chunk.length;
  });
  res.on('error', (error) => finish({ code: ExportResultCode.FAILED, error, retryable: true }));
  res.on('end', () => {
    const statusCode = res.statusCode ?? 0;
    const body = Buffer.concat(chunks);
    if (statusCode >= 200 && statusCode < 300) {
      finish({ code: ExportResultCode.SUCCESS, statusCode, body });
      return;
    }
    const retryable = retryableStatus.has(statusCode);
    finish({
      code: ExportResultCode.FAILED,
      statusCode,
      body,
      retryable,
      retryAfterMs: retryable ? parseRetryAfter(res.headers['retry-after']) : undefined,
      error: new Error(
        `HTTP ${statusCode}${body.length ? `: ${body.toString('utf8', 0, 200)}` : ''}`,
      ),
    });
  });
}

/** Retry-After as delay-seconds or an HTTP date, in ms; undefined when absent or invalid. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
