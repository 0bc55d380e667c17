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
 * max_tokens and input is counted with a margin). Reserves and settles share one batcher: every
 * reserve and settle that arrives while a transaction runs goes into the next one, which takes
 * the reservations being settled, locks the union of the counters once (fixed order), settles,
 * then reserves, and writes the counters in one statement — one commit for the whole batch.
 */
import type { Database, Executor } from '../db/index.js';
import { newId, parseJson, toBool } from '../db/index.js';
import type { Logger } from '../log/index.js';
import type { LlmScope, LlmUsage } from './contract.js';
import { createBatcher } from './batcher.js';
import { BudgetExceededError, ModelUnpricedError, usd } from './errors.js';
import { periodEnd, periodKey, utcDate } from './periods.js';
import {
  budgetsForScopesOrIds,
  compareCounterKeys,
  ensureCounters,
  ensureTaskBudgets,
  expiredReservationIds,
  lockCounters,
  takeReservations,
  tokenUsageByReservation,
  writeBatch,
  type BatchWrites,
  type BudgetRow,
  type CounterKey,
  type CounterRow,
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

type Level = 'warning' | 'critical' | 'blocked';

/** A notice owed after a commit. */
interface Notice {
  budget: BudgetRow;
  periodStart: string;
  level: Level;
  spent: number;
}

export interface GuardDeps {
  db: Database;
  log: Logger;
  /** Sends a notice (after the transaction committed). */
  notice: (n: { budget: BudgetRow; periodStart: string; level: Level; spentNanoUsd: number }) => Promise<void>;
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
  if (!toBool(b.enabled)) return false;
  switch (b.scope) {
    case 'global':
      return true;
    case 'project':
      return scope.projectId != null && b.scope_key === scope.projectId;
    case 'agent':
      return scope.agentId != null && b.scope_key === scope.agentId;
    case 'agent_type':
      return scope.agentType != null && b.scope_key === scope.agentType;
    case 'task':
      return scope.taskId != null && b.scope_key === scope.taskId;
    default:
      return false;
  }
}

const keyOf = (k: CounterKey) => `${k.budget_id}|${k.period_start}`;

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

type Op = { kind: 'reserve'; req: ReserveRequest } | { kind: 'settle'; s: Settlement } | { kind: 'release'; id: string };
type OpResult = Reservation | SettledCall | null;

/** A counter as the batch sees it: read under lock, changed in memory, written once. */
interface CounterState {
  row: CounterRow;
  spent: number;
  reserved: number;
  warnedAt: string | null;
  criticalAt: string | null;
  dirty: boolean;
}

type DailyDelta = BatchWrites['daily'][number];

export function createBudgetGuard(deps: GuardDeps): BudgetGuard {
  const { db } = deps;
  const log = deps.log.child({ slice: 'llm', part: 'guard' });
  const now = deps.now ?? (() => new Date());

  async function sendNotices(notices: Notice[]): Promise<void> {
    for (const n of notices) {
      // A task's own budget tells nobody: the task fails and its status comment says why.
      if (n.budget.scope === 'task') continue;
      try {
        await deps.notice({ budget: n.budget, periodStart: n.periodStart, level: n.level, spentNanoUsd: n.spent });
      } catch (err) {
        log.warn({ err, budget: n.budget.id, level: n.level }, 'budget notice failed');
      }
    }
  }

  /** One transaction for a batch of settles, releases and reserves (in that order). */
  async function runBatch(ops: Op[]): Promise<Array<Outcome<OpResult>>> {
    const at = now();
    const atIso = at.toISOString();
    const notices: Notice[] = [];
    const outcomes = await db.kysely.transaction().execute(async (tx) => {
      const out: Array<Outcome<OpResult>> = ops.map(() => ({ ok: true, value: null }));
      const reserves = ops.flatMap((op, n) => (op.kind === 'reserve' ? [{ n, req: op.req }] : []));
      const takeIds = ops.flatMap((op) => (op.kind === 'settle' ? [op.s.reservationId] : op.kind === 'release' ? [op.id] : []));

      // 1. The reservations being settled or released (each is taken once: a second settle finds nothing).
      const taken = new Map((await takeReservations(tx, takeIds)).map((r) => [r.id, r]));
      const takenCounters = new Map([...taken.values()].map((r) => [r.id, parseJson<CounterKey[]>(r.counters, [])]));

      // 2. Budgets: those that apply to the reserves, and those the taken reservations counted on.
      const scopes = reserves.map((r) => r.req.call.scope);
      const uniq = (xs: Array<string | null | undefined>) => [...new Set(xs.filter((v): v is string => !!v))];
      // A task's own limit is a budget like the others: reserved on in this transaction.
      const taskLimits = new Map<string, { taskId: string; amountNanoUsd: number; installationId: number | null }>();
      for (const s of scopes) if (s.taskId && s.taskBudgetNanoUsd != null) taskLimits.set(s.taskId, { taskId: s.taskId, amountNanoUsd: Math.max(0, Math.floor(s.taskBudgetNanoUsd)), installationId: s.installationId ?? null });
      await ensureTaskBudgets(tx, [...taskLimits.values()].sort((a, b) => (a.taskId < b.taskId ? -1 : 1)));
      const budgets = await budgetsForScopesOrIds(
        tx,
        { project: uniq(scopes.map((s) => s.projectId)), agent: uniq(scopes.map((s) => s.agentId)), agent_type: uniq(scopes.map((s) => s.agentType)), task: uniq(scopes.map((s) => s.taskId)) },
        uniq([...takenCounters.values()].flat().map((k) => k.budget_id)),
        reserves.length > 0,
      );
      const budgetById = new Map(budgets.map((b) => [b.id, b]));
      const applicable = new Map(reserves.map((r) => [r.n, budgets.filter((b) => scopeMatches(b, r.req.call.scope))]));
      for (const r of reserves) {
        if (r.req.amountNanoUsd === null && applicable.get(r.n)!.some((b) => b.action_on_exceed === 'block')) out[r.n] = { ok: false, error: new ModelUnpricedError(r.req.call.model) };
      }

      // 3. Lock the union of the counters, in the fixed order (missing ones are created first).
      const keys = new Map<string, CounterKey>();
      // (A budget deleted since its reservation has no counter left to give back to.)
      for (const list of takenCounters.values()) for (const k of list) if (budgetById.has(k.budget_id)) keys.set(keyOf(k), k);
      for (const r of reserves) if (out[r.n]!.ok) for (const b of applicable.get(r.n)!) keys.set(`${b.id}|${periodKey(b.period, at)}`, { budget_id: b.id, period_start: periodKey(b.period, at) });
      const sorted = [...keys.values()].sort(compareCounterKeys);
      let rows = await lockCounters(tx, db.dialect, sorted);
      if (rows.length < sorted.length) {
        const have = new Set(rows.map(keyOf));
        await ensureCounters(tx, sorted.filter((k) => !have.has(keyOf(k))));
        rows = await lockCounters(tx, db.dialect, sorted);
      }
      const state = new Map<string, CounterState>(
        rows.map((row) => [keyOf(row), { row, spent: Number(row.spent_nano_usd), reserved: Number(row.reserved_nano_usd), warnedAt: row.warned_at, criticalAt: row.critical_at, dirty: false }]),
      );

      // 4. Settles and releases: the reservation leaves `reserved`; settles add their charge to `spent`.
      const usageRows: BatchWrites['usage'] = [];
      const daily = new Map<string, DailyDelta>();
      const hooks: Array<{ n: number; s: Settlement; settled: SettledCall }> = [];
      for (const [n, op] of ops.entries()) {
        if (op.kind === 'reserve') continue;
        const id = op.kind === 'settle' ? op.s.reservationId : op.id;
        const res = taken.get(id);
        if (!res) {
          if (op.kind === 'settle') out[n] = { ok: true, value: await alreadySettled(tx, id) };
          continue;
        }
        const reserved = res.amount_nano_usd === null ? null : Number(res.amount_nano_usd);
        let charge = 0;
        if (op.kind === 'settle') {
          const s = op.s;
          // Interrupted calls are charged what was reserved (the provider may have billed all of it).
          const cost = s.interrupted ? reserved : s.costNanoUsd;
          const costStatus: CostStatus = s.interrupted ? (reserved === null ? 'unpriced' : 'interrupted') : cost === null ? 'unpriced' : s.costStatus;
          charge = cost ?? 0;
          const tokenUsageId = newId();
          const scope = s.call.scope;
          const usageDate = utcDate(new Date(res.created_at));
          usageRows.push({
            id: tokenUsageId,
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
            reservation_id: res.id,
            interrupted: s.interrupted,
            created_at: atIso,
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
          const settled: SettledCall = { tokenUsageId, costNanoUsd: cost, costStatus, settledNow: true };
          out[n] = { ok: true, value: settled };
          hooks.push({ n, s, settled });
          if (s.interrupted) log.info({ reservation: res.id, charged: reserved === null ? null : usd(reserved) }, 'interrupted call settled at its reservation');
        }
        for (const key of takenCounters.get(res.id) ?? []) {
          const st = state.get(keyOf(key));
          if (!st) continue;
          st.reserved -= reserved ?? 0;
          st.spent += charge;
          st.dirty = true;
          const budget = budgetById.get(key.budget_id);
          if (!budget || charge === 0) continue;
          const limit = Number(budget.amount_nano_usd);
          if (st.spent >= limit && !st.criticalAt) {
            st.criticalAt = atIso;
            notices.push({ budget, periodStart: key.period_start, level: 'critical', spent: st.spent });
          }
          if (st.spent >= limit * budget.alert_threshold && !st.warnedAt) {
            st.warnedAt = atIso;
            // Crossing both at once: the critical notice says it all.
            if (st.spent < limit) notices.push({ budget, periodStart: key.period_start, level: 'warning', spent: st.spent });
          }
        }
      }

      // 5. Reserves, in arrival order: a block budget refuses what would cross it.
      const reservations: BatchWrites['reservations'] = [];
      for (const r of reserves) {
        if (!out[r.n]!.ok) continue;
        const amount = r.req.amountNanoUsd ?? 0;
        const counters = applicable.get(r.n)!.map((b) => ({ budget: b, st: state.get(`${b.id}|${periodKey(b.period, at)}`)! }));
        const over = counters.find(({ budget, st }) => budget.action_on_exceed === 'block' && st.spent + st.reserved + amount > Number(budget.amount_nano_usd));
        if (over) {
          const limit = Number(over.budget.amount_nano_usd);
          out[r.n] = { ok: false, error: new BudgetExceededError(budgetInfo(over.budget), periodEnd(over.budget.period, at), amount, Math.max(0, limit - over.st.spent - over.st.reserved)) };
          notices.push({ budget: over.budget, periodStart: over.st.row.period_start, level: 'blocked', spent: over.st.spent });
          continue;
        }
        for (const { st } of counters) {
          st.reserved += amount;
          st.dirty = true;
        }
        const id = newId();
        const counterKeys = counters.map(({ st }) => ({ budget_id: st.row.budget_id, period_start: st.row.period_start })).sort(compareCounterKeys);
        reservations.push({ id, amount_nano_usd: r.req.amountNanoUsd, counters: JSON.stringify(counterKeys), call: JSON.stringify(r.req.call), expires_at: new Date(at.getTime() + r.req.ttlMs).toISOString(), created_at: atIso });
        out[r.n] = { ok: true, value: { id, amountNanoUsd: r.req.amountNanoUsd, counters: counterKeys, createdAt: atIso } };
      }

      // 6. Write everything: the counters, usage rows, roll-ups (key order) and reservations (one statement on PostgreSQL).
      await writeBatch(tx, db.dialect, {
        counters: sorted.flatMap((k) => {
          const st = state.get(keyOf(k));
          return st?.dirty ? [{ ...k, spent_nano_usd: st.spent, reserved_nano_usd: st.reserved, warned_at: st.warnedAt, critical_at: st.criticalAt }] : [];
        }),
        usage: usageRows,
        daily: [...daily.keys()].sort().map((k) => daily.get(k)!),
        reservations,
      });
      for (const h of hooks) await h.s.onSettle?.(tx, h.settled);
      return out;
    });
    void sendNotices(notices);
    return outcomes;
  }

  async function alreadySettled(tx: Executor, reservationId: string): Promise<SettledCall> {
    const existing = await tokenUsageByReservation(tx, reservationId);
    return {
      tokenUsageId: existing?.id ?? '',
      costNanoUsd: existing?.cost_nano_usd == null ? null : Number(existing.cost_nano_usd),
      costStatus: existing?.cost_status ?? 'interrupted',
      settledNow: false,
    };
  }

  const batcher = createBatcher(runBatch, deps.maxBatch ?? 64);

  const guard: BudgetGuard = {
    reserve: async (req) => (await batcher.submit({ kind: 'reserve', req })) as Reservation,
    settle: async (s) => (await batcher.submit({ kind: 'settle', s })) as SettledCall,
    async release(reservationId) {
      await batcher.submit({ kind: 'release', id: reservationId });
    },
    async settleExpired(limit = 500) {
      const ids = await expiredReservationIds(db.kysely, now().toISOString(), limit);
      let settled = 0;
      for (const id of ids) {
        const row: Pick<ReservationRow, 'call'> | undefined = await db.kysely.selectFrom('budget_reservations').select(['call']).where('id', '=', id).executeTakeFirst();
        const call = row ? parseJson<ReservedCall | null>(row.call, null) : null;
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
