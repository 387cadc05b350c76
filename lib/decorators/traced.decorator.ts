import { isObservable, Observable } from 'rxjs';
import { getGlobalTracer } from '../core/global-tracer.js';
import {
  currentContext,
  ROOT_CONTEXT,
  runWithContext,
  type TraceContext,
} from '../core/trace-context.js';
import { isPromiseLike, type SpanOptions, type Tracer } from '../core/tracer.js';
import { SpanKind, type Attributes, type Span } from '../core/types.js';
import { NOOP_SPAN } from '../core/non-recording-span.js';
import { optionKeys } from '../config/option-keys.js';
import { TRACED_METADATA } from '../tracing.constants.js';
import { rejectUnknownOptions } from '../tracing.errors.js';
import type { TracedGenAiOptions } from '../genai/genai-call.interface.js';
import { traceGenAiMethod } from '../genai/genai-method.js';
import { secretArgumentPositions, type SecretArgumentPositions } from './parameter-names.js';
import { safeSerialize, serializeArguments } from './safe-serialize.js';

export interface TracedOptions {
  /** Span name. @default `ClassName.methodName` */
  name?: string;
  /** @default SpanKind.INTERNAL */
  kind?: SpanKind;
  /** Attributes set on every span of this method. */
  attributes?: Attributes;
  /**
   * Record the arguments as a JSON array in `code.function.arguments`, capped, with secrets
   * redacted by parameter name (`password`, `...tokens`) and by key at any depth. @default false
   */
  recordArguments?: boolean;
  /** Record the return value (redacted, capped) as `code.function.result`. @default false */
  recordResult?: boolean;
  /**
   * Record the call as a GenAI (LLM) call: `gen_ai.*` attributes, tokens read from the
   * result (or a generator's chunks, once the stream ends) and cost. @default undefined
   */
  genAi?: TracedGenAiOptions;
}

const TRACED_KEYS = optionKeys<TracedOptions>({
  name: true,
  kind: true,
  attributes: true,
  recordArguments: true,
  recordResult: true,
  genAi: true,
});

interface MethodPlan {
  readonly name: string;
  /** Built once per method so a call allocates no options object. */
  readonly spanOptions: SpanOptions;
  readonly recordArguments: boolean;
  /** Positions redacted whole by their parameter's name, read once from the source. */
  readonly secretArguments: SecretArgumentPositions | undefined;
  readonly recordResult: boolean;
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Turns each call of a method (or of every own method of a class) into a span. The
 * method behaves as before: same result, same error, same `this`; sync stays sync, a
 * Promise stays a Promise, an Observable stays lazy with one span per subscription, and
 * generators get one span per iteration.
 */
export function Traced(
  name?: string,
  options?: Omit<TracedOptions, 'name'>,
): ClassDecorator & MethodDecorator;
export function Traced(options: TracedOptions): ClassDecorator & MethodDecorator;
/** `@Traced(false)`: no span for this method or class, from `@Traced()` or the instrumentation. */
export function Traced(enabled: false): ClassDecorator & MethodDecorator;
export function Traced(
  nameOrOptions?: string | TracedOptions | false,
  maybeOptions?: Omit<TracedOptions, 'name'>,
): ClassDecorator & MethodDecorator {
  if (nameOrOptions === false) return markUntraced as ClassDecorator & MethodDecorator;
  const options: TracedOptions =
    typeof nameOrOptions === 'string'
      ? { ...maybeOptions, name: nameOrOptions }
      : { ...nameOrOptions };
  // Checked when the class is defined, never per call.
  rejectUnknownOptions(options, '', TRACED_KEYS, '@Traced()');
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (key === undefined) {
      traceClass(target as Function, options);
      return;
    }
    if (!descriptor || typeof descriptor.value !== 'function') return descriptor;
    const owner = typeof target === 'function' ? target : target.constructor;
    descriptor.value = wrapMethod(
      descriptor.value as AnyFunction,
      owner.name,
      String(key),
      options,
    );
    return descriptor;
  }) as ClassDecorator & MethodDecorator;
}

// TRACED_METADATA `false` opts out; a class-level @Traced() skips such a method as it
// skips one with its own @Traced().
function markUntraced(target: object, key?: string | symbol, descriptor?: PropertyDescriptor) {
  if (key === undefined) Reflect.defineMetadata(TRACED_METADATA, false, target);
  else if (descriptor && typeof descriptor.value === 'function') {
    Reflect.defineMetadata(TRACED_METADATA, false, descriptor.value as object);
  }
  return descriptor;
}

function traceClass(ctor: Function, options: TracedOptions): void {
  const proto = ctor.prototype as Record<string, unknown>;
  for (const key of Object.getOwnPropertyNames(proto)) {
    if (key === 'constructor') continue;
    const descriptor = Object.getOwnPropertyDescriptor(proto, key);
    // Accessors and already-traced methods (a method's own @Traced wins) are left alone.
    if (!descriptor || typeof descriptor.value !== 'function') continue;
    if (Reflect.hasOwnMetadata(TRACED_METADATA, descriptor.value as object)) continue;
    const { name: _ignored, ...rest } = options;
    descriptor.value = wrapMethod(descriptor.value as AnyFunction, ctor.name, key, rest);
    Object.defineProperty(proto, key, descriptor);
  }
}

/** Exported for TracingService and tests: wraps one function with tracing. */
export function wrapMethod(
  original: AnyFunction,
  className: string,
  methodName: string,
  options: TracedOptions,
): AnyFunction {
  const recordArguments = options.recordArguments === true;
  // Read before any wrapping below, which would hide the names behind `...args`.
  const secretArguments = recordArguments ? secretArgumentPositions(original) : undefined;
  // Decided once per method: without genAi a call pays nothing for it.
  if (options.genAi !== undefined) original = traceGenAiMethod(original, options.genAi);
  const plan: MethodPlan = {
    name: options.name ?? `${className}.${methodName}`,
    spanOptions: {
      kind: options.kind ?? SpanKind.INTERNAL,
      attributes: { 'code.function.name': `${className}.${methodName}`, ...options.attributes },
    },
    recordArguments,
    secretArguments,
    recordResult: options.recordResult === true,
  };
  const fnKind = original.constructor?.name;
  const isGenerator = fnKind === 'GeneratorFunction' || fnKind === 'AsyncGeneratorFunction';
  const isAsyncGenerator = fnKind === 'AsyncGeneratorFunction';

  const wrapper = function (this: unknown): unknown {
    const ctx = currentContext();
    const tracer = ctx?.tracer ?? getGlobalTracer();
    // Disabled, not yet started, or inside a trace that is not sampled: a plain call.
    if (
      tracer === undefined ||
      !tracer.enabled ||
      (ctx?.span !== undefined && tracer.dropsChildOf(ctx.span))
    ) {
      return original.apply(this, arguments as unknown as unknown[]);
    }
    if (isGenerator) {
      return traceIterator(
        original.apply(this, arguments as unknown as unknown[]) as Iterator<unknown>,
        tracer,
        ctx,
        plan,
        arguments,
        isAsyncGenerator,
      );
    }
    const span = startSpan(tracer, ctx, plan, arguments);
    if (span === NOOP_SPAN) return original.apply(this, arguments as unknown as unknown[]);
    return runWithContext(
      childContext(ctx, span, tracer),
      invoke,
      original,
      this,
      arguments,
      span,
      plan,
      tracer,
      ctx,
    );
  };

  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  // Keep what other decorators stored on the function (routes, guards, patterns, Swagger),
  // whichever order the decorators run in.
  for (const key of Reflect.getOwnMetadataKeys(original)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, original), wrapper);
  }
  Reflect.defineMetadata(TRACED_METADATA, options, wrapper);
  return wrapper;
}

function startSpan(
  tracer: Tracer,
  ctx: TraceContext | undefined,
  plan: MethodPlan,
  args: IArguments | unknown[],
): Span {
  // Outside any context, ROOT_CONTEXT says what a fresh one would: no span, not suppressed.
  const span = tracer.startSpan(plan.name, plan.spanOptions, ctx ?? ROOT_CONTEXT);
  if (plan.recordArguments && span.isRecording()) {
    span.setAttribute('code.function.arguments', serializeArguments(args, plan.secretArguments));
  }
  return span;
}

function childContext(ctx: TraceContext | undefined, span: Span, tracer: Tracer): TraceContext {
  return ctx ? ctx.withSpan(span) : tracer.createContext(span, undefined, undefined);
}

function invoke(
  original: AnyFunction,
  self: unknown,
  args: IArguments,
  span: Span,
  plan: MethodPlan,
  tracer: Tracer,
  ctx: TraceContext | undefined,
): unknown {
  let result: unknown;
  try {
    result = original.apply(self, args as unknown as unknown[]);
  } catch (error) {
    tracer.errorPolicy.record(span, error);
    span.end();
    throw error;
  }
  if (isPromiseLike(result)) {
    // Ending or failing a non-recording span does nothing: no need to wait for the promise.
    if (result instanceof Promise && !span.isRecording()) return result;
    return Promise.resolve(result).then(
      (value) => {
        if (plan.recordResult) recordResult(span, value);
        span.end();
        return value;
      },
      (error: unknown) => {
        tracer.errorPolicy.record(span, error);
        span.end();
        throw error;
      },
    );
  }
  if (isObservable(result)) return traceObservable(result, span, plan, tracer, ctx, args);
  if (plan.recordResult) recordResult(span, result);
  span.end();
  return result;
}

function recordResult(span: Span, value: unknown): void {
  if (span.isRecording()) span.setAttribute('code.function.result', safeSerialize(value));
}

/**
 * One span per subscription: the first subscription continues the span opened by the
 * call, later ones open their own. Nothing is ended for an Observable never subscribed.
 */
function traceObservable(
  source: Observable<unknown>,
  callSpan: Span,
  plan: MethodPlan,
  tracer: Tracer,
  ctx: TraceContext | undefined,
  args: IArguments,
): Observable<unknown> {
  let first = true;
  return new Observable<unknown>((subscriber) => {
    const span = first ? callSpan : startSpan(tracer, ctx, plan, args);
    first = false;
    const subscription = runWithContext(childContext(ctx, span, tracer), () =>
      source.subscribe({
        next: (value) => {
          if (plan.recordResult) recordResult(span, value);
          subscriber.next(value);
        },
        error: (error: unknown) => {
          tracer.errorPolicy.record(span, error);
          span.end();
          subscriber.error(error);
        },
        complete: () => {
          span.end();
          subscriber.complete();
        },
      }),
    );
    return () => {
      subscription.unsubscribe();
      span.end();
    };
  });
}

/**
 * A generator's body runs on each next(): the span starts with the first one, each step
 * runs inside it, and it ends when the generator is done, throws or is returned early.
 */
function traceIterator(
  iterator: Iterator<unknown> | AsyncIterator<unknown>,
  tracer: Tracer,
  ctx: TraceContext | undefined,
  plan: MethodPlan,
  args: IArguments,
  isAsync: boolean,
): unknown {
  let span: Span | undefined;
  let spanCtx: TraceContext | undefined;
  const step = (method: 'next' | 'return' | 'throw', value: unknown): unknown => {
    if (span === undefined) {
      span = startSpan(tracer, ctx, plan, args);
      spanCtx = childContext(ctx, span, tracer);
    }
    const s = span;
    const fn = (iterator as unknown as Record<string, ((v: unknown) => unknown) | undefined>)[
      method
    ];
    if (fn === undefined) {
      s.end();
      if (method === 'throw') throw value;
      return isAsync ? Promise.resolve({ value, done: true }) : { value, done: true };
    }
    const settle = (r: IteratorResult<unknown>) => {
      if (r.done) {
        if (plan.recordResult) recordResult(s, r.value);
        s.end();
      }
      return r;
    };
    const fail = (error: unknown): never => {
      tracer.errorPolicy.record(s, error);
      s.end();
      throw error;
    };
    let result: unknown;
    try {
      result = runWithContext(spanCtx!, () => fn.call(iterator, value));
    } catch (error) {
      return fail(error);
    }
    if (isAsync) return (result as Promise<IteratorResult<unknown>>).then(settle, fail);
    return settle(result as IteratorResult<unknown>);
  };
  const traced = {
    next: (value?: unknown) => step('next', value),
    return: (value?: unknown) => step('return', value),
    throw: (error?: unknown) => step('throw', error),
  };
  const tag = isAsync ? Symbol.asyncIterator : Symbol.iterator;
  return Object.assign(traced, {
    [tag]() {
      return traced;
    },
  });
}
