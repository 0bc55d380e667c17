/**
 * Prices: the bundled table of `@pydantic/genai-prices` (pinned exact version, never updated at
 * run time: `updatePrices` is never called) plus administrators' overrides with start dates. An
 * override in force at the time of the call wins over the bundled price. Money is integer
 * nano-dollars (1e-9 USD).
 *
 * Glossary:
 * - usage: token counts in genai-prices' terms: `input_tokens` counts every input token (cache
 *   reads and writes included), `cache_read_tokens`/`cache_write_tokens` are parts of it.
 * - quote: where a model's price comes from (an override row or the bundled table) at one time.
 * - worst case: the most a call can cost given its input count and `max_tokens` — input priced at
 *   the dearer of the input and cache-write rates, the long-context tier its size reaches included.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { calcPrice, type Usage } from '@pydantic/genai-prices';
import type { Database } from '../db/index.js';
import { listPriceOverrides, type PriceOverrideRow } from './repo.js';

/** The bundled price data's version (the installed package's, pinned in package.json). */
export const GENAI_PRICES_VERSION = readPackageVersion();

function readPackageVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('@pydantic/genai-prices');
    const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export type PriceUsage = Usage;

export type PriceQuote =
  | { kind: 'override'; source: string; model: string; override: PriceOverrideRow; maxOutputTokens: number | null; contextWindow: number | null }
  | { kind: 'bundled'; source: string; model: string; providerId: string | undefined; matchedModel: string; maxOutputTokens: number | null; contextWindow: number | null };

export interface PriceTable {
  /** The price in force for `model` at `at`, or null when the model is unpriced. */
  quote(model: string, priceProvider: string | null, at: Date): Promise<PriceQuote | null>;
  /** What `usage` costs under `quote`, in nano-dollars. */
  cost(quote: PriceQuote, usage: PriceUsage, at: Date): number;
  /** The most a call with `inputTokens` in and at most `maxOutputTokens` out can cost. */
  worstCase(quote: PriceQuote, inputTokens: number, maxOutputTokens: number, at: Date): number;
  /** The base rates of a quote (below any long-context tier), in nano-dollars per million tokens. */
  rates(quote: PriceQuote, at: Date): { input: number; output: number; cacheRead: number; cacheWrite: number };
  /** Forget cached overrides (after a change through the API; other processes re-read within the TTL). */
  invalidate(): void;
}

/**
 * Output limits of well-known model families (by name prefix, longest first), for clamping
 * `max_tokens`; the bundled table only knows context windows. Overrides may set their own.
 */
const OUTPUT_LIMITS: Array<[string, number]> = [
  ['claude-opus-4-1', 32_000],
  ['claude-opus-4-5', 64_000],
  ['claude-opus-4', 32_000],
  ['claude-sonnet-4', 64_000],
  ['claude-haiku-4', 64_000],
  ['claude-3-7-sonnet', 64_000],
  ['claude-3-5-sonnet', 8_192],
  ['claude-3-5-haiku', 8_192],
  ['claude-3-haiku', 4_096],
  ['claude-3-opus', 4_096],
  ['gpt-4o-mini', 16_384],
  ['gpt-4o', 16_384],
  ['gpt-4.1', 32_768],
  ['gpt-5', 128_000],
  ['o4-mini', 100_000],
  ['o3', 100_000],
  ['o1', 100_000],
  ['gpt-4-turbo', 4_096],
  ['gpt-3.5-turbo', 4_096],
].sort((a, b) => (b[0] as string).length - (a[0] as string).length) as Array<[string, number]>;

/** The known output limit of a model family, or null. */
export function knownOutputLimit(model: string): number | null {
  const m = model.toLowerCase().replace(/^[^/]+\//, '');
  for (const [prefix, limit] of OUTPUT_LIMITS) if (m.startsWith(prefix)) return limit;
  return null;
}

/** Nano-dollars from a genai-prices USD total (floating point, exact to well under a nano-dollar). */
function toNano(usd: number): number {
  return Math.round(usd * 1e9);
}

function overrideCost(o: PriceOverrideRow, usage: PriceUsage): number {
  const input = usage.input_tokens ?? 0;
  const read = usage.cache_read_tokens ?? 0;
  const write = usage.cache_write_tokens ?? 0;
  const output = usage.output_tokens ?? 0;
  const uncached = Math.max(0, input - read - write);
  const perMtok =
    uncached * Number(o.input_nano_per_mtok) +
    read * Number(o.cache_read_nano_per_mtok ?? o.input_nano_per_mtok) +
    write * Number(o.cache_write_nano_per_mtok ?? o.input_nano_per_mtok) +
    output * Number(o.output_nano_per_mtok);
  return Math.round(perMtok / 1e6);
}

/** Creates the price table over the bundled data and the overrides stored in `db`. */
export function createPriceTable(deps: { db: Database; overridesTtlMs?: number }): PriceTable {
  const ttl = deps.overridesTtlMs ?? 5000;
  let cache: { at: number; rows: PriceOverrideRow[] } | null = null;

  async function overrides(): Promise<PriceOverrideRow[]> {
    if (cache && Date.now() - cache.at < ttl) return cache.rows;
    const rows = await listPriceOverrides(deps.db.kysely);
    cache = { at: Date.now(), rows };
    return rows;
  }

  function bundled(model: string, priceProvider: string | null, usage: PriceUsage, at: Date) {
    try {
      return calcPrice(usage, model, { providerId: priceProvider ?? undefined, timestamp: at });
    } catch {
      return null;
    }
  }

  const table: PriceTable = {
    async quote(model, priceProvider, at) {
      const atIso = at.toISOString();
      // The newest override in force at `at` for this model (and this provider, or any).
      const o = (await overrides())
        .filter((r) => r.model === model && r.starts_at <= atIso && (r.price_provider === null || r.price_provider === priceProvider))
        .sort((a, b) => (a.starts_at < b.starts_at ? 1 : a.starts_at > b.starts_at ? -1 : a.price_provider === null ? 1 : -1))[0];
      if (o) {
        return { kind: 'override', source: `override:${o.id}`, model, override: o, maxOutputTokens: o.max_output_tokens ?? knownOutputLimit(model), contextWindow: null };
      }
      const probe = bundled(model, priceProvider, { input_tokens: 1, output_tokens: 1 }, at);
      if (!probe) return null;
      return {
        kind: 'bundled',
        source: `genai-prices@${GENAI_PRICES_VERSION}:${probe.provider.id}/${probe.model.id}`,
        model,
        providerId: priceProvider ?? probe.provider.id,
        matchedModel: probe.model.id,
        maxOutputTokens: knownOutputLimit(model),
        contextWindow: probe.model.context_window ?? null,
      };
    },
    cost(quote, usage, at) {
      if (quote.kind === 'override') return overrideCost(quote.override, usage);
      const r = bundled(quote.model, quote.providerId ?? null, usage, at);
      if (!r) throw new Error(`genai-prices could not price ${quote.model} with this usage`);
      return toNano(r.total_price);
    },
    worstCase(quote, inputTokens, maxOutputTokens, at) {
      const plain = { input_tokens: inputTokens, output_tokens: maxOutputTokens };
      const written = { ...plain, cache_write_tokens: inputTokens };
      return Math.max(table.cost(quote, plain, at), table.cost(quote, written, at));
    },
    rates(quote, at) {
      // 1,000 tokens of each kind, scaled: below every tier, exact in nano-dollars.
      const per = (u: PriceUsage) => table.cost(quote, u, at) * 1000;
      const input = per({ input_tokens: 1000 });
      return {
        input,
        output: per({ output_tokens: 1000 }),
        cacheRead: per({ input_tokens: 1000, cache_read_tokens: 1000 }),
        cacheWrite: per({ input_tokens: 1000, cache_write_tokens: 1000 }),
      };
    },
    invalidate() {
      cache = null;
    },
  };
  return table;
}
