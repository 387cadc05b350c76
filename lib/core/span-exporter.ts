import type { ReadableSpan } from './types.js';

export const ExportResultCode = {
  SUCCESS: 0,
  FAILED: 1,
} as const;
export type ExportResultCode = (typeof ExportResultCode)[keyof typeof ExportResultCode];

export interface ExportResult {
  code: ExportResultCode;
  error?: Error;
  /** Set on a failure worth retrying (network error, 429, 502-504). */
  retryable?: boolean;
  /** The backend's Retry-After, in milliseconds, when it sent one. */
  retryAfterMs?: number;
  /**
   * Of a successful export, how many items the backend refused (an OTLP partial success):
   * not retried, and counted as failed rather than exported.
   */
  rejected?: number;
}

/**
 * Sends finished spans somewhere. Implementations format and send one batch per call,
 * report the outcome instead of throwing, and are called by a span processor only,
 * never on the request path.
 */
export interface SpanExporter {
  export(spans: readonly ReadableSpan[]): Promise<ExportResult>;
  /** Sends anything the exporter buffers itself. */
  forceFlush?(): Promise<void>;
  /** Releases connections and files. Called once, after the last export. */
  shutdown(): Promise<void>;
}

export const SUCCESS: ExportResult = Object.freeze({ code: ExportResultCode.SUCCESS });
