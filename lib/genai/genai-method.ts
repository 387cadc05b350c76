import { isObservable, Observable } from 'rxjs';
import { getGlobalTracer } from '../core/global-tracer.js';
import { activeContext } from '../core/trace-context.js';
import { isPromiseLike } from '../core/tracer.js';
import { checkGenAiOptions, GenAiCall } from './genai-call.js';
import type { TracedGenAiOptions } from '../core/genai-call.interface.js';
import { genAiPricingFor } from './genai-pricing.js';

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Wraps a method for `@Traced({ genAi })`. The wrapper runs inside the span the decorator
 * opened, so the active span is the method's own: it sets the request attributes, reads
 * usage from the result (a Promise's value, an Observable's values, a generator's chunks
 * and return value), and writes tokens and cost before the decorator ends the span. It
 * keeps the method's kind (generator functions stay generator functions: the decorator
 * tells them apart by it), name, length and metadata.
 */
export function traceGenAiMethod(method: AnyFunction, options: TracedGenAiOptions): AnyFunction {
  const request = checkGenAiOptions(options, '@Traced()');
  const kind = method.constructor?.name;
  let wrapper: AnyFunction;
  if (kind === 'AsyncGeneratorFunction') {
    const streamed = { ...request, streaming: request.streaming ?? true };
    wrapper = async function* (this: unknown, ...args: unknown[]): AsyncGenerator<unknown> {
      const inner = method.apply(this, args) as AsyncIterator<unknown>;
      const call = startCall(streamed);
      if (call === undefined) return yield* iterable(inner, Symbol.asyncIterator);
      try {
        const value: unknown = yield* iterable(observeAsync(inner, call), Symbol.asyncIterator);
        call.observe(value);
        return value;
      } finally {
        call.end();
      }
    };
  } else if (kind === 'GeneratorFunction') {
    const streamed = { ...request, streaming: request.streaming ?? true };
    wrapper = function* (this: unknown, ...args: unknown[]): Generator<unknown> {
      const inner = method.apply(this, args) as Iterator<unknown>;
      const call = startCall(streamed);
      if (call === undefined) return yield* iterable(inner, Symbol.iterator);
      try {
        const value: unknown = yield* iterable(observeSync(inner, call), Symbol.iterator);
        call.observe(value);
        return value;
      } finally {
        call.end();
      }
    };
  } else {
    wrapper = function (this: unknown, ...args: unknown[]): unknown {
      const call = startCall(request);
      if (call === undefined) return method.apply(this, args);
      let result: unknown;
      try {
        result = method.apply(this, args);
      } catch (error) {
        call.end();
        throw error;
      }
      return settle(call, result, request);
    };
  }
  Object.defineProperty(wrapper, 'name', { value: method.name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: method.length, configurable: true });
  for (const key of Reflect.getOwnMetadataKeys(method)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, method), wrapper);
  }
  return wrapper;
}

/** A call on the active span, or undefined when it records nothing (unsampled, disabled). */
function startCall(request: Readonly<TracedGenAiOptions>): GenAiCall | undefined {
  const ctx = activeContext();
  const span = ctx.span;
  if (span === undefined || !span.isRecording()) return undefined;
  return GenAiCall.start(span, request, genAiPricingFor(ctx.tracer ?? getGlobalTracer()));
}

/** Records a result: at once, when a Promise settles, or per value of an Observable. */
function settle(call: GenAiCall, result: unknown, request: TracedGenAiOptions): unknown {
  if (isPromiseLike(result)) {
    return Promise.resolve(result).then(
      (value) => {
        call.observe(value);
        call.end();
        return value;
      },
      (error: unknown) => {
        call.end();
        throw error;
      },
    );
  }
  if (isObservable(result)) return observeObservable(result, call, request);
  call.observe(result);
  call.end();
  return result;
}

/**
 * The decorator gives each subscription its own span (the first continues the call's):
 * later subscriptions start their own GenAI call on theirs.
 */
function observeObservable(
  source: Observable<unknown>,
  first: GenAiCall,
  request: TracedGenAiOptions,
): Observable<unknown> {
  let pending: GenAiCall | undefined = first;
  return new Observable<unknown>((subscriber) => {
    const call = pending ?? startCall(request);
    pending = undefined;
    const subscription = source.subscribe({
      next: (value) => {
        if (request.streaming === true) call?.chunk(value);
        else call?.observe(value);
        subscriber.next(value);
      },
      error: (error: unknown) => {
        call?.end();
        subscriber.error(error);
      },
      complete: () => {
        call?.end();
        subscriber.complete();
      },
    });
    return () => {
      subscription.unsubscribe();
      call?.end();
    };
  });
}

function observeAsync(inner: AsyncIterator<unknown>, call: GenAiCall): AsyncIterator<unknown> {
  return {
    next: (value?: unknown) =>
      inner.next(value).then((r) => {
        if (r.done !== true) call.chunk(r.value);
        return r;
      }),
    return: inner.return === undefined ? undefined : (value?: unknown) => inner.return!(value),
    throw: inner.throw === undefined ? undefined : (error?: unknown) => inner.throw!(error),
  };
}

function observeSync(inner: Iterator<unknown>, call: GenAiCall): Iterator<unknown> {
  return {
    next: (value?: unknown) => {
      const r = inner.next(value);
      if (r.done !== true) call.chunk(r.value);
      return r;
    },
    return: inner.return === undefined ? undefined : (value?: unknown) => inner.return!(value),
    throw: inner.throw === undefined ? undefined : (error?: unknown) => inner.throw!(error),
  };
}

/** An iterator as an iterable, for `yield*` (which forwards next, return and throw). */
function iterable<I>(iterator: I, tag: typeof Symbol.iterator): Iterable<unknown>;
function iterable<I>(iterator: I, tag: typeof Symbol.asyncIterator): AsyncIterable<unknown>;
function iterable<I>(iterator: I, tag: symbol): unknown {
  return { [tag]: () => iterator };
}
