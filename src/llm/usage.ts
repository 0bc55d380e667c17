/** Reads a provider's usage object with genai-prices' `extractUsage` into prices' and the contract's terms. */
import { extractUsage, findProvider } from '@pydantic/genai-prices';
import type { LlmUsage } from './contract.js';
import type { PriceUsage } from './prices.js';

/** The usage in genai-prices' terms (input_tokens counts every input token, cached or not). */
export function readUsage(format: { providerId: string; flavor: string }, model: string, rawUsage: Record<string, unknown>): PriceUsage {
  const provider = findProvider({ providerId: format.providerId });
  if (!provider) throw new Error(`genai-prices has no provider ${format.providerId}`);
  return extractUsage(provider, { model, usage: rawUsage }, format.flavor).usage;
}

/** The contract's usage: `inputTokens` counts every input token (cache reads and writes included). */
export function toLlmUsage(u: PriceUsage): LlmUsage {
  return {
    inputTokens: u.input_tokens ?? 0,
    outputTokens: u.output_tokens ?? 0,
    cacheReadTokens: u.cache_read_tokens ?? 0,
    cacheWriteTokens: u.cache_write_tokens ?? 0,
    reasoningTokens: u.output_reasoning_tokens ?? 0,
  };
}
