/**
 * Odd but legal input, on both databases: a delivery whose JSON holds `\u0000` (GitHub content can:
 * issue bodies, commit messages) is stored byte for byte and processed; the text columns it feeds
 * hold U+FFFD where the NUL was (PostgreSQL text and jsonb cannot hold NUL). A NUL in a query or
 * path parameter is a 4xx, never a 500. A body nested too deep to read back is refused before it
 * is acknowledged.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { startTestApp, type TestApp } from './support/app.js';
import { deliveryHeaders } from './support/sign.js';
import { installation, pullRequest, repo, sender } from './support/payloads.js';

describe.each(dialects)('odd deliveries (%s)', (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = (event: string, body: string, id = randomUUID()) =>
    fetch(`${t.url}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders(event, body, id), body });

  it('stores a delivery holding \\u0000 as received, processes it, and keeps U+FFFD where text cannot hold NUL', async () => {
    const pr = pullRequest('opened', { number: 41, updatedAt: '2026-02-01T00:00:00Z', title: 'nul\u0000in the title' });
    const payload = {
      ...pr,
      pull_request: { ...pr.pull_request, body: 'a body\u0000with NUL', labels: [{ name: 'bug\u0000' }], user: { login: 'octo\u0000cat' } },
      repository: repo(4101, 'acme/nul-widgets'),
      installation,
      sender: { ...sender, login: 'nul\u0000sender' },
    };
    const body = JSON.stringify(payload);
    expect(body).toContain('\\u0000');
    const id = randomUUID();
    const res = await post('pull_request', body, id);
    expect(res.status).toBe(202);
    await t.settle();

    const receipt = await t.app.db.kysely.selectFrom('event_receipts').selectAll().where('delivery_id', '=', id).executeTakeFirstOrThrow();
    expect(receipt.processing_status).toBe('processed');
    expect(receipt.actor).toBe('nul\uFFFDsender');
    const stored = await t.app.db.kysely.selectFrom('event_payloads').select('body').where('receipt_id', '=', receipt.id).executeTakeFirstOrThrow();
    expect(Buffer.from(stored.body).equals(Buffer.from(body))).toBe(true);

    const page = await t.getJson(`/api/events/${id}`);
    expect(page.raw_payload.pull_request.title).toBe('nul\u0000in the title');

    const row = await t.app.db.kysely.selectFrom('pull_requests').select(['title']).where('number', '=', 41).executeTakeFirstOrThrow();
    expect(row.title).toBe('nul\uFFFDin the title');
  });

  it('answers a NUL in a query or path parameter with a 4xx, never a 500', async () => {
    const urls = [
      '/api/events?type=pull%00request',
      '/api/events?repository=acme%2Fw%00',
      '/api/events?action=open%00ed&status=received',
      '/api/events/%00',
      `/api/events/${randomUUID()}%00`,
      '/api/repositories/acme%00/widgets/pulls',
      '/api/repositories/acme/wid%00gets/pulls/1',
      '/api/mirror/targets/%00',
    ];
    for (const u of urls) {
      const res = await t.api(u);
      expect(res.status, u).toBeGreaterThanOrEqual(400);
      expect(res.status, u).toBeLessThan(500);
      const b = (await res.json()) as { error?: string; message?: string };
      expect(typeof b.message, u).toBe('string');
    }
  });

  it('refuses a body nested deeper than it can read back, before acknowledging it, and stores nothing', async () => {
    const depth = 100_000;
    const body = `{"zen":"deep","hook":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const id = randomUUID();
    const res = await post('ping', body, id);
    expect(res.status).toBe(400);
    const b = (await res.json()) as { error: string; message: string };
    expect(b.message).toMatch(/nested/i);
    const row = await t.app.db.kysely.selectFrom('event_receipts').select('id').where('delivery_id', '=', id).executeTakeFirst();
    expect(row).toBeUndefined();

    // A body as deep as GitHub's deepest is fine, and its page reads back.
    const ok = `{"zen":"deep","hook":${'{"a":'.repeat(60)}1${'}'.repeat(60)}}`;
    const id2 = randomUUID();
    expect((await post('ping', ok, id2)).status).toBe(202);
    const page = await t.api(`/api/events/${id2}`);
    expect(page.status).toBe(200);
  });

  it('bounds numbers at the edge: a pull request number past 32 bits is a 400, not a 500', async () => {
    const res = await t.api('/api/repositories/acme/nul-widgets/check-summary?numbers=1,2147483648');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/2147483647/);
    expect((await t.api('/api/repositories/acme/nul-widgets/check-summary?numbers=1,2147483647')).status).toBeLessThan(500);
  });

  it('skips a check_run whose fields have the wrong types instead of retrying it until it is dead', async () => {
    const payload = {
      action: 'completed',
      check_run: { id: 777001, name: { not: 'a string' }, head_sha: { an: 'object' }, status: 'completed', conclusion: 'failure' },
      repository: repo(4101, 'acme/nul-widgets'),
      installation,
      sender,
    };
    const id = randomUUID();
    expect((await post('check_run', JSON.stringify(payload), id)).status).toBe(202);
    await t.settle();
    const receipt = await t.app.db.kysely.selectFrom('event_receipts').select(['id', 'processing_status']).where('delivery_id', '=', id).executeTakeFirstOrThrow();
    expect(receipt.processing_status).toBe('processed');
    // The automation's job ran and finished (no job of it is left queued, retrying or dead).
    const deadline = Date.now() + 30_000;
    for (;;) {
      const triage = (await t.app.queue.stats()).find((q) => q.name === 'automation.run');
      if (!triage || (triage.queued === 0 && triage.running === 0)) {
        expect(triage?.dead ?? 0).toBe(0);
        break;
      }
      if (Date.now() > deadline) throw new Error(`automation jobs still pending: ${JSON.stringify(triage)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it('answers "Sign in with GitHub" on a server without an OAuth client with a JSON 404, not an HTML 503', async () => {
    for (const path of ['/api/auth/github', '/api/auth/github/callback?code=x&state=y']) {
      const res = await fetch(`${t.url}${path}`, { redirect: 'manual' });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toMatch(/application\/json/);
      expect(((await res.json()) as { error: string }).error).toBe('GITHUB_SIGN_IN_NOT_CONFIGURED');
    }
  });

  it('shows a dead automation job where a person looks: the delivery page and the queue page name the automation and its error', async () => {
    t.app.registry.on('test.always-fails', 'issues.deleted', async () => {
      throw new Error('boom from the test automation');
    });
    const id = randomUUID();
    const body = JSON.stringify({ action: 'deleted', issue: { number: 9, title: 'gone' }, repository: repo(4102, 'acme/dead-jobs'), installation, sender });
    expect((await post('issues', body, id)).status).toBe(202);
    await t.settle();
    const deadline = Date.now() + 60_000;
    let page: { processing_status: string; automations: Array<{ automation: string; state: string; attempts: number; max_attempts: number; last_error: string | null }> };
    for (;;) {
      page = await t.getJson(`/api/events/${id}`);
      if (page.automations.some((a) => a.state === 'dead')) break;
      if (Date.now() > deadline) throw new Error(`the automation job is not dead yet: ${JSON.stringify(page.automations)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // The delivery itself was processed (202, then projected); what died is the automation.
    expect(page.processing_status).toBe('processed');
    expect(page.automations).toEqual([
      expect.objectContaining({ automation: 'test.always-fails', state: 'dead', attempts: 5, max_attempts: 5, last_error: expect.stringContaining('test.always-fails: boom from the test automation') }),
    ]);
    const queue = (await t.getJson('/api/admin/queue')) as { items?: Array<{ name: string; dead: number; last_error?: string | null; lastError?: string | null }> } | Array<{ name: string; dead: number; last_error?: string | null; lastError?: string | null }>;
    const list = Array.isArray(queue) ? queue : (queue.items ?? []);
    const runs = list.find((q) => q.name === 'automation.run');
    expect(runs?.dead).toBeGreaterThanOrEqual(1);
    expect(String(runs?.last_error ?? runs?.lastError)).toContain('test.always-fails');
  });
});
