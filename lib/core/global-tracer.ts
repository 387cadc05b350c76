import type { Tracer } from './tracer.js';

// The tracer used outside any traced request (bootstrap, timers, jobs), when code such
// as @Traced() has no DI to find one. Set by TracingModule at start-up.
let globalTracer: Tracer | undefined;

export function getGlobalTracer(): Tracer | undefined {
  return globalTracer;
}

export function setGlobalTracer(tracer: Tracer | undefined): void {
  globalTracer = tracer;
}

/** Clears the global tracer only if it is still `tracer` (another app may have replaced it). */
export function clearGlobalTracer(tracer: Tracer): void {
  if (globalTracer === tracer) globalTracer = undefined;
}
