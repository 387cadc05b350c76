import type { Tracer } from '../core/tracer.js';
import { optionKeys } from '../config/option-keys.js';
import { invalidOption, rejectUnknownOptions } from '../tracing.errors.js';
import type { GenAiModelPrice, GenAiOptions } from './genai-options.interface.js';

/**
 * Prices GenAI calls from the `genAi.prices` table: by exact model name, else by the
 * longest listed name the model starts with (dated snapshots such as
 * `gpt-4o-2024-08-06` are priced as `gpt-4o`).
 */
export class GenAiPricing {
  private readonly exact: ReadonlyMap<string, GenAiModelPrice>;
  /** Listed names, longest first, for prefix matching. */
  private readonly prefixes: readonly string[];
  private readonly matched = new Map<string, GenAiModelPrice | null>();

  constructor(prices: Readonly<Record<string, GenAiModelPrice>> = {}) {
    this.exact = new Map(Object.entries(prices).map(([m, p]) => [m, { ...p }]));
    this.prefixes = [...this.exact.keys()].toSorted((a, b) => b.length - a.length);
  }

  /** The price of `model`, or undefined when it is not listed. */
  priceOf(model: string): GenAiModelPrice | undefined {
    const cached = this.matched.get(model);
    if (cached !== undefined) return cached ?? undefined;
    const price =
      this.exact.get(model) ??
      this.exact.get(this.prefixes.find((prefix) => model.startsWith(prefix)) ?? '');
    // Model names come from responses: keep the cache bounded whatever they are.
    if (this.matched.size < 1000) this.matched.set(model, price ?? null);
    return price;
  }

  /** What the tokens cost, tried by each model in turn; undefined when none is listed. */
  cost(
    models: readonly (string | undefined)[],
    inputTokens: number | undefined,
    outputTokens: number | undefined,
  ): number | undefined {
    if (inputTokens === undefined && outputTokens === undefined) return undefined;
    for (const model of models) {
      if (model === undefined) continue;
      const price = this.priceOf(model);
      if (price === undefined) continue;
      return (
        ((inputTokens ?? 0) * price.inputPerMillion +
          (outputTokens ?? 0) * price.outputPerMillion) /
        1_000_000
      );
    }
    return undefined;
  }
}

const GENAI_KEYS = optionKeys<GenAiOptions>({ prices: true });
const PRICE_KEYS = optionKeys<GenAiModelPrice>({ inputPerMillion: true, outputPerMillion: true });

/** Validates the `genAi` option (throwing a TracingConfigError naming the entry at fault). */
export function resolveGenAiPricing(option: GenAiOptions | undefined): GenAiPricing {
  if (option === undefined) return new GenAiPricing();
  if (option === null || typeof option !== 'object' || Array.isArray(option)) {
    throw invalidOption('genAi', 'an object such as { prices }', option);
  }
  rejectUnknownOptions(option, 'genAi', GENAI_KEYS);
  const prices = option.prices ?? {};
  if (prices === null || typeof prices !== 'object' || Array.isArray(prices)) {
    throw invalidOption('genAi.prices', 'an object of prices by model name', prices);
  }
  for (const [model, price] of Object.entries(prices)) {
    const at = `genAi.prices[${JSON.stringify(model)}]`;
    if (price === null || typeof price !== 'object') {
      throw invalidOption(at, '{ inputPerMillion, outputPerMillion }', price);
    }
    rejectUnknownOptions(price, at, PRICE_KEYS);
    for (const field of ['inputPerMillion', 'outputPerMillion'] as const) {
      const value: unknown = price[field];
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw invalidOption(
          `${at}.${field}`,
          'a non-negative number (price per million tokens)',
          value,
        );
      }
    }
  }
  return new GenAiPricing(prices);
}

// Pricing belongs to the app whose tracer records the call; decorators and helpers find
// it through the active tracer, as they find the tracer itself.
const byTracer = new WeakMap<Tracer, GenAiPricing>();

export function setGenAiPricing(tracer: Tracer, pricing: GenAiPricing): void {
  byTracer.set(tracer, pricing);
}

export function genAiPricingFor(tracer: Tracer | undefined): GenAiPricing | undefined {
  return tracer === undefined ? undefined : byTracer.get(tracer);
}
