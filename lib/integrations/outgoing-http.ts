import { httpMethodOf } from '../core/http-method.js';
import { NOOP_SPAN } from '../core/non-recording-span.js';
import {
  Redactor,
  scrubAttributes,
  scrubSecrets,
  type RedactedUrl,
} from '../core/redaction/redaction.js';
import { exceptionAttributes } from '../core/span.js';
import { SpanKind, SpanStatusCode, type ReadableSpan, type Span } from '../core/types.js';
import { isClientSpan } from './client-spans.js';
import type { ActiveHost, HeaderSink } from './integration.js';

// The default rules TracedHttpService applies (query secrets, credentials in the URL): the
// integrations have no per-client options, so every outgoing URL is redacted the same way.
const redactor = new Redactor();

// Redacting a URL parses it (about 8-12 µs on a busy 2-core VM: most of what a traced call
// costs); an app calls the same few URLs over and over, so each is redacted once.
const MAX_CACHED_URLS = 512;
const redacted = new Map<string, RedactedUrl>();

function redactUrl(raw: string): RedactedUrl {
  let url = redacted.get(raw);
  if (url === undefined) {
    url = redactor.url(raw);
    if (redacted.size >= MAX_CACHED_URLS) redacted.delete(redacted.keys().next().value!);
    redacted.set(raw, url);
  }
  return url;
}

/** Where a client library lets trace headers be added, and how it tells a header is there. */
export interface HeaderCarrier {
  readonly set: HeaderSink;
  readonly has: (name: string) => boolean;
}

/** One outgoing HTTP call traced by the fetch or node:http integration, until it ends. */
export interface OutgoingCall {
  readonly span: Span;
  /** Values removed from the URL: error messages quoting it are scrubbed of them. */
  readonly secrets: readonly string[];
  status: number | undefined;
  ended: boolean;
}

/**
 * Opens the CLIENT span of an outgoing call (the span TracedHttpService opens: named by the
 * method, `url.full` redacted, `server.address` / `server.port`) and writes the trace headers
 * through `carrier` when given. Undefined when nothing is to be recorded: a call outside any
 * span (no span, no headers), a call under a CLIENT span (TracedHttpService / instrumentAxios
 * or a hand-made one: no span, no headers, they wrote their own), or a sampled-out one (the
 * headers still carry the trace on, unsampled).
 */
export function startOutgoingCall(
  active: ActiveHost,
  rawMethod: string,
  rawUrl: string,
  carrier: HeaderCarrier | undefined,
): OutgoingCall | undefined {
  const { host, context } = active;
  const parent = context.span;
  // Only calls made inside traced work (a request, a message, a job, a @Traced() method):
  // a call with no active span (start-up, a library's background timer, a test calling the
  // app from outside) would be a trace of one span, and its headers would make the called
  // service's trace a child of it. A call under a CLIENT span is that span's own I/O
  // (TracedHttpService's, or one the app opened by hand and injected itself): nested client
  // spans are suppressed, as OpenTelemetry's span-kind suppression does.
  if (parent === undefined || isClientSpan(parent) || isClientKind(parent)) return undefined;
  if (host.tracer.dropsChildOf(parent)) {
    // Not recorded by anyone: the next service goes on with the parent's (unsampled) ids.
    if (carrier !== undefined) host.inject(context, parent, carrier.set, carrier.has);
    return undefined;
  }
  const upper = rawMethod.toUpperCase();
  const method = httpMethodOf(upper);
  const url = redactUrl(rawUrl);
  const span = host.tracer.startSpan(
    method === '_OTHER' ? 'HTTP' : method,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        'http.request.method_original': method === '_OTHER' ? upper : undefined,
        'url.full': url.full,
        'server.address': url.address,
        'server.port': url.port,
      },
    },
    context,
  );
  if (span === NOOP_SPAN) return undefined;
  try {
    // The client span is the parent the next service sees.
    if (carrier !== undefined) host.inject(context, span, carrier.set, carrier.has);
  } catch (error) {
    if (!span.isRecording()) throw error;
    // The call still goes out (without headers) and keeps its span.
  }
  if (!span.isRecording()) return undefined;
  return { span, secrets: url.secrets, status: undefined, ended: false };
}

/**
 * Ends the span of an outgoing call once: a status >= 400 sets `error.type` to the status
 * (no description, per the OpenTelemetry HTTP conventions); a failure without one sets
 * `error.type` from the error (or `fallbackType`), an exception event and the error status.
 * Never throws: it runs inside the client library's events.
 */
export function endOutgoingCall(call: OutgoingCall, error?: unknown, fallbackType?: string): void {
  if (call.ended) return;
  call.ended = true;
  const { span, status } = call;
  try {
    span.setAttribute('http.response.status_code', status);
    if (status !== undefined && status >= 400) {
      span.setAttribute('error.type', String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    } else if (error !== undefined) {
      span.setAttribute('error.type', errorTypeOf(error));
      span.addEvent('exception', scrubAttributes(exceptionAttributes(error), call.secrets));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: scrubSecrets(messageOf(error), call.secrets),
      });
    } else if (fallbackType !== undefined) {
      span.setAttribute('error.type', fallbackType);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  } catch {
    // The span still ends.
  }
  span.end();
}

function isClientKind(span: Span): boolean {
  return (span as Partial<ReadableSpan>).kind === SpanKind.CLIENT;
}

/** The OpenTelemetry `error.type` of a failed call: low-cardinality, stable (as TracedHttpService). */
export function errorTypeOf(error: unknown): string {
  const name = (error as { name?: unknown } | null | undefined)?.name;
  if (name === 'AbortError') return 'cancelled';
  if (name === 'TimeoutError') return 'timeout';
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  if (typeof code === 'string' && code !== '') return code;
  if (error instanceof Error) return error.name || error.constructor.name || 'Error';
  return '_OTHER';
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : String(error);
}
