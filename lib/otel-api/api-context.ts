import type { Context as ApiContext, ContextManager, Span as ApiSpan } from '@opentelemetry/api';
import type { Baggage } from '../core/baggage.js';
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

/** An immutable API context: the values a caller set, by key. */
export class BridgeContext implements ApiContext {
  constructor(private readonly values: ReadonlyMap<symbol, unknown> = new Map()) {}

  getValue(key: symbol): unknown {
    return this.values.get(key);
  }

  setValue(key: symbol, value: unknown): ApiContext {
    const next = new Map(this.values);
    next.set(key, value);
    return new BridgeContext(next);
  }

  deleteValue(key: symbol): ApiContext {
    if (!this.values.has(key)) return this;
    const next = new Map(this.values);
    next.delete(key);
    return new BridgeContext(next);
  }
}

/**
 * The API's context manager, backed by our context store: `context.active()` is the API's
 * view of our active context (its span, baggage, suppression), and `context.with(ctx, fn)`
 * runs `fn` with our context made from `ctx`, so our spans and theirs nest both ways.
 */
export class BridgeContextManager implements ContextManager {
  // An API context made from ours, and ours made from an API context: each way once, so a
  // value the caller set on an API context is there again when that context is active.
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
    if (typeof target !== 'function') return target;
    const ours = this.toOurs(context);
    const fn = target as unknown as (...args: unknown[]) => unknown;
    return function (this: unknown, ...args: unknown[]) {
      return runWithContext(ours, () => fn.apply(this, args));
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    return this;
  }

  /** Our context for an API context: its span (ours, or a remote parent), baggage, suppression. */
  toOurs(context: ApiContext): TraceContext {
    const known = this.ourOf.get(context);
    if (known !== undefined) return known;
    const base = currentContext() ?? ROOT_CONTEXT;
    const ours = new TraceContext(
      spanOf(context.getValue(SPAN_KEY)),
      base.correlationId,
      baggageOf(context.getValue(BAGGAGE_KEY), base.baggage),
      base.tracer,
      context.getValue(SUPPRESS_TRACING_KEY) === true,
      base.fields,
    );
    this.ourOf.set(context, ours);
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
    return new BridgeContext(values);
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

/** Our baggage for the API's; the request's own when the API context carries none. */
function baggageOf(value: unknown, current: Baggage | undefined): Baggage | undefined {
  return fromApiBaggage(value) ?? current;
}
