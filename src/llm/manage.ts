/**
 * Managing providers, price overrides and budgets (API, CLI, tests): input in the caller's terms
 * (USD, names), rows in the database's (nano-dollars, ids). Keys are sealed here and never read
 * back out.
 */
import type { Database } from '../db/index.js';
import { newId, nowIso, toBool } from '../db/index.js';
import type { SecretBox } from '../identity/index.js';
import { AppError } from '../http/app-error.js';
import { API_KEY_COLUMN } from './client.js';
import { BudgetNotFound, LlmProviderNotFound } from './errors.js';
import { periodEnd, periodKey } from './periods.js';
import {
  deleteBudget,
  deletePriceOverride,
  deleteProvider,
  findProviderRow,
  getBudget,
  insertBudget,
  insertPriceOverride,
  insertProvider,
  listBudgets,
  listPriceOverrides,
  listProviders,
  readCounters,
  updateBudget,
  updateProvider,
  type BudgetRow,
  type PriceOverrideRow,
  type ProviderRow,
} from './repo.js';
import type { BudgetAction, BudgetPeriod, BudgetScope, ProviderKind } from './tables.js';

/** USD → nano-dollars (integer). */
export function nanoFromUsd(usd: number): number {
  return Math.round(usd * 1e9);
}

export interface ProviderInput {
  name: string;
  kind: ProviderKind;
  baseUrl?: string | null;
  apiKey?: string | null;
  priceProvider?: string | null;
  tokenMargin?: number | null;
  enabled?: boolean;
}

/** A provider as shown: never its key, only whether one is set. */
export interface ProviderView {
  id: string;
  name: string;
  kind: ProviderKind;
  base_url: string | null;
  has_api_key: boolean;
  price_provider: string | null;
  token_margin: number | null;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export function viewProvider(r: ProviderRow): ProviderView {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    base_url: r.base_url,
    has_api_key: r.api_key !== null,
    price_provider: r.price_provider,
    token_margin: r.token_margin,
    enabled: toBool(r.enabled),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export interface ManageDeps {
  db: Database;
  box: SecretBox;
  now: () => Date;
}

export async function createProvider(deps: ManageDeps, input: ProviderInput): Promise<ProviderView> {
  if (await findProviderRow(deps.db.kysely, input.name)) throw new AppError('LLM_PROVIDER_EXISTS', 409, `A provider named "${input.name}" exists`);
  const at = nowIso();
  const id = newId();
  await insertProvider(deps.db.kysely, {
    id,
    name: input.name,
    kind: input.kind,
    base_url: input.baseUrl ?? null,
    api_key: input.apiKey ? deps.box.seal(input.apiKey, API_KEY_COLUMN) : null,
    price_provider: input.priceProvider ?? null,
    token_margin: input.tokenMargin ?? null,
    enabled: input.enabled ?? true,
    created_at: at,
    updated_at: at,
  });
  return viewProvider((await findProviderRow(deps.db.kysely, id))!);
}

export async function changeProvider(deps: ManageDeps, ref: string, input: Partial<ProviderInput>): Promise<ProviderView> {
  const row = await findProviderRow(deps.db.kysely, ref);
  if (!row) throw new LlmProviderNotFound(ref);
  await updateProvider(deps.db.kysely, row.id, {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.kind !== undefined ? { kind: input.kind } : {}),
    ...(input.baseUrl !== undefined ? { base_url: input.baseUrl } : {}),
    ...(input.apiKey !== undefined ? { api_key: input.apiKey ? deps.box.seal(input.apiKey, API_KEY_COLUMN) : null } : {}),
    ...(input.priceProvider !== undefined ? { price_provider: input.priceProvider } : {}),
    ...(input.tokenMargin !== undefined ? { token_margin: input.tokenMargin } : {}),
    ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
  });
  return viewProvider((await findProviderRow(deps.db.kysely, row.id))!);
}

export async function removeProvider(deps: ManageDeps, ref: string): Promise<void> {
  const row = await findProviderRow(deps.db.kysely, ref);
  if (!row || !(await deleteProvider(deps.db.kysely, row.id))) throw new LlmProviderNotFound(ref);
}

export async function providers(deps: ManageDeps): Promise<ProviderView[]> {
  return (await listProviders(deps.db.kysely)).map(viewProvider);
}

// --- price overrides -------------------------------------------------------------------------

export interface PriceOverrideInput {
  model: string;
  priceProvider?: string | null;
  /** USD per million tokens. */
  inputPerMtok: number;
  outputPerMtok: number;
  cacheReadPerMtok?: number | null;
  cacheWritePerMtok?: number | null;
  maxOutputTokens?: number | null;
  /** When it takes effect (default: now). */
  startsAt?: string;
  note?: string | null;
}

export async function addPriceOverride(deps: ManageDeps, input: PriceOverrideInput): Promise<PriceOverrideRow> {
  const id = newId();
  await insertPriceOverride(deps.db.kysely, {
    id,
    model: input.model,
    price_provider: input.priceProvider ?? null,
    input_nano_per_mtok: nanoFromUsd(input.inputPerMtok),
    output_nano_per_mtok: nanoFromUsd(input.outputPerMtok),
    cache_read_nano_per_mtok: input.cacheReadPerMtok == null ? null : nanoFromUsd(input.cacheReadPerMtok),
    cache_write_nano_per_mtok: input.cacheWritePerMtok == null ? null : nanoFromUsd(input.cacheWritePerMtok),
    max_output_tokens: input.maxOutputTokens ?? null,
    starts_at: input.startsAt ? new Date(input.startsAt).toISOString() : deps.now().toISOString(),
    note: input.note ?? null,
    created_at: nowIso(),
  });
  return (await listPriceOverrides(deps.db.kysely)).find((r) => r.id === id)!;
}

export async function removePriceOverride(deps: ManageDeps, id: string): Promise<void> {
  if (!(await deletePriceOverride(deps.db.kysely, id))) throw new AppError('PRICE_OVERRIDE_NOT_FOUND', 404, `No price override ${id}`);
}

// --- budgets ---------------------------------------------------------------------------------

export interface BudgetInput {
  name?: string | null;
  scope: AdminBudgetScope;
  /** The project or agent id, or the agent type; empty for global. */
  scopeKey?: string;
  period: AdminBudgetPeriod;
  amountUsd: number;
  alertThreshold?: number;
  actionOnExceed: BudgetAction;
  installationId?: number | null;
  enabled?: boolean;
}

/** The budgets administrators configure (a task's own budget is the guard's). */
export type AdminBudgetScope = Exclude<BudgetScope, 'task'>;
export type AdminBudgetPeriod = Exclude<BudgetPeriod, 'lifetime'>;

/** A budget with its live counter for the current period. */
export interface BudgetView {
  id: string;
  name: string | null;
  scope: AdminBudgetScope;
  scope_key: string;
  period: AdminBudgetPeriod;
  amount_nano_usd: number;
  alert_threshold: number;
  action_on_exceed: BudgetAction;
  installation_id: number | null;
  enabled: boolean;
  period_start: string;
  resets_at: string;
  spent_nano_usd: number;
  reserved_nano_usd: number;
  remaining_nano_usd: number;
  created_at: string;
  updated_at: string;
}

function checkBudgetInput(input: Partial<BudgetInput>): void {
  if (input.scope === 'global' && input.scopeKey) throw new AppError('INVALID_BUDGET', 400, 'A global budget has no scope key');
  if (input.scope && input.scope !== 'global' && input.scopeKey === '') throw new AppError('INVALID_BUDGET', 400, `A ${input.scope} budget needs its scope key`);
}

export async function createBudget(deps: ManageDeps, input: BudgetInput): Promise<BudgetView> {
  checkBudgetInput(input);
  if (input.scope !== 'global' && !input.scopeKey) throw new AppError('INVALID_BUDGET', 400, `A ${input.scope} budget needs its scope key`);
  const at = nowIso();
  const id = newId();
  try {
    await insertBudget(deps.db.kysely, {
      id,
      name: input.name ?? null,
      scope: input.scope,
      scope_key: input.scope === 'global' ? '' : (input.scopeKey ?? ''),
      period: input.period,
      amount_nano_usd: nanoFromUsd(input.amountUsd),
      alert_threshold: input.alertThreshold ?? 0.8,
      action_on_exceed: input.actionOnExceed,
      installation_id: input.installationId ?? null,
      enabled: input.enabled ?? true,
      created_at: at,
      updated_at: at,
    });
  } catch (err) {
    if (/unique|duplicate/i.test(String((err as Error).message))) throw new AppError('BUDGET_EXISTS', 409, `A ${input.period} ${input.scope} budget for this scope exists`);
    throw err;
  }
  return (await budgetViews(deps, { ids: [id] }))[0]!;
}

export async function changeBudget(deps: ManageDeps, id: string, input: Partial<BudgetInput>): Promise<BudgetView> {
  checkBudgetInput(input);
  const ok = await updateBudget(deps.db.kysely, id, {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.amountUsd !== undefined ? { amount_nano_usd: nanoFromUsd(input.amountUsd) } : {}),
    ...(input.alertThreshold !== undefined ? { alert_threshold: input.alertThreshold } : {}),
    ...(input.actionOnExceed !== undefined ? { action_on_exceed: input.actionOnExceed } : {}),
    ...(input.installationId !== undefined ? { installation_id: input.installationId } : {}),
    ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
  });
  if (!ok) throw new BudgetNotFound(id);
  return (await budgetViews(deps, { ids: [id] }))[0]!;
}

export async function removeBudget(deps: ManageDeps, id: string): Promise<void> {
  if (!(await deleteBudget(deps.db.kysely, id))) throw new BudgetNotFound(id);
}

/** Budgets (optionally by id, or visible to some installations) with live spent/reserved/remaining. */
export async function budgetViews(deps: ManageDeps, filter: { ids?: string[]; installationIds?: number[] } = {}): Promise<BudgetView[]> {
  let rows: BudgetRow[];
  if (filter.ids) {
    rows = [];
    for (const id of filter.ids) {
      const b = await getBudget(deps.db.kysely, id);
      if (b) rows.push(b);
    }
  } else rows = await listBudgets(deps.db.kysely, { installationIds: filter.installationIds });
  const at = deps.now();
  const keys = rows.map((b) => ({ budget_id: b.id, period_start: periodKey(b.period, at) }));
  const counters = new Map((await readCounters(deps.db.kysely, keys)).map((c) => [c.budget_id, c]));
  return rows.map((b) => {
    const c = counters.get(b.id);
    const spent = Number(c?.spent_nano_usd ?? 0);
    const reserved = Number(c?.reserved_nano_usd ?? 0);
    const amount = Number(b.amount_nano_usd);
    return {
      id: b.id,
      name: b.name,
      scope: b.scope as AdminBudgetScope,
      scope_key: b.scope_key,
      period: b.period as AdminBudgetPeriod,
      amount_nano_usd: amount,
      alert_threshold: b.alert_threshold,
      action_on_exceed: b.action_on_exceed,
      installation_id: b.installation_id === null ? null : Number(b.installation_id),
      enabled: toBool(b.enabled),
      period_start: periodKey(b.period, at),
      resets_at: periodEnd(b.period, at).toISOString(),
      spent_nano_usd: spent,
      reserved_nano_usd: reserved,
      remaining_nano_usd: Math.max(0, amount - spent - reserved),
      created_at: b.created_at,
      updated_at: b.updated_at,
    };
  });
}
