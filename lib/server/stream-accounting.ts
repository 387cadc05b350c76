import { ServerResponse, type IncomingMessage } from 'node:http';
import { now } from '../core/clock.js';
import type { Span } from '../core/types.js';
import { REQUEST_STATE } from '../tracing.internal-constants.js';
import {
  StreamCounter,
  setStreamAttributes,
  spanStart,
  streamKind,
  type StreamOutcome,
} from './stream-figures.js';
import {
  patchServerResponseWrites,
  renderedHead,
  type ResponseWriteObserver,
} from './node-patches.js';

// The server side of stream accounting: no axios and no Nest (lib/http/stream-tracking.ts is
// the client side).

const RESPONSE_STREAM = Symbol.for('nestjs-tracing.response-stream');

type InstrumentedResponse = ServerResponse & { [RESPONSE_STREAM]?: true };

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

/**
 * The server side of stream accounting for requests the library traces, without
 * touching each response: `write` and `end` of `ServerResponse.prototype` are wrapped
 * once per process (node-patches.ts) and find the request's span through `res.req`. A
 * response sent in one `end()` pays a property lookup; the first `write()` starts
 * counting as `instrumentServerResponse` does.
 */
export function installServerResponseAccounting(): void {
  patchServerResponseWrites(RESPONSE_ACCOUNTING);
}

const RESPONSE_ACCOUNTING: ResponseWriteObserver = {
  write(res, chunk, encoding) {
    const slot = slotOf(res);
    if (slot !== undefined) countChunk(slot, res, chunk, encoding);
  },
  end(res, chunk, encoding) {
    const counter = slotOf(res)?.responseStream;
    if (counter !== undefined && typeof chunk !== 'function') counter.count(chunk, encoding);
  },
};

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
  const head = renderedHead(res);
  if (head === undefined) return undefined;
  const match = new RegExp(`\\r\\n${name}:[ \\t]*([^\\r\\n]*)`, 'i').exec(head);
  return match?.[1];
}
