import { AsyncLocalStorage } from 'node:async_hooks';
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
    /**
     * The first local span of this unit of work (the request's server span) when `span` is
     * a descendant of it; undefined when `span` is that first span. See `localRootSpan`.
     */
    readonly root?: Span,
  ) {}

  withSpan(span: Span): TraceContext {
    return new TraceContext(
      span,
      this.correlationId,
      this.baggage,
      this.tracer,
      this.suppressed,
      this.fields,
      this.root ?? localSpan(this.span),
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
      this.root,
    );
  }
}

function localSpan(span: Span | undefined): Span | undefined {
  return span === undefined || span.spanContext().isRemote ? undefined : span;
}

/**
 * The first local span of the context's unit of work: the server span of the request the
 * code runs in, however deep the active span is (a client library's integration sets
 * request-level facts on it, e.g. the GraphQL operation). Undefined outside any local span.
 */
export function localRootSpan(context: TraceContext): Span | undefined {
  return context.root ?? localSpan(context.span);
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

/** The part of a `node:diagnostics_channel` Channel that scopes a store around a traced call. */
export interface StoreChannel {
  bindStore(store: AsyncLocalStorage<TraceContext>, transform: (message: unknown) => unknown): void;
  unbindStore(store: AsyncLocalStorage<TraceContext>): boolean;
}

/**
 * Makes the context `transform(message)` returns the active one for the call a library traces
 * with `channel.runStores` (a TracingChannel's `start`): spans started inside the call are
 * its children. `transform` returning undefined keeps the current context; it must not throw.
 * Returns what unbinds it.
 */
export function bindChannelContext<M = unknown>(
  channel: StoreChannel,
  transform: (message: M, current: TraceContext | undefined) => TraceContext | undefined,
): () => void {
  // Outside any context the store stays empty (AsyncLocalStorage#run accepts undefined).
  channel.bindStore(storage, (message) => {
    const current = storage.getStore();
    return transform(message as M, current) ?? current;
  });
  return () => {
    channel.unbindStore(storage);
  };
}
