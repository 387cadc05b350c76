import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { parseRetryAfter, type HttpSendResult } from '../../core/exporters/http-sender.js';
import { ExportResultCode } from '../../core/span-exporter.js';

const gzipAsync = promisify(gzip);

export interface LogHttpSenderOptions {
  url: string;
  /** @default 'POST' */
  method?: string;
  headers?: Record<string, string>;
  /** Per-request deadline in ms. */
  timeoutMs: number;
  /** gzip the body and send `content-encoding: gzip`. */
  compression: 'gzip' | 'none';
  /** Statuses worth retrying besides 429 and 5xx ones. @default [408] */
  retryableStatus?: readonly number[];
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * Sends one log request and classifies the outcome for the batch queue: success,
 * retryable failure (network error, timeout, 408, 429, 5xx, with Retry-After) or a final
 * one. The span exporters' HttpSender only POSTs and follows OTLP's retry list; log
 * platforms ask for retries on every 5xx and a REST endpoint may want PUT. Never rejects.
 */
export class LogHttpSender {
  readonly url: URL;
  private readonly method: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly gzip: boolean;
  private readonly retryable: ReadonlySet<number>;

  constructor(options: LogHttpSenderOptions) {
    this.url = new URL(options.url);
    this.method = options.method ?? 'POST';
    this.headers = { ...options.headers };
    this.timeoutMs = options.timeoutMs;
    this.gzip = options.compression === 'gzip';
    this.retryable = new Set(options.retryableStatus ?? [408]);
  }

  async send(body: string | Uint8Array, contentType: string): Promise<HttpSendResult> {
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
      let req;
      try {
        req = send(this.url, { method: this.method, headers, timeout: this.timeoutMs }, (res) =>
          this.readResponse(res, finish),
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

  private readResponse(res: IncomingMessage, finish: (r: HttpSendResult) => void): void {
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
      const retryable = statusCode === 429 || statusCode >= 500 || this.retryable.has(statusCode);
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
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
