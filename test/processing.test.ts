/** Processing: projection correctness, idempotency, ordering, retries, dead receipts and replay. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { startTestApp, type TestApp } from './support/app.js';
import { deliveryHeaders } from './support/sign.js';
import { checkRun, pullRequest, repo, installation, sender } from './support/payloads.js';

describe.each(dialects)('processing (%s)', (dialect) => {
  let t: TestApp;
  const deliver = async (event: string, payload: object, id = randomUUID()) => {
    const body = JSON.stringify(payload);
    const res = await fetch(`${t.url}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders(event, body, id), body });
    expect([200, 202]).toContain(res.status);
    return id;
  };
  const snapshot = async () => {
    const k = t.app.db.kysely;
    return {
      prs: await k.selectFrom('pull_requests').select(['number', 'state', 'title', 'head_sha', 'github_updated_at']).orderBy('number').execute(),
      history: await k.selectFrom('pr_state_history').select(['from_state', 'to_state', 'trigger']).orderBy('occurred_at').orderBy('id').execute(),
      runs: await k.selectFrom('check_runs').select(['github_id', 'status', 'conclusion', 'pull_request_id']).orderBy('github_id').execute(),
    };
  };

  beforeAll(async () => {
    t = await startTestApp(dialect, { RECEIPT_MAX_RETRIES: '2', RETRY_BASE_MS: '20' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('records every pull request state change with its trigger', async () => {
    await deliver('pull_request', pullRequest('opened', { updatedAt: '2026-01-01T00:00:00Z' }));
    await t.settle();
    await deliver('pull_request', pullRequest('closed', { state: 'closed', updatedAt: '2026-01-01T01:00:00Z' }));
    await t.settle();
    await deliver('pull_request', pullRequest('reopened', { updatedAt: '2026-01-01T02:00:00Z' }));
    await t.settle();
    await deliver('pull_request', pullRequest('edited', { updatedAt: '2026-01-01T02:30:00Z', title: 'Add two widgets' }));
    await t.settle();
    await deliver('pull_request', pullRequest('closed', { state: 'closed', merged: true, updatedAt: '2026-01-01T03:00:00Z', title: 'Add two widgets' }));
    await t.settle();
    const s = await snapshot();
    expect(s.prs).toEqual([expect.objectContaining({ number: 7, state: 'merged', title: 'Add two widgets' })]);
    expect(s.history).toEqual([
      { from_state: null, to_state: 'open', trigger: 'pull_request.opened' },
      { from_state: 'open', to_state: 'closed', trigger: 'pull_request.closed' },
      { from_state: 'closed', to_state: 'open', trigger: 'pull_request.reopened' },
      { from_state: 'open', to_state: 'merged', trigger: 'pull_request.closed' },
    ]);
  });

  it('ignores an older event that arrives after a newer one', async () => {
    const before = await snapshot();
    await deliver('pull_request', pullRequest('synchronize', { updatedAt: '2026-01-01T00:30:00Z', headSha: 'b'.repeat(40) }));
    await t.settle();
    expect(await snapshot()).toEqual(before);
  });

  it('writes a repository or pull request row only when a delivery changes it', async () => {
    const k = t.app.db.kysely;
    // A repository of its own, so the other tests' counts stay as they are.
    const delivery = (action: string, o: Parameters<typeof pullRequest>[1], stars = 3) => ({
      ...pullRequest(action, o),
      repository: { ...repo(1077, 'acme/rowtest'), stargazers_count: stars },
    });
    const rows = async () => ({
      repo: await k.selectFrom('repositories').select(['stargazers_count', 'github_updated_at']).where('full_name', '=', 'acme/rowtest').executeTakeFirstOrThrow(),
      pr: await k
        .selectFrom('pull_requests')
        .innerJoin('repositories', 'repositories.id', 'pull_requests.repository_id')
        .select(['pull_requests.updated_at', 'pull_requests.title'])
        .where('repositories.full_name', '=', 'acme/rowtest')
        .where('pull_requests.number', '=', 41)
        .executeTakeFirstOrThrow(),
    });
    await deliver('pull_request', delivery('opened', { number: 41, updatedAt: '2026-02-01T00:00:00Z' }));
    await t.settle();
    const first = await rows();
    await new Promise((r) => setTimeout(r, 5));
    // The same facts again (another delivery of them): the pull request row is not rewritten.
    await deliver('pull_request', delivery('labeled', { number: 41, updatedAt: '2026-02-01T00:00:00Z' }));
    await t.settle();
    expect(await rows()).toEqual(first);
    // New facts: both rows change.
    await deliver('pull_request', delivery('edited', { number: 41, updatedAt: '2026-02-01T00:10:00Z', title: 'Add a bigger widget' }, 4));
    await t.settle();
    const after = await rows();
    expect(after.pr.title).toBe('Add a bigger widget');
    expect(after.pr.updated_at).not.toBe(first.pr.updated_at);
    expect(after.repo.stargazers_count).toBe(4);
  });

  it('replaying a processed receipt changes nothing', async () => {
    const before = await snapshot();
    const events = (await t.getJson('/api/events?type=pull_request&limit=10')) as { items: Array<{ delivery_id: string }> };
    for (const e of events.items) {
      const r = await t.api(`/api/events/${e.delivery_id}/replay`, { method: 'POST' });
      expect(r.status).toBe(202);
    }
    await t.settle();
    expect(await snapshot()).toEqual(before);
  });

  it('links check runs to their pull request by number or head sha, and never moves a completed run backwards', async () => {
    const sha = 'c'.repeat(40);
    await deliver('pull_request', pullRequest('opened', { number: 8, updatedAt: '2026-02-01T00:00:00Z', headSha: sha }));
    await t.settle();
    await deliver('check_run', checkRun('completed', { id: 501, status: 'completed', conclusion: 'failure', headSha: sha, prNumbers: [8] }));
    await deliver('check_run', checkRun('created', { id: 502, name: 'lint', status: 'queued', headSha: sha }));
    await t.settle();
    await deliver('check_run', checkRun('created', { id: 501, status: 'in_progress', headSha: sha, prNumbers: [8] }));
    await t.settle();
    const pr = await t.app.db.kysely.selectFrom('pull_requests').select('id').where('number', '=', 8).executeTakeFirstOrThrow();
    const runs = (await snapshot()).runs.filter((r) => r.github_id === 501 || r.github_id === 502);
    expect(runs).toEqual([
      { github_id: 501, status: 'completed', conclusion: 'failure', pull_request_id: pr.id },
      { github_id: 502, status: 'queued', conclusion: null, pull_request_id: pr.id },
    ]);
    const detail = await t.getJson('/api/repositories/acme/widgets/pulls/8');
    expect(detail.check_runs).toHaveLength(2);
    expect(detail.state_history).toEqual([expect.objectContaining({ to_state: 'open', trigger: 'pull_request.opened' })]);
    const repoItem = await t.getJson('/api/repositories/acme/widgets');
    expect(repoItem).toMatchObject({ full_name: 'acme/widgets', open_pull_requests: 1, failing_checks: 1 });
  });

  it('counts only the latest run of each check on the head commit as failing', async () => {
    const sha = 'f'.repeat(40);
    await deliver('pull_request', pullRequest('opened', { number: 9, updatedAt: '2026-02-02T00:00:00Z', headSha: sha }));
    await t.settle();
    const failing = async () => (await t.getJson('/api/repositories/acme/widgets')).failing_checks as number;
    const before = await failing();
    await deliver('check_run', checkRun('completed', { id: 601, name: 'test', status: 'completed', conclusion: 'failure', headSha: sha, prNumbers: [9] }));
    await t.settle();
    expect(await failing()).toBe(before + 1);
    // A re-run of the same check that passes: the failure no longer counts.
    await deliver('check_run', checkRun('completed', { id: 602, name: 'test', status: 'completed', conclusion: 'success', headSha: sha, prNumbers: [9] }));
    await t.settle();
    expect(await failing()).toBe(before);
    // A new head commit whose check fails, then the pull request closes: an open PR's failures only.
    const sha2 = '9'.repeat(40);
    await deliver('pull_request', pullRequest('synchronize', { number: 9, updatedAt: '2026-02-02T01:00:00Z', headSha: sha2 }));
    await deliver('check_run', checkRun('completed', { id: 603, name: 'test', status: 'completed', conclusion: 'timed_out', headSha: sha2, prNumbers: [9] }));
    await t.settle();
    expect(await failing()).toBe(before + 1);
    await deliver('pull_request', pullRequest('closed', { number: 9, state: 'closed', updatedAt: '2026-02-02T02:00:00Z', headSha: sha2 }));
    await t.settle();
    expect(await failing()).toBe(before);
  });

  it('projects installations and their repositories', async () => {
    await deliver('installation', { action: 'created', installation: { ...installation, id: 777, account: { login: 'acme', id: 9, type: 'Organization' }, permissions: { checks: 'write' }, events: ['push'], repository_selection: 'selected' }, repositories: [{ id: 2001, name: 'one', full_name: 'acme/one', private: true }], sender });
    await t.settle();
    await deliver('installation_repositories', { action: 'added', installation: { id: 777 }, repositories_added: [{ id: 2002, name: 'two', full_name: 'acme/two', private: false }], repositories_removed: [{ id: 2001, name: 'one', full_name: 'acme/one' }], sender });
    await t.settle();
    await deliver('installation', { action: 'suspend', installation: { id: 777, account: { login: 'acme', id: 9, type: 'Organization' }, suspended_at: '2026-03-01T00:00:00Z' }, sender });
    await t.settle();
    const k = t.app.db.kysely;
    const inst = await k.selectFrom('installations').selectAll().where('github_id', '=', 777).executeTakeFirstOrThrow();
    expect(inst.status).toBe('suspended');
    const linked = await k
      .selectFrom('installation_repositories as ir')
      .innerJoin('repositories as r', 'r.id', 'ir.repository_id')
      .select('r.full_name')
      .where('ir.installation_id', '=', inst.id)
      .execute();
    expect(linked.map((l) => l.full_name)).toEqual(['acme/two']);
  });

  it('follows repository renames, archiving and pushes to the default branch', async () => {
    await deliver('push', { ref: 'refs/heads/main', after: 'd'.repeat(40), before: 'c'.repeat(40), repository: { ...repo(), pushed_at: 1767225600 + 3600 }, installation, sender, head_commit: { id: 'd'.repeat(40), timestamp: '2026-01-01T01:00:00Z' } });
    await deliver('push', { ref: 'refs/heads/feature', after: 'e'.repeat(40), repository: { ...repo(), pushed_at: 1767225600 + 7200 }, installation, sender });
    await t.settle();
    await deliver('repository', { action: 'renamed', changes: { repository: { name: { from: 'widgets' } } }, repository: { ...repo(1001, 'acme/gadgets'), updated_at: '2026-04-01T00:00:00Z' }, installation, sender });
    await t.settle();
    await deliver('repository', { action: 'archived', repository: { ...repo(1001, 'acme/gadgets'), archived: true, updated_at: '2026-04-02T00:00:00Z' }, installation, sender });
    await t.settle();
    const r = await t.app.db.kysely.selectFrom('repositories').selectAll().where('github_id', '=', 1001).executeTakeFirstOrThrow();
    expect(r).toMatchObject({ full_name: 'acme/gadgets', name: 'gadgets', last_commit_sha: 'd'.repeat(40) });
    expect(Boolean(r.is_archived)).toBe(true);
    expect((await t.api('/api/repositories/acme/gadgets')).status).toBe(200);
  });

  it('retries a failing receipt with backoff, then marks it dead with its error, and replay runs it again', async () => {
    let failures = 0;
    let fail = true;
    t.app.registry.project('test.flaky', 'ping', async () => {
      if (fail) {
        failures++;
        throw new Error('projector exploded');
      }
    });
    const id = await deliver('ping', { zen: 'x', hook_id: 1, sender });
    const deadline = Date.now() + 20_000;
    let ev: { processing_status: string; retry_count: number; error_message: string | null } = { processing_status: '', retry_count: 0, error_message: null };
    while (Date.now() < deadline) {
      ev = await t.getJson(`/api/events/${id}`);
      if (ev.processing_status === 'dead') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(ev).toMatchObject({ processing_status: 'dead', retry_count: 3, error_message: 'projector exploded' });
    expect(failures).toBe(3);
    const dead = await t.getJson('/api/events?status=dead');
    expect(dead.items.map((i: { delivery_id: string }) => i.delivery_id)).toContain(id);

    fail = false;
    expect((await t.api(`/api/events/${id}/replay`, { method: 'POST' })).status).toBe(202);
    await t.settle();
    ev = await t.getJson(`/api/events/${id}`);
    expect(ev).toMatchObject({ processing_status: 'processed', error_message: null });
  });

  it('answers 404 to a replay of an unknown delivery', async () => {
    const r = await t.api(`/api/events/${randomUUID()}/replay`, { method: 'POST' });
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ error: 'EVENT_NOT_FOUND' });
  });

  it('processes many receipts at once, each exactly once, and rolls back only the one that fails', async () => {
    // On SQLite the receipts whose jobs run together share one transaction (a savepoint each).
    const numbers = Array.from({ length: 24 }, (_, i) => 300 + i);
    const calls = new Map<number, number>();
    t.app.registry.project('test.one-bad-in-a-batch', 'pull_request', async (ctx) => {
      const n = Number((ctx.payload.pull_request as { number: number }).number);
      if (n < 300 || n >= 400) return;
      calls.set(n, (calls.get(n) ?? 0) + 1);
      if (n === 311) throw new Error('pull request 311 is poison');
    });
    const ids = await Promise.all(numbers.map((n) => deliver('pull_request', pullRequest('opened', { number: n, updatedAt: '2026-02-01T00:00:00Z' }))));
    await t.settle();
    const prs = await t.app.db.kysely.selectFrom('pull_requests').select('number').where('number', '>=', 300).where('number', '<', 400).orderBy('number').execute();
    // The poison receipt's pull request row was rolled back with it; every other one committed.
    expect(prs.map((p) => p.number)).toEqual(numbers.filter((n) => n !== 311));
    const statuses = await t.app.db.kysely.selectFrom('event_receipts').select(['delivery_id', 'processing_status']).where('delivery_id', 'in', ids).execute();
    const byId = new Map(statuses.map((r) => [r.delivery_id, r.processing_status]));
    numbers.forEach((n, i) => expect(byId.get(ids[i]!)).toBe(n === 311 ? 'dead' : 'processed'));
    for (const n of numbers) expect(calls.get(n)).toBe(n === 311 ? 3 : 1);
  });
});

describe.each(dialects)('installation links (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('links a repository to the installation an event names, creating the installation on first sight', async () => {
    const body = JSON.stringify({ action: 'opened', issue: { id: 1, number: 1, title: 't', state: 'open', updated_at: '2026-01-01T00:00:00Z' }, repository: repo(4242, 'solo/app'), installation: { id: 9191 }, sender });
    const res = await fetch(`${t.url}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders('issues', body), body });
    expect(res.status).toBe(202);
    await t.settle();
    const rows = await t.app.db.kysely
      .selectFrom('installation_repositories as ir')
      .innerJoin('installations as i', 'i.id', 'ir.installation_id')
      .innerJoin('repositories as r', 'r.id', 'ir.repository_id')
      .select(['i.github_id', 'i.status', 'r.full_name', 'r.installation_id'])
      .execute();
    expect(rows).toEqual([{ github_id: 9191, status: 'active', full_name: 'solo/app', installation_id: 9191 }]);
  });
});
