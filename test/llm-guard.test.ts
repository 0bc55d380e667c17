/**
 * The budget guard on both databases: reserve then settle, block budgets refused before the
 * provider sees the request (and let through once raised), the invariant spent + reserved ≤
 * amount under 50 concurrent callers (and two connections on PostgreSQL), one warning for 50
 * calls crossing a warn threshold, unpriced models, expired reservations settled as
 * interrupted, and counters that start over at each period (a fake clock).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/index.js';
import { openPostgres, type Database } from '../src/db/index.js';
import { createBudgetGuard } from '../src/llm/guard.js';
import { addPriceOverride, BudgetExceededError, changeBudget, createBudget, ModelUnpricedError, budgetViews } from '../src/llm/index.js';
import { dialects } from './support/databases.js';
import { startLlmHarness, type LlmHarness } from './support/fake-llm/harness.js';

const silent = createLogger('silent');
const ask = (model = 'gpt-4o', scope: Record<string, string> = { projectId: 'p1', agentId: 'a1', agentType: 'coder' }) => ({
  provider: 'openai',
  model,
  messages: [{ role: 'user' as const, content: 'Write a haiku about budgets.' }],
  maxTokens: 100,
  scope,
});

/** Waits until `fn` answers something truthy (notices are sent after the commit, asynchronously). */
async function eventually<T>(fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function counters(db: Database) {
  return db.kysely.selectFrom('budget_counters').selectAll().execute();
}

describe.each(dialects)('budget guard (%s)', (dialect) => {
  let h: LlmHarness;
  beforeAll(async () => {
    h = await startLlmHarness(dialect);
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(async () => {
    h.clock.now = null;
    await h.t.db.kysely.deleteFrom('budget_limits').execute();
    await h.t.db.kysely.deleteFrom('budget_reservations').execute();
    await h.t.db.kysely.deleteFrom('token_usage').execute();
    await h.t.db.kysely.deleteFrom('token_usage_daily').execute();
    await h.t.db.kysely.deleteFrom('llm_price_overrides').execute();
    await h.t.db.kysely.deleteFrom('notifications').execute();
    h.notices.length = 0;
  });

  it('reserves the worst case on every applicable budget, then settles at the actual cost', async () => {
    const g = await createBudget(h.llm.manage, { scope: 'global', period: 'daily', amountUsd: 10, actionOnExceed: 'block' });
    const p = await createBudget(h.llm.manage, { scope: 'project', scopeKey: 'p1', period: 'monthly', amountUsd: 10, actionOnExceed: 'warn' });
    const other = await createBudget(h.llm.manage, { scope: 'project', scopeKey: 'p2', period: 'monthly', amountUsd: 10, actionOnExceed: 'block' });
    const t = await createBudget(h.llm.manage, { scope: 'agent_type', scopeKey: 'coder', period: 'weekly', amountUsd: 10, actionOnExceed: 'block' });
    h.fake.script({ text: 'ok', usage: { input: 30, output: 10 }, delayMs: 1500 });
    const sent = h.fake.requests.length;
    const pending = h.llm.complete(ask());
    // Once the request reached the fake (which answers after 1.5 s), its worst case is held on the three budgets that apply.
    while (h.fake.requests.length === sent) await new Promise((r) => setTimeout(r, 5));
    const during = await budgetViews(h.llm.manage);
    const held = during.filter((b) => b.reserved_nano_usd > 0).map((b) => b.id).sort();
    expect(held).toEqual([g.id, p.id, t.id].sort());
    const reserved = during.find((b) => b.id === g.id)!.reserved_nano_usd;
    const r = await pending;
    // gpt-4o: $2.50/Mtok in, $10/Mtok out.
    expect(r.costNanoUsd).toBe(30 * 2500 + 10 * 10000);
    expect(reserved).toBeGreaterThanOrEqual(r.costNanoUsd!);
    const after = await budgetViews(h.llm.manage);
    for (const id of [g.id, p.id, t.id]) expect(after.find((b) => b.id === id)).toMatchObject({ spent_nano_usd: r.costNanoUsd, reserved_nano_usd: 0 });
    expect(after.find((b) => b.id === other.id)).toMatchObject({ spent_nano_usd: 0, reserved_nano_usd: 0 });
    const daily = await h.t.db.kysely.selectFrom('token_usage_daily').selectAll().execute();
    expect(daily).toHaveLength(1);
    expect(daily[0]).toMatchObject({ project_id: 'p1', agent_id: 'a1', agent_type: 'coder', model: 'gpt-4o' });
    expect(Number(daily[0]!.calls)).toBe(1);
    expect(Number(daily[0]!.cost_nano_usd)).toBe(r.costNanoUsd);
  });

  it('a block budget refuses the call that would cross it before the provider sees it; raising the limit lets calls through', async () => {
    const b = await createBudget(h.llm.manage, { scope: 'agent', scopeKey: 'a1', period: 'daily', amountUsd: 0.0005, actionOnExceed: 'block', installationId: 42 });
    const before = h.fake.requests.length;
    const err = await h.llm.complete(ask()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExceededError);
    const e = err as BudgetExceededError;
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    expect(e.resetsAt.toISOString()).toBe(midnight.toISOString());
    expect(e.budget.id).toBe(b.id);
    expect(h.fake.requests.length).toBe(before);
    expect((await budgetViews(h.llm.manage))[0]).toMatchObject({ spent_nano_usd: 0, reserved_nano_usd: 0 });
    // The owners (installation 42) hear it once per period.
    await h.llm.complete(ask()).catch(() => undefined);
    await eventually(async () => (await h.t.db.kysely.selectFrom('notifications').selectAll().where('kind', '=', 'budget.blocked').execute()).length > 0);
    await new Promise((r) => setTimeout(r, 100));
    const blocked = await h.t.db.kysely.selectFrom('notifications').selectAll().where('kind', '=', 'budget.blocked').execute();
    expect(blocked).toHaveLength(1);
    expect(Number(blocked[0]!.installation_id)).toBe(42);
    await changeBudget(h.llm.manage, b.id, { amountUsd: 1 });
    h.fake.script({ text: 'through', usage: { input: 20, output: 5 } });
    const r = await h.llm.complete(ask());
    expect(r.text).toBe('through');
    expect(h.fake.requests.length).toBe(before + 1);
  });

  it('50 calls crossing a warn threshold: exactly one warning, one critical at 100 %, no call refused', async () => {
    // Each call costs 20 × $2.50 + 5 × $10 per Mtok = 100,000 nano-dollars; 50 calls = $0.005.
    await createBudget(h.llm.manage, { scope: 'global', period: 'daily', amountUsd: 0.004, actionOnExceed: 'warn', alertThreshold: 0.5 });
    h.fake.setFallback({ text: 'ok', usage: { input: 20, output: 5 } });
    try {
      const results = await Promise.all(Array.from({ length: 50 }, () => h.llm.complete(ask())));
      expect(results.every((r) => r.costNanoUsd === 100_000)).toBe(true);
    } finally {
      h.fake.setFallback({ text: 'ok' });
    }
    await eventually(async () => (await h.t.db.kysely.selectFrom('notifications').select('kind').execute()).length >= 2);
    await new Promise((r) => setTimeout(r, 100));
    const kinds = (await h.t.db.kysely.selectFrom('notifications').select('kind').execute()).map((n) => n.kind).sort();
    expect(kinds).toEqual(['budget.critical', 'budget.warning']);
    expect((await budgetViews(h.llm.manage))[0]!.spent_nano_usd).toBe(5_000_000);
  });

  it('an unpriced model: refused under a block budget (naming it), recorded without cost under warn, admins told once, repriced later', async () => {
    await createBudget(h.llm.manage, { scope: 'project', scopeKey: 'p1', period: 'monthly', amountUsd: 5, actionOnExceed: 'block' });
    const before = h.fake.requests.length;
    const err = await h.llm.complete(ask('acme-secret-model-7')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelUnpricedError);
    expect((err as Error).message).toContain('acme-secret-model-7');
    expect(h.fake.requests.length).toBe(before);
    // Another project has only a warn budget: the call goes through, cost unknown.
    await createBudget(h.llm.manage, { scope: 'project', scopeKey: 'p2', period: 'monthly', amountUsd: 5, actionOnExceed: 'warn' });
    h.fake.script({ text: 'a', usage: { input: 1000, output: 100 } }, { text: 'b', usage: { input: 1000, output: 100 } });
    const scope = { projectId: 'p2', agentId: 'a2', agentType: 'coder' };
    const r1 = await h.llm.complete(ask('acme-secret-model-7', scope));
    await h.llm.complete(ask('acme-secret-model-7', scope));
    expect(r1.costNanoUsd).toBeNull();
    const rows = await h.t.db.kysely.selectFrom('token_usage').selectAll().where('model', '=', 'acme-secret-model-7').execute();
    expect(rows.map((r) => [r.cost_status, r.cost_nano_usd])).toEqual([
      ['unpriced', null],
      ['unpriced', null],
    ]);
    const told = await h.t.db.kysely.selectFrom('notifications').selectAll().where('kind', '=', 'llm.unpriced').execute();
    expect(told).toHaveLength(1);
    expect(told[0]!.installation_id).toBeNull();
    // Priced from yesterday on: reprice fills both calls, the roll-up and the budget counter.
    await addPriceOverride(h.llm.manage, { model: 'acme-secret-model-7', inputPerMtok: 1, outputPerMtok: 2, startsAt: new Date(Date.now() - 86_400_000).toISOString() });
    expect(await h.llm.reprice()).toEqual({ repriced: 2, stillUnpriced: 0 });
    const repriced = await h.t.db.kysely.selectFrom('token_usage').selectAll().where('model', '=', 'acme-secret-model-7').execute();
    expect(repriced.map((r) => [r.cost_status, Number(r.cost_nano_usd)])).toEqual([
      ['repriced', 1000 * 1000 + 100 * 2000],
      ['repriced', 1000 * 1000 + 100 * 2000],
    ]);
    const daily = await h.t.db.kysely.selectFrom('token_usage_daily').selectAll().where('model', '=', 'acme-secret-model-7').executeTakeFirstOrThrow();
    expect([Number(daily.cost_nano_usd), Number(daily.unpriced_calls), Number(daily.calls)]).toEqual([2_400_000, 0, 2]);
    const warnBudget = (await budgetViews(h.llm.manage)).find((b) => b.scope_key === 'p2')!;
    expect(warnBudget.spent_nano_usd).toBe(2_400_000);
    expect(await h.llm.reprice()).toEqual({ repriced: 0, stillUnpriced: 0 });
  });

  it('a reservation whose call never came back (kill -9) is settled at its reserved amount, flagged interrupted', async () => {
    const b = await createBudget(h.llm.manage, { scope: 'global', period: 'daily', amountUsd: 1, actionOnExceed: 'block' });
    const call = { providerId: null, providerKind: 'openai', model: 'gpt-4o', scope: { projectId: 'p9' }, estimatedInputTokens: 100, maxTokens: 50 };
    const res = await h.llm.guard.reserve({ amountNanoUsd: 750_000, call, ttlMs: 60_000 });
    expect((await budgetViews(h.llm.manage))[0]).toMatchObject({ reserved_nano_usd: 750_000, spent_nano_usd: 0 });
    expect(await h.llm.settleExpired()).toBe(0);
    h.clock.now = new Date(Date.now() + 61_000);
    expect(await h.llm.settleExpired()).toBe(1);
    expect((await budgetViews(h.llm.manage)).find((x) => x.id === b.id)).toMatchObject({ reserved_nano_usd: 0, spent_nano_usd: 750_000 });
    const row = await h.t.db.kysely.selectFrom('token_usage').selectAll().where('reservation_id', '=', res.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ cost_status: 'interrupted', project_id: 'p9', input_tokens: 100, output_tokens: 50 });
    expect(Number(row.cost_nano_usd)).toBe(750_000);
    // The call's own settle arriving late changes nothing.
    const late = await h.llm.guard.settle({ reservationId: res.id, call, model: 'gpt-4o', usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, costNanoUsd: 12_500, costStatus: 'priced', priceSource: 'x', providerRequestId: null, interrupted: false });
    expect(late).toMatchObject({ settledNow: false, tokenUsageId: row.id });
    expect((await budgetViews(h.llm.manage))[0]!.spent_nano_usd).toBe(750_000);
  });

  it('counters start over at each period, aligned to UTC midnight, Monday and the 1st (a fake clock)', async () => {
    await createBudget(h.llm.manage, { scope: 'global', period: 'daily', amountUsd: 1, actionOnExceed: 'block' });
    await createBudget(h.llm.manage, { scope: 'global', period: 'weekly', amountUsd: 1, actionOnExceed: 'block' });
    await createBudget(h.llm.manage, { scope: 'global', period: 'monthly', amountUsd: 1, actionOnExceed: 'block' });
    const call = { providerId: null, providerKind: 'openai', model: 'm', scope: {}, estimatedInputTokens: 1, maxTokens: 1 };
    const spend = async (iso: string) => {
      h.clock.now = new Date(iso);
      const r = await h.llm.guard.reserve({ amountNanoUsd: 1000, call, ttlMs: 1000 });
      await h.llm.guard.settle({ reservationId: r.id, call, model: 'm', usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, costNanoUsd: 1000, costStatus: 'priced', priceSource: 'test', providerRequestId: null, interrupted: false });
    };
    // Sunday 2026-03-01 23:59:59.999 UTC, then Monday 2026-03-02 00:00, then Tuesday, then April 1st.
    await spend('2026-03-01T23:59:59.999Z');
    await spend('2026-03-02T00:00:00.000Z');
    await spend('2026-03-03T12:00:00.000Z');
    await spend('2026-04-01T00:00:00.000Z');
    const rows = await h.t.db.kysely
      .selectFrom('budget_counters')
      .innerJoin('budget_limits', 'budget_limits.id', 'budget_counters.budget_id')
      .select(['budget_limits.period', 'budget_counters.period_start', 'budget_counters.spent_nano_usd'])
      .execute();
    const got = rows.map((r) => `${r.period} ${r.period_start} ${Number(r.spent_nano_usd)}`).sort();
    expect(got).toEqual(
      [
        'daily 2026-03-01 1000',
        'daily 2026-03-02 1000',
        'daily 2026-03-03 1000',
        'daily 2026-04-01 1000',
        'weekly 2026-02-23 1000',
        'weekly 2026-03-02 2000',
        'weekly 2026-03-30 1000',
        'monthly 2026-03-01 3000',
        'monthly 2026-04-01 1000',
      ].sort(),
    );
    h.clock.now = new Date('2026-03-03T12:00:00.000Z');
    const view = (await budgetViews(h.llm.manage)).find((b) => b.period === 'weekly')!;
    expect(view).toMatchObject({ period_start: '2026-03-02', resets_at: '2026-03-09T00:00:00.000Z', spent_nano_usd: 2000 });
  });

  it('the invariant under 50 concurrent callers with random costs: settled + reserved never above a block budget', async () => {
    const amount = 5_000_000;
    const budget = await createBudget(h.llm.manage, { scope: 'project', scopeKey: 'px', period: 'daily', amountUsd: amount / 1e9, actionOnExceed: 'block' });
    await createBudget(h.llm.manage, { scope: 'global', period: 'daily', amountUsd: 1000, actionOnExceed: 'block' });
    await createBudget(h.llm.manage, { scope: 'agent_type', scopeKey: 'coder', period: 'weekly', amountUsd: 1000, actionOnExceed: 'warn' });
    const guards = [h.llm.guard];
    let second: Database | null = null;
    if (dialect === 'postgres') {
      // A second connection pool with its own guard: another process, as far as the database can tell.
      second = openPostgres(h.t.location, 5);
      guards.push(createBudgetGuard({ db: second, log: silent, notice: async () => undefined }));
    }
    let violations = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const c = (await counters(h.t.db)).find((r) => r.budget_id === budget.id);
        if (c && Number(c.spent_nano_usd) + Number(c.reserved_nano_usd) > amount) violations++;
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    let refused = 0;
    let accepted = 0;
    const call = { providerId: null, providerKind: 'openai', model: 'm', scope: { projectId: 'px', agentType: 'coder' }, estimatedInputTokens: 1, maxTokens: 1 };
    const caller = async (n: number) => {
      const guard = guards[n % guards.length]!;
      for (let round = 0; round < 4; round++) {
        const worst = 50_000 + Math.floor(Math.random() * 200_000);
        try {
          const r = await guard.reserve({ amountNanoUsd: worst, call, ttlMs: 60_000 });
          accepted++;
          await new Promise((res) => setTimeout(res, Math.random() * 10));
          await guard.settle({ reservationId: r.id, call, model: 'm', usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, costNanoUsd: Math.floor(worst * (0.5 + Math.random() / 2)), costStatus: 'priced', priceSource: 'test', providerRequestId: null, interrupted: false });
        } catch (err) {
          if (!(err instanceof BudgetExceededError)) throw err;
          refused++;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: 50 }, (_, n) => caller(n)));
    } finally {
      sampling = false;
      await sampler;
      await second?.close();
    }
    expect(violations).toBe(0);
    expect(refused).toBeGreaterThan(0);
    const c = (await counters(h.t.db)).find((r) => r.budget_id === budget.id)!;
    expect(Number(c.reserved_nano_usd)).toBe(0);
    expect(Number(c.spent_nano_usd)).toBeLessThanOrEqual(amount);
    const usage = await h.t.db.kysely.selectFrom('token_usage').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('cost_nano_usd').as('cost')]).where('project_id', '=', 'px').executeTakeFirstOrThrow();
    expect(Number(usage.n)).toBe(accepted);
    expect(Number(usage.cost)).toBe(Number(c.spent_nano_usd));
  });
});
