/** DI token of the axios instance a `TracedHttpModule` registration creates (internal). */
export const TRACED_HTTP_AXIOS_INSTANCE = Symbol('nestjs-tracing:http:axios-instance');

/** DI token of the `tracing` part of the module options (internal). */
export const TRACED_HTTP_TRACING_OPTIONS = Symbol('nestjs-tracing:http:tracing-options');

// Attribute names. OpenTelemetry HTTP client conventions where they exist; the library's
// own figures live under `nestjs_tracing.*`, a namespace no convention will claim.

export { STREAM_ATTRIBUTES } from '../server/stream-figures.js';

/** The request record summarised on a client span (headers use the semconv names). */
export const RECORD_ATTRIBUTES = {
  recordId: 'nestjs_tracing.http.record_id',
  requestBody: 'nestjs_tracing.http.request.body',
  responseBody: 'nestjs_tracing.http.response.body',
} as const;
