/** DI token of the axios instance a `TracedHttpModule` registration creates (internal). */
export const TRACED_HTTP_AXIOS_INSTANCE = Symbol('nestjs-tracing:http:axios-instance');

/** DI token of the `tracing` part of the module options (internal). */
export const TRACED_HTTP_TRACING_OPTIONS = Symbol('nestjs-tracing:http:tracing-options');

// Attribute names. OpenTelemetry HTTP client conventions where they exist; the library's
// own figures live under `nestjs_tracing.*`, a namespace no convention will claim.

/** Stream figures, on client spans (`responseType: 'stream'`) and streamed server responses. */
export const STREAM_ATTRIBUTES = {
  kind: 'nestjs_tracing.stream.kind',
  timeToFirstByteMs: 'nestjs_tracing.stream.time_to_first_byte_ms',
  chunks: 'nestjs_tracing.stream.chunks',
  bytes: 'nestjs_tracing.stream.bytes',
  durationMs: 'nestjs_tracing.stream.duration_ms',
  outcome: 'nestjs_tracing.stream.outcome',
} as const;

/** The request record summarised on a client span (headers use the semconv names). */
export const RECORD_ATTRIBUTES = {
  recordId: 'nestjs_tracing.http.record_id',
  requestBody: 'nestjs_tracing.http.request.body',
  responseBody: 'nestjs_tracing.http.response.body',
} as const;

/** What replaces a secret header or body value. */
export const REDACTED = '[REDACTED]';
/** What replaces a secret query value or URL credential (the OpenTelemetry convention). */
export const REDACTED_URL_PART = 'REDACTED';
