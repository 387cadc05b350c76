import { isObservable, type Observable } from 'rxjs';
import { getGlobalTracer } from '../core/global-tracer.js';
import { currentContext, runWithContext, type TraceContext } from '../core/trace-context.js';
import { isPromiseLike, type Tracer } from '../core/tracer.js';
import { SpanKind, type Span } from '../core/types.js';
import { NOOP_SPAN } from '../core/non-recording-span.js';
import { TRACED_METADATA } from '../tracing.constants.js';
import { wrapGenAiMethod } from './genai-method-hook.js';
import { childContext, recordResult, startMethodSpan, type MethodPlan } from './method-span.js';
import { secretArgumentPositions } from './parameter-names.js';
import { observeInSpan } from './span-observable.js';
import { traceIterator } from './traced-iterator.js';
import type { TracedOptions } from './traced-options.js';

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Wraps one function with tracing (for `@Traced()`, TracingService and the
 * instrumentation): same result, same error, same `this`; sync stays sync, a Promise stays
 * a Promise, an Observable stays lazy with one span per subscription, and generators get
 * one span per iteration.
 */
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
  if (options.genAi !== undefined) original = wrapGenAiMethod(original, options.genAi);
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
    const span = startMethodSpan(tracer, ctx, plan, arguments);
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

/**
 * One span per subscription: the first subscription continues the span opened by the
 * call, later ones open their own.
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
  return observeInSpan(
    () => source,
    () => {
      const span = first ? callSpan : startMethodSpan(tracer, ctx, plan, args);
      first = false;
      return { span, context: childContext(ctx, span, tracer) };
    },
    tracer.errorPolicy,
    plan.recordResult ? recordResult : undefined,
  );
}
