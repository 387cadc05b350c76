import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_ERROR_POLICY } from '../core/error-policy.js';
import { echoCorrelationId, getRequestState } from '../server/http-request.js';
import { patchExceptionsHandler, type ArgumentsHostLike } from './patches.js';

/**
 * Records what reaches Nest's HTTP exception layer on the request's server span, before
 * the filters answer it, and echoes the correlation id on an error answered before the
 * platform hook set it (patches.ts says why this needs a patch). Requests this library
 * does not trace pass through untouched.
 */
export function recordHttpExceptions(): void {
  patchExceptionsHandler(noteException);
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
