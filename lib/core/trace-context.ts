import { AsyncLocalStorage } from 'node:async_hooks';
import type { Channel } from 'node:diagnostics_channel';
import type { Baggage } from './baggage.js';
import type { Attributes, Span } from './types.js';

/**
 * The tracer that owns a context: the `Tracer` class. tracer.ts completes this declaration
 * (`interface ContextTracer extends Tracer`), so the context names its tracer without
 * importing it: the tracer imports the context, never the other way round.
 */
export interface ContextTracer {}

/**
 * What the current async flow knows: its active span, the request's correlation id and
 * baggage, and the tracer that owns the request (so two apps in one process keep
 * their spans apart). Immutable: activating a span makes a child context.
 */
export class TraceContext {
  constructor(
    readonly span: Span | undefined,
    readonly correlationId: string | undefined,
    readonly baggage: Baggage | undefined,
    readonly tracer: ContextTracer | undefined,
    /** Set around the library's own work (exports) so it is never traced. */
    readonly suppressed: boolean,
    /**
     * Fields bound to a unit of work (a job run's ids, a tenant): every span started
     * inside gets them as attributes and every log line carries them. Inherited.
     */
    readonly fields?: Readonly<Attributes>,
  ) {}

  withSpan(span: Span): TraceContext {
    return new TraceContext(
      span,
      this.correlationId,
      this.baggage,
      this.tracer,
      this.suppressed,
      this.fields,
    );
  }

  /** A child context with more bound fields (later values win). */
  withFields(fields: Readonly<Attributes>): TraceContext {
    return new TraceContext(
      this.span,
      this.correlationId,
      this.baggage,
      this.tracer,
      this.suppressed,
      this.fields ? { ...this.fields, ...fields } : fields,
    );
  }
}

export const ROOT_CONTEXT = new TraceContext(undefined, undefined, undefined, undefined, false);

// One store for the process: every tracer, module and helper reads the same context.
const storage = new AsyncLocalStorage<TraceContext>();

/** The context of the current async flow (ROOT_CONTEXT outside any). */
export function activeContext(): TraceContext {
  return storage.getStore() ?? ROOT_CONTEXT;
}

/** The stored context, or undefined outside any; cheaper than activeContext for hot checks. */
export function currentContext(): TraceContext | undefined {
  return storage.getStore();
}

/** Runs `fn` with `context` active for it and everything it starts (awaits, timers, promises). */
export function runWithContext<A extends unknown[], R>(
  context: TraceContext,
  fn: (...args: A) => R,
  ...args: A
): R {
  return storage.run(context, fn, ...args);
}

/** Runs `fn` with the library's own work marked, so nothing inside it is traced. */
export function runSuppressed<R>(fn: () => R): R {
  const ctx = activeContext();
  return storage.run(
    new TraceContext(undefined, ctx.correlationId, ctx.baggage, ctx.tracer, true, ctx.fields),
    fn,
  );
}

/** Binds `fn` to the current context, for callbacks that would otherwise lose it. */
export function bindContext<F extends (...args: never[]) => unknown>(
  fn: F,
  context = activeContext(),
): F {
  return ((...args: Parameters<F>) => storage.run(context, fn, ...args)) as F;
}

/**
 * Runs what `channel` wraps (a TracingChannel's `asyncStart`: the callback a library hands
 * the result to) in the context `pick` names for its message, else in the current one. For
 * callbacks a library calls from someone else's flow: a pooled connection handed to a waiting
 * caller when another caller releases it. Returns what undoes it.
 */
export function bindChannelContext<M>(
  channel: Channel<TraceContext, M>,
  pick: (message: M) => TraceContext | undefined,
): () => void {
  // Outside any context the store stays empty (AsyncLocalStorage#run accepts undefined).
  channel.bindStore(storage, (message) => (pick(message) ?? storage.getStore()) as TraceContext);
  return () => {
    channel.unbindStore(storage);
  };
}
