/**
 * The budget guard: reserve before a call, settle after it.
 *
 * - reserve: the call's worst-case cost is added to `reserved` on the counter of every applicable
 *   budget (global, its project, agent and agent type; this period of each) in one transaction,
 *   committed before the request leaves. A block budget refuses when `spent + reserved + x >
 *   amount`; warn budgets never refuse. Counters are locked in one fixed order (budget id, period)
 *   on PostgreSQL; SQLite's write transaction excludes every other writer.
 * - settle: in one transaction, the reservation row is taken (deleted), the counters move the
 *   reservation from `reserved` to `spent` at the actual cost (at the reserved amount when the call
 *   was interrupted), and the `token_usage` row and its `token_usage_daily` roll-up are written.
 * - an expired reservation (its process died mid-call) is settled at its reserved amount, flagged
 *   interrupted, by `settleExpired` (a scheduled job).
 *
 * Invariant, whatever the concurrency and number of processes: for every block budget and period,
 * spent + reserved ≤ amount (actual costs never exceed their worst case: output is capped by
 * max_tokens and input is counted with a margin). Both operations go through a batcher: callers
 * arriving during a transaction share the next one.
 */
import type { Database, Executor } from '../db/index.js';
import { newId, nowIso, parseJson, toBool } from '../db/index.js';
import type { Logger } from '../log/index.js';
import type { LlmScope, LlmUsage } from './contract.js';
import { createBatcher } from './batcher.js';
import { BudgetExceededError, ModelUnpricedError, usd } from './errors.js';
import { periodEnd, periodKey, utcDate } from './periods.js';
import {
  addToCounter,
  addToDaily,
  budgetsForScopes,
  compareCounterKeys,
  ensureCounters,
  expiredReservationIds,
  insertReservations,
  insertTokenUsage,
  lockCounters,
  markThreshold,
  takeReservation,
  tokenUsageByReservation,
  type BudgetRow,
  type CounterKey,
  type ReservationRow,
} from './repo.js';
import type { CostStatus } from './tables.js';

/** What an interrupted settle records about the call (kept on the reservation row). */
export interface ReservedCall {
  providerId: string | null;
  providerKind: string;
  model: string;
  scope: LlmScope;
  estimatedInputTokens: number;
  maxTokens: number;
}

export interface ReserveRequest {
  /** Worst case in nano-dollars; null when the model is unpriced (refused under a block budget). */
  amountNanoUsd: number | null;
  call: ReservedCall;
  /** How long the call may take before its reservation counts as interrupted. */
  ttlMs: number;
}

export interface Reservation {
  id: string;
  amountNanoUsd: number | null;
  counters: CounterKey[];
  createdAt: string;
}

export interface Settlement {
  reservationId: string;
  call: ReservedCall;
  /** The model the provider reported. */
  model: string;
  usage: LlmUsage;
  /** Actual cost (ignored when interrupted: the reserved amount is charged). */
  costNanoUsd: number | null;
  costStatus: CostStatus;
  priceSource: string | null;
  providerRequestId: string | null;
  interrupted: boolean;
  /** Runs inside the settle transaction (the agents slice adds task and message totals). */
  onSettle?: (tx: Executor, settled: SettledCall) => Promise<void>;
}

export interface SettledCall {
  tokenUsageId: string;
  costNanoUsd: number | null;
  costStatus: CostStatus;
  /** False when the reservation had already been settled (by the expiry job): nothing changed. */
  settledNow: boolean;
}

/** A notice owed after a commit. */
interface Notice {
  budget: BudgetRow;
  periodStart: string;
  level: 'warning' | 'critical' | 'blocked';
  spent: number;
}

export interface GuardDeps {
  db: Database;
  log: Logger;
  /** Sends a notice (after the transaction committed). */
  notice: (n: { budget: BudgetRow; periodStart: string; level: 'warning' | 'critical' | 'blocked'; spentNanoUsd: number }) => Promise<void>;
  /** The clock (tests move it across periods). */
  now?: () => Date;
  maxBatch?: number;
}

export interface BudgetGuard {
  reserve(req: ReserveRequest): Promise<Reservation>;
  settle(s: Settlement): Promise<SettledCall>;
  /** Gives a reservation back without charging anything (the provider refused before working). */
  release(reservationId: string): Promise<void>;
  /** Settles reservations past their expiry at the reserved amount, flagged interrupted; returns how many. */
  settleExpired(limit?: number): Promise<number>;
}

function scopeMatches(b: BudgetRow, scope: LlmScope): boolean {
  switch (b.scope) {
    case 'global':
      return true;
    case 'project':
      return scope.projectId != null && b.scope_key === scope.projectId;
    case 'agent':
      return scope.agentId != null && b.scope_key === scope.agentId;
    case 'agent_type':
      return scope.agentType != null && b.scope_key === scope.agentType;
    default:
      return false;
  }
}

const keyOf = (k: CounterKey) => `${k.budget_id}|${k.period_start}`;

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export function createBudgetGuard(deps: GuardDeps): BudgetGuard {
  const { db } = deps;
  const log = deps.log.child({ slice: 'llm', part: 'guard' });
  const now = deps.now ?? (() => new Date());

  async function sendNotices(notices: Notice[]): Promise<void> {
    for (const n of notices) {
      try {
        await deps.notice({ budget: n.budget, periodStart: n.periodStart, level: n.level, spentNanoUsd: n.spent });
      } catch (err) {
        log.warn({ err, budget: n.budget.id, level: n.level }, 'budget notice failed');
      }
    }
  }

  // --- reserve -------------------------------------------------------------------------------

  async function reserveBatch(items: ReserveRequest[]): Promise<Array<Outcome<Reservation>>> {
    const at = now();
    const atIso = at.toISOString();
    const notices: Notice[] = [];
    const outcomes = await db.kysely.transaction().execute(async (tx) => {
      const budgets = await budgetsForScopes(tx, {
        project: [...new Set(items.map((i) => i.call.scope.projectId).filter((v): v is string => !!v))],
        agent: [...new Set(items.map((i) => i.call.scope.agentId).filter((v): v is string => !!v))],
        agent_type: [...new Set(items.map((i) => i.call.scope.agentType).filter((v): v is string => !!v))],
      });
      const applicable = items.map((i) => budgets.filter((b) => scopeMatches(b, i.call.scope)));
      const out: Array<Outcome<Reservation>> = items.map((item, n) =>
        item.amountNanoUsd === null && applicable[n]!.some((b) => b.action_on_exceed === 'block')
          ? { ok: false, error: new ModelUnpricedError(item.call.model) }
          : { ok: true, value: { id: '', amountNanoUsd: item.amountNanoUsd, counters: [], createdAt: atIso } },
      );
      const keys = new Map<string, CounterKey>();
      items.forEach((_, n) => {
        if (!out[n]!.ok) return;
        for (const b of applicable[n]!) {
          const k = { budget_id: b.id, period_start: periodKey(b.period, at) };
          keys.set(keyOf(k), k);
        }
      });
      const sorted = [...keys.values()].sort(compareCounterKeys);
      await ensureCounters(tx, sorted);
      const rows = await lockCounters(tx, db.dialect, sorted);
      const state = new Map(rows.map((r) => [keyOf(r), { spent: Number(r.spent_nano_usd), reserved: Number(r.reserved_nano_usd), added: 0 }]));
      const reservations: Array<{ id: string; amount_nano_usd: number | null; counters: string; call: string; expires_at: string; created_at: string }> = [];
      items.forEach((item, n) => {
        const o = out[n]!;
        if (!o.ok) return;
        const amount = item.amountNanoUsd ?? 0;
        const counters = applicable[n]!.map((b) => ({ budget: b, key: { budget_id: b.id, period_start: periodKey(b.period, at) } }));
        for (const { budget, key } of counters) {
          if (budget.action_on_exceed !== 'block') continue;
          const s = state.get(keyOf(key))!;
          const limit = Number(budget.amount_nano_usd);
          if (s.spent + s.reserved + s.added + amount > limit) {
            out[n] = { ok: false, error: new BudgetExceededError(budgetInfo(budget), periodEnd(budget.period, at), amount, Math.max(0, limit - s.spent - s.reserved - s.added)) };
            notices.push({ budget, periodStart: key.period_start, level: 'blocked', spent: s.spent });
            return;
          }
        }
        for (const { key } of counters) state.get(keyOf(key))!.added += amount;
        const id = newId();
        const counterKeys = counters.map((c) => c.key).sort(compareCounterKeys);
        reservations.push({
          id,
          amount_nano_usd: item.amountNanoUsd,
          counters: JSON.stringify(counterKeys),
          call: JSON.stringify(item.call),
          expires_at: new Date(at.getTime() + item.ttlMs).toISOString(),
          created_at: atIso,
        });
        out[n] = { ok: true, value: { id, amountNanoUsd: item.amountNanoUsd, counters: counterKeys, createdAt: atIso } };
      });
      for (const k of sorted) {
        const s = state.get(keyOf(k));
        if (s && s.added !== 0) await addToCounter(tx, k, { spent: 0, reserved: s.added });
      }
      await insertReservations(tx, reservations);
      return out;
    });
    void sendNotices(notices);
    return outcomes;
  }

  // --- settle --------------------------------------------------------------------------------

  interface SettleItem {
    s: Settlement;
  }

  /** Settles a batch: takes the reservations, locks the union of their counters in the fixed order, then charges each. */
  async function settleBatch(items: SettleItem[]): Promise<Array<Outcome<SettledCall>>> {
    const notices: Notice[] = [];
    const out = await db.kysely.transaction().execute(async (tx) => {
      const taken: Array<ReservationRow | undefined> = [];
      for (const item of items) taken.push(await takeReservation(tx, item.s.reservationId));
      const keys = new Map<string, CounterKey>();
      for (const t of taken) for (const k of t ? parseJson<CounterKey[]>(t.counters, []) : []) keys.set(keyOf(k), k);
      const sorted = [...keys.values()].sort(compareCounterKeys);
      const rows = await lockCounters(tx, db.dialect, sorted);
      const state = new Map(rows.map((r) => [keyOf(r), { spent: Number(r.spent_nano_usd), warned: r.warned_at !== null, critical: r.critical_at !== null }]));
      const budgetIds = [...new Set(sorted.map((k) => k.budget_id))];
      const budgets = budgetIds.length ? await tx.selectFrom('budget_limits').selectAll().where('id', 'in', budgetIds).execute() : [];
      const byId = new Map(budgets.map((b) => [b.id, b]));
      const results: Array<Outcome<SettledCall>> = [];
      const daily = new Map<string, DailyDelta>();
      for (const [n, item] of items.entries()) {
        results.push({ ok: true, value: await settleOne(tx, item.s, taken[n], state, byId, notices, daily) });
      }
      // Roll-up rows last, in key order (another batch locks them in the same order).
      for (const k of [...daily.keys()].sort()) await addToDaily(tx, daily.get(k)!);
      return results;
    });
    void sendNotices(notices);
    return out;
  }

  async function settleOne(
    tx: Executor,
    s: Settlement,
    taken: ReservationRow | undefined,
    state: Map<string, { spent: number; warned: boolean; critical: boolean }>,
    budgets: Map<string, BudgetRow>,
    notices: Notice[],
    daily: Map<string, DailyDelta>,
  ): Promise<SettledCall> {
    if (!taken) {
      const existing = await tokenUsageByReservation(tx, s.reservationId);
      return {
        tokenUsageId: existing?.id ?? '',
        costNanoUsd: existing?.cost_nano_usd == null ? null : Number(existing.cost_nano_usd),
        costStatus: existing?.cost_status ?? 'interrupted',
        settledNow: false,
      };
    }
    const reserved = taken.amount_nano_usd === null ? null : Number(taken.amount_nano_usd);
    // Interrupted calls are charged what was reserved (the provider may have billed all of it).
    const cost = s.interrupted ? reserved : s.costNanoUsd;
    const costStatus: CostStatus = s.interrupted ? (reserved === null ? 'unpriced' : 'interrupted') : s.costNanoUsd === null ? 'unpriced' : s.costStatus;
    const charge = cost ?? 0;
    for (const key of parseJson<CounterKey[]>(taken.counters, []).sort(compareCounterKeys)) {
      await addToCounter(tx, key, { spent: charge, reserved: -(reserved ?? 0) });
      const st = state.get(keyOf(key));
      const budget = budgets.get(key.budget_id);
      if (!st || !budget || charge === 0) continue;
      st.spent += charge;
      const limit = Number(budget.amount_nano_usd);
      if (st.spent >= limit && !st.critical) {
        st.critical = true;
        if (await markThreshold(tx, key, 'critical_at')) notices.push({ budget, periodStart: key.period_start, level: 'critical', spent: st.spent });
      }
      if (st.spent >= limit * budget.alert_threshold && !st.warned) {
        st.warned = true;
        // Crossing both at once: the critical notice says it all.
        const marked = await markThreshold(tx, key, 'warned_at');
        if (marked && st.spent < limit) notices.push({ budget, periodStart: key.period_start, level: 'warning', spent: st.spent });
      }
    }
    const id = newId();
    const scope = s.call.scope;
    const usageDate = utcDate(new Date(taken.created_at));
    await insertTokenUsage(tx, {
      id,
      usage_date: usageDate,
      provider_id: s.call.providerId,
      provider_kind: s.call.providerKind,
      model: s.model,
      requested_model: s.call.model,
      installation_id: scope.installationId ?? null,
      project_id: scope.projectId ?? null,
      agent_id: scope.agentId ?? null,
      agent_type: scope.agentType ?? null,
      task_id: scope.taskId ?? null,
      conversation_id: scope.conversationId ?? null,
      input_tokens: s.usage.inputTokens,
      output_tokens: s.usage.outputTokens,
      cache_read_tokens: s.usage.cacheReadTokens,
      cache_write_tokens: s.usage.cacheWriteTokens,
      reasoning_tokens: s.usage.reasoningTokens,
      cost_nano_usd: cost,
      cost_status: costStatus,
      price_source: s.interrupted ? (reserved === null ? null : 'reservation') : s.priceSource,
      reserved_nano_usd: reserved,
      estimated_input_tokens: s.call.estimatedInputTokens,
      provider_request_id: s.providerRequestId,
      reservation_id: taken.id,
      interrupted: s.interrupted,
      created_at: nowIso(),
    });
    addDaily(daily, {
      usage_date: usageDate,
      installation_id: scope.installationId ?? 0,
      project_id: scope.projectId ?? '',
      agent_id: scope.agentId ?? '',
      agent_type: scope.agentType ?? '',
      model: s.model,
      calls: 1,
      input_tokens: s.usage.inputTokens,
      output_tokens: s.usage.outputTokens,
      cache_read_tokens: s.usage.cacheReadTokens,
      cache_write_tokens: s.usage.cacheWriteTokens,
      reasoning_tokens: s.usage.reasoningTokens,
      cost_nano_usd: charge,
      unpriced_calls: cost === null ? 1 : 0,
      interrupted_calls: s.interrupted ? 1 : 0,
    });
    const settled: SettledCall = { tokenUsageId: id, costNanoUsd: cost, costStatus, settledNow: true };
    if (s.onSettle) await s.onSettle(tx, settled);
    if (s.interrupted) log.info({ reservation: taken.id, charged: reserved === null ? null : usd(reserved) }, 'interrupted call settled at its reservation');
    return settled;
  }

  const reserver = createBatcher(reserveBatch, deps.maxBatch ?? 64);
  const settler = createBatcher(settleBatch, deps.maxBatch ?? 64);

  const guard: BudgetGuard = {
    reserve: (req) => reserver.submit(req),
    settle: (s) => settler.submit({ s }),
    async release(reservationId) {
      await db.kysely.transaction().execute(async (tx) => {
        const taken = await takeReservation(tx, reservationId);
        if (!taken) return;
        const counters = parseJson<CounterKey[]>(taken.counters, []).sort(compareCounterKeys);
        await lockCounters(tx, db.dialect, counters);
        for (const k of counters) await addToCounter(tx, k, { spent: 0, reserved: -Number(taken.amount_nano_usd ?? 0) });
      });
    },
    async settleExpired(limit = 500) {
      const ids = await expiredReservationIds(db.kysely, now().toISOString(), limit);
      let settled = 0;
      for (const id of ids) {
        const row = await db.kysely.selectFrom('budget_reservations').select(['call', 'amount_nano_usd']).where('id', '=', id).executeTakeFirst();
        if (!row) continue;
        const call = parseJson<ReservedCall | null>(row.call, null);
        if (!call) continue;
        const r = await guard.settle({
          reservationId: id,
          call,
          model: call.model,
          usage: { inputTokens: call.estimatedInputTokens, outputTokens: call.maxTokens, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
          costNanoUsd: null,
          costStatus: 'interrupted',
          priceSource: null,
          providerRequestId: null,
          interrupted: true,
        });
        if (r.settledNow) settled++;
      }
      if (settled > 0) log.warn({ settled }, 'settled expired reservations at their reserved amount (interrupted calls)');
      return settled;
    },
  };
  return guard;
}

type DailyDelta = Parameters<typeof addToDaily>[1];

/** Adds one call to the batch's roll-up deltas (one row per day, installation, project, agent, type and model). */
function addDaily(daily: Map<string, DailyDelta>, d: DailyDelta): void {
  const key = JSON.stringify([d.usage_date, d.installation_id, d.project_id, d.agent_id, d.agent_type, d.model]);
  const cur = daily.get(key);
  if (!cur) {
    daily.set(key, { ...d });
    return;
  }
  for (const f of ['calls', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens', 'cost_nano_usd', 'unpriced_calls', 'interrupted_calls'] as const) {
    cur[f] = Number(cur[f]) + Number(d[f]);
  }
}

function budgetInfo(b: BudgetRow) {
  return { id: b.id, name: b.name, scope: b.scope, scopeKey: b.scope_key, period: b.period, amountNanoUsd: Number(b.amount_nano_usd) };
}

/** Whether a budget row is enabled (SQLite answers 0/1). */
export function budgetEnabled(b: BudgetRow): boolean {
  return toBool(b.enabled);
}
