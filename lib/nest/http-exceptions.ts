import { ExceptionsHandler } from '@nestjs/core/exceptions/exceptions-handler.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_ERROR_POLICY } from '../core/error-policy.js';
import { echoCorrelationId, getRequestState } from '../server/http-request.js';

const RECORDING = Symbol.for('nestjs-tracing.exceptions-handler');

interface ArgumentsHostLike {
  getArgByIndex(index: number): unknown;
}

type NextFn = (this: unknown, exception: unknown, host: ArgumentsHostLike) => unknown;

/**
 * Records what reaches Nest's HTTP exception layer (thrown by a handler, guard, pipe,
 * interceptor or middleware) on the request's server span, before the filters answer it,
 * and echoes the correlation id on an error answered before the platform hook set it. Nest has no
 * hook there, so `ExceptionsHandler#next` is wrapped once per process; requests this
 * library does not trace pass through untouched.
 */
export function recordHttpExceptions(): void {
  const proto = ExceptionsHandler.prototype as unknown as { next: NextFn; [RECORDING]?: true };
  if (proto[RECORDING] || typeof proto.next !== 'function') return;
  const next = proto.next;
  proto.next = function recordingNext(this: unknown, exception, host) {
    try {
      noteException(exception, host);
    } catch {
      // Tracing never changes how the app answers an error.
    }
    return next.call(this, exception, host);
  };
  proto[RECORDING] = true;
}

function noteException(exception: unknown, host: ArgumentsHostLike): void {
  const req = host.getArgByIndex(0) as (IncomingMessage & { raw?: IncomingMessage }) | undefined;
  if (req === undefined || req === null) return;
  const state = getRequestState(req.raw ?? req);
  if (state === undefined) return;
  const res = host.getArgByIndex(1) as (ServerResponse & { raw?: ServerResponse }) | undefined;
  if (res) echoCorrelationId(state, res.raw ?? res);
  const span = state.span;
  if (span === undefined || !span.isRecording()) return;
  // 4xx are the client's fault: an event on the span, not an error status (see ErrorPolicy).
  const errors = state.context.tracer?.errorPolicy ?? DEFAULT_ERROR_POLICY;
  if (!errors.record(span, exception)) return;
  state.errorRecorded = true;
  span.setAttribute(
    'error.type',
    exception instanceof Error ? exception.constructor.name || exception.name : typeof exception,
  );
}
