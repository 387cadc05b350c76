import type { Context as ApiContext, ContextManager, Span as ApiSpan } from '@opentelemetry/api';
import { NonRecordingSpan } from '../core/non-recording-span.js';
import {
  currentContext,
  ROOT_CONTEXT,
  runWithContext,
  TraceContext,
} from '../core/trace-context.js';
import type { Span, SpanContext } from '../core/types.js';
import { BridgedSpan } from './api-span.js';
import {
  BAGGAGE_KEY,
  fromApiBaggage,
  SPAN_KEY,
  SUPPRESS_TRACING_KEY,
  type BaggageCodec,
} from './api-keys.js';

/**
 * An immutable API context: the values a caller set, by key, and the context of ours it was
 * made from (so one derived from it later, in another request's callback, keeps that
 * request's correlation id, app and fields, not whichever context is active then).
 */
export class BridgeContext implements ApiContext {
  constructor(
    private readonly values: ReadonlyMap<symbol, unknown> = new Map(),
    readonly origin?: TraceContext,
  ) {}

  getValue(key: symbol): unknown {
    return this.values.get(key);
  }

  setValue(key: symbol, value: unknown): ApiContext {
    const next = new Map(this.values);
    next.set(key, value);
    return new BridgeContext(next, this.origin);
  }

  deleteValue(key: symbol): ApiContext {
    if (!this.values.has(key)) return this;
    const next = new Map(this.values);
    next.delete(key);
    return new BridgeContext(next, this.origin);
  }
}

// What `context.bind(ctx, emitter)` patches, as the OpenTelemetry SDK's context managers do.
const ADD_METHODS = [
  'addListener',
  'on',
  'once',
  'prependListener',
  'prependOnceListener',
] as const;
const REMOVE_METHODS = ['removeListener', 'off'] as const;
type Listener = (...args: unknown[]) => unknown;
// Per bound emitter: event name -> original listener -> its bound listener.
const boundListeners = new WeakMap<object, Map<string | symbol, WeakMap<Listener, Listener>>>();
let adding = false;

/**
 * The API's context manager, backed by our context store: `context.active()` is the API's
 * view of our active context (its span, baggage, suppression), and `context.with(ctx, fn)`
 * runs `fn` with our context made from `ctx`, so our spans and theirs nest both ways.
 */
export class BridgeContextManager implements ContextManager {
  // The API context made from each of ours (once, so `context.active()` is stable within a
  // context), and ours for each such API context; plus the API context each of ours was made
  // from, so a value the caller set on an API context is there again when it is active.
  private readonly apiOf = new WeakMap<TraceContext, ApiContext>();
  private readonly ourOf = new WeakMap<ApiContext, TraceContext>();

  constructor(private readonly baggage: BaggageCodec) {}

  active(): ApiContext {
    const ours = currentContext() ?? ROOT_CONTEXT;
    let api = this.apiOf.get(ours);
    if (api === undefined) {
      api = this.toApi(ours);
      this.apiOf.set(ours, api);
      this.ourOf.set(api, ours);
    }
    return api;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: ApiContext,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return runWithContext(this.toOurs(context), () => fn.apply(thisArg, args));
  }

  bind<T>(context: ApiContext, target: T): T {
    if (typeof target === 'function') {
      return bindFunction(this.toOurs(context), target as unknown as Listener) as T;
    }
    if (isEventEmitter(target)) bindEmitter(this.toOurs(context), target);
    return target;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    return this;
  }

  /**
   * Our context for an API context: its span (ours, or a remote parent), baggage and
   * suppression exactly as the API context has them (none when it has none: ROOT_CONTEXT,
   * deleteBaggage); correlation id, app and fields (ours only) from the context of ours it
   * was made from, else the active one. Made afresh each time for a context that is not one
   * of ours as is: a context held across requests (ROOT_CONTEXT, a module-level one) must not
   * keep the first request's correlation id.
   */
  toOurs(context: ApiContext): TraceContext {
    const known = this.ourOf.get(context);
    if (known !== undefined) return known;
    const base =
      (context instanceof BridgeContext ? context.origin : undefined) ??
      currentContext() ??
      ROOT_CONTEXT;
    const ours = new TraceContext(
      spanOf(context.getValue(SPAN_KEY)),
      base.correlationId,
      fromApiBaggage(context.getValue(BAGGAGE_KEY)),
      base.tracer,
      context.getValue(SUPPRESS_TRACING_KEY) === true,
      base.fields,
    );
    this.apiOf.set(ours, context);
    return ours;
  }

  private toApi(ours: TraceContext): ApiContext {
    const values = new Map<symbol, unknown>();
    if (ours.span !== undefined) values.set(SPAN_KEY, BridgedSpan.of(ours.span));
    if (ours.baggage !== undefined && ours.baggage.size > 0) {
      values.set(BAGGAGE_KEY, this.baggage.toApi(ours.baggage));
    }
    if (ours.suppressed) values.set(SUPPRESS_TRACING_KEY, true);
    return new BridgeContext(values, ours);
  }
}

/** `fn` run in `ours`, keeping its arity (Express tells error handlers by `length`). */
function bindFunction(ours: TraceContext, fn: Listener): Listener {
  const bound = function (this: unknown, ...args: unknown[]) {
    return runWithContext(ours, () => fn.apply(this, args));
  };
  Object.defineProperty(bound, 'length', { value: fn.length, configurable: true });
  return bound;
}

interface EmitterLike {
  on: unknown;
  addListener: unknown;
  removeListener: unknown;
  emit: unknown;
}

function isEventEmitter(value: unknown): value is EmitterLike {
  if (value === null || typeof value !== 'object') return false;
  const e = value as Partial<EmitterLike>;
  return (
    typeof e.on === 'function' &&
    typeof e.addListener === 'function' &&
    typeof e.removeListener === 'function' &&
    typeof e.emit === 'function'
  );
}

/**
 * Listeners added to `emitter` from now on run in `ours`; removing the original listener
 * removes its bound one. An emitter is bound once: a second bind keeps the first context
 * (as in the OpenTelemetry SDK).
 */
function bindEmitter(ours: TraceContext, emitter: EmitterLike): void {
  if (boundListeners.has(emitter)) return;
  const byEvent = new Map<string | symbol, WeakMap<Listener, Listener>>();
  boundListeners.set(emitter, byEvent);
  const target = emitter as unknown as Record<string, unknown>;
  for (const name of ADD_METHODS) {
    const original = target[name];
    if (typeof original !== 'function') continue;
    target[name] = function (this: unknown, event: string | symbol, listener: Listener) {
      // `once` adds through `on`: bind the listener once, at the outer call.
      if (adding || typeof listener !== 'function') return original.call(this, event, listener);
      let listeners = byEvent.get(event);
      if (listeners === undefined) byEvent.set(event, (listeners = new WeakMap()));
      let bound = listeners.get(listener);
      if (bound === undefined) {
        bound = bindFunction(ours, listener);
        listeners.set(listener, bound);
      }
      adding = true;
      try {
        return original.call(this, event, bound);
      } finally {
        adding = false;
      }
    };
  }
  for (const name of REMOVE_METHODS) {
    const original = target[name];
    if (typeof original !== 'function') continue;
    target[name] = function (this: unknown, event: string | symbol, listener: Listener) {
      const bound = byEvent.get(event)?.get(listener);
      return original.call(this, event, bound ?? listener);
    };
  }
  const removeAll = target.removeAllListeners;
  if (typeof removeAll === 'function') {
    target.removeAllListeners = function (this: unknown, ...args: unknown[]) {
      if (args.length === 0) byEvent.clear();
      else byEvent.delete(args[0] as string | symbol);
      return removeAll.apply(this, args);
    };
  }
}

/** Our span for the API's: ours unwrapped, anyone else's as a parent we can name. */
function spanOf(value: unknown): Span | undefined {
  if (value instanceof BridgedSpan) return value.span;
  if (value === undefined || value === null) return undefined;
  const foreign = value as Partial<ApiSpan>;
  if (typeof foreign.spanContext !== 'function') return undefined;
  const context = foreign.spanContext() as SpanContext;
  return new NonRecordingSpan(context);
}
