/**
 * kill -9 mid-call: a process reserves, its request reaches the provider, and it is killed. The
 * reservation survives it (committed before the request left), holds its budget, and the expiry
 * job settles it at the reserved amount, flagged interrupted — on both databases. The child runs
 * the compiled slice (dist/, built by `npm test` before the suite).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budgetViews, createBudget } from '../src/llm/index.js';
import { dialects } from './support/databases.js';
import { startLlmHarness, type LlmHarness } from './support/fake-llm/harness.js';
import { ensureBuilt } from './support/process.js';

const CHILD = path.resolve(import.meta.dirname, 'support/fake-llm/call-child.mjs');

describe.each(dialects)('an LLM call killed with SIGKILL (%s)', (dialect) => {
  let h: LlmHarness;
  beforeAll(async () => {
    ensureBuilt();
    h = await startLlmHarness(dialect);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('keeps its reservation on the budget, and the expiry job settles it at the reserved amount', async () => {
    expect(fs.existsSync(path.resolve(import.meta.dirname, '../dist/llm/index.js'))).toBe(true);
    const budget = await createBudget(h.llm.manage, { scope: 'project', scopeKey: 'killed', period: 'daily', amountUsd: 1, actionOnExceed: 'block' });
    h.fake.script({ hang: true });
    const sent = h.fake.requests.length;
    const child = spawn(process.execPath, [CHILD, dialect, h.t.location, h.fake.openaiBaseUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += String(d)));
    child.stderr.on('data', (d) => (output += String(d)));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const deadline = Date.now() + 30_000;
    while (h.fake.requests.length === sent) {
      if (Date.now() > deadline) throw new Error(`the child never called the provider: ${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const held = (await budgetViews(h.llm.manage)).find((b) => b.id === budget.id)!;
    expect(held.reserved_nano_usd).toBeGreaterThan(0);
    expect(held.spent_nano_usd).toBe(0);
    // Not yet expired: nothing happens. After the call's wall clock (60 s) and the grace (60 s): settled.
    expect(await h.llm.settleExpired()).toBe(0);
    h.clock.now = new Date(Date.now() + 121_000);
    expect(await h.llm.settleExpired()).toBe(1);
    const after = (await budgetViews(h.llm.manage)).find((b) => b.id === budget.id)!;
    expect(after).toMatchObject({ reserved_nano_usd: 0, spent_nano_usd: held.reserved_nano_usd });
    const row = await h.t.db.kysely.selectFrom('token_usage').selectAll().where('project_id', '=', 'killed').executeTakeFirstOrThrow();
    expect(row.cost_status).toBe('interrupted');
    expect(Number(row.interrupted)).toBe(1);
    expect(Number(row.cost_nano_usd)).toBe(held.reserved_nano_usd);
    expect(row.output_tokens).toBe(1000);
  }, 60_000);
});
