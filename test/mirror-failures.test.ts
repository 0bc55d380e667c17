/**
 * How mirroring fails and recovers, on SQLite and PostgreSQL: a target that is down fails, retries
 * with backoff and completes once it is back; a wrong token fails at once with a message naming the
 * credential and is not retried on its own (no retry storm) until the token is fixed; retries run
 * out into permanent_failure and the API's retry resets it; target addresses are checked; and
 * every mirror route answers within the viewer's scope.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { FakeOneDev } from './support/fake-forge/index.js';
import { installationRepositoriesPayload, pushPayload } from './support/fake-github/index.js';
import { refsOf } from './support/git-server/index.js';
import { startMirrorWorld, type MirrorWorld } from './support/git-server/mirror-world.js';
import { recordSecret } from './support/secret-ledger.js';
import { deleteOldSyncLogs } from '../src/automations/mirror/index.js';
import { createLogger } from '../src/log/index.js';

const silentLog = createLogger('silent');
import { bearerClient, createApiToken, createUser, grantInstallation, signIn, sessionClient } from './support/users.js';

const GOOD = 'onedev-good-token-8d2f4a1c';
const WRONG = 'onedev-wrong-token-77e0b3d9';

describe.each(dialects)('mirror failures and recovery (%s)', (dialect) => {
  let w: MirrorWorld;
  let onedev: FakeOneDev;

  beforeAll(async () => {
    recordSecret(GOOD, WRONG);
    onedev = await FakeOneDev.start();
    onedev.addToken(GOOD);
    w = await startMirrorWorld(dialect, { MIRROR_RETRY_BASE_MS: '600', MIRROR_MAX_RETRIES: '3' });
  });
  afterEach(() => onedev.assertValid());
  afterAll(async () => {
    await w?.close();
    await onedev?.close();
  });

  /** A repository Switchyard knows (projected from an installation_repositories event). */
  const knownRepository = async (name: string) => {
    const r = w.source.addRepository(w.installationId, { name });
    await w.deliver('installation_repositories', installationRepositoriesPayload(w.fake, w.installationId, 'added', [r.json.id]));
    return r;
  };
  const addTarget = async (name: string, token: string, extra: Record<string, unknown> = {}) => {
    const res = await w.api('/api/mirror/targets', { body: { name, kind: 'onedev', base_url: onedev.url, namespace: name, token, ...extra } });
    expect(res.status, await res.clone().text()).toBe(201);
  };
  const mirrorTo = async (target: string, fullName: string) => {
    const res = await w.api(`/api/mirror/targets/${target}/rules`, { body: { kind: 'repositories', repositories: [fullName] } });
    expect(res.status).toBe(201);
    return (await res.json()) as { started: number };
  };
  const count = async (fullName: string, event: string) => (await w.logEvents(fullName)).filter((e) => e === event).length;

  it('a target that is down: failed → retried with backoff → completed once it is back', async () => {
    await addTarget('flaky', GOOD);
    const repo = await knownRepository('flaky-repo');
    onedev.down = true;
    expect((await mirrorTo('flaky', repo.fullName)).started).toBe(1);
    const failed = await w.waitMirror(repo.fullName, (m) => m.sync_status === 'failed');
    expect(failed.error_code).toBe('MIRROR_TARGET_UNREACHABLE');
    expect(failed.error_message).toMatch(/OneDev at .* answered 503/);
    expect(failed.retry_count).toBe(1);
    expect(failed.next_retry_at).not.toBeNull();
    onedev.down = false;
    const ok = await w.waitMirror(repo.fullName, (m) => m.sync_status === 'completed');
    expect(ok).toMatchObject({ retry_count: 0, error_code: null, error_message: null, next_retry_at: null });
    const events = await w.logEvents(repo.fullName);
    expect(events).toContain('sync_failed');
    expect(events).toContain('retry_attempted');
    expect(events.indexOf('retry_attempted')).toBeGreaterThan(events.indexOf('sync_failed'));
    expect(events[events.length - 1]).toBe('sync_completed');
    expect(refsOf(onedev.repoDir('flaky/flaky-repo')).get('refs/heads/main')).toBe(repo.wc.head());
  });

  it('a git server that fails mid-push (503) is retried the same way', async () => {
    const repo = await knownRepository('push-fails');
    w.source.server.failNext(503, 1, 'git-upload-pack');
    await mirrorTo('flaky', repo.fullName);
    await w.waitMirror(repo.fullName, (m) => m.sync_status === 'completed');
    const failures = (await w.json(`/api/mirror/repositories/${repo.fullName}/logs?event=sync_failed`)).items as Array<{ error_code: string; message: string }>;
    expect(failures[0]).toMatchObject({ error_code: 'MIRROR_SOURCE_UNREACHABLE' });
    expect(failures[0]!.message).toMatch(/503/);
  });

  it('a wrong token fails at once with a message naming the credential, and is not retried on its own', async () => {
    await addTarget('locked', WRONG);
    const repo = await knownRepository('locked-repo');
    await mirrorTo('locked', repo.fullName);
    const m = await w.waitMirror(repo.fullName, (x) => x.sync_status === 'failed');
    expect(m.error_code).toBe('MIRROR_TARGET_AUTH_FAILED');
    expect(m.error_message).toContain('the access token of mirror target locked');
    expect(m.error_message).toContain('401');
    expect(m.next_retry_at).toBeNull();
    const requestsAfterFailure = onedev.requests.length;
    // Pushes keep coming: they are recorded, but nothing hammers the target.
    for (let i = 0; i < 3; i++) {
      const before = repo.wc.head();
      repo.wc.commit(`change ${i}`);
      repo.wc.push('HEAD:refs/heads/main');
      await w.deliver('push', pushPayload(w.fake, w.installationId, repo.json.id, { before, after: repo.wc.head() }));
    }
    await new Promise((r) => setTimeout(r, 1500));
    expect(await count(repo.fullName, 'sync_started')).toBe(1);
    expect(onedev.requests.length).toBe(requestsAfterFailure);
    const still = (await w.json(`/api/mirror/repositories/${repo.fullName}`)).items[0];
    expect(still).toMatchObject({ sync_status: 'failed', behind: true });
    expect(still.lag_seconds).toBeGreaterThanOrEqual(1);

    // Fixing the token gives it another chance at once.
    const patched = await w.api('/api/mirror/targets/locked', { method: 'PATCH', body: { token: GOOD } });
    expect(patched.status).toBe(200);
    const fixed = await w.waitMirror(repo.fullName, (x) => x.sync_status === 'completed');
    expect(fixed.synced_sha).toBe(repo.wc.head());
  });

  it('permanent_failure after max_retries; the API’s retry resets it', async () => {
    await addTarget('gone', GOOD);
    const repo = await knownRepository('gone-repo');
    onedev.down = true;
    await mirrorTo('gone', repo.fullName);
    const dead = await w.waitMirror(repo.fullName, (m) => m.sync_status === 'permanent_failure', { timeoutMs: 30_000 });
    expect(dead).toMatchObject({ retry_count: 4, max_retries: 3, next_retry_at: null });
    expect(await count(repo.fullName, 'sync_started')).toBe(4);
    const failures = (await w.json(`/api/mirror/repositories/${repo.fullName}/logs?event=sync_failed`)).items as Array<{ message: string }>;
    expect(failures[0]!.message).toContain('permanent_failure');
    onedev.down = false;
    const res = await w.api(`/api/mirror/repositories/${repo.fullName}/retry`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ mirrors: 1 });
    await w.waitMirror(repo.fullName, (m) => m.sync_status === 'completed');
    expect((await w.logEvents(repo.fullName)).slice(-2)).toEqual(['push_completed', 'sync_completed']);
    expect(await w.logEvents(repo.fullName)).toContain('retry_attempted');
  });

  it('sync now brings a mirror up to date on request', async () => {
    const repo = await knownRepository('on-demand');
    await mirrorTo('flaky', repo.fullName);
    await w.waitMirror(repo.fullName, (m) => m.sync_status === 'completed');
    repo.wc.commit('pushed while the webhook was lost');
    repo.wc.push('HEAD:refs/heads/main');
    const res = await w.api(`/api/mirror/repositories/${repo.fullName}/sync?target=flaky`, { method: 'POST' });
    expect(res.status).toBe(202);
    await w.waitMirror(repo.fullName, (m) => m.synced_sha === repo.wc.head() && m.sync_status === 'completed');
  });

  it('a sync that outlives MIRROR_SYNC_TIMEOUT_SECONDS is stopped and retried', async () => {
    const repo = await knownRepository('slow-repo');
    const hold = onedev.holdGit('git-receive-pack');
    const config = w.t.app.config.mirror;
    const saved = config.syncTimeoutSeconds;
    config.syncTimeoutSeconds = 1;
    try {
      await mirrorTo('flaky', repo.fullName);
      // The held push makes the sync outlive the timeout; on a busy machine the timeout can stop it
      // earlier (fetching from GitHub), which is the same case, so the test does not wait for the hold.
      const m = await w.waitMirror(repo.fullName, (x) => x.error_code === 'MIRROR_TIMEOUT');
      expect(m.error_message).toContain('MIRROR_SYNC_TIMEOUT_SECONDS (1 s)');
    } finally {
      config.syncTimeoutSeconds = saved;
      hold.release();
    }
    await w.waitMirror(repo.fullName, (x) => x.sync_status === 'completed');
  });

  it('sync logs are kept MIRROR_SYNC_LOG_DAYS (90) days', async () => {
    const mirrorRow = await w.t.app.db.kysely.selectFrom('repo_mirrors').select('id').executeTakeFirstOrThrow();
    const old = new Date(Date.now() - 91 * 86_400_000).toISOString();
    const recent = new Date(Date.now() - 89 * 86_400_000).toISOString();
    for (const [id, at] of [['00000000-0000-7000-8000-000000000001', old], ['00000000-0000-7000-8000-000000000002', recent]] as const) {
      await w.t.app.db.kysely.insertInto('sync_logs').values({ id, repo_mirror_id: mirrorRow.id, sync_id: null, event: 'sync_completed', message: 'old', duration_ms: null, bytes_transferred: null, error_code: null, details: null, created_at: at }).execute();
    }
    const deleted = await deleteOldSyncLogs({ db: w.t.app.db, config: w.t.app.config, log: silentLog });
    expect(deleted).toBe(1);
    const left = await w.t.app.db.kysely.selectFrom('sync_logs').select('id').where('id', 'in', ['00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000002']).execute();
    expect(left.map((r) => r.id)).toEqual(['00000000-0000-7000-8000-000000000002']);
  });

  it('two repositories that would land at one path: the second fails until the name template tells them apart', async () => {
    const beta = w.fake.addInstallation({ account: { login: 'beta', type: 'Organization' } });
    const a = await knownRepository('dup');
    const b = w.source.addRepository(beta.id, { name: 'dup' });
    await w.deliver('installation_repositories', installationRepositoriesPayload(w.fake, beta.id, 'added', [b.json.id]));
    await addTarget('paths', GOOD);
    await mirrorTo('paths', 'acme/dup');
    await w.waitMirror(a.fullName, (m) => m.sync_status === 'completed', { target: 'paths' });
    await mirrorTo('paths', 'beta/dup');
    const clash = await w.waitMirror('beta/dup', (m) => m.sync_status === 'failed', { target: 'paths' });
    expect(clash.error_code).toBe('MIRROR_TARGET_PATH_TAKEN');
    expect(clash.error_message).toContain('already the mirror of acme/dup');
    expect((await w.api('/api/mirror/targets/paths', { method: 'PATCH', body: { name_template: '{owner}-{name}' } })).status).toBe(200);
    const fixed = await w.waitMirror('beta/dup', (m) => m.sync_status === 'completed', { target: 'paths' });
    expect(fixed.target_path).toBe('paths/beta-dup');
    expect(refsOf(onedev.repoDir('paths/beta-dup')).get('refs/heads/main')).toBe(b.wc.head());
    expect(refsOf(onedev.repoDir('paths/dup')).get('refs/heads/main')).toBe(a.wc.head());
  });

  it('checks target addresses and settings, and tests connections', async () => {
    const bad = async (body: Record<string, unknown>, pattern: RegExp) => {
      const res = await w.api('/api/mirror/targets', { body: { name: `t${Math.random().toString(36).slice(2, 8)}`, kind: 'onedev', token: 'x', ...body } });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(pattern);
    };
    await bad({ base_url: 'http://169.254.169.254' }, /link-local/);
    await bad({ base_url: 'http://[::ffff:169.254.169.254]' }, /link-local/);
    await bad({ base_url: 'http://metadata.google.internal' }, /metadata/);
    await bad({ base_url: 'file:///etc/passwd' }, /http/);
    await bad({ base_url: 'https://user:pw@example.com' }, /credentials/);
    await bad({ base_url: onedev.url, kind: 'gitea' }, /namespace/);
    await bad({ base_url: onedev.url, name_template: '{owner}' }, /\{name\}/);
    expect((await w.api('/api/mirror/targets', { body: { name: 'flaky', kind: 'onedev', base_url: onedev.url } })).status).toBe(409);

    const ok = await w.json('/api/mirror/targets/flaky/test', { method: 'POST' });
    expect(ok.ok).toBe(true);
    expect(ok.checks.map((c: { name: string }) => c.name)).toEqual(['address', 'token', 'namespace']);
    const wrong = await w.api('/api/mirror/targets', { body: { name: 'wrong', kind: 'onedev', base_url: onedev.url, token: WRONG } });
    expect(wrong.status).toBe(201);
    const failed = await w.json('/api/mirror/targets/wrong/test', { method: 'POST' });
    expect(failed.ok).toBe(false);
    expect(failed.checks[1].message).toMatch(/refused the token/);
    expect((await w.json('/api/mirror/targets/wrong')).last_test_ok).toBe(false);
    expect((await w.api('/api/mirror/targets/wrong', { method: 'DELETE' })).status).toBe(204);
    expect((await w.api('/api/mirror/targets/wrong')).status).toBe(404);
  });

  it('scopes mirrors to the viewer’s installations; targets are for administrators', async () => {
    const other = w.fake.addInstallation({ account: { login: 'elsewhere', type: 'Organization' } });
    const user = await createUser(w.t, { username: `viewer-${dialect}` });
    const session = await signIn(w.t, user);
    const client = bearerClient(w.t, (await createApiToken(sessionClient(w.t, session))).token);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const get = async (p: string): Promise<{ status: number; json(): Promise<any> }> => client.fetch(p);

    expect((await get('/api/mirror/targets')).status).toBe(403);
    expect((await client.fetch('/api/mirror/targets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', kind: 'git', base_url: onedev.url }) })).status).toBe(403);
    expect((await (await get('/api/mirror/repositories')).json()).items).toEqual([]);
    expect((await get('/api/mirror/repositories/acme/flaky-repo')).status).toBe(404);
    expect((await get('/api/mirror/repositories/acme/flaky-repo/logs')).status).toBe(404);
    expect((await client.fetch('/api/mirror/repositories/acme/flaky-repo/sync', { method: 'POST' })).status).toBe(404);
    expect((await client.fetch('/api/mirror/repositories/acme/flaky-repo/retry', { method: 'POST' })).status).toBe(404);
    expect((await (await get('/api/mirror/status')).json()).totals).toEqual({});

    await grantInstallation(w.t, user.id, other.id);
    expect((await (await get('/api/mirror/repositories')).json()).items).toEqual([]);
    await grantInstallation(w.t, user.id, w.installationId);
    const visible = (await (await get('/api/mirror/repositories?limit=2')).json()) as { items: Array<{ repository: string }>; next_cursor: string };
    expect(visible.items).toHaveLength(2);
    const next = (await (await get(`/api/mirror/repositories?limit=200&cursor=${visible.next_cursor}`)).json()) as { items: unknown[] };
    expect(next.items.length).toBeGreaterThan(0);
    expect((await get('/api/mirror/repositories/acme/flaky-repo/logs')).status).toBe(200);
    expect((await (await get('/api/mirror/status')).json()).cache_bytes).toBeNull();
  });
});
