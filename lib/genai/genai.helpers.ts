import { getGlobalTracer } from '../core/global-tracer.js';
import { activeContext, runWithContext, type TraceContext } from '../core/trace-context.js';
import { isPromiseLike, recordError, type Tracer } from '../core/tracer.js';
import { SpanKind } from '../core/types.js';
import { NOOP_SPAN } from '../core/non-recording-span.js';
import { checkGenAiOptions, GenAiCall } from './genai-call.js';
import type { GenAiUsage, TracedGenAiOptions } from '../core/genai-call.interface.js';
import { genAiPricingFor } from './genai-pricing.js';

/**
 * Runs `fn` in a new CLIENT span named `{operation} {model}` (as the GenAI conventions
 * name them) that records the call: request attributes at once, usage read from what
 * `fn` returns or resolves to (or given to `call.record()`), then tokens and cost. For a
 * streamed answer use `traceGenAiStream`, which keeps the span open until the stream ends.
 *
 * ```ts
 * const reply = await traceGenAi({ provider: 'openai', model: 'gpt-4o' }, () =>
 *   openai.chat.completions.create({ model: 'gpt-4o', messages }),
 * );
 * ```
 */
export function traceGenAi<R>(request: TracedGenAiOptions, fn: (call: GenAiCall) => R): R {
  const options = checkGenAiOptions(request, 'traceGenAi()');
  const ctx = activeContext();
  const tracer = ctx.tracer ?? getGlobalTracer();
  if (tracer === undefined || !tracer.enabled) {
    return fn(GenAiCall.start(NOOP_SPAN, options, undefined));
  }
  const span = tracer.startSpan(spanName(options), { kind: SpanKind.CLIENT }, ctx);
  const call = GenAiCall.start(span, options, genAiPricingFor(tracer));
  let result: R;
  try {
    result = runWithContext(childContext(ctx, tracer, span), fn, call);
  } catch (error) {
    call.end();
    recordError(span, error);
    span.end();
    throw error;
  }
  if (isPromiseLike(result)) {
    return Promise.resolve(result).then(
      (value) => {
        call.observe(value);
        call.end();
        span.end();
        return value;
      },
      (error: unknown) => {
        call.end();
        recordError(span, error);
        span.end();
        throw error;
      },
    ) as R;
  }
  call.observe(result);
  call.end();
  span.end();
  return result;
}

/**
 * Traces a streamed GenAI answer: `open` is called (inside the span, so the HTTP call it
 * makes is a child) when iteration starts; every chunk passes through unchanged and is
 * read for usage; the span ends, with tokens and cost, when the stream ends, fails or the
 * consumer stops early.
 *
 * ```ts
 * for await (const chunk of traceGenAiStream({ provider: 'openai', model }, () =>
 *   openai.chat.completions.create({ model, messages, stream: true,
 *     stream_options: { include_usage: true } }),
 * )) { ... }
 * ```
 */
export function traceGenAiStream<T>(
  request: TracedGenAiOptions,
  open: () => AsyncIterable<T> | Promise<AsyncIterable<T>>,
): AsyncGenerator<T, void, undefined> {
  const options = checkGenAiOptions(request, 'traceGenAiStream()');
  return streamInSpan(activeContext(), { ...options, streaming: options.streaming ?? true }, open);
}

/**
 * Adds usage to the GenAI call of the active span (a method traced with
 * `@Traced({ genAi })`, or inside `traceGenAi`). Returns false when there is none.
 */
export function recordGenAiUsage(usage: GenAiUsage): boolean {
  const call = GenAiCall.current();
  if (call === undefined) return false;
  call.record(usage);
  return true;
}

async function* streamInSpan<T>(
  ctx: TraceContext,
  options: TracedGenAiOptions,
  open: () => AsyncIterable<T> | Promise<AsyncIterable<T>>,
): AsyncGenerator<T, void, undefined> {
  const tracer = ctx.tracer ?? getGlobalTracer();
  if (tracer === undefined || !tracer.enabled) {
    yield* await open();
    return;
  }
  const span = tracer.startSpan(spanName(options), { kind: SpanKind.CLIENT }, ctx);
  const call = GenAiCall.start(span, options, genAiPricingFor(tracer));
  try {
    const stream = await runWithContext(childContext(ctx, tracer, span), open);
    for await (const chunk of stream) {
      call.chunk(chunk);
      yield chunk;
    }
  } catch (error) {
    recordError(span, error);
    throw error;
  } finally {
    call.end();
    span.end();
  }
}

function spanName(options: TracedGenAiOptions): string {
  const operation = options.operation ?? 'chat';
  return options.model === undefined ? operation : `${operation} ${options.model}`;
}

function childContext(ctx: TraceContext, tracer: Tracer, span: TraceContext['span']): TraceContext {
  return ctx.tracer === tracer
    ? ctx.withSpan(span!)
    : tracer.createContext(span, ctx.correlationId, ctx.baggage);
}
