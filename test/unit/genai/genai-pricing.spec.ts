import { describe, expect, it } from 'vitest';
import { GenAiPricing } from '../../../lib/genai/genai-pricing.js';
import { TracingConfigError } from '../../../lib/index.js';
import { resolveGenAiPricing } from '../../../lib/genai/genai-pricing.js';

const prices = {
  'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 },
  'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
};

describe('GenAiPricing', () => {
  it('prices tokens per million by exact model name', () => {
    const pricing = new GenAiPricing(prices);
    expect(pricing.cost(['gpt-4o'], 1_000_000, 0)).toBe(2.5);
    expect(pricing.cost(['gpt-4o-mini'], 2000, 1000)).toBeCloseTo(0.0009, 12);
  });

  it('prices a dated snapshot by the longest listed name it starts with', () => {
    const pricing = new GenAiPricing(prices);
    expect(pricing.priceOf('gpt-4o-mini-2024-07-18')).toEqual(prices['gpt-4o-mini']);
    expect(pricing.priceOf('gpt-4o-2024-08-06')).toEqual(prices['gpt-4o']);
    expect(pricing.priceOf('claude-sonnet-4-5')).toBeUndefined();
  });

  it('tries the models in order (response model first) and gives no cost for unlisted models or no tokens', () => {
    const pricing = new GenAiPricing(prices);
    expect(pricing.cost(['gpt-4o-mini-2024-07-18', 'gpt-4o'], 1_000_000, 0)).toBe(0.15);
    expect(pricing.cost([undefined, 'gpt-4o'], 0, 1_000_000)).toBe(10);
    expect(pricing.cost(['unknown', undefined], 100, 100)).toBeUndefined();
    expect(pricing.cost(['gpt-4o'], undefined, undefined)).toBeUndefined();
  });

  it('copies the table it is given', () => {
    const table = { m: { inputPerMillion: 1, outputPerMillion: 1 } };
    const pricing = new GenAiPricing(table);
    table.m.inputPerMillion = 100;
    expect(pricing.cost(['m'], 1_000_000, 0)).toBe(1);
  });
});

const bad = (option: unknown) => () => resolveGenAiPricing(option as never);

describe('the genAi option', () => {
  it('accepts a price table and no option at all', () => {
    expect(resolveGenAiPricing(undefined).priceOf('gpt-4o')).toBeUndefined();
    expect(resolveGenAiPricing({ prices }).priceOf('gpt-4o')).toEqual(prices['gpt-4o']);
  });

  it('refuses bad entries with an error naming the entry and what was expected', () => {
    expect(bad('cheap')).toThrow(TracingConfigError);
    expect(
      bad({ prices: { m: { inputPerMillion: 1, outputPerMillion: 2, currency: 'EUR' } } }),
    ).toThrow(
      'TracingModule: unknown option "genAi.prices["m"].currency"; known options are inputPerMillion, outputPerMillion.',
    );
    expect(bad({ price: {} })).toThrow(
      'unknown option "genAi.price"; known options are prices (did you mean "prices"?)',
    );
    expect(bad({ prices: { 'gpt-4o': { inputPerMillion: 2.5 } } })).toThrow(
      'option "genAi.prices["gpt-4o"].outputPerMillion" must be a non-negative number (price per million tokens); got undefined',
    );
    expect(bad({ prices: { m: { inputPerMillion: -1, outputPerMillion: 1 } } })).toThrow(
      'genAi.prices["m"].inputPerMillion',
    );
    expect(bad({ prices: [] })).toThrow(
      'option "genAi.prices" must be an object of prices by model name',
    );
  });
});
