/**
 * Access that follows GitHub (src/access), end to end against the fake GitHub on both databases:
 * a person signed in with GitHub loses an installation's repositories, events and pull requests
 * through the API without signing in again — once through a delivery (waiting on the delivery's
 * processing, not a timer), once through the periodic re-check with a renewed user token — and a
 * revoked authorization (by delivery, or a refresh token GitHub refuses) ends every session, and
 * the live event stream open in one of them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLocalUser, openGithubToken } from '../src/identity/index.js';
import { RECHECK_JOB } from '../src/access/index.js';
import { startTestApp, type TestApp } from './support/app.js';
import { dialects } from './support/databases.js';
import {
  appAuthorizationRevokedPayload,
  installationPayload,
  organizationMemberPayload,
  pushPayload,
  startFakeGitHub,
  type FakeApp,
  type FakeGitHub,
} from './support/fake-github/index.js';
import { pullRequest } from './support/payloads.js';
import { freePort } from './support/process.js';
import { json, until } from './support/wait.js';

/** Cookies from a response's Set-Cookie headers, as a Cookie header. */
function cookieHeaderOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((line) => line.split(';')[0]!)
    .join('; ');
}

describe.each(dialects)('access follows GitHub (%s)', (dialect) => {
  let fake: FakeGitHub;
  let ghApp: FakeApp;
  let t: TestApp;
  let acme: number;
  let globex: number;
  let widgets: { id: number; full_name: string };
  let gadgets: { id: number; full_name: string };

  /** Signs `login` in with GitHub through the fake's OAuth flow; returns the session's Cookie header. */
  async function signInWithGitHub(login: string): Promise<string> {
    fake.signInAs(login);
    const start = await fetch(`${t.url}/api/auth/github`, { redirect: 'manual' });
    const approved = await fetch(new URL(start.headers.get('location')!), { redirect: 'manual' });
    const back = await fetch(new URL(approved.headers.get('location')!), { redirect: 'manual', headers: { cookie: cookieHeaderOf(start) } });
    expect(back.status, await back.clone().text()).toBe(302);
    const cookie = cookieHeaderOf(back);
    expect(cookie).toMatch(/sy_session=sys_/);
    return cookie;
  }

  const as = (cookie: string) => (path: string) => fetch(`${t.url}${path}`, { headers: { cookie } });
  const userRow = (login: string) => t.app.db.kysely.selectFrom('users').selectAll().where('username', '=', login).executeTakeFirstOrThrow();

  /** What a viewer sees of one repository: the repository, its events and its pull request. */
  async function sees(get: (path: string) => Promise<Response>, repo: { full_name: string }): Promise<{ repo: number; pull: number; events: number }> {
    const [owner, name] = repo.full_name.split('/');
    const repoRes = await get(`/api/repositories/${owner}/${name}`);
    const pull = await get(`/api/repositories/${owner}/${name}/pulls/7`);
    const events = await json(get(`/api/events?limit=100`));
    const ofRepo = (events.items as Array<{ repository: string | null }>).filter((e) => e.repository === repo.full_name).length;
    return { repo: repoRes.status, pull: pull.status, events: ofRepo };
  }

  beforeAll(async () => {
    fake = await startFakeGitHub();
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    ghApp = fake.createApp({
      expiringUserTokens: true,
      callbackUrls: [`${publicUrl}/api/auth/github/callback`],
      permissions: { metadata: 'read', pull_requests: 'read', members: 'read' },
    });
    t = await startTestApp(dialect, {
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      APP_ID: String(ghApp.id),
      PRIVATE_KEY: ghApp.privateKey,
      GITHUB_CLIENT_ID: ghApp.clientId,
      GITHUB_CLIENT_SECRET: ghApp.clientSecret,
      WEBHOOK_SECRET: ghApp.webhookSecret,
      GITHUB_URL: fake.url,
      GITHUB_API_URL: fake.apiUrl,
      PETS_ENABLED: 'false',
    });
    fake.setWebhookTarget(`${t.url}/api/github/webhooks`, ghApp.webhookSecret);
    // An administrator exists, so people signing in with GitHub are not administrators (they are scoped).
    await createLocalUser(t.app.db, { username: 'root', password: 'correct horse battery', isAdmin: true });

    acme = fake.addInstallation({ account: { login: 'acme', type: 'Organization' } }).id;
    globex = fake.addInstallation({ account: { login: 'globex', type: 'Organization' } }).id;
    const w = fake.addRepository(acme, { name: 'widgets', private: true });
    const g = fake.addRepository(globex, { name: 'gadgets', private: true });
    widgets = { id: w.id as number, full_name: String(w.full_name) };
    gadgets = { id: g.id as number, full_name: String(g.full_name) };
    for (const [inst, repo] of [[acme, w], [globex, g]] as const) {
      expect((await fake.deliver('installation', installationPayload(fake, inst, 'created'))).statusCode).toBe(202);
      expect((await fake.deliver('push', pushPayload(fake, inst, repo.id as number))).statusCode).toBe(202);
      const pr = { ...pullRequest('opened', { updatedAt: new Date().toISOString() }), repository: repo, installation: { id: inst } };
      expect((await fake.deliver('pull_request', pr)).statusCode).toBe(202);
    }
    await t.settle();
    for (const login of ['alice', 'bob', 'carol']) {
      fake.addUser({ login });
      fake.grantInstallation(login, acme);
      fake.grantInstallation(login, globex);
    }
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(t.logs.filter((l) => /"level":(40|50)|access/.test(l)).slice(-30).join(''));
    fake.assertValid();
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('a person removed from an organization on GitHub loses its installation within seconds of the delivery', async () => {
    const alice = as(await signInWithGitHub('alice'));
    expect(await sees(alice, widgets)).toEqual({ repo: 200, pull: 200, events: 2 });
    expect(await sees(alice, gadgets)).toEqual({ repo: 200, pull: 200, events: 2 });
    const before = await userRow('alice');
    expect(before.access_checked_at).not.toBeNull();
    expect(before.github_refresh_token).toMatch(/^enc:v1:/);

    fake.revokeInstallation('alice', acme);
    const sent = await fake.deliver('organization', organizationMemberPayload(fake, acme, 'member_removed', 'alice'));
    expect(sent.statusCode).toBe(202);
    // The delivery's processing is the event that changes access: wait for it, then look.
    await until('the member_removed delivery processed', async () => {
      const ev = await t.api(`/api/events/${sent.guid}`);
      return ev.status === 200 && (await json(ev)).processing_status === 'processed';
    });
    expect(await sees(alice, widgets)).toEqual({ repo: 404, pull: 404, events: 0 });
    expect(await sees(alice, gadgets)).toEqual({ repo: 200, pull: 200, events: 2 });
    const me = await json(alice('/api/me'));
    expect(me.installation_ids).toEqual([globex]);
    expect((await json(alice('/api/repositories'))).items.map((r: { full_name: string }) => r.full_name)).toEqual([gadgets.full_name]);
    // The re-check the delivery asked for agrees with GitHub (and does not give acme back).
    await until('the re-check after the delivery', async () => (await t.app.queue.findJobs(RECHECK_JOB, { userId: before.id })).length === 0);
    expect((await json(alice('/api/me'))).installation_ids).toEqual([globex]);
    // Administrators still see everything.
    expect((await t.api(`/api/repositories/${widgets.full_name}`)).status).toBe(200);
  });

  it('the periodic re-check catches what no delivery says, renewing the expired user token', async () => {
    const bob = as(await signInWithGitHub('bob'));
    expect(await sees(bob, widgets)).toEqual({ repo: 200, pull: 200, events: 2 });
    const before = await userRow('bob');
    const tokenBefore = openGithubToken(t.app.box, before)!;
    expect(tokenBefore.refreshToken).toMatch(/^ghr_/);

    // On GitHub: bob leaves acme (no delivery), and eight hours pass (his user token expires).
    fake.revokeInstallation('bob', acme);
    fake.expireUserTokens();
    const hourAgo = new Date(Date.now() - 61 * 60_000).toISOString();
    await t.app.db.kysely.updateTable('users').set({ access_checked_at: hourAgo, github_token_expires_at: hourAgo }).where('id', '=', before.id).execute();
    // Still visible: nothing has asked GitHub yet.
    expect((await bob(`/api/repositories/${widgets.full_name}`)).status).toBe(200);

    // The scheduler's sweep, run now as a job (instead of waiting for its slot), queues the re-check.
    await t.app.queue.enqueue(t.app.db.kysely, 'access.sweep', {}, { key: 'access.sweep' });
    await until('the re-check confirmed access with GitHub', async () => {
      const row = await userRow('bob');
      return row.access_checked_at !== null && row.access_checked_at > hourAgo ? row : null;
    });
    expect(await sees(bob, widgets)).toEqual({ repo: 404, pull: 404, events: 0 });
    expect(await sees(bob, gadgets)).toEqual({ repo: 200, pull: 200, events: 2 });
    const after = await userRow('bob');
    const tokenAfter = openGithubToken(t.app.box, after)!;
    expect(tokenAfter.token).not.toBe(tokenBefore.token);
    expect(tokenAfter.refreshToken).not.toBe(tokenBefore.refreshToken);
    expect(Date.parse(after.github_token_expires_at!)).toBeGreaterThan(Date.now());
    // The account page reads when access was last confirmed from the API.
    expect((await json(bob('/api/me'))).user.access_checked_at).toBe(after.access_checked_at);

    // Given back on GitHub, the next re-check gives it back here.
    fake.grantInstallation('bob', acme);
    await t.app.access.recheck(after.id);
    expect(await sees(bob, widgets)).toEqual({ repo: 200, pull: 200, events: 2 });

    // A person checked within the hour is not due.
    expect(await t.app.access.sweep()).toBe(0);
  });

  it('an installation suspended on GitHub is seen by nobody until it is unsuspended', async () => {
    const carol = as(await signInWithGitHub('carol'));
    expect((await carol(`/api/repositories/${gadgets.full_name}`)).status).toBe(200);
    fake.suspendInstallation(globex);
    const suspended = await fake.deliver('installation', installationPayload(fake, globex, 'suspend'));
    await until('the suspend delivery processed', async () => (await json(t.api(`/api/events/${suspended.guid}`))).processing_status === 'processed');
    expect(await sees(carol, gadgets)).toEqual({ repo: 404, pull: 404, events: 0 });
    expect((await json(carol('/api/me'))).installation_ids).toEqual([acme]);
    fake.unsuspendInstallation(globex);
    const back = await fake.deliver('installation', installationPayload(fake, globex, 'unsuspend'));
    await until('the unsuspend delivery processed', async () => (await json(t.api(`/api/events/${back.guid}`))).processing_status === 'processed');
    expect(await sees(carol, gadgets)).toEqual({ repo: 200, pull: 200, events: 2 });
  });

  it('a revoked authorization ends every session of the person and drops their GitHub token', async () => {
    const firstCookie = await signInWithGitHub('carol');
    const first = as(firstCookie);
    const second = as(await signInWithGitHub('carol'));
    expect((await first('/api/me')).status).toBe(200);
    expect((await second('/api/me')).status).toBe(200);
    const carol = await userRow('carol');
    // A live tail open in the first session (the dashboard's events page).
    const stream = await fetch(`${t.url}/api/events/stream`, { headers: { cookie: firstCookie } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    let received = '';
    while (!received.includes('event: ready')) received += new TextDecoder().decode((await reader.read()).value);

    fake.revokeAuthorization('carol');
    const sent = await fake.deliver('github_app_authorization', appAuthorizationRevokedPayload(fake, 'carol'));
    expect(sent.statusCode).toBe(202);
    await until('the revoked delivery processed', async () => (await json(t.api(`/api/events/${sent.guid}`))).processing_status === 'processed');
    expect((await first('/api/me')).status).toBe(401);
    expect((await second('/api/me')).status).toBe(401);
    const after = await userRow('carol');
    expect(after.github_access_token).toBeNull();
    expect(after.github_refresh_token).toBeNull();
    const sessions = await t.app.db.kysely.selectFrom('user_sessions').select('id').where('user_id', '=', carol.id).execute();
    expect(sessions).toEqual([]);
    // The stream re-authenticates at its next heartbeat and ends (waiting on its end, not a clock).
    for (;;) if ((await reader.read()).done) break;
    // Nothing is left to re-check with.
    expect(await t.app.access.recheck(carol.id)).toBe('skipped');
  });

  it('a refresh token GitHub refuses ends the person’s sessions', async () => {
    const bob = as(await signInWithGitHub('bob'));
    expect((await bob('/api/me')).status).toBe(200);
    const row = await userRow('bob');
    // Revoked on GitHub without a delivery reaching us, then the token expires.
    fake.revokeAuthorization('bob');
    await t.app.db.kysely.updateTable('users').set({ github_token_expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', row.id).execute();
    await t.app.queue.enqueue(t.app.db.kysely, RECHECK_JOB, { userId: row.id, reason: 'test' }, { key: `user:${row.id}` });
    await until('the session ended', async () => (await bob('/api/me')).status === 401);
    expect((await userRow('bob')).github_refresh_token).toBeNull();
    expect(t.logs.join('')).not.toContain('ghr_');
  });
});
