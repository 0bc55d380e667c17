/**
 * `switchyard llm usage | budgets | prices check | reprice`, run in-process against a composed app
 * on both databases (the commands' bodies; commander only parses their options).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { dialects } from './support/databases.js';
import { startTestApp, type TestApp } from './support/app.js';
import { startFakeLlm, type FakeLlm } from './support/fake-llm/index.js';
import { registerLlmCommands, runLlmBudgets, runLlmPricesCheck, runLlmReprice, runLlmUsage } from '../src/cli/llm-commands.js';
import { addPriceOverride, createBudget, createProvider } from '../src/llm/index.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) } };
}

describe.each(dialects)('switchyard llm (%s)', (dialect) => {
  let t: TestApp;
  let fake: FakeLlm;
  beforeAll(async () => {
    fake = await startFakeLlm();
    t = await startTestApp(dialect);
    await createProvider(t.app.llm.manage, { name: 'oa', kind: 'openai', baseUrl: fake.openaiBaseUrl, apiKey: 'sk-test-cli-0123456789' });
    await createBudget(t.app.llm.manage, { name: 'monthly-all', scope: 'global', period: 'monthly', amountUsd: 10, actionOnExceed: 'block' });
    fake.script({ text: 'a', model: 'gpt-4o-2024-08-06', usage: { input: 1000, output: 100 } }, { text: 'b', usage: { input: 500, output: 50 } });
    await t.app.llm.complete({ provider: 'oa', model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], maxTokens: 100, scope: { agentId: 'coder-1', agentType: 'coder' } });
    await t.app.llm.complete({ provider: 'oa', model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'y' }], maxTokens: 100, scope: { agentId: 'rev-1', agentType: 'reviewer' } });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('usage --by model and --by agent: a table with a total, in USD', async () => {
    const a = io();
    expect(await runLlmUsage(t.app, { by: 'model' }, a.io)).toBe(0);
    const text = a.out.join('\n');
    expect(text).toMatch(/^MODEL\s+CALLS/);
    // gpt-4o-2024-08-06: 1000×$2.50 + 100×$10 per Mtok = $0.0035; gpt-4o-mini: 500×$0.15 + 50×$0.60 = $0.000105.
    expect(text).toMatch(/gpt-4o-2024-08-06\s+1\s+1,000\s+0\s+100\s+\$0\.0035/);
    expect(text).toMatch(/gpt-4o-mini\s+1\s+500\s+0\s+50\s+\$0\.000105/);
    expect(text).toMatch(/TOTAL\s+2\s+1,500\s+150\s+\$0\.003605/);
    const b = io();
    await runLlmUsage(t.app, { by: 'agent', json: true }, b.io);
    expect((JSON.parse(b.out.join('')) as { items: Array<{ key: string }> }).items.map((i) => i.key)).toEqual(['coder-1', 'rev-1']);
  });

  it('budgets: spent, reserved, remaining and when it resets', async () => {
    const a = io();
    await runLlmBudgets(t.app, {}, a.io);
    const text = a.out.join('\n');
    expect(text).toContain('monthly-all');
    expect(text).toMatch(/global\s+monthly\s+block\s+\$10\.00\s+\$0\.003605\s+\$0\.00\s+\$9\.996395\s+0%/);
  });

  it('prices check <model>: the source and rates; exit 1 when unpriced', async () => {
    const a = io();
    expect(await runLlmPricesCheck(t.app, 'claude-sonnet-4-5-20250929', { provider: 'anthropic' }, a.io)).toBe(0);
    expect(a.out.join('\n')).toMatch(/input \$3\/Mtok, output \$15\/Mtok, cache read \$0\.3\/Mtok, cache write \$3\.75\/Mtok/);
    const b = io();
    expect(await runLlmPricesCheck(t.app, 'acme-9', {}, b.io)).toBe(1);
    expect(b.out.join('')).toContain('no price known');
  });

  it('reprice: unpriced calls get their cost once a price is known', async () => {
    fake.script({ text: 'c', usage: { input: 1000, output: 1000 } });
    await t.app.llm.complete({ provider: 'oa', model: 'acme-9', messages: [{ role: 'user', content: 'z' }], maxTokens: 100, scope: { projectId: 'warn-only' } }).catch(() => undefined);
    // The global block budget applies: the unpriced model is refused.
    expect(await t.app.db.kysely.selectFrom('token_usage').selectAll().where('model', '=', 'acme-9').execute()).toEqual([]);
    await t.app.db.kysely.updateTable('budget_limits').set({ action_on_exceed: 'warn' }).execute();
    await t.app.llm.complete({ provider: 'oa', model: 'acme-9', messages: [{ role: 'user', content: 'z' }], maxTokens: 100, scope: {} });
    const a = io();
    expect(await runLlmReprice(t.app, a.io)).toBe(1);
    await addPriceOverride(t.app.llm.manage, { model: 'acme-9', inputPerMtok: 1, outputPerMtok: 1, startsAt: '2020-01-01T00:00:00Z' });
    t.app.llm.prices.invalidate();
    const b = io();
    expect(await runLlmReprice(t.app, b.io)).toBe(0);
    expect(b.out.join('')).toBe('Repriced 1 call(s); 0 still without a price.');
  });

  it('the commands parse their options', async () => {
    const program = new Command().exitOverride();
    registerLlmCommands(program, async () => {
      throw new Error('not reached');
    });
    await expect(program.parseAsync(['node', 'switchyard', 'llm', 'usage', '--by', 'week'])).rejects.toThrow(/must be one of day, model, agent/);
    await expect(program.parseAsync(['node', 'switchyard', 'llm', 'usage', '--from', 'yesterday'])).rejects.toThrow(/YYYY-MM-DD/);
  });
});
