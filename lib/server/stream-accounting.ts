import { Buffer } from 'node:buffer';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { now } from '../core/clock.js';
import type { ReadableSpan, Span } from '../core/types.js';
import type {
  HttpStreamFigures,
  StreamKind,
  StreamOutcome,
} from '../http/interfaces/http-request-record.interface.js';
import { STREAM_ATTRIBUTES } from '../http/traced-http.constants.js';
import { REQUEST_STATE } from '../tracing.internal-constants.js';

// No axios and no Nest here: lib/nest imports this file for the server side.

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

export interface TrackedReadable {
  readonly figures: HttpStreamFigures;
  /** The first body bytes, when asked for (`captureBytes`). */
  readonly captured: Buffer | undefined;
  /** Set when the stream was destroyed with an error. */
  readonly error: Error | undefined;
}

/**
 * Counts what a response body stream delivers without reading it: the consumer keeps
 * full control (flowing or paused, piped or iterated). `onDone` runs once, when the
 * stream ends, fails or is destroyed. `startedAt` is a `performance.now()` reading.
 */
export function trackReadable(
  stream: Readable,
  kind: StreamKind,
  startedAt: number,
  captureBytes: number,
  onDone: (result: TrackedReadable) => void,
): void {
  const counter = new StreamCounter(startedAt);
  const captured: Buffer[] = [];
  let capturedBytes = 0;
  const capture = (chunk: unknown, encoding?: unknown): void => {
    if (capturedBytes >= captureBytes) return;
    const buffer = toBuffer(chunk, encoding);
    if (buffer === undefined) return;
    const part = buffer.subarray(0, captureBytes - capturedBytes);
    captured.push(part);
    capturedBytes += part.byteLength;
  };
  // Bytes that arrived with the headers, before the stream was handed over.
  const buffered = (stream as { readableBuffer?: Iterable<unknown> }).readableBuffer;
  if (buffered !== undefined && stream.readableLength > 0) {
    for (const chunk of buffered) {
      counter.count(chunk);
      capture(chunk);
    }
  }
  // Readable#push is how every source (the HTTP parser, zlib, Readable.from) hands data
  // over: counting there adds no listener, so it never switches the stream to flowing.
  const ownPush = Object.hasOwn(stream, 'push');
  const push = stream.push;
  stream.push = function countingPush(this: Readable, chunk: unknown, encoding?: BufferEncoding) {
    if (chunk !== null && chunk !== undefined) {
      counter.count(chunk, encoding);
      capture(chunk, encoding);
    }
    return push.call(this, chunk, encoding);
  };
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    if (ownPush) stream.push = push;
    else delete (stream as { push?: unknown }).push;
    const errored = stream.errored ?? undefined;
    const outcome: StreamOutcome = errored
      ? 'errored'
      : stream.readableEnded
        ? 'completed'
        : 'aborted';
    onDone({
      figures: counter.figures(kind, outcome, now()),
      captured: captureBytes > 0 ? Buffer.concat(captured) : undefined,
      error: errored,
    });
  };
  // 'end' and 'close' only: an 'error' listener would swallow errors nobody else handles.
  stream.once('end', finish);
  stream.once('close', finish);
}

const RESPONSE_STREAM = Symbol.for('nestjs-tracing.response-stream');

type InstrumentedResponse = ServerResponse & { [RESPONSE_STREAM]?: true };
/** Node's rendered response head: the only record of headers passed to writeHead() directly. */
const RENDERED_HEAD = '_header';

/**
 * Records stream figures on a server span when its response turns out to be streamed:
 * the first `write()` (SSE events, chunked bodies, piped files such as StreamableFile)
 * starts counting; a response sent in one `end()` (JSON, text) costs one wrapped
 * function and is never counted. The figures are set when the response closes, before
 * any other 'close' listener, so the span still records them if it ends on 'close'.
 */
export function instrumentServerResponse(res: ServerResponse, span: Span): void {
  const r = res as InstrumentedResponse;
  if (!span.isRecording() || r[RESPONSE_STREAM]) return;
  r[RESPONSE_STREAM] = true;
  const write = res.write;
  res.write = function firstWrite(this: ServerResponse, ...args: unknown[]): boolean {
    const counter = new StreamCounter(spanStart(span));
    startCounting(r, span, write, counter);
    return (res.write as (...a: unknown[]) => boolean).apply(this, args);
  } as ServerResponse['write'];
}

function startCounting(
  res: InstrumentedResponse,
  span: Span,
  write: ServerResponse['write'],
  counter: StreamCounter,
): void {
  const end = res.end;
  res.write = function countingWrite(this: ServerResponse, ...args: unknown[]): boolean {
    counter.count(args[0], args[1]);
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as ServerResponse['write'];
  res.end = function countingEnd(this: ServerResponse, ...args: unknown[]): ServerResponse {
    if (typeof args[0] !== 'function') counter.count(args[0], args[1]);
    return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['end'];
  watchResponse(res, span, counter);
}

/** Puts the stream figures on the span when the response closes, before other listeners. */
function watchResponse(res: ServerResponse, span: Span, counter: StreamCounter): void {
  let finishedAt: number | undefined;
  res.once('finish', () => (finishedAt = now()));
  res.prependOnceListener('close', () => {
    const outcome: StreamOutcome = res.errored
      ? 'errored'
      : res.writableFinished
        ? 'completed'
        : 'aborted';
    const kind = streamKind(headerOf(res, 'content-type'), headerOf(res, 'content-length'));
    setStreamAttributes(span, counter.figures(kind, outcome, finishedAt ?? now()));
  });
}

/**
 * What the process-wide accounting reads on a traced request (the tracing state kept
 * under REQUEST_STATE): its server span, and the counter once the response streams.
 */
export interface ResponseStreamSlot {
  readonly span: Span | undefined;
  responseStream?: StreamCounter;
}

const ACCOUNTING = Symbol.for('nestjs-tracing.response-accounting');

type Writer = (this: ServerResponse, ...args: unknown[]) => unknown;

/**
 * The server side of stream accounting for requests the library traces, without
 * touching each response: `write` and `end` of `ServerResponse.prototype` are wrapped
 * once per process and find the request's span through `res.req`. A response sent in
 * one `end()` pays a property lookup; the first `write()` starts counting as
 * `instrumentServerResponse` does. Replacing `res.write` on every response instead cost
 * Fastify about a tenth of its throughput (bench/README.md).
 */
export function installServerResponseAccounting(): void {
  const proto = ServerResponse.prototype as unknown as {
    write: Writer;
    end: Writer;
    [ACCOUNTING]?: true;
  };
  if (proto[ACCOUNTING]) return;
  proto[ACCOUNTING] = true;
  const write = proto.write;
  const end = proto.end;
  proto.write = function accountedWrite(this: ServerResponse) {
    const slot = slotOf(this);
    if (slot !== undefined) countChunk(slot, this, arguments[0], arguments[1]);
    return write.apply(this, arguments as unknown as unknown[]);
  };
  proto.end = function accountedEnd(this: ServerResponse) {
    const counter = slotOf(this)?.responseStream;
    const chunk: unknown = arguments[0];
    if (counter !== undefined && typeof chunk !== 'function') counter.count(chunk, arguments[1]);
    return end.apply(this, arguments as unknown as unknown[]);
  };
}

function slotOf(res: ServerResponse): ResponseStreamSlot | undefined {
  return (res.req as (IncomingMessage & { [REQUEST_STATE]?: ResponseStreamSlot }) | undefined)?.[
    REQUEST_STATE
  ];
}

function countChunk(
  slot: ResponseStreamSlot,
  res: ServerResponse,
  chunk: unknown,
  encoding: unknown,
): void {
  let counter = slot.responseStream;
  if (counter === undefined) {
    const span = slot.span;
    if (span === undefined || !span.isRecording()) return;
    counter = slot.responseStream = new StreamCounter(spanStart(span));
    watchResponse(res, span, counter);
  }
  counter.count(chunk, encoding);
}

/** A response header, also when it was passed to writeHead() directly (Fastify, SSE). */
function headerOf(res: InstrumentedResponse, name: string): string | undefined {
  const value = res.getHeader(name);
  if (value !== undefined) return Array.isArray(value) ? value.join(', ') : String(value);
  const head = (res as unknown as Record<string, unknown>)[RENDERED_HEAD];
  if (typeof head !== 'string') return undefined;
  const match = new RegExp(`\\r\\n${name}:[ \\t]*([^\\r\\n]*)`, 'i').exec(head);
  return match?.[1];
}

function spanStart(span: Span): number {
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

function toBuffer(chunk: unknown, encoding?: unknown): Buffer | undefined {
  if (typeof chunk === 'string') {
    return Buffer.from(
      chunk,
      Buffer.isEncoding(encoding as string) ? (encoding as BufferEncoding) : 'utf8',
    );
  }
  if (chunk instanceof Uint8Array)
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return undefined;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
