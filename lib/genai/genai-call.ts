import { now } from '../core/clock.js';
import { activeContext } from '../core/trace-context.js';
import type { Span } from '../core/types.js';
import { TracingConfigError } from '../tracing.errors.js';
import type {
  GenAiUsage,
  GenAiUsageReader,
  TracedGenAiOptions,
} from '../core/genai-call.interface.js';
import { GEN_AI_ATTRIBUTES as A } from '../core/genai-attributes.js';
import type { GenAiPricing } from './genai-pricing.js';
import { readGenAiUsage } from './genai-usage.js';

// The call a span records, so recordGenAiUsage() finds it from the active span.
const calls = new WeakMap<Span, GenAiCall>();

/**
 * One GenAI call being recorded on a span: the request attributes go on at once, usage
 * is merged as it arrives (from results, stream chunks or `record()`), and `end()` writes
 * tokens, finish reasons and cost before the span ends.
 */
export class GenAiCall {
  private readonly usage: {
    -readonly [K in keyof GenAiUsage]: GenAiUsage[K];
  } = {};
  private firstChunkAt: number | undefined;
  private ended = false;
  private readonly startedAt = now();

  private constructor(
    readonly span: Span,
    private readonly request: Readonly<TracedGenAiOptions>,
    private readonly read: GenAiUsageReader,
    private readonly pricing: GenAiPricing | undefined,
  ) {}

  /** Sets the request attributes on `span` and starts recording the call. */
  static start(
    span: Span,
    request: Readonly<TracedGenAiOptions>,
    pricing: GenAiPricing | undefined,
  ): GenAiCall {
    const call = new GenAiCall(span, request, request.usage ?? readGenAiUsage, pricing);
    if (span.isRecording()) {
      span.setAttribute(A.operationName, request.operation ?? 'chat');
      span.setAttribute(A.providerName, request.provider);
      span.setAttribute(A.requestModel, request.model);
      span.setAttribute(A.streaming, request.streaming === true);
      calls.set(span, call);
    }
    return call;
  }

  /** The call recorded on the active span, if it is a GenAI span. */
  static current(): GenAiCall | undefined {
    const span = activeContext().span;
    return span === undefined ? undefined : calls.get(span);
  }

  /** Merges usage in: each field given replaces the one before (values are cumulative). */
  record(usage: GenAiUsage): this {
    if (this.ended) return this;
    for (const key of USAGE_KEYS) {
      const value = usage[key];
      if (value !== undefined) (this.usage as Record<string, unknown>)[key] = value;
    }
    return this;
  }

  /** Reads usage from a result (or a stream's return value). */
  observe(value: unknown): void {
    if (this.ended) return;
    let usage: GenAiUsage | undefined;
    try {
      usage = this.read(value);
    } catch {
      // A reader that throws must not fail the call it observes.
      return;
    }
    if (usage !== undefined) this.record(usage);
  }

  /** A chunk of a streamed answer: times the first one, reads usage from each. */
  chunk(value: unknown): void {
    this.firstChunkAt ??= now();
    this.observe(value);
  }

  /** Writes the response attributes and cost. Idempotent; call it before the span ends. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const span = this.span;
    if (!span.isRecording()) return;
    const { responseModel, responseId, inputTokens, outputTokens, finishReasons } = this.usage;
    span.setAttribute(A.responseModel, responseModel);
    span.setAttribute(A.responseId, responseId);
    if (finishReasons !== undefined && finishReasons.length > 0) {
      span.setAttribute(A.finishReasons, [...finishReasons]);
    }
    span.setAttribute(A.inputTokens, inputTokens);
    span.setAttribute(A.outputTokens, outputTokens);
    const total =
      this.usage.totalTokens ??
      (inputTokens === undefined && outputTokens === undefined
        ? undefined
        : (inputTokens ?? 0) + (outputTokens ?? 0));
    span.setAttribute(A.totalTokens, total);
    span.setAttribute(
      A.cost,
      this.pricing?.cost([responseModel, this.request.model], inputTokens, outputTokens),
    );
    if (this.request.streaming === true && this.firstChunkAt !== undefined) {
      span.setAttribute(A.timeToFirstChunk, (this.firstChunkAt - this.startedAt) / 1000);
    }
  }
}

const USAGE_KEYS = [
  'responseModel',
  'responseId',
  'inputTokens',
  'outputTokens',
  'totalTokens',
  'finishReasons',
] as const satisfies readonly (keyof GenAiUsage)[];

/** Checks a `genAi` request once (at decoration or call time), naming what is wrong. */
export function checkGenAiOptions(options: unknown, owner: string): Readonly<TracedGenAiOptions> {
  const fail = (field: string, expected: string, got: unknown) =>
    new TracingConfigError(
      `${owner}: option "${field}" must be ${expected}; got ${typeof got === 'string' ? JSON.stringify(got) : String(got)}.`,
    );
  if (options === null || typeof options !== 'object') {
    throw fail('genAi', 'an object such as { provider, model }', options);
  }
  const o = options as Record<string, unknown>;
  if (typeof o.provider !== 'string' || o.provider === '') {
    throw fail('genAi.provider', 'a non-empty string such as "openai"', o.provider);
  }
  for (const field of ['model', 'operation'] as const) {
    if (o[field] !== undefined && typeof o[field] !== 'string') {
      throw fail(`genAi.${field}`, 'a string', o[field]);
    }
  }
  if (o.streaming !== undefined && typeof o.streaming !== 'boolean') {
    throw fail('genAi.streaming', 'a boolean', o.streaming);
  }
  if (o.usage !== undefined && typeof o.usage !== 'function') {
    throw fail('genAi.usage', 'a function reading usage from a result', o.usage);
  }
  return { ...(options as TracedGenAiOptions) };
}
