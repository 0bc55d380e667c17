/**
 * Kysely queries for the LLM tables, one function per operation. Nothing here decides: the guard
 * (guard.ts), the price table (prices.ts) and the routes do.
 */
import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Dialect, Executor } from '../db/index.js';
import { newId, nowIso } from '../db/index.js';
import './tables.js';
import type {
  BudgetCountersTable,
  BudgetLimitsTable,
  BudgetReservationsTable,
  LlmPriceOverridesTable,
  LlmProvidersTable,
  TokenUsageDailyTable,
  TokenUsageTable,
} from './tables.js';

export type ProviderRow = Selectable<LlmProvidersTable>;
export type PriceOverrideRow = Selectable<LlmPriceOverridesTable>;
export type BudgetRow = Selectable<BudgetLimitsTable>;
export type CounterRow = Selectable<BudgetCountersTable>;
export type ReservationRow = Selectable<BudgetReservationsTable>;
export type TokenUsageRow = Selectable<TokenUsageTable>;

/** A budget's counter for one period. */
export interface CounterKey {
  budget_id: string;
  period_start: string;
}

const isUuidLike = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s);

// --- providers -------------------------------------------------------------------------------

export async function listProviders(exec: Executor): Promise<ProviderRow[]> {
  return exec.selectFrom('llm_providers').selectAll().orderBy('name').execute();
}

/** A provider by id or by name. */
export async function findProviderRow(exec: Executor, ref: string): Promise<ProviderRow | undefined> {
  let q = exec.selectFrom('llm_providers').selectAll();
  q = isUuidLike(ref) ? q.where((eb) => eb.or([eb('id', '=', ref), eb('name', '=', ref)])) : q.where('name', '=', ref);
  return q.executeTakeFirst();
}

export async function insertProvider(exec: Executor, row: Insertable<LlmProvidersTable>): Promise<void> {
  await exec.insertInto('llm_providers').values(row).execute();
}

export async function updateProvider(exec: Executor, id: string, changes: Updateable<LlmProvidersTable>): Promise<boolean> {
  const r = await exec.updateTable('llm_providers').set({ ...changes, updated_at: nowIso() }).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function deleteProvider(exec: Executor, id: string): Promise<boolean> {
  const r = await exec.deleteFrom('llm_providers').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Locally counted input (margin included) against what the provider counted, over a provider's last calls. */
export async function inputEstimateCheck(exec: Executor, providerId: string, limit = 1000): Promise<{ calls: number; maxRatio: number | null; overEstimate: number }> {
  const rows = await exec
    .selectFrom('token_usage')
    .select(['input_tokens', 'estimated_input_tokens'])
    .where('provider_id', '=', providerId)
    .where('interrupted', '=', false)
    .where('estimated_input_tokens', '>', 0)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  let maxRatio: number | null = null;
  let overEstimate = 0;
  for (const r of rows) {
    const ratio = r.input_tokens / Number(r.estimated_input_tokens);
    maxRatio = maxRatio === null ? ratio : Math.max(maxRatio, ratio);
    if (ratio > 1) overEstimate++;
  }
  return { calls: rows.length, maxRatio, overEstimate };
}

// --- price overrides -------------------------------------------------------------------------

export async function listPriceOverrides(exec: Executor): Promise<PriceOverrideRow[]> {
  return exec.selectFrom('llm_price_overrides').selectAll().orderBy('model').orderBy('starts_at', 'desc').execute();
}

export async function insertPriceOverride(exec: Executor, row: Insertable<LlmPriceOverridesTable>): Promise<void> {
  await exec.insertInto('llm_price_overrides').values(row).execute();
}

export async function deletePriceOverride(exec: Executor, id: string): Promise<boolean> {
  const r = await exec.deleteFrom('llm_price_overrides').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

// --- budgets ---------------------------------------------------------------------------------

export async function listBudgets(exec: Executor, filter: { installationIds?: number[] } = {}): Promise<BudgetRow[]> {
  // Tasks' own budgets (scope `task`) are the guard's: not listed, changed or removed here.
  let q = exec.selectFrom('budget_limits').selectAll().where('scope', '!=', 'task').orderBy('id', 'desc');
  if (filter.installationIds) {
    if (filter.installationIds.length === 0) return [];
    q = q.where('installation_id', 'in', filter.installationIds);
  }
  return q.execute();
}

export async function getBudget(exec: Executor, id: string): Promise<BudgetRow | undefined> {
  return exec.selectFrom('budget_limits').selectAll().where('id', '=', id).where('scope', '!=', 'task').executeTakeFirst();
}

export async function insertBudget(exec: Executor, row: Insertable<BudgetLimitsTable>): Promise<void> {
  await exec.insertInto('budget_limits').values(row).execute();
}

export async function updateBudget(exec: Executor, id: string, changes: Updateable<BudgetLimitsTable>): Promise<boolean> {
  const r = await exec.updateTable('budget_limits').set({ ...changes, updated_at: nowIso() }).where('id', '=', id).where('scope', '!=', 'task').executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function deleteBudget(exec: Executor, id: string): Promise<boolean> {
  const r = await exec.deleteFrom('budget_limits').where('id', '=', id).where('scope', '!=', 'task').executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Enabled budgets whose scope matches any of the given keys (global ones always). */
export async function budgetsForScopes(exec: Executor, keys: { project: string[]; agent: string[]; agent_type: string[] }): Promise<BudgetRow[]> {
  return exec
    .selectFrom('budget_limits')
    .selectAll()
    .where('enabled', '=', true)
    .where((eb) =>
      eb.or([
        eb('scope', '=', 'global'),
        ...(keys.project.length ? [eb.and([eb('scope', '=', 'project'), eb('scope_key', 'in', keys.project)])] : []),
        ...(keys.agent.length ? [eb.and([eb('scope', '=', 'agent'), eb('scope_key', 'in', keys.agent)])] : []),
        ...(keys.agent_type.length ? [eb.and([eb('scope', '=', 'agent_type'), eb('scope_key', 'in', keys.agent_type)])] : []),
      ]),
    )
    .execute();
}

// --- counters --------------------------------------------------------------------------------

/** Compares counter keys: the fixed order every transaction locks them in. */
export function compareCounterKeys(a: CounterKey, b: CounterKey): number {
  return a.budget_id < b.budget_id ? -1 : a.budget_id > b.budget_id ? 1 : a.period_start < b.period_start ? -1 : a.period_start > b.period_start ? 1 : 0;
}

/** Creates missing counters (zero) for these keys. */
export async function ensureCounters(exec: Executor, keys: CounterKey[]): Promise<void> {
  if (keys.length === 0) return;
  const at = nowIso();
  await exec
    .insertInto('budget_counters')
    .values(keys.map((k) => ({ budget_id: k.budget_id, period_start: k.period_start, spent_nano_usd: 0, reserved_nano_usd: 0, updated_at: at })))
    .onConflict((oc) => oc.columns(['budget_id', 'period_start']).doNothing())
    .execute();
}

/** Reads the counters, locking them (PostgreSQL) in the fixed order of `compareCounterKeys`. */
export async function lockCounters(exec: Executor, dialect: Dialect, keys: CounterKey[]): Promise<CounterRow[]> {
  if (keys.length === 0) return [];
  const byBudget = new Map<string, string[]>();
  for (const k of keys) byBudget.set(k.budget_id, [...(byBudget.get(k.budget_id) ?? []), k.period_start]);
  let q = exec
    .selectFrom('budget_counters')
    .selectAll()
    .where((eb) => eb.or([...byBudget].map(([id, starts]) => eb.and([eb('budget_id', '=', id), eb('period_start', 'in', starts)]))))
    .orderBy('budget_id')
    .orderBy('period_start');
  if (dialect === 'postgres') q = q.forUpdate();
  return q.execute();
}

/** Counters of these budgets for these periods (no lock: for display). */
export async function readCounters(exec: Executor, keys: CounterKey[]): Promise<CounterRow[]> {
  if (keys.length === 0) return [];
  return exec
    .selectFrom('budget_counters')
    .selectAll()
    .where((eb) => eb.or(keys.map((k) => eb.and([eb('budget_id', '=', k.budget_id), eb('period_start', '=', k.period_start)]))))
    .execute();
}

/** Adds to a counter's spent and reserved amounts (negative to release). */
export async function addToCounter(exec: Executor, key: CounterKey, delta: { spent: number; reserved: number }): Promise<void> {
  await exec
    .updateTable('budget_counters')
    .set((eb) => ({
      spent_nano_usd: eb('spent_nano_usd', '+', delta.spent),
      reserved_nano_usd: eb('reserved_nano_usd', '+', delta.reserved),
      updated_at: nowIso(),
    }))
    .where('budget_id', '=', key.budget_id)
    .where('period_start', '=', key.period_start)
    .execute();
}

/** Marks a threshold notice as due; true only for the first caller (per budget, period and level). */
export async function markThreshold(exec: Executor, key: CounterKey, level: 'warned_at' | 'critical_at'): Promise<boolean> {
  const r = await exec
    .updateTable('budget_counters')
    .set({ [level]: nowIso() })
    .where('budget_id', '=', key.budget_id)
    .where('period_start', '=', key.period_start)
    .where(level, 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** A counter's new state, written by `writeCounters` (the rows are locked: absolute values are safe). */
export interface CounterWrite extends CounterKey {
  spent_nano_usd: number;
  reserved_nano_usd: number;
  warned_at: string | null;
  critical_at: string | null;
}

/** PostgreSQL: the counters' new values as one `update … from (values …)` statement. */
function countersUpdatePostgres(rows: CounterWrite[], at: string) {
  const values = sql.join(
    rows.map((r) => sql`(${r.budget_id}::uuid, ${r.period_start}::text, ${r.spent_nano_usd}::bigint, ${r.reserved_nano_usd}::bigint, ${r.warned_at}::timestamptz, ${r.critical_at}::timestamptz)`),
  );
  return sql`update budget_counters as c
      set spent_nano_usd = v.spent, reserved_nano_usd = v.reserved, warned_at = v.warned_at, critical_at = v.critical_at, updated_at = ${at}::timestamptz
      from (values ${values}) as v(budget_id, period_start, spent, reserved, warned_at, critical_at)
      where c.budget_id = v.budget_id and c.period_start = v.period_start`;
}

/** Writes counters' new values: one statement on PostgreSQL (update … from values), one per row on SQLite. */
export async function writeCounters(exec: Executor, dialect: Dialect, rows: CounterWrite[]): Promise<void> {
  if (rows.length === 0) return;
  const at = nowIso();
  if (dialect === 'postgres') {
    await countersUpdatePostgres(rows, at).execute(exec);
    return;
  }
  for (const r of rows) {
    await exec
      .updateTable('budget_counters')
      .set({ spent_nano_usd: r.spent_nano_usd, reserved_nano_usd: r.reserved_nano_usd, warned_at: r.warned_at, critical_at: r.critical_at, updated_at: at })
      .where('budget_id', '=', r.budget_id)
      .where('period_start', '=', r.period_start)
      .execute();
  }
}

/** What a guard batch writes once its decisions are made. */
export interface BatchWrites {
  counters: CounterWrite[];
  usage: Array<Insertable<TokenUsageTable>>;
  daily: Array<Omit<Insertable<TokenUsageDailyTable>, 'updated_at'>>;
  reservations: Array<Insertable<BudgetReservationsTable>>;
}

/**
 * Writes a batch: on PostgreSQL in one statement (the inserts as data-modifying CTEs of the
 * counters' update: one round trip instead of four), on SQLite statement by statement.
 */
export async function writeBatch(exec: Executor, dialect: Dialect, w: BatchWrites): Promise<void> {
  if (dialect !== 'postgres') {
    await writeCounters(exec, dialect, w.counters);
    await insertTokenUsage(exec, w.usage);
    await addToDaily(exec, w.daily);
    await insertReservations(exec, w.reservations);
    return;
  }
  const at = nowIso();
  const parts = [
    ...(w.usage.length ? [exec.insertInto('token_usage').values(w.usage)] : []),
    ...(w.daily.length ? [dailyUpsert(exec, w.daily, at)] : []),
    ...(w.reservations.length ? [exec.insertInto('budget_reservations').values(w.reservations)] : []),
  ];
  const last = w.counters.length ? countersUpdatePostgres(w.counters, at) : sql`select 1`;
  if (parts.length === 0) {
    if (w.counters.length) await last.execute(exec);
    return;
  }
  const ctes = sql.join(parts.map((p, i) => sql`${sql.raw(`w${i}`)} as (${p})`));
  await sql`with ${ctes} ${last}`.execute(exec);
}

/** Enabled budgets matching any of the scope keys, plus the budgets with these ids (enabled or not). */
export async function budgetsForScopesOrIds(exec: Executor, keys: { project: string[]; agent: string[]; agent_type: string[]; task?: string[] }, ids: string[], withScopes: boolean): Promise<BudgetRow[]> {
  if (!withScopes && ids.length === 0) return [];
  return exec
    .selectFrom('budget_limits')
    .selectAll()
    .where((eb) =>
      eb.or([
        ...(ids.length ? [eb('id', 'in', ids)] : []),
        ...(withScopes
          ? [
              eb.and([
                eb('enabled', '=', true),
                eb.or([
                  eb('scope', '=', 'global'),
                  ...(keys.project.length ? [eb.and([eb('scope', '=', 'project'), eb('scope_key', 'in', keys.project)])] : []),
                  ...(keys.agent.length ? [eb.and([eb('scope', '=', 'agent'), eb('scope_key', 'in', keys.agent)])] : []),
                  ...(keys.agent_type.length ? [eb.and([eb('scope', '=', 'agent_type'), eb('scope_key', 'in', keys.agent_type)])] : []),
                  ...(keys.task?.length ? [eb.and([eb('scope', '=', 'task'), eb('scope_key', 'in', keys.task)])] : []),
                ]),
              ]),
            ]
          : []),
      ]),
    )
    .execute();
}

/**
 * A task's own budget (scope `task`, period `lifetime`, block): made when its first call reserves,
 * its amount kept to the task's limit. Notices are never sent for it (the task fails instead).
 */
export async function ensureTaskBudgets(exec: Executor, tasks: Array<{ taskId: string; amountNanoUsd: number; installationId: number | null }>): Promise<void> {
  if (tasks.length === 0) return;
  const at = nowIso();
  await exec
    .insertInto('budget_limits')
    .values(
      tasks.map((t) => ({
        id: newId(),
        name: `task ${t.taskId}`,
        scope: 'task' as const,
        scope_key: t.taskId,
        period: 'lifetime' as const,
        amount_nano_usd: t.amountNanoUsd,
        alert_threshold: 1,
        action_on_exceed: 'block' as const,
        installation_id: t.installationId,
        enabled: true,
        created_at: at,
        updated_at: at,
      })),
    )
    .onConflict((oc) => oc.columns(['scope', 'scope_key', 'period']).doUpdateSet((eb) => ({ amount_nano_usd: eb.ref('excluded.amount_nano_usd') })))
    .execute();
}

// --- reservations ----------------------------------------------------------------------------

export async function insertReservations(exec: Executor, rows: Array<Insertable<BudgetReservationsTable>>): Promise<void> {
  if (rows.length === 0) return;
  await exec.insertInto('budget_reservations').values(rows).execute();
}

/** Removes a reservation and returns it; undefined when another settle took it first. */
export async function takeReservation(exec: Executor, id: string): Promise<ReservationRow | undefined> {
  return exec.deleteFrom('budget_reservations').where('id', '=', id).returningAll().executeTakeFirst();
}

/** Removes reservations and returns those that were there (others were settled already). */
export async function takeReservations(exec: Executor, ids: string[]): Promise<ReservationRow[]> {
  if (ids.length === 0) return [];
  return exec.deleteFrom('budget_reservations').where('id', 'in', ids).returningAll().execute();
}

/** Reservations whose call should have ended by `now` (interrupted: the process died, or worse). */
export async function expiredReservationIds(exec: Executor, now: string, limit: number): Promise<string[]> {
  const rows = await exec.selectFrom('budget_reservations').select('id').where('expires_at', '<', now).orderBy('expires_at').limit(limit).execute();
  return rows.map((r) => r.id);
}

// --- usage -----------------------------------------------------------------------------------

export async function insertTokenUsage(exec: Executor, rows: Insertable<TokenUsageTable> | Array<Insertable<TokenUsageTable>>): Promise<void> {
  if (Array.isArray(rows) && rows.length === 0) return;
  await exec.insertInto('token_usage').values(rows).execute();
}

export async function tokenUsageByReservation(exec: Executor, reservationId: string): Promise<TokenUsageRow | undefined> {
  return exec.selectFrom('token_usage').selectAll().where('reservation_id', '=', reservationId).executeTakeFirst();
}

function dailyUpsert(exec: Executor, list: Array<Omit<Insertable<TokenUsageDailyTable>, 'updated_at'>>, at: string) {
  return exec
    .insertInto('token_usage_daily')
    .values(list.map((row) => ({ ...row, updated_at: at })))
    .onConflict((oc) =>
      oc.columns(['usage_date', 'installation_id', 'project_id', 'agent_id', 'agent_type', 'model']).doUpdateSet((eb) => ({
        calls: eb('token_usage_daily.calls', '+', eb.ref('excluded.calls')),
        input_tokens: eb('token_usage_daily.input_tokens', '+', eb.ref('excluded.input_tokens')),
        output_tokens: eb('token_usage_daily.output_tokens', '+', eb.ref('excluded.output_tokens')),
        cache_read_tokens: eb('token_usage_daily.cache_read_tokens', '+', eb.ref('excluded.cache_read_tokens')),
        cache_write_tokens: eb('token_usage_daily.cache_write_tokens', '+', eb.ref('excluded.cache_write_tokens')),
        reasoning_tokens: eb('token_usage_daily.reasoning_tokens', '+', eb.ref('excluded.reasoning_tokens')),
        cost_nano_usd: eb('token_usage_daily.cost_nano_usd', '+', eb.ref('excluded.cost_nano_usd')),
        unpriced_calls: eb('token_usage_daily.unpriced_calls', '+', eb.ref('excluded.unpriced_calls')),
        interrupted_calls: eb('token_usage_daily.interrupted_calls', '+', eb.ref('excluded.interrupted_calls')),
        updated_at: at,
      })),
    );
}

/** Adds calls (or corrections) to their days' roll-up rows (one row per key in `rows`, in the order given). */
export async function addToDaily(exec: Executor, rows: Omit<Insertable<TokenUsageDailyTable>, 'updated_at'> | Array<Omit<Insertable<TokenUsageDailyTable>, 'updated_at'>>): Promise<void> {
  const list = Array.isArray(rows) ? rows : [rows];
  if (list.length === 0) return;
  await dailyUpsert(exec, list, nowIso()).execute();
}

/** Unpriced calls, oldest first (for `llm reprice`). */
export async function unpricedUsage(exec: Executor, afterId: string | null, limit: number): Promise<TokenUsageRow[]> {
  let q = exec.selectFrom('token_usage').selectAll().where('cost_status', '=', 'unpriced').orderBy('id').limit(limit);
  if (afterId) q = q.where('id', '>', afterId);
  return q.execute();
}

/** Sets the cost of an unpriced call; false when it is no longer unpriced (another reprice won). */
export async function setUsageCost(exec: Executor, id: string, cost: number, source: string): Promise<boolean> {
  const r = await exec
    .updateTable('token_usage')
    .set({ cost_nano_usd: cost, cost_status: 'repriced', price_source: source })
    .where('id', '=', id)
    .where('cost_status', '=', 'unpriced')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export type UsageGroup = 'day' | 'model' | 'agent' | 'project' | 'agent_type';

export interface UsageReportRow {
  key: string;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_nano_usd: number;
  unpriced_calls: number;
  interrupted_calls: number;
}

/** Usage from the daily roll-up only, grouped by one column, between two dates (inclusive). */
export async function usageReport(
  exec: Executor,
  p: { by: UsageGroup; from: string; to: string; installationIds?: number[]; projectId?: string; agentId?: string; limit: number },
): Promise<UsageReportRow[]> {
  const column = ({ day: 'usage_date', model: 'model', agent: 'agent_id', project: 'project_id', agent_type: 'agent_type' } as const)[p.by];
  let q = exec
    .selectFrom('token_usage_daily')
    .select((eb) => [
      eb.ref(column).as('key'),
      eb.fn.sum<number>('calls').as('calls'),
      eb.fn.sum<number>('input_tokens').as('input_tokens'),
      eb.fn.sum<number>('output_tokens').as('output_tokens'),
      eb.fn.sum<number>('cache_read_tokens').as('cache_read_tokens'),
      eb.fn.sum<number>('cache_write_tokens').as('cache_write_tokens'),
      eb.fn.sum<number>('reasoning_tokens').as('reasoning_tokens'),
      eb.fn.sum<number>('cost_nano_usd').as('cost_nano_usd'),
      eb.fn.sum<number>('unpriced_calls').as('unpriced_calls'),
      eb.fn.sum<number>('interrupted_calls').as('interrupted_calls'),
    ])
    .where('usage_date', '>=', p.from)
    .where('usage_date', '<=', p.to)
    .groupBy(column)
    .orderBy(column, p.by === 'day' ? 'desc' : 'asc')
    .limit(p.limit);
  if (p.installationIds) {
    if (p.installationIds.length === 0) return [];
    q = q.where('installation_id', 'in', p.installationIds);
  }
  if (p.projectId !== undefined) q = q.where('project_id', '=', p.projectId);
  if (p.agentId !== undefined) q = q.where('agent_id', '=', p.agentId);
  const rows = await q.execute();
  // PostgreSQL's sum(bigint) is numeric (a string through pg): numbers on both dialects.
  return rows.map((r) => ({
    key: String(r.key),
    calls: Number(r.calls),
    input_tokens: Number(r.input_tokens),
    output_tokens: Number(r.output_tokens),
    cache_read_tokens: Number(r.cache_read_tokens),
    cache_write_tokens: Number(r.cache_write_tokens),
    reasoning_tokens: Number(r.reasoning_tokens),
    cost_nano_usd: Number(r.cost_nano_usd),
    unpriced_calls: Number(r.unpriced_calls),
    interrupted_calls: Number(r.interrupted_calls),
  }));
}

