import { Buffer } from 'node:buffer';
import { now } from '../core/clock.js';
import type { ReadableSpan, Span } from '../core/types.js';

// What client-side (lib/http) and server-side (stream-accounting.ts) stream accounting share.

/** Stream figures, on client spans (`responseType: 'stream'`) and streamed server responses. */
export const STREAM_ATTRIBUTES = {
  kind: 'nestjs_tracing.stream.kind',
  timeToFirstByteMs: 'nestjs_tracing.stream.time_to_first_byte_ms',
  chunks: 'nestjs_tracing.stream.chunks',
  bytes: 'nestjs_tracing.stream.bytes',
  durationMs: 'nestjs_tracing.stream.duration_ms',
  outcome: 'nestjs_tracing.stream.outcome',
} as const;

/** How a streamed body went: read to its end, cut short, or failed. */
export type StreamOutcome = 'completed' | 'aborted' | 'errored';

/** What kind of streamed body: server-sent events, chunked without a length, or any other stream. */
export type StreamKind = 'sse' | 'chunked' | 'stream';

/** Figures of a streamed body, client or server side. */
export interface HttpStreamFigures {
  readonly kind: StreamKind;
  /** Milliseconds from the start of the span to the first body byte; absent when none came. */
  readonly timeToFirstByteMs?: number;
  readonly chunks: number;
  readonly bytes: number;
  /** Milliseconds from the first body byte to the end of the stream (0 when no byte came). */
  readonly durationMs: number;
  readonly outcome: StreamOutcome;
}

/** Counts one stream's chunks and bytes as they pass. */
export class StreamCounter {
  chunks = 0;
  bytes = 0;
  firstByteAt: number | undefined;
  lastByteAt: number | undefined;

  constructor(private readonly startedAt: number) {}

  count(chunk: unknown, encoding?: unknown): number {
    const n = byteLength(chunk, encoding);
    if (n > 0) {
      const t = now();
      this.firstByteAt ??= t;
      this.lastByteAt = t;
      this.chunks++;
      this.bytes += n;
    }
    return n;
  }

  figures(kind: StreamKind, outcome: StreamOutcome, endedAt: number): HttpStreamFigures {
    const first = this.firstByteAt;
    return first === undefined
      ? { kind, chunks: 0, bytes: 0, durationMs: 0, outcome }
      : {
          kind,
          timeToFirstByteMs: round(first - this.startedAt),
          chunks: this.chunks,
          bytes: this.bytes,
          durationMs: round(Math.max(endedAt, this.lastByteAt ?? first) - first),
          outcome,
        };
  }
}

/** Puts stream figures on a span under `nestjs_tracing.stream.*`. */
export function setStreamAttributes(span: Span, figures: HttpStreamFigures): void {
  span.setAttribute(STREAM_ATTRIBUTES.kind, figures.kind);
  span.setAttribute(STREAM_ATTRIBUTES.timeToFirstByteMs, figures.timeToFirstByteMs);
  span.setAttribute(STREAM_ATTRIBUTES.chunks, figures.chunks);
  span.setAttribute(STREAM_ATTRIBUTES.bytes, figures.bytes);
  span.setAttribute(STREAM_ATTRIBUTES.durationMs, figures.durationMs);
  span.setAttribute(STREAM_ATTRIBUTES.outcome, figures.outcome);
}

/** The kind of a streamed body, from its content type and length headers. */
export function streamKind(contentType: unknown, contentLength: unknown): StreamKind {
  if (typeof contentType === 'string' && /^\s*text\/event-stream/i.test(contentType)) return 'sse';
  return contentLength === undefined || contentLength === null || contentLength === ''
    ? 'chunked'
    : 'stream';
}

/** The start of a span, as a `performance.now()` reading. */
export function spanStart(span: Span): number {
  const start = (span as Partial<ReadableSpan>).startTime;
  return typeof start === 'number' ? start : now();
}

function byteLength(chunk: unknown, encoding?: unknown): number {
  if (typeof chunk === 'string') {
    return Buffer.byteLength(
      chunk,
      Buffer.isEncoding(encoding as string) ? (encoding as BufferEncoding) : 'utf8',
    );
  }
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
