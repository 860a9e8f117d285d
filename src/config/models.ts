import { z } from 'zod';

/** USD per one million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

/**
 * Built-in prices (USD per 1M tokens) for common OpenAI models, from OpenAI's public price list.
 * Operators add or override entries with MODEL_PRICES (local models are usually {"input":0,"output":0}).
 * A model absent from the catalogue has an unknown cost: the run log records null, never 0.
 */
export const DEFAULT_MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  'gpt-4.1': { input: 2.0, output: 8.0 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4o': { input: 2.5, output: 10.0 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-5': { input: 1.25, output: 10.0 },
  'gpt-5-mini': { input: 0.25, output: 2.0 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'o3': { input: 2.0, output: 8.0 },
  'o4-mini': { input: 1.1, output: 4.4 },
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
};

export const modelPricesSchema = z.record(
  z.string().min(1),
  z.object({ input: z.number().min(0), output: z.number().min(0) }).strict(),
);

export class ModelCatalogue {
  private readonly prices: ReadonlyMap<string, ModelPrice>;

  constructor(overrides: Record<string, ModelPrice> = {}) {
    this.prices = new Map(Object.entries({ ...DEFAULT_MODEL_PRICES, ...overrides }));
  }

  has(model: string): boolean {
    return this.priceOf(model) !== undefined;
  }

  /** Price of a model; dated snapshots ("gpt-4.1-mini-2025-04-14") fall back to their base name. */
  priceOf(model: string): ModelPrice | undefined {
    return this.prices.get(model) ?? this.prices.get(model.replace(/-\d{4}-\d{2}-\d{2}$/, ''));
  }

  /** Cost in USD, or null when the model is not in the catalogue (unknown, never 0). */
  costOf(model: string, tokensIn: number, tokensOut: number): number | null {
    const price = this.priceOf(model);
    if (!price) return null;
    return (tokensIn * price.input + tokensOut * price.output) / 1_000_000;
  }

  models(): string[] {
    return [...this.prices.keys()].sort();
  }
}
