import type { HttpStreamFigures } from '../../server/stream-figures.js';

// Stream figures are shared with the server side, which must not import lib/http.
export type { HttpStreamFigures, StreamKind, StreamOutcome } from '../../server/stream-figures.js';

/** One side of an exchange as recorded: headers always (redacted), the body when enabled. */
export interface HttpMessageRecord {
  /** Lowercase names; secret values replaced by `[REDACTED]`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Body size in bytes when known. */
  readonly bodyBytes?: number;
  /** The body (redacted, pretty-printed when JSON), only with `recordBodies`. */
  readonly body?: string;
  /** True when `body` was cut at `maxBodyBytes`. */
  readonly bodyTruncated?: boolean;
}

/** One outgoing call, as kept in `HttpRequestRecords`. */
export interface HttpRequestRecord {
  /** Increasing per store, from 1. */
  readonly id: number;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly method: string;
  /** The full URL, with credentials and secret query values redacted. */
  readonly url: string;
  /** The response status; absent when no response came (network error, timeout, cancel). */
  readonly status?: number;
  /** False for 4xx/5xx, network errors, timeouts, cancellations and failed streams. */
  readonly ok: boolean;
  /** `error.type` as on the span (`'500'`, `'timeout'`, `'cancelled'`, `'ECONNREFUSED'`, ...). */
  readonly errorType?: string;
  readonly errorMessage?: string;
  /** ISO time the call started. */
  readonly startedAt: string;
  /** Until the response was complete: for a stream, until it ended. */
  readonly durationMs: number;
  readonly request: HttpMessageRecord;
  readonly response?: HttpMessageRecord;
  readonly stream?: HttpStreamFigures;
}

/** A status class, or `'error'` for every call that is not `ok`. */
export type HttpStatusFilter = number | '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'error';

/** Which records `HttpRequestRecords.list` returns, newest first. */
export interface HttpRecordQuery {
  /** At most this many (the newest). */
  limit?: number;
  status?: HttpStatusFilter;
  /** A substring of, or a pattern for, the (redacted) URL. */
  url?: string | RegExp;
  /** Case-insensitive. */
  method?: string;
}
