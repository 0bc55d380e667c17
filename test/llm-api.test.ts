/**
 * The LLM API through the whole app on both databases: providers (keys write-only, never in any
 * answer or log), price overrides and `prices/check`, budgets with live spent/reserved/remaining,
 * usage from the daily roll-up by day/model/agent/project, administrators-only writes, and
 * budgets and usage scoped to the installations a user can see. Also in the OpenAPI document.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { startTestApp, type TestApp } from './support/app.js';
import { startFakeLlm, type FakeLlm } from './support/fake-llm/index.js';
import { recordSecret } from './support/secret-ledger.js';
import { bearerClient, createApiToken, createUser, grantInstallation, json, signIn, sessionClient, type Client } from './support/users.js';

describe.each(dialects)('LLM API (%s)', (dialect) => {
  let t: TestApp;
  let fake: FakeLlm;
  let user: Client;
  const key = `sk-proj-${randomBytes(20).toString('hex')}`;
  beforeAll(async () => {
    fake = await startFakeLlm();
    t = await startTestApp(dialect);
    recordSecret(key);
    const u = await createUser(t, { username: 'llm-viewer' });
    await grantInstallation(t, u.id, 7001);
    const s = await signIn(t, u);
    const tok = await createApiToken(sessionClient(t, s));
    user = bearerClient(t, tok.token, 'user');
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('providers: the key is write-only and stored encrypted', async () => {
    const res = await t.api('/api/llm/providers', json({ name: 'main', kind: 'openai', base_url: fake.openaiBaseUrl, api_key: key }, { method: 'POST' }));
    expect(res.status).toBe(201);
    const created = (await res.json()) as Record<string, unknown>;
    expect(created).toMatchObject({ name: 'main', kind: 'openai', has_api_key: true, base_url: fake.openaiBaseUrl });
    expect(JSON.stringify(created)).not.toContain(key);
    const list = await (await t.api('/api/llm/providers')).text();
    expect(list).not.toContain(key);
    expect(list).toContain('"has_api_key":true');
    const dup = await t.api('/api/llm/providers', json({ name: 'main', kind: 'openai' }, { method: 'POST' }));
    expect(dup.status).toBe(409);
    const stored = await t.app.db.kysely.selectFrom('llm_providers').select('api_key').executeTakeFirstOrThrow();
    expect(stored.api_key).toMatch(/^enc:v1:/);
    expect((await user.fetch('/api/llm/providers', json({ name: 'x', kind: 'openai' }, { method: 'POST' }))).status).toBe(403);
    expect((await user.fetch('/api/llm/providers')).status).toBe(200);
  });

  it('prices: bundled version, overrides (administrators), check <model>', async () => {
    const p = (await (await t.api('/api/llm/prices')).json()) as { bundled: { version: string; auto_update: boolean } };
    expect(p.bundled).toMatchObject({ auto_update: false });
    const check = (await (await t.api('/api/llm/prices/check?model=gpt-4o-2024-08-06&provider=main')).json()) as Record<string, unknown>;
    expect(check).toMatchObject({ priced: true, input_usd_per_mtok: 2.5, output_usd_per_mtok: 10, cache_read_usd_per_mtok: 1.25, max_output_tokens: 16_384 });
    const unknown = (await (await t.api('/api/llm/prices/check?model=acme-7')).json()) as Record<string, unknown>;
    expect(unknown).toMatchObject({ priced: false, source: null });
    expect((await user.fetch('/api/llm/prices', json({ model: 'acme-7', input_usd_per_mtok: 1, output_usd_per_mtok: 2 }, { method: 'POST' }))).status).toBe(403);
    const add = await t.api('/api/llm/prices', json({ model: 'acme-7', input_usd_per_mtok: 1, output_usd_per_mtok: 2, starts_at: '2020-01-01T00:00:00Z' }, { method: 'POST' }));
    expect(add.status).toBe(201);
    const priced = (await (await t.api('/api/llm/prices/check?model=acme-7')).json()) as Record<string, unknown>;
    expect(priced).toMatchObject({ priced: true, input_usd_per_mtok: 1, output_usd_per_mtok: 2 });
    expect(String(priced.source)).toMatch(/^override:/);
  });

  it('budgets: administrators configure them; live spent and reserved; a user sees only those of their installations', async () => {
    const mk = async (body: Record<string, unknown>) => {
      const res = await t.api('/api/llm/budgets', json(body, { method: 'POST' }));
      expect(res.status, await res.clone().text()).toBe(201);
      return (await res.json()) as { id: string; amount_usd: string };
    };
    const mine = await mk({ name: 'team', scope: 'project', scope_key: 'proj-1', period: 'monthly', amount_usd: 2.5, action_on_exceed: 'block', installation_id: 7001 });
    expect(mine.amount_usd).toBe('2.50');
    await mk({ scope: 'global', period: 'daily', amount_usd: 100, action_on_exceed: 'warn' });
    expect((await t.api('/api/llm/budgets', json({ scope: 'project', period: 'daily', amount_usd: 1, action_on_exceed: 'warn' }, { method: 'POST' }))).status).toBe(400);
    expect((await user.fetch('/api/llm/budgets', json({ scope: 'global', period: 'daily', amount_usd: 1, action_on_exceed: 'warn' }, { method: 'POST' }))).status).toBe(403);

    fake.script({ text: 'hello', usage: { input: 1000, output: 100 } });
    const r = await t.app.llm.complete({ provider: 'main', model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], maxTokens: 50, scope: { projectId: 'proj-1', agentId: 'ag-1', agentType: 'coder', installationId: 7001 } });
    expect(r.costNanoUsd).toBe(1000 * 2500 + 100 * 10_000);
    const all = (await (await t.api('/api/llm/budgets')).json()) as { items: Array<Record<string, unknown>> };
    expect(all.items).toHaveLength(2);
    const team = all.items.find((b) => b.id === mine.id)!;
    expect(team).toMatchObject({ spent_nano_usd: 3_500_000, spent_usd: '0.0035', reserved_nano_usd: 0, remaining_nano_usd: 2_500_000_000 - 3_500_000 });
    const seen = (await (await user.fetch('/api/llm/budgets')).json()) as { items: Array<{ id: string }> };
    expect(seen.items.map((b) => b.id)).toEqual([mine.id]);
    const patched = await t.api(`/api/llm/budgets/${mine.id}`, json({ amount_usd: 5 }, { method: 'PATCH' }));
    expect(((await patched.json()) as { amount_nano_usd: number }).amount_nano_usd).toBe(5e9);
    expect((await user.fetch(`/api/llm/budgets/${mine.id}`, { method: 'DELETE' })).status).toBe(403);
  });

  it('usage by day, model, agent and project from the daily roll-up, scoped to what the viewer may see', async () => {
    fake.script({ text: 'other', usage: { input: 2000, output: 10 } });
    await t.app.llm.complete({ provider: 'main', model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], maxTokens: 50, scope: { projectId: 'proj-2', agentId: 'ag-2', agentType: 'reviewer', installationId: 7002 } });
    const byModel = (await (await t.api('/api/llm/usage?by=model')).json()) as { items: Array<{ key: string; calls: number; cost_nano_usd: number }>; total: { calls: number } };
    expect(byModel.items.map((i) => [i.key, i.calls])).toEqual([
      ['gpt-4o', 1],
      ['gpt-4o-mini', 1],
    ]);
    expect(byModel.total.calls).toBe(2);
    const byAgent = (await (await t.api('/api/llm/usage?by=agent')).json()) as { items: Array<{ key: string }> };
    expect(byAgent.items.map((i) => i.key)).toEqual(['ag-1', 'ag-2']);
    const byDay = (await (await t.api('/api/llm/usage?by=day')).json()) as { items: Array<{ key: string; calls: number }> };
    expect(byDay.items).toEqual([expect.objectContaining({ key: new Date().toISOString().slice(0, 10), calls: 2 })]);
    // The user sees installation 7001 only.
    const theirs = (await (await user.fetch('/api/llm/usage?by=project')).json()) as { items: Array<{ key: string; cost_usd: string }> };
    expect(theirs.items).toEqual([expect.objectContaining({ key: 'proj-1', cost_usd: '0.0035' })]);
    expect((await user.fetch('/api/llm/reprice', { method: 'POST' })).status).toBe(403);
    expect((await t.api('/api/llm/reprice', { method: 'POST' })).status).toBe(200);
  });

  it("providers show how the local input estimate compared with the provider's count", async () => {
    const list = (await (await t.api('/api/llm/providers')).json()) as { items: Array<{ name: string; input_estimate: { calls: number; max_ratio: number | null; over_estimate: number } }> };
    const main = list.items.find((p) => p.name === 'main')!;
    // Two calls so far; the fake reported 1000 and 2000 input tokens for one-word prompts (far above the estimate).
    expect(main.input_estimate.calls).toBe(2);
    expect(main.input_estimate.over_estimate).toBe(2);
    expect(main.input_estimate.max_ratio).toBeGreaterThan(1);
  });

  it('is in the OpenAPI document, and the key is in no log', async () => {
    const doc = (await (await fetch(`${t.url}/api/docs`)).json()) as { paths: Record<string, unknown> };
    for (const p of ['/api/llm/providers', '/api/llm/budgets', '/api/llm/usage', '/api/llm/prices/check']) expect(Object.keys(doc.paths)).toContain(p);
    expect(t.logs.join('')).not.toContain(key);
  });
});
