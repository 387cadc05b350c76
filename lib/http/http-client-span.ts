import { AxiosHeaders, isCancel, type AxiosResponse } from 'axios';
import type { Readable } from 'node:stream';
import { now } from '../core/clock.js';
import { exceptionAttributes } from '../core/span.js';
import { SpanStatusCode, type Span } from '../core/types.js';
import type { CapturedBody } from '../core/redaction/body-redaction.js';
import type { ResolvedHttpTracingOptions } from './http-tracing-options.js';
import type {
  HttpMessageRecord,
  HttpRequestRecord,
} from './interfaces/http-request-record.interface.js';
import { scrubAttributes, scrubSecrets, type RedactedUrl } from '../core/redaction/redaction.js';
import { cutUtf8 } from '../core/redaction/redaction-text.js';
import { errorTypeOf as outgoingErrorType } from '../integrations/outgoing-http.js';
import type { HttpRequestRecords } from './request-records.js';
import { setStreamAttributes, streamKind } from '../server/stream-figures.js';
import { trackReadable, type TrackedReadable } from './stream-tracking.js';
import { RECORD_ATTRIBUTES } from './traced-http.constants.js';

/** Header attributes per direction, so headers never crowd other attributes out of the span's limit. */
const MAX_HEADER_ATTRIBUTES = 32;

/** What an exchange needs from the instrumentation that opened it. */
export interface ExchangeSettings {
  readonly options: ResolvedHttpTracingOptions;
  readonly records: HttpRequestRecords;
  /** Bodies are captured up to the larger of the record and verbose caps; 0 = not at all. */
  readonly captureBytes: number;
}

/** The request as it went out: final headers (injected ones included) and serialized body. */
export interface SentRequest {
  readonly headers: AxiosHeaders;
  readonly data: unknown;
  readonly stream: boolean;
}

/**
 * One call from the first byte sent to the last byte received: ends its client span with
 * the outcome, summarises it on the span and keeps its record.
 */
export class ClientExchange {
  constructor(
    private readonly client: ExchangeSettings,
    private readonly span: Span,
    private readonly method: string,
    private readonly url: RedactedUrl,
    private readonly startedAt: number,
    private readonly startedAtEpoch: number,
    private readonly request: SentRequest,
  ) {}

  /** A response arrived: a stream is followed to its end, anything else is done. */
  answered(response: AxiosResponse): AxiosResponse {
    const body = response.data as unknown;
    if (this.request.stream && isNodeReadable(body)) {
      try {
        const headers = response.headers as Record<string, unknown>;
        const kind = streamKind(
          headerOf(headers, 'content-type'),
          headerOf(headers, 'content-length'),
        );
        this.span.addEvent('http.response.headers');
        trackReadable(body, kind, this.startedAt, this.client.captureBytes, (tracked) =>
          this.finish(response, undefined, tracked),
        );
      } catch {
        this.finish(response, undefined, undefined);
      }
    } else {
      this.finish(response, undefined, undefined);
    }
    return response;
  }

  /**
   * Ends the span with the outcome and keeps the record. Never throws: it runs in the
   * caller's promise chain and in stream events, where a throw would break the app.
   */
  finish(
    response: AxiosResponse | undefined,
    error: unknown,
    stream: TrackedReadable | undefined,
  ): void {
    try {
      this.complete(response, error, stream);
    } catch {
      this.span.end();
    }
  }

  private complete(
    response: AxiosResponse | undefined,
    error: unknown,
    stream: TrackedReadable | undefined,
  ): void {
    const { span, client } = this;
    const { options, records } = client;
    const status = response?.status;
    let errorType: string | undefined;
    if (status !== undefined && status >= 400) errorType = String(status);
    else if (error !== undefined) errorType = errorTypeOf(error);
    else if (stream?.figures.outcome === 'errored') errorType = errorTypeOf(stream.error);
    else if (stream?.figures.outcome === 'aborted') errorType = 'cancelled';
    const failure = status !== undefined && status >= 400 ? undefined : (error ?? stream?.error);

    const keepRecord = records.max > 0 || options.verbose !== undefined;
    const summarize = span.isRecording();
    if (!keepRecord && !summarize) {
      this.end(status, errorType, failure, []);
      return;
    }

    const secrets = [...this.url.secrets];
    const requestHeaders = options.redactor.headers(this.request.headers, secrets);
    const responseHeaders = response && options.redactor.headers(response.headers, secrets);
    const cap = client.captureBytes;
    const requestType = headerOf(requestHeaders, 'content-type');
    const responseType = responseHeaders && headerOf(responseHeaders, 'content-type');
    const requestBody =
      cap > 0 ? options.redactor.body(this.request.data, requestType, cap) : undefined;
    const responseBody =
      cap === 0 || response === undefined
        ? undefined
        : options.redactor.body(stream ? stream.captured : response.data, responseType, cap);
    const request = this.message(requestHeaders, requestBody, sizeOf(this.request.data));
    const answer =
      response &&
      this.message(
        responseHeaders ?? {},
        responseBody,
        stream?.figures.bytes ?? contentLength(responseHeaders) ?? sizeOf(response.data),
      );
    const id = keepRecord ? records.reserveId() : undefined;

    if (summarize) {
      span.setAttribute(RECORD_ATTRIBUTES.recordId, records.max > 0 ? id : undefined);
      span.setAttribute('http.request.body.size', request.bodyBytes);
      span.setAttribute('http.response.body.size', answer?.bodyBytes);
      if (options.spanHeaders) {
        setHeaderAttributes(span, 'http.request.header.', requestHeaders);
        if (responseHeaders) setHeaderAttributes(span, 'http.response.header.', responseHeaders);
      }
      if (options.recordBodies) {
        span.setAttribute(RECORD_ATTRIBUTES.requestBody, request.body);
        span.setAttribute(RECORD_ATTRIBUTES.responseBody, answer?.body);
      }
      if (stream) setStreamAttributes(span, stream.figures);
    }
    const message = failure === undefined ? undefined : scrubSecrets(messageOf(failure), secrets);
    const durationMs = this.end(status, errorType, failure, secrets);

    if (id !== undefined) {
      const context = span.spanContext();
      const record: HttpRequestRecord = {
        id,
        traceId: context.traceId,
        spanId: context.spanId,
        method: this.method,
        url: this.url.full,
        status,
        ok: errorType === undefined,
        errorType,
        errorMessage: message,
        startedAt: new Date(this.startedAtEpoch).toISOString(),
        durationMs,
        request,
        response: answer,
        stream: stream?.figures,
      };
      records.add(record, { record, requestBody, responseBody });
    }
  }

  /** Sets the outcome on the span and ends it; returns the call's duration in ms. */
  private end(
    status: number | undefined,
    errorType: string | undefined,
    failure: unknown,
    secrets: readonly string[],
  ): number {
    const span = this.span;
    span.setAttribute('http.response.status_code', status);
    if (errorType !== undefined) {
      span.setAttribute('error.type', errorType);
      if (failure === undefined) {
        // The status code says it all (OpenTelemetry HTTP conventions: no description).
        span.setStatus({ code: SpanStatusCode.ERROR });
      } else {
        span.addEvent('exception', scrubAttributes(exceptionAttributes(failure), secrets));
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: scrubSecrets(messageOf(failure), secrets),
        });
      }
    }
    span.end();
    return Math.round((now() - this.startedAt) * 1000) / 1000;
  }

  private message(
    headers: Record<string, string>,
    body: CapturedBody | undefined,
    bodyBytes: number | undefined,
  ): HttpMessageRecord {
    const options = this.client.options;
    if (!options.recordBodies || body === undefined) return { headers, bodyBytes };
    const cut = cutUtf8(body.text, options.maxBodyBytes);
    return {
      headers,
      bodyBytes: bodyBytes ?? body.bytes,
      body: cut.text,
      bodyTruncated: body.truncated || cut.truncated,
    };
  }
}

/** The OpenTelemetry `error.type` of a failed call, as the fetch and node:http spans name it. */
function errorTypeOf(error: unknown): string {
  if (isCancel(error)) return 'cancelled';
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (code === 'ECONNABORTED' && /timeout/i.test(messageOf(error))) return 'timeout';
  return outgoingErrorType(error);
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : String(error);
}

function setHeaderAttributes(span: Span, prefix: string, headers: Record<string, string>): void {
  let count = 0;
  for (const name of Object.keys(headers)) {
    if (count++ >= MAX_HEADER_ATTRIBUTES) break;
    span.setAttribute(prefix + name, [headers[name]!]);
  }
}

function headerOf(
  headers: Record<string, unknown> | AxiosHeaders,
  name: string,
): string | undefined {
  const value =
    headers instanceof AxiosHeaders
      ? headers.get(name)
      : (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

function contentLength(headers: Record<string, string> | undefined): number | undefined {
  const value = headers?.['content-length'];
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

function sizeOf(data: unknown): number | undefined {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (data instanceof Uint8Array) return data.byteLength;
  if (data instanceof ArrayBuffer) return data.byteLength;
  return undefined;
}

function isNodeReadable(value: unknown): value is Readable {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Readable).push === 'function' &&
    typeof (value as Readable).once === 'function' &&
    typeof (value as Readable).pipe === 'function'
  );
}
