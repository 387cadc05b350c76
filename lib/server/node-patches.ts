import { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

// Every place the library patches or reads Node internals (listed with the Nest ones in
// lib/nest/patches.ts). Each has a contract test in test/unit/patches.spec.ts that fails
// when the Node version in use changes what is patched.

/** Called before Node's own `write`/`end` of a response, with their first two arguments. */
export interface ResponseWriteObserver {
  write(res: ServerResponse, chunk: unknown, encoding: unknown): void;
  end(res: ServerResponse, chunk: unknown, encoding: unknown): void;
}

const PATCHED = Symbol.for('nestjs-tracing.response-accounting');

type Writer = (this: ServerResponse, ...args: unknown[]) => unknown;

/**
 * Wraps `write` and `end` of `ServerResponse.prototype` once per process. Why no hook:
 * Node publishes no event or diagnostics channel per body chunk written (`http.server.*`
 * channels cover request start and response finish only), and wrapping `res.write` on each
 * response instead cost Fastify about a tenth of its throughput (bench/README.md).
 * Returns false when already patched (the first observer stays).
 */
export function patchServerResponseWrites(observer: ResponseWriteObserver): boolean {
  const proto = ServerResponse.prototype as unknown as {
    write: Writer;
    end: Writer;
    [PATCHED]?: true;
  };
  if (proto[PATCHED]) return false;
  proto[PATCHED] = true;
  const write = proto.write;
  const end = proto.end;
  proto.write = function accountedWrite(this: ServerResponse) {
    observer.write(this, arguments[0], arguments[1]);
    return write.apply(this, arguments as unknown as unknown[]);
  };
  proto.end = function accountedEnd(this: ServerResponse) {
    observer.end(this, arguments[0], arguments[1]);
    return end.apply(this, arguments as unknown as unknown[]);
  };
  return true;
}

/** Node's rendered response head (`OutgoingMessage#_header`, internal). */
export const RENDERED_HEAD = '_header';

/**
 * The response head as Node rendered it, or undefined before it is. Why no hook: headers
 * passed to `writeHead()` directly (Fastify, SSE) never reach `getHeader()`; the rendered
 * head is their only record.
 */
export function renderedHead(res: ServerResponse): string | undefined {
  const head = (res as unknown as Record<string, unknown>)[RENDERED_HEAD];
  return typeof head === 'string' ? head : undefined;
}

/**
 * Sees every chunk a readable receives by wrapping `push` on that one stream; the returned
 * function restores it. Why no hook: `Readable#push` is how every source (the HTTP parser,
 * zlib, Readable.from) hands data over, and the only observer API, a 'data' listener,
 * would switch the stream to flowing and take control from its consumer.
 */
export function interceptPush(
  stream: Readable,
  onChunk: (chunk: unknown, encoding: BufferEncoding | undefined) => void,
): () => void {
  const ownPush = Object.hasOwn(stream, 'push');
  const push = stream.push;
  stream.push = function countingPush(this: Readable, chunk: unknown, encoding?: BufferEncoding) {
    if (chunk !== null && chunk !== undefined) onChunk(chunk, encoding);
    return push.call(this, chunk, encoding);
  };
  return () => {
    if (ownPush) stream.push = push;
    else delete (stream as { push?: unknown }).push;
  };
}
