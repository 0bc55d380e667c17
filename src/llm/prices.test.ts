/**
 * Prices: 22 cases worked by hand from the vendors' published per-million-token prices (the
 * numbers in the comments), read from provider-shaped usage objects with genai-prices'
 * extractUsage — cache reads and writes, reasoning inside output, Anthropic's long-context tier,
 * dated model names — and overrides with start dates (custom wins from its start, not before).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects, type TestDatabase } from '../../test/support/databases.js';
import { createPriceTable, GENAI_PRICES_VERSION, knownOutputLimit } from './prices.js';
import { addPriceOverride } from './manage.js';
import { createSecretBox } from '../identity/index.js';
import { readUsage } from './usage.js';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';

const AT = new Date('2026-06-01T12:00:00Z');
const oa = (prompt: number, completion: number, cached = 0, reasoning = 0) => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
  prompt_tokens_details: { cached_tokens: cached },
  completion_tokens_details: { reasoning_tokens: reasoning },
});
const an = (input: number, output: number, cacheWrite = 0, cacheRead = 0) => ({ input_tokens: input, output_tokens: output, cache_creation_input_tokens: cacheWrite, cache_read_input_tokens: cacheRead });

// [price provider, usage format, reported model, usage, expected nano-dollars, how]
const CASES: Array<[string, 'openai' | 'anthropic', string, Record<string, unknown>, number, string]> = [
  ['openai', 'openai', 'gpt-4o-2024-08-06', oa(10_000, 500, 4_000), 25_000_000, '6000×$2.50 + 4000×$1.25 cached + 500×$10'],
  ['openai', 'openai', 'gpt-4o-2024-05-13', oa(1_000, 1_000), 20_000_000, 'dated: 1000×$5 + 1000×$15'],
  ['openai', 'openai', 'gpt-4o-mini-2024-07-18', oa(20_000, 2_000, 10_000), 3_450_000, '10000×$0.15 + 10000×$0.075 + 2000×$0.60'],
  ['openai', 'openai', 'gpt-4.1-2025-04-14', oa(100_000, 5_000), 240_000_000, '100000×$2 + 5000×$8'],
  ['openai', 'openai', 'gpt-4.1-mini', oa(3_333, 777, 1_111), 2_243_100, '2222×$0.40 + 1111×$0.10 + 777×$1.60'],
  ['openai', 'openai', 'gpt-4.1-nano', oa(1_000_000, 1_000_000), 500_000_000, '1M×$0.10 + 1M×$0.40'],
  ['openai', 'openai', 'gpt-5-2025-08-07', oa(5_000, 3_000, 2_000, 2_500), 34_000_000, '3000×$1.25 + 2000×$0.125 + 3000 (2500 reasoning)×$10'],
  ['openai', 'openai', 'gpt-5-mini-2025-08-07', oa(10_000, 1_000), 4_500_000, '10000×$0.25 + 1000×$2'],
  ['openai', 'openai', 'o3-mini-2025-01-31', oa(1_000, 10_000, 500, 8_000), 44_825_000, '500×$1.10 + 500×$0.55 + 10000×$4.40'],
  ['openai', 'openai', 'o4-mini-2025-04-16', oa(2_000, 2_000), 11_000_000, '2000×$1.10 + 2000×$4.40'],
  ['openai', 'openai', 'o1-2024-12-17', oa(100, 100), 7_500_000, '100×$15 + 100×$60'],
  ['openai', 'openai', 'gpt-3.5-turbo-0125', oa(1_000, 1_000), 2_000_000, '1000×$0.50 + 1000×$1.50'],
  ['anthropic', 'anthropic', 'claude-sonnet-4-5-20250929', an(1_000, 400, 2_000, 3_000), 17_400_000, '1000×$3 + 2000×$3.75 write + 3000×$0.30 read + 400×$15'],
  ['anthropic', 'anthropic', 'claude-sonnet-4-5-20250929', an(250_000, 1_000), 1_522_500_000, 'over 200k input: 250000×$6 + 1000×$22.50'],
  ['anthropic', 'anthropic', 'claude-opus-4-1-20250805', an(500, 500, 0, 10_000), 60_000_000, '500×$15 + 10000×$1.50 read + 500×$75'],
  ['anthropic', 'anthropic', 'claude-3-5-haiku-20241022', an(10_000, 1_000, 5_000), 17_000_000, '10000×$0.80 + 5000×$1 write + 1000×$4'],
  ['anthropic', 'anthropic', 'claude-haiku-4-5-20251001', an(2_000, 300), 3_500_000, '2000×$1 + 300×$5'],
  ['anthropic', 'anthropic', 'claude-3-haiku-20240307', an(4_000, 1_000), 2_250_000, '4000×$0.25 + 1000×$1.25'],
  ['anthropic', 'anthropic', 'claude-opus-4-20250514', an(1_000, 100), 22_500_000, '1000×$15 + 100×$75'],
  ['anthropic', 'anthropic', 'claude-3-7-sonnet-20250219', an(1_000, 1_000, 0, 1_000), 18_300_000, '1000×$3 + 1000×$0.30 read + 1000×$15'],
  ['groq', 'openai', 'llama-3.3-70b-versatile', oa(1_000, 1_000), 1_380_000, '1000×$0.59 + 1000×$0.79'],
  ['mistral', 'openai', 'mistral-large-latest', oa(1_000, 1_000), 8_000_000, '1000×$2 + 1000×$6'],
];

const FORMATS = { openai: { providerId: 'openai', flavor: 'chat' }, anthropic: { providerId: 'anthropic', flavor: 'default' } } as const;

describe.each(dialects)('prices (%s)', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it.each(CASES)('%s %s %s: hand-worked price', async (priceProvider, format, model, raw, expected) => {
    const prices = createPriceTable({ db: t.db, overridesTtlMs: 0 });
    const quote = await prices.quote(model, priceProvider, AT);
    expect(quote?.kind).toBe('bundled');
    expect(quote!.source).toMatch(new RegExp(`^genai-prices@${GENAI_PRICES_VERSION.replace(/\./g, '\\.')}:`));
    expect(prices.cost(quote!, readUsage(FORMATS[format], model, raw), AT)).toBe(expected);
  });

  it('the bundled data is the pinned version (no auto-update)', () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies['@pydantic/genai-prices']).toBe(GENAI_PRICES_VERSION);
  });

  it('an unknown model has no price (never $0)', async () => {
    const prices = createPriceTable({ db: t.db, overridesTtlMs: 0 });
    expect(await prices.quote('acme-unknown-9000', 'openai', AT)).toBeNull();
    expect(await prices.quote('acme-unknown-9000', null, AT)).toBeNull();
  });

  it('an override wins from its start date, the bundled price applies before it, and the newest in force is used', async () => {
    const manage = { db: t.db, box: createSecretBox(randomBytes(32)), now: () => AT };
    const prices = createPriceTable({ db: t.db, overridesTtlMs: 0 });
    await addPriceOverride(manage, { model: 'gpt-4o-2024-08-06', inputPerMtok: 2, outputPerMtok: 8, cacheReadPerMtok: 1, startsAt: '2026-05-01T00:00:00Z' });
    await addPriceOverride(manage, { model: 'gpt-4o-2024-08-06', inputPerMtok: 1.5, outputPerMtok: 6, startsAt: '2026-07-01T00:00:00Z' });
    const usage = readUsage(FORMATS.openai, 'gpt-4o-2024-08-06', oa(10_000, 500, 4_000));
    const before = await prices.quote('gpt-4o-2024-08-06', 'openai', new Date('2026-04-30T23:59:59Z'));
    expect(prices.cost(before!, usage, AT)).toBe(25_000_000);
    const during = await prices.quote('gpt-4o-2024-08-06', 'openai', AT);
    expect(during?.source).toMatch(/^override:/);
    expect(prices.cost(during!, usage, AT)).toBe(6_000 * 2_000 + 4_000 * 1_000 + 500 * 8_000);
    const later = await prices.quote('gpt-4o-2024-08-06', 'openai', new Date('2026-08-01T00:00:00Z'));
    // No cache-read price on this one: cached tokens at the input price.
    expect(prices.cost(later!, usage, AT)).toBe(10_000 * 1_500 + 500 * 6_000);
  });

  it('the worst case covers the dearest input rate and the long-context tier', async () => {
    const prices = createPriceTable({ db: t.db, overridesTtlMs: 0 });
    const q = (await prices.quote('claude-sonnet-4-5-20250929', 'anthropic', AT))!;
    // 1000 input at the cache-write rate ($3.75) + 100 output ($15).
    expect(prices.worstCase(q, 1_000, 100, AT)).toBe(1_000 * 3_750 + 100 * 15_000);
    expect(prices.worstCase(q, 250_000, 100, AT)).toBe(250_000 * 7_500 + 100 * 22_500);
  });

  it('output limits of known families clamp max_tokens', () => {
    expect(knownOutputLimit('gpt-4o-2024-08-06')).toBe(16_384);
    expect(knownOutputLimit('gpt-4o-mini')).toBe(16_384);
    expect(knownOutputLimit('claude-opus-4-1-20250805')).toBe(32_000);
    expect(knownOutputLimit('claude-sonnet-4-5-20250929')).toBe(64_000);
    expect(knownOutputLimit('acme-x')).toBeNull();
  });
});
