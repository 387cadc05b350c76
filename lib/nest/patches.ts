import { ExceptionsHandler } from '@nestjs/core/exceptions/exceptions-handler.js';

/*
 * The index of every patch of Node or Nest internals, and of every method the library
 * replaces on an object it does not own. Each is a last resort (DESIGN.md section 2): the
 * comment says why no hook exists; test/unit/patches.spec.ts holds one contract test per
 * entry that fails when the installed Node or Nest changes what is patched.
 *
 * Node (lib/server/node-patches.ts):
 * - `ServerResponse.prototype.write/end`: streamed response bytes (patchServerResponseWrites).
 * - `OutgoingMessage#_header`: headers given to writeHead() directly (renderedHead).
 * - `Readable#push` on one stream: client stream bodies, counted unread (interceptPush).
 *
 * Nest (this file):
 * - `ExceptionsHandler.prototype.next` (deep import of @nestjs/core): patchExceptionsHandler.
 *
 * Client libraries (lib/integrations/), where the library publishes no diagnostics channel:
 * - pg `Client.prototype.query` / `connect` and pg-pool `Pool.prototype.connect` on the app's
 *   own pg (pg.integration.ts): pg has no channel yet. Wrapped while an app wants it, put
 *   back after; contract tests in test/unit/integrations/pg.spec.ts.
 *
 * Instances handed over by Nest's `instrument` hook (lib/instrumentation/), replaced on
 * the instance only, never on a prototype:
 * - `ClientProxy#setOnDispatchHook`: the proxy has one dispatch-hook slot; ours takes it
 *   and chains the app's (client-proxy.instrumentation.ts).
 * - `serializer.serialize` of ClientKafka/ClientRMQ/ClientNats: their packet metadata never
 *   reaches the server, so the context goes into message headers as they are serialized.
 * - `ClientGrpcProxy#getService`: gRPC calls bypass dispatch; metadata is added per call.
 * - BullMQ `Queue#add/addBulk` and @nestjs/bullmq `ProcessorDecoratorService#decorate`:
 *   the context rides in the job's `telemetry.metadata` (bullmq.instrumentation.ts).
 */

export interface ArgumentsHostLike {
  getArgByIndex(index: number): unknown;
}

type NextFn = (this: unknown, exception: unknown, host: ArgumentsHostLike) => unknown;

const PATCHED = Symbol.for('nestjs-tracing.exceptions-handler');

/**
 * Calls `onException` with what reaches Nest's HTTP exception layer (thrown by a handler,
 * guard, pipe, interceptor or middleware) before the filters answer it, by wrapping
 * `ExceptionsHandler#next` once per process. Why no hook: Nest offers global exception
 * filters, but a filter replaces the app's answer instead of observing it, and the app's
 * own filters win over a global one; the `instrument` hook does not see ExceptionsHandler.
 * An `onException` that throws never changes how the app answers. Returns false when
 * already patched, or when Nest no longer has `next` there.
 */
export function patchExceptionsHandler(
  onException: (exception: unknown, host: ArgumentsHostLike) => void,
): boolean {
  const proto = ExceptionsHandler.prototype as unknown as { next: NextFn; [PATCHED]?: true };
  if (proto[PATCHED] || typeof proto.next !== 'function') return false;
  const next = proto.next;
  proto.next = function recordingNext(this: unknown, exception, host) {
    try {
      onException(exception, host);
    } catch {
      // Tracing never changes how the app answers an error.
    }
    return next.call(this, exception, host);
  };
  proto[PATCHED] = true;
  return true;
}
