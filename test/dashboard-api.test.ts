/**
 * The API the dashboard reads (and scripts can use too): the overview's health per repository,
 * pull requests' check summaries, the job queue for administrators, and the live tail of the event
 * log (server-sent events), each within the viewer's scope.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { dialects } from './support/databases.js';
import { checkRun, pullRequest, repo } from './support/payloads.js';
import { deliveryHeaders } from './support/sign.js';
import { createUser, grantInstallation, sessionClient, signIn, type Client } from './support/users.js';

const sender = { login: 'octocat', id: 1 };

interface SseMessage {
  event: string;
  id?: string;
  data: Record<string, unknown>;
}

/** Opens the live tail and collects its messages until closed. */
function openStream(url: string, headers: Record<string, string>) {
  const messages: SseMessage[] = [];
  const controller = new AbortController();
  const done = (async () => {
    const res = await fetch(url, { headers, signal: controller.signal });
    if (res.status !== 200) throw new Error(`stream answered ${res.status}: ${await res.text()}`);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const m: Partial<SseMessage> & { lines: string[] } = { lines: [] };
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) m.event = line.slice(7);
          else if (line.startsWith('id: ')) m.id = line.slice(4);
          else if (line.startsWith('data: ')) m.lines.push(line.slice(6));
        }
        if (m.event) messages.push({ event: m.event, id: m.id, data: JSON.parse(m.lines.join('\n')) as Record<string, unknown> });
      }
    }
  })().catch((err: unknown) => {
    if ((err as Error).name !== 'AbortError') throw err;
  });
  return {
    messages,
    close: () => controller.abort(),
    done,
    async waitFor(pred: (m: SseMessage) => boolean, timeoutMs = 8_000): Promise<SseMessage> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = messages.find(pred);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no matching message; got ${JSON.stringify(messages.map((x) => [x.event, x.data.delivery_id ?? x.data.id]))}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

describe.each(dialects)('the dashboard’s API (%s)', (dialect) => {
  let t: TestApp;
  let acmeUser: Client;
  let acmeCookie: Record<string, string>;
  let flaky = true;

  const deliver = async (event: string, payload: object, id: string = randomUUID()) => {
    const body = JSON.stringify(payload);
    const res = await fetch(`${t.url}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders(event, body, id), body });
    expect(res.status).toBe(202);
    return id;
  };

  beforeAll(async () => {
    t = await startTestApp(dialect, { RECEIPT_MAX_RETRIES: '0' });
    t.app.registry.project('test.flaky', 'deployment', async () => {
      if (flaky) throw new Error('flaky deployment');
    });
    await deliver('pull_request', pullRequest('opened', { number: 7, updatedAt: '2026-01-01T00:00:00Z' }));
    await deliver('check_run', checkRun('completed', { id: 1, name: 'build', status: 'completed', conclusion: 'success', prNumbers: [7] }));
    await deliver('check_run', checkRun('completed', { id: 2, name: 'test', status: 'completed', conclusion: 'failure', prNumbers: [7] }));
    await deliver('check_run', checkRun('completed', { id: 3, name: 'test', status: 'completed', conclusion: 'success', prNumbers: [7] }));
    await deliver('check_run', checkRun('created', { id: 4, name: 'lint', status: 'in_progress', prNumbers: [7] }));
    await deliver('issues', { action: 'opened', issue: { id: 1, number: 1, title: 'x', state: 'open', updated_at: '2026-01-01T00:00:00Z' }, repository: repo(2002, 'globex/plans'), installation: { id: 777 }, sender });
    await t.settle();
    const user = await createUser(t, { username: 'acme-viewer', password: 'a-long-enough-password' });
    await grantInstallation(t, user.id, 555);
    const session = await signIn(t, user);
    acmeUser = sessionClient(t, session);
    acmeCookie = { cookie: `sy_session=${session.token}` };
  });

  afterAll(async () => {
    await t?.close();
  });

  it('answers the overview: activity per UTC day for 14 days, counts and warnings, within the viewer’s scope', async () => {
    const all = await t.getJson('/api/overview');
    expect(all.days).toHaveLength(14);
    expect(all.days.at(-1)).toBe(new Date().toISOString().slice(0, 10));
    const widgets = all.items.find((i: { full_name: string }) => i.full_name === 'acme/widgets');
    expect(widgets).toMatchObject({ open_pull_requests: 1, failing_checks: 0, failing_deliveries: 0, dead_deliveries: 0, warnings: [] });
    expect(widgets.events_per_day).toHaveLength(14);
    expect(widgets.events_per_day.at(-1)).toBe(5);
    expect(widgets.events_per_day.slice(0, 13).every((n: number) => n === 0)).toBe(true);
    expect(all.summary.today).toBeGreaterThanOrEqual(6);

    const scoped = (await (await acmeUser.fetch('/api/overview')).json()) as { items: Array<{ full_name: string }>; summary: { today: number } };
    expect(scoped.items.map((i) => i.full_name)).toEqual(['acme/widgets']);
    expect(scoped.summary.today).toBe(5);
  });

  it('warns about dead deliveries and repositories that went quiet', async () => {
    const dead = await deliver('deployment', { action: 'created', deployment: { id: 1 }, repository: repo(), installation: { id: 555 }, sender });
    await t.settle();
    expect((await t.getJson(`/api/events/${dead}`)).processing_status).toBe('dead');
    await t.app.db.kysely
      .updateTable('repositories')
      .set({ last_event_at: new Date(Date.now() - 9 * 86_400_000).toISOString() })
      .where('full_name', '=', 'globex/plans')
      .execute();
    const body = await t.getJson('/api/overview');
    const widgets = body.items.find((i: { full_name: string }) => i.full_name === 'acme/widgets');
    expect(widgets.dead_deliveries).toBe(1);
    expect(widgets.warnings).toEqual([expect.objectContaining({ code: 'dead_deliveries', severity: 'critical' })]);
    const plans = body.items.find((i: { full_name: string }) => i.full_name === 'globex/plans');
    expect(plans.warnings).toEqual([expect.objectContaining({ code: 'quiet', message: 'Quiet: no events for 9 days' })]);
    expect(body.summary.dead).toBe(1);

    const one = await (await acmeUser.fetch('/api/overview/acme/widgets')).json();
    expect(one).toMatchObject({ full_name: 'acme/widgets', dead_deliveries: 1, days: body.days });
    expect((await acmeUser.fetch('/api/overview/globex/plans')).status).toBe(404);
    flaky = false;
    expect((await t.api(`/api/events/${dead}/replay`, { method: 'POST' })).status).toBe(202);
    await t.settle();
  });

  it('summarises the checks of pull requests: the newest run of each check on the head commit', async () => {
    const res = await acmeUser.fetch('/api/repositories/acme/widgets/check-summary?numbers=7,99');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: unknown[] }).items).toEqual([{ number: 7, head_sha: 'a'.repeat(40), total: 3, passing: 2, failing: 0, pending: 1, other: 0, state: 'pending' }]);
    expect((await acmeUser.fetch('/api/repositories/globex/plans/check-summary?numbers=1')).status).toBe(404);
    expect((await acmeUser.fetch('/api/repositories/acme/widgets/check-summary?numbers=x')).status).toBe(400);
  });

  it('shows administrators the job queue and retries dead jobs; refuses others', async () => {
    expect((await acmeUser.fetch('/api/admin/queue')).status).toBe(403);
    const q = await t.getJson('/api/admin/queue');
    expect(q.kind).toBe(dialect === 'sqlite' ? 'sqlite' : 'pg-boss');
    expect(q.totals).toEqual({ queued: expect.any(Number), running: expect.any(Number), retrying: expect.any(Number), dead: expect.any(Number) });
    const retried = await t.api('/api/admin/queue/retry-dead', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(retried.status).toBe(200);
    expect(await retried.json()).toEqual({ retried: expect.any(Number) });
    expect((await acmeUser.fetch('/api/admin/queue/retry-dead', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(403);
  });

  it('streams new deliveries live, with their status changes, only to viewers who may see them', async () => {
    const mine = openStream(`${t.url}/api/events/stream`, acmeCookie);
    const operator = openStream(`${t.url}/api/events/stream?type=issues`, { authorization: `Bearer ${(await import('./support/sign.js')).TEST_API_TOKEN}` });
    try {
      await mine.waitFor((m) => m.event === 'ready');
      await operator.waitFor((m) => m.event === 'ready');
      const other = await deliver('issues', { action: 'edited', issue: { id: 2, number: 2, title: 'y', state: 'open', updated_at: '2026-01-02T00:00:00Z' }, repository: repo(2002, 'globex/plans'), installation: { id: 777 }, sender });
      const own = await deliver('issues', { action: 'opened', issue: { id: 3, number: 3, title: 'z', state: 'open', updated_at: '2026-01-02T00:00:00Z' }, repository: repo(), installation: { id: 555 }, sender });
      const receipt = await mine.waitFor((m) => m.event === 'receipt' && m.data.delivery_id === own);
      expect(receipt.data).toMatchObject({ event_type: 'issues', event_action: 'opened', repository: 'acme/widgets', installation_id: 555 });
      expect(receipt.id).toBe(receipt.data.id);
      // Processing is announced as it happens (unless it was done before the first poll saw the receipt).
      await mine.waitFor((m) => m.data.delivery_id === own && m.data.processing_status === 'processed');
      await operator.waitFor((m) => m.event === 'receipt' && m.data.delivery_id === other);
      await operator.waitFor((m) => m.event === 'receipt' && m.data.delivery_id === own);
      expect(mine.messages.some((m) => m.data.delivery_id === other)).toBe(false);

      // The operator's stream is filtered to issues: a push is not sent.
      const push = await deliver('push', { ref: 'refs/heads/main', after: 'b'.repeat(40), repository: repo(), installation: { id: 555 }, sender });
      await mine.waitFor((m) => m.event === 'receipt' && m.data.delivery_id === push);
      expect(operator.messages.some((m) => m.data.delivery_id === push)).toBe(false);
    } finally {
      mine.close();
      operator.close();
    }
  });

  it('sends a reconnecting client what arrived after the last receipt it had', async () => {
    const first = await deliver('issues', { action: 'closed', issue: { id: 3, number: 3, title: 'z', state: 'closed', updated_at: '2026-01-03T00:00:00Z' }, repository: repo(), installation: { id: 555 }, sender });
    await t.settle();
    const firstId = (await t.getJson(`/api/events/${first}`)).id as string;
    const missed = await deliver('issues', { action: 'reopened', issue: { id: 3, number: 3, title: 'z', state: 'open', updated_at: '2026-01-04T00:00:00Z' }, repository: repo(), installation: { id: 555 }, sender });
    await t.settle();
    const stream = openStream(`${t.url}/api/events/stream`, { ...acmeCookie, 'last-event-id': firstId });
    try {
      await stream.waitFor((m) => m.event === 'ready');
      const receipts = stream.messages.filter((m) => m.event === 'receipt').map((m) => m.data.delivery_id);
      expect(receipts).toEqual([missed]);
    } finally {
      stream.close();
    }
  });

  it('refuses the live tail without credentials', async () => {
    const res = await fetch(`${t.url}/api/events/stream`);
    expect(res.status).toBe(401);
  });
});
