/**
 * The LLM API. Providers, prices and budgets are administrator configuration (writes answer 403
 * to others; provider keys are write-only). Budgets and usage are scoped: a viewer sees budgets
 * and usage of the installations they can see (administrators: everything). Usage reports read
 * the daily roll-up only, never raw calls. Each route: validate (zod) → authorize → command → present.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import { adminOf, authOf, scopeAllows } from '../http/auth-context.js';
import { errorResponse } from '../http/error-handler.js';
import { BudgetNotFound, usd } from './errors.js';
import {
  addPriceOverride,
  budgetViews,
  changeBudget,
  changeProvider,
  createBudget,
  createProvider,
  providers,
  removeBudget,
  removePriceOverride,
  removeProvider,
  type BudgetView,
  type ManageDeps,
} from './manage.js';
import { GENAI_PRICES_VERSION, type PriceTable } from './prices.js';
import { findProviderRow, inputEstimateCheck, listPriceOverrides, usageReport, type PriceOverrideRow } from './repo.js';
import {
  budgetItem,
  createBudgetBody,
  createPriceBody,
  createProviderBody,
  idParams,
  patchBudgetBody,
  patchProviderBody,
  priceCheckQuery,
  priceCheckResponse,
  priceOverrideItem,
  pricesResponse,
  providerItem,
  providerParams,
  repriceResponse,
  usageQuery,
  usageResponse,
} from './schema.js';
import { utcDate } from './periods.js';

export interface LlmRoutesDeps {
  db: Database;
  manage: ManageDeps;
  prices: PriceTable;
  reprice: () => Promise<{ repriced: number; stillUnpriced: number }>;
  /** Told after an administrator changed or removed a budget (waiting work may go on now). */
  onBudgetsChanged?: () => Promise<void>;
}

const TAGS = ['llm'];
const ok = z.object({ ok: z.literal(true) });

export function presentBudget(b: BudgetView): z.infer<typeof budgetItem> {
  return { ...b, amount_usd: usd(b.amount_nano_usd), spent_usd: usd(b.spent_nano_usd), reserved_usd: usd(b.reserved_nano_usd), remaining_usd: usd(b.remaining_nano_usd) };
}

function presentOverride(o: PriceOverrideRow): z.infer<typeof priceOverrideItem> {
  const perMtok = (v: number | null) => (v === null ? null : Number(v) / 1e9);
  return {
    id: o.id,
    model: o.model,
    price_provider: o.price_provider,
    input_usd_per_mtok: Number(o.input_nano_per_mtok) / 1e9,
    output_usd_per_mtok: Number(o.output_nano_per_mtok) / 1e9,
    cache_read_usd_per_mtok: perMtok(o.cache_read_nano_per_mtok),
    cache_write_usd_per_mtok: perMtok(o.cache_write_nano_per_mtok),
    max_output_tokens: o.max_output_tokens,
    starts_at: o.starts_at,
    note: o.note,
    created_at: o.created_at,
  };
}

/** Prices one model now: through a configured provider's price provider, or a genai-prices provider id. */
export async function checkPrice(deps: Pick<LlmRoutesDeps, 'db' | 'prices'>, model: string, provider: string | undefined, at: Date): Promise<z.infer<typeof priceCheckResponse>> {
  let priceProvider: string | null = provider ?? null;
  if (provider) {
    const row = await findProviderRow(deps.db.kysely, provider);
    if (row) priceProvider = row.price_provider ?? (row.kind === 'anthropic' ? 'anthropic' : row.kind === 'openai' ? 'openai' : null);
  }
  const quote = await deps.prices.quote(model, priceProvider, at);
  if (!quote) return { model, priced: false, source: null, input_usd_per_mtok: null, output_usd_per_mtok: null, cache_read_usd_per_mtok: null, cache_write_usd_per_mtok: null, max_output_tokens: null, context_window: null };
  const r = deps.prices.rates(quote, at);
  return {
    model,
    priced: true,
    source: quote.source,
    input_usd_per_mtok: r.input / 1e9,
    output_usd_per_mtok: r.output / 1e9,
    cache_read_usd_per_mtok: r.cacheRead / 1e9,
    cache_write_usd_per_mtok: r.cacheWrite / 1e9,
    max_output_tokens: quote.maxOutputTokens,
    context_window: quote.contextWindow,
  };
}

export async function llmRoutes(app: FastifyInstance, deps: LlmRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db, manage, prices } = deps;
  /** Waiting work is told after the change committed; its failure does not undo the change. */
  const budgetsChanged = async (log: FastifyBaseLogger) => {
    await deps.onBudgetsChanged?.().catch((err: unknown) => log.warn({ err }, 'could not wake the work waiting on budgets'));
  };

  // --- providers ------------------------------------------------------------------------------
  r.get('/api/llm/providers', { schema: { tags: TAGS, summary: 'LLM providers (keys are never returned)', response: { 200: z.object({ items: z.array(providerItem) }) } } }, async (req) => {
    authOf(req);
    const items = await providers(manage);
    const withChecks = [];
    for (const p of items) {
      const c = await inputEstimateCheck(db.kysely, p.id);
      withChecks.push({ ...p, input_estimate: { calls: c.calls, max_ratio: c.maxRatio === null ? null : Math.round(c.maxRatio * 1000) / 1000, over_estimate: c.overEstimate } });
    }
    return { items: withChecks };
  });
  r.post(
    '/api/llm/providers',
    { schema: { tags: TAGS, summary: 'Add an LLM provider (administrators)', body: createProviderBody, response: { 201: providerItem, 403: errorResponse, 409: errorResponse } } },
    async (req, reply) => {
      adminOf(req);
      const b = req.body;
      const p = await createProvider(manage, { name: b.name, kind: b.kind, baseUrl: b.base_url, apiKey: b.api_key, priceProvider: b.price_provider, tokenMargin: b.token_margin, enabled: b.enabled });
      return reply.code(201).send(p);
    },
  );
  r.patch(
    '/api/llm/providers/:provider',
    { schema: { tags: TAGS, summary: 'Change an LLM provider (administrators); api_key is write-only', params: providerParams, body: patchProviderBody, response: { 200: providerItem, 403: errorResponse, 404: errorResponse } } },
    async (req) => {
      adminOf(req);
      const b = req.body;
      return changeProvider(manage, req.params.provider, { name: b.name, kind: b.kind, baseUrl: b.base_url, apiKey: b.api_key, priceProvider: b.price_provider, tokenMargin: b.token_margin, enabled: b.enabled });
    },
  );
  r.delete('/api/llm/providers/:provider', { schema: { tags: TAGS, summary: 'Remove an LLM provider (administrators)', params: providerParams, response: { 200: ok, 403: errorResponse, 404: errorResponse } } }, async (req) => {
    adminOf(req);
    await removeProvider(manage, req.params.provider);
    return { ok: true as const };
  });

  // --- prices ---------------------------------------------------------------------------------
  r.get('/api/llm/prices', { schema: { tags: TAGS, summary: 'The bundled price data and the overrides', response: { 200: pricesResponse } } }, async (req) => {
    authOf(req);
    return { bundled: { package: '@pydantic/genai-prices' as const, version: GENAI_PRICES_VERSION, auto_update: false as const }, overrides: (await listPriceOverrides(db.kysely)).map(presentOverride) };
  });
  r.post('/api/llm/prices', { schema: { tags: TAGS, summary: 'Add a price override from a start date (administrators; custom wins)', body: createPriceBody, response: { 201: priceOverrideItem, 403: errorResponse } } }, async (req, reply) => {
    adminOf(req);
    const b = req.body;
    const o = await addPriceOverride(manage, {
      model: b.model,
      priceProvider: b.price_provider,
      inputPerMtok: b.input_usd_per_mtok,
      outputPerMtok: b.output_usd_per_mtok,
      cacheReadPerMtok: b.cache_read_usd_per_mtok,
      cacheWritePerMtok: b.cache_write_usd_per_mtok,
      maxOutputTokens: b.max_output_tokens,
      startsAt: b.starts_at,
      note: b.note,
    });
    prices.invalidate();
    return reply.code(201).send(presentOverride(o));
  });
  r.delete('/api/llm/prices/:id', { schema: { tags: TAGS, summary: 'Remove a price override (administrators)', params: idParams, response: { 200: ok, 403: errorResponse, 404: errorResponse } } }, async (req) => {
    adminOf(req);
    await removePriceOverride(manage, req.params.id);
    prices.invalidate();
    return { ok: true as const };
  });
  r.get('/api/llm/prices/check', { schema: { tags: TAGS, summary: 'The price in force now for a model (and where it comes from)', querystring: priceCheckQuery, response: { 200: priceCheckResponse } } }, async (req) => {
    authOf(req);
    return checkPrice({ db, prices }, req.query.model, req.query.provider, manage.now());
  });
  r.post('/api/llm/reprice', { schema: { tags: TAGS, summary: 'Price calls recorded as unpriced that have a price now (administrators)', response: { 200: repriceResponse, 403: errorResponse } } }, async (req) => {
    adminOf(req);
    const res = await deps.reprice();
    return { repriced: res.repriced, still_unpriced: res.stillUnpriced };
  });

  // --- budgets --------------------------------------------------------------------------------
  r.get('/api/llm/budgets', { schema: { tags: TAGS, summary: 'Budgets with live spent, reserved and remaining for the current period', response: { 200: z.object({ items: z.array(budgetItem) }) } } }, async (req) => {
    const { scope } = authOf(req);
    const items = await budgetViews(manage, scope.all ? {} : { installationIds: scope.installationIds });
    return { items: items.map(presentBudget) };
  });
  r.get('/api/llm/budgets/:id', { schema: { tags: TAGS, summary: 'One budget with its live counter', params: idParams, response: { 200: budgetItem, 404: errorResponse } } }, async (req) => {
    const { scope } = authOf(req);
    const [b] = await budgetViews(manage, { ids: [req.params.id] });
    if (!b || !scopeAllows(scope, b.installation_id)) throw new BudgetNotFound(req.params.id);
    return presentBudget(b);
  });
  r.post('/api/llm/budgets', { schema: { tags: TAGS, summary: 'Add a budget (administrators)', body: createBudgetBody, response: { 201: budgetItem, 400: errorResponse, 403: errorResponse, 409: errorResponse } } }, async (req, reply) => {
    adminOf(req);
    const b = req.body;
    const created = await createBudget(manage, {
      name: b.name,
      scope: b.scope,
      scopeKey: b.scope_key,
      period: b.period,
      amountUsd: b.amount_usd,
      alertThreshold: b.alert_threshold,
      actionOnExceed: b.action_on_exceed,
      installationId: b.installation_id,
      enabled: b.enabled,
    });
    return reply.code(201).send(presentBudget(created));
  });
  r.patch('/api/llm/budgets/:id', { schema: { tags: TAGS, summary: 'Change a budget (administrators); raising a block budget lets waiting calls through', params: idParams, body: patchBudgetBody, response: { 200: budgetItem, 403: errorResponse, 404: errorResponse } } }, async (req) => {
    adminOf(req);
    const b = req.body;
    const changed = await changeBudget(manage, req.params.id, { name: b.name, amountUsd: b.amount_usd, alertThreshold: b.alert_threshold, actionOnExceed: b.action_on_exceed, installationId: b.installation_id, enabled: b.enabled });
    await budgetsChanged(req.log);
    return presentBudget(changed);
  });
  r.delete('/api/llm/budgets/:id', { schema: { tags: TAGS, summary: 'Remove a budget (administrators)', params: idParams, response: { 200: ok, 403: errorResponse, 404: errorResponse } } }, async (req) => {
    adminOf(req);
    await removeBudget(manage, req.params.id);
    await budgetsChanged(req.log);
    return { ok: true as const };
  });

  // --- usage ----------------------------------------------------------------------------------
  r.get('/api/llm/usage', { schema: { tags: TAGS, summary: 'Token usage and cost by day, model, agent, agent type or project (from the daily roll-up)', querystring: usageQuery, response: { 200: usageResponse, 400: errorResponse } } }, async (req) => {
    const { scope } = authOf(req);
    const q = req.query;
    const now = manage.now();
    const to = q.to ?? utcDate(now);
    const from = q.from ?? utcDate(new Date(now.getTime() - 29 * 86_400_000));
    const rows = await usageReport(db.kysely, { by: q.by, from, to, installationIds: scope.all ? undefined : scope.installationIds, projectId: q.project_id, agentId: q.agent_id, limit: q.limit });
    const total = { calls: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, cost_nano_usd: 0, unpriced_calls: 0, interrupted_calls: 0 };
    for (const row of rows) for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += row[k];
    return { by: q.by, from, to, items: rows.map((row) => ({ ...row, cost_usd: usd(row.cost_nano_usd) })), total: { ...total, cost_usd: usd(total.cost_nano_usd) } };
  });
}
