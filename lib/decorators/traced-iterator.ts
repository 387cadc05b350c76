import type { TraceContext } from '../core/trace-context.js';
import { runWithContext } from '../core/trace-context.js';
import type { Tracer } from '../core/tracer.js';
import type { Span } from '../core/types.js';
import { childContext, recordResult, startMethodSpan, type MethodPlan } from './method-span.js';

/**
 * A generator's body runs on each next(): the span starts with the first one, each step
 * runs inside it, and it ends when the generator is done, throws or is returned early.
 */
export function traceIterator(
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
      span = startMethodSpan(tracer, ctx, plan, args);
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
