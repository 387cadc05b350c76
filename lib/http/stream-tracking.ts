import { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';
import { now } from '../core/clock.js';
import {
  StreamCounter,
  type HttpStreamFigures,
  type StreamKind,
  type StreamOutcome,
} from '../server/stream-figures.js';
import { interceptPush } from '../server/node-patches.js';

// The client side of stream accounting: a `responseType: 'stream'` body TracedHttpService hands over.

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
  // Counted as the source pushes: no listener, so the stream never switches to flowing.
  const restorePush = interceptPush(stream, (chunk, encoding) => {
    counter.count(chunk, encoding);
    capture(chunk, encoding);
  });
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    restorePush();
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
