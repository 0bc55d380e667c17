/**
 * `switchyard llm reprice`: calls recorded as unpriced (no price was known then) are priced at the
 * price in force at their time, once one is known (an override added since, or newer bundled
 * data after an upgrade). Each row moves in one transaction with its daily roll-up and the spent
 * counters of the budgets that applied to it.
 */
import type { Database } from '../db/index.js';
import type { Logger } from '../log/index.js';
import { periodKey } from './periods.js';
import type { PriceTable } from './prices.js';
import { addToCounter, addToDaily, budgetsForScopes, compareCounterKeys, ensureCounters, lockCounters, setUsageCost, unpricedUsage, type TokenUsageRow } from './repo.js';

export interface RepriceDeps {
  db: Database;
  prices: PriceTable;
  now: () => Date;
  log: Logger;
}

async function priceProviderOf(db: Database, row: TokenUsageRow): Promise<string | null> {
  if (!row.provider_id) return null;
  const p = await db.kysely.selectFrom('llm_providers').select(['price_provider', 'kind']).where('id', '=', row.provider_id).executeTakeFirst();
  if (!p) return row.provider_kind === 'anthropic' ? 'anthropic' : row.provider_kind === 'openai' ? 'openai' : null;
  return p.price_provider ?? (p.kind === 'anthropic' ? 'anthropic' : p.kind === 'openai' ? 'openai' : null);
}

export async function repriceUnpriced(deps: RepriceDeps): Promise<{ repriced: number; stillUnpriced: number }> {
  const { db, prices } = deps;
  let repriced = 0;
  let stillUnpriced = 0;
  let after: string | null = null;
  for (;;) {
    const rows = await unpricedUsage(db.kysely, after, 200);
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.id;
    for (const row of rows) {
      const at = new Date(row.created_at);
      const quote = (await prices.quote(row.model, await priceProviderOf(db, row), at)) ?? (await prices.quote(row.requested_model, await priceProviderOf(db, row), at));
      if (!quote) {
        stillUnpriced++;
        continue;
      }
      const cost = prices.cost(quote, { input_tokens: row.input_tokens, output_tokens: row.output_tokens, cache_read_tokens: row.cache_read_tokens, cache_write_tokens: row.cache_write_tokens }, at);
      const done = await db.kysely.transaction().execute(async (tx) => {
        if (!(await setUsageCost(tx, row.id, cost, quote.source))) return false;
        const budgets = await budgetsForScopes(tx, { project: row.project_id ? [row.project_id] : [], agent: row.agent_id ? [row.agent_id] : [], agent_type: row.agent_type ? [row.agent_type] : [] });
        const keys = budgets
          .filter((b) => b.scope === 'global' || (b.scope === 'project' && b.scope_key === row.project_id) || (b.scope === 'agent' && b.scope_key === row.agent_id) || (b.scope === 'agent_type' && b.scope_key === row.agent_type))
          .map((b) => ({ budget_id: b.id, period_start: periodKey(b.period, at) }))
          .sort(compareCounterKeys);
        await ensureCounters(tx, keys);
        await lockCounters(tx, db.dialect, keys);
        for (const k of keys) await addToCounter(tx, k, { spent: cost, reserved: 0 });
        await addToDaily(tx, {
          usage_date: row.usage_date,
          installation_id: row.installation_id ?? 0,
          project_id: row.project_id ?? '',
          agent_id: row.agent_id ?? '',
          agent_type: row.agent_type ?? '',
          model: row.model,
          calls: 0,
          input_tokens: 0,
          output_tokens: 0,
          cache_read_tokens: 0,
          cache_write_tokens: 0,
          reasoning_tokens: 0,
          cost_nano_usd: cost,
          unpriced_calls: -1,
          interrupted_calls: 0,
        });
        return true;
      });
      if (done) repriced++;
    }
  }
  if (repriced > 0) deps.log.info({ repriced, stillUnpriced }, 'unpriced LLM calls repriced');
  return { repriced, stillUnpriced };
}
