/**
 * The LLM slice: provider clients (openai, @anthropic-ai/sdk), the price table
 * (@pydantic/genai-prices + overrides), the budget guard and usage reports. Other slices call
 * `llm.client.complete(request)` (contract.ts) and never touch a provider SDK or these tables.
 * Owns llm_providers, llm_price_overrides, budget_limits, budget_counters, budget_reservations,
 * token_usage and token_usage_daily (migration 0007_llm).
 */
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/index.js';
import type { SecretBox } from '../identity/index.js';
import type { Queue } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import { notify as notifyInApp, type NewNotification } from '../notify/index.js';
import type { LlmClient, LlmRequest, LlmResult } from './contract.js';
import { createLlmClient, type LlmRequestExtras } from './client.js';
import { createBudgetGuard, type BudgetGuard } from './guard.js';
import { usd } from './errors.js';
import { createPriceTable, type PriceTable } from './prices.js';
import { repriceUnpriced } from './reprice.js';
import { llmRoutes } from './routes.js';
import type { ManageDeps } from './manage.js';
import './tables.js';

export type * from './contract.js';
export { LLM_ERROR_CODES } from './contract.js';
export { BudgetExceededError, ModelUnpricedError, ProviderRetryableError, ProviderFailedError, LlmProviderNotFound, BudgetNotFound } from './errors.js';
export { createProvider, changeProvider, removeProvider, providers, addPriceOverride, removePriceOverride, createBudget, changeBudget, removeBudget, budgetViews, nanoFromUsd } from './manage.js';
export type { ProviderInput, ProviderView, BudgetInput, BudgetView, PriceOverrideInput } from './manage.js';
export type { LlmRequestExtras } from './client.js';
export type { SettledCall } from './guard.js';
export { periodStart, periodEnd } from './periods.js';
export { usageReport } from './repo.js';
export { GENAI_PRICES_VERSION } from './prices.js';

/** The scheduled job that settles reservations whose calls never came back (kill -9). */
export const SETTLE_EXPIRED_JOB = 'llm.settle_expired';

export interface LlmSliceDeps {
  db: Database;
  box: SecretBox;
  log: Logger;
  /** Registers the expiry job and its schedule (every minute) when given. */
  queue?: Queue;
  /** The clock (tests move it across periods). */
  now?: () => Date;
  /** Where notices go (default: src/notify's `notify`, which fans out to every channel). */
  notify?: (db: Database, n: NewNotification) => Promise<void>;
  /** Told after an administrator changed or removed a budget through the API (the agents wake their budget waits). */
  onBudgetsChanged?: () => Promise<void>;
  /** Price overrides are re-read after this long (default 5 s; changes through this process apply at once). */
  overridesTtlMs?: number;
}

export interface LlmSlice {
  /** The contract's client; `complete` also takes the optional extras (onSettle). */
  client: LlmClient & { complete(request: LlmRequest & LlmRequestExtras): Promise<LlmResult> };
  complete(request: LlmRequest & LlmRequestExtras): Promise<LlmResult>;
  guard: BudgetGuard;
  prices: PriceTable;
  /** For manage.ts functions (createProvider, createBudget, …). */
  manage: ManageDeps;
  /** Prices the calls recorded as unpriced that have a price now; returns how many. */
  reprice(): Promise<{ repriced: number; stillUnpriced: number }>;
  /** Settles expired reservations now (the scheduled job does this every minute). */
  settleExpired(): Promise<number>;
  routes(app: FastifyInstance): Promise<void>;
}

/** Builds the slice. Nothing runs until a call is made (or the queue runs the expiry job). */
export function createLlmSlice(deps: LlmSliceDeps): LlmSlice {
  const { db, box } = deps;
  const log = deps.log.child({ slice: 'llm' });
  const now = deps.now ?? (() => new Date());
  const send = deps.notify ?? notifyInApp;
  const prices = createPriceTable({ db, overridesTtlMs: deps.overridesTtlMs });
  const guard = createBudgetGuard({
    db,
    log,
    now,
    notice: async ({ budget, periodStart, level, spentNanoUsd }) => {
      const what = budget.name ?? `${budget.scope}${budget.scope_key ? ` ${budget.scope_key}` : ''} ${budget.period}`;
      const amount = Number(budget.amount_nano_usd);
      const title =
        level === 'blocked'
          ? `Budget "${what}" reached: calls are refused until it resets or is raised`
          : level === 'critical'
            ? `Budget "${what}" is spent (100 %)`
            : `Budget "${what}" passed ${Math.round(budget.alert_threshold * 100)} %`;
      await send(db, {
        installationId: budget.installation_id === null ? null : Number(budget.installation_id),
        repositoryId: null,
        kind: `budget.${level}`,
        title,
        body: `$${usd(spentNanoUsd)} of $${usd(amount)} spent in the ${budget.period} period starting ${periodStart} (${budget.action_on_exceed}).`,
        dedupeKey: `llm-budget:${budget.id}:${periodStart}:${level}`,
      });
    },
  });
  const manage: ManageDeps = { db, box, now };
  const client = createLlmClient({
    db,
    box,
    log,
    guard,
    prices,
    now,
    unpriced: async (model) => {
      await send(db, {
        installationId: null,
        repositoryId: null,
        kind: 'llm.unpriced',
        title: `No price is known for model "${model}"`,
        body: `Calls to ${model} are recorded without a cost (refused where a block budget applies). Add a price override, then run \`switchyard llm reprice\`.`,
        dedupeKey: `llm-unpriced:${model}`,
      });
    },
  });

  if (deps.queue) {
    deps.queue.register(SETTLE_EXPIRED_JOB, async (_p, ctx) => {
      const n = await guard.settleExpired();
      if (n > 0) ctx.log.warn({ settled: n }, 'expired LLM reservations settled');
    });
    deps.queue.schedule(SETTLE_EXPIRED_JOB, '* * * * *');
  }

  const reprice = () => repriceUnpriced({ db, prices, now, log });
  return {
    client,
    complete: (r) => client.complete(r),
    guard,
    prices,
    manage,
    reprice,
    settleExpired: () => guard.settleExpired(),
    routes: (app) => llmRoutes(app, { db, manage, prices, reprice, onBudgetsChanged: deps.onBudgetsChanged }),
  };
}
