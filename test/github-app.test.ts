/**
 * Switchyard as a GitHub App, end to end against the fake GitHub (every response it gives is
 * checked against GitHub's OpenAPI description): the setup wizard, reconciliation, "Sign in with
 * GitHub", and recovery of deliveries GitHub could not make while Switchyard was down.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { freePort } from './support/process.js';
import { json, until } from './support/wait.js';
import { startTestApp, type TestApp } from './support/app.js';
import { METRICS_AUTH, TEST_API_TOKEN } from './support/sign.js';
import { installationPayload, pushPayload, startFakeGitHub, type FakeGitHub } from './support/fake-github/index.js';
import { createLocalUser } from '../src/identity/index.js';
import { cookieHeader, cookiesOf, setupCodeFromLog } from './support/setup-code.js';

describe.each(dialects)('Switchyard as a GitHub App (%s)', (dialect) => {
  let fake: FakeGitHub;
  let t: TestApp;
  let installationA: number;
  let installationB: number;
  const secretsSeen: string[] = [];

  const admin = (path: string, init: RequestInit = {}) => fetch(`${t.url}${path}`, { ...init, headers: { authorization: `Bearer ${TEST_API_TOKEN}`, ...(init.headers ?? {}) } });

  beforeAll(async () => {
    fake = await startFakeGitHub();
    // The person in the browser is signed in to GitHub (creating an App needs that, as on GitHub).
    fake.addUser({ login: 'octocat', email: 'octo@example.com', name: 'The Octocat' });
    fake.signInAs('octocat');
    const port = await freePort();
    t = await startTestApp(
      dialect,
      {
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        WEBHOOK_SECRET: '',
        GITHUB_URL: fake.url,
        GITHUB_API_URL: fake.apiUrl,
      },
      { web: true, worker: true, scheduler: false },
    );
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(t.logs.filter((l) => /"level":(40|50)|job/.test(l)).slice(-30).join(''));
    fake.assertValid();
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('refuses deliveries until an App is configured', async () => {
    const res = await fetch(`${t.url}/api/github/webhooks`, { method: 'POST', headers: { 'x-github-event': 'ping', 'x-github-delivery': 'd-1', 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(503);
    expect((await json(fetch(`${t.url}/api/setup/status`))).configured).toBe(false);
  });

  it('registers an App from a manifest with the setup wizard and stores its credentials encrypted', async () => {
    // The operator reads the one-time setup code in the server's log and enters it in the wizard.
    const entered = await fetch(`${t.url}/api/setup/code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: setupCodeFromLog(t) }) });
    expect(entered.status).toBe(200);
    const grant = cookiesOf(entered);
    const page = await fetch(`${t.url}/api/setup/manifest`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: cookieHeader(grant) }, body: '{}' });
    expect(page.status).toBe(200);
    const { action, manifest } = (await page.json()) as { action: string; manifest: string };
    expect(action.startsWith(`${fake.url}/settings/apps/new?state=`)).toBe(true);
    expect(JSON.parse(manifest).hook_attributes.url).toBe(`${t.url}/api/github/webhooks`);
    const setupCookies = { ...grant, ...cookiesOf(page) };

    // The person clicks "Create GitHub App" on GitHub; GitHub sends the browser back with a code.
    const created = await fetch(action, { method: 'POST', body: new URLSearchParams({ manifest }), redirect: 'manual' });
    expect(created.status).toBe(302);
    const back = new URL(created.headers.get('location')!);
    expect(back.pathname).toBe('/setup/callback');

    // A forged state is refused and stores nothing.
    const forged = await fetch(`${t.url}/setup/callback?code=${back.searchParams.get('code')}&state=forged`, { redirect: 'manual', headers: { cookie: cookieHeader(setupCookies) } });
    expect(forged.headers.get('location')).toBe('/setup?error=state');
    expect(t.app.appCredentials.current()).toBeNull();

    const done = await fetch(back.toString(), { redirect: 'manual', headers: { cookie: cookieHeader(setupCookies) } });
    expect(done.headers.get('location'), await done.clone().text()).toBe('/setup?connected=1');
    const c = t.app.appCredentials.current()!;
    expect(c.source).toBe('setup');
    const app = fake.getApp(c.appId);
    expect(c.webhookSecret).toBe(app.webhookSecret);
    secretsSeen.push(app.privateKey.split('\n')[1]!, app.clientSecret, app.webhookSecret);

    const row = await t.app.db.kysely.selectFrom('app_credentials').selectAll().executeTakeFirstOrThrow();
    for (const v of [row.private_key, row.client_secret, row.webhook_secret]) expect(v).toMatch(/^enc:v1:/);
    expect(JSON.stringify(row)).not.toContain(app.clientSecret);
    // The wizard is closed once an App exists.
    const closed = await fetch(`${t.url}/api/setup/manifest`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: cookieHeader(grant) }, body: '{}' });
    expect(closed.status).toBe(409);
    const status = await json(fetch(`${t.url}/api/setup/status`));
    expect(status).toMatchObject({ configured: true, source: 'setup', github_sign_in: true });
  });

  it('accepts deliveries signed with the secret GitHub generated', async () => {
    const acme = fake.addInstallation({ account: { login: 'acme', type: 'Organization' } });
    installationA = acme.id;
    fake.addRepository(installationA, { name: 'widgets' });
    const sent = await fake.deliver('installation', installationPayload(fake, installationA));
    expect(sent.statusCode).toBe(202);
    await t.settle();
    const repos = await json(admin('/api/repositories'));
    expect(repos.items.map((r: { full_name: string }) => r.full_name)).toContain('acme/widgets');
  });

  it('reconciles installations and repositories that changed while no event came', async () => {
    const globex = fake.addInstallation({ account: { login: 'globex', type: 'Organization' } });
    installationB = globex.id;
    fake.addRepository(installationB, { name: 'rockets' });
    fake.addRepository(installationA, { name: 'gadgets' });
    // A secondary rate limit on the way: the client waits retry-after and carries on.
    fake.failNext('GET', /\/app\/installations$/, { status: 403, headers: { 'retry-after': '1' } });
    const before = fake.tokensIssued;
    expect((await admin('/api/admin/reconcile', { method: 'POST' })).status).toBe(202);
    const names = await until('reconciled repositories', async () => {
      const items = (await json(admin('/api/repositories'))).items.map((r: { full_name: string }) => r.full_name).sort();
      return items.length === 3 ? items : null;
    });
    expect(names).toEqual(['acme/gadgets', 'acme/widgets', 'globex/rockets']);
    // At most one token per installation (one may be cached from the run at setup).
    expect(fake.tokensIssued - before).toBeLessThanOrEqual(2);
    const afterFirst = fake.tokensIssued;

    // A repository removed on GitHub loses its link; a second reconcile reuses the cached tokens.
    const rockets = fake.listRepositories(installationB)[0]!;
    fake.removeRepository(installationB, rockets.id as number);
    await t.app.queue.enqueue(t.app.db.kysely, 'github.reconcile', {}, {});
    await until('unlinked repository', async () => {
      const links = await t.app.db.kysely
        .selectFrom('installation_repositories as ir')
        .innerJoin('repositories as r', 'r.id', 'ir.repository_id')
        .select('r.full_name')
        .execute();
      return links.length === 2 && !links.some((l) => l.full_name === 'globex/rockets');
    });
    expect(fake.tokensIssued).toBe(afterFirst);
  });

  it('signs a person in with GitHub and lets them see only their installations', async () => {
    // An administrator exists already, so the GitHub user does not become one.
    await createLocalUser(t.app.db, { username: 'root', password: 'correct horse battery', isAdmin: true });
    fake.grantInstallation('octocat', installationA);

    const start = await fetch(`${t.url}/api/auth/github?return_to=/repositories`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${fake.url}/login/oauth/authorize`);
    const stateCookies = cookiesOf(start);
    expect(Object.keys(stateCookies)).toContain('sy_oauth_state');

    const approved = await fetch(authorize, { redirect: 'manual' });
    const callback = new URL(approved.headers.get('location')!);
    expect(callback.pathname).toBe('/api/auth/github/callback');

    // Without the state cookie (another browser, a CSRF attempt) nothing happens.
    const noCookie = await fetch(callback, { redirect: 'manual' });
    expect(noCookie.status).toBe(400);
    expect(noCookie.headers.getSetCookie().some((c) => c.startsWith('sy_session='))).toBe(false);

    // The code was spent by the refused attempt? No: the state check comes first. Finish properly.
    const signedIn = await fetch(callback, { redirect: 'manual', headers: { cookie: cookieHeader(stateCookies) } });
    expect(signedIn.status, await signedIn.clone().text()).toBe(302);
    expect(signedIn.headers.get('location')).toBe('/repositories');
    const session = cookiesOf(signedIn);
    expect(session.sy_session).toMatch(/^sys_/);
    secretsSeen.push(session.sy_session!);

    const me = await json(fetch(`${t.url}/api/me`, { headers: { cookie: cookieHeader(session) } }));
    expect(me.user).toMatchObject({ username: 'octocat', email: 'octo@example.com', is_admin: false, github_id: expect.any(Number) });
    expect(me.installation_ids).toEqual([installationA]);

    const user = await t.app.db.kysely.selectFrom('users').selectAll().where('username', '=', 'octocat').executeTakeFirstOrThrow();
    expect(user.github_access_token).toMatch(/^enc:v1:/);

    // Signing in again refreshes what the person can reach.
    fake.grantInstallation('octocat', installationB);
    const again = await fetch(`${t.url}/api/auth/github`, { redirect: 'manual' });
    const approved2 = await fetch(new URL(again.headers.get('location')!), { redirect: 'manual' });
    const signedIn2 = await fetch(new URL(approved2.headers.get('location')!), { redirect: 'manual', headers: { cookie: cookieHeader(cookiesOf(again)) } });
    const me2 = await json(fetch(`${t.url}/api/me`, { headers: { cookie: cookieHeader(cookiesOf(signedIn2)) } }));
    expect(me2.installation_ids.sort()).toEqual([installationA, installationB].sort());
    expect(me2.user.id).toBe(me.user.id);
  });

  it('recovers a delivery GitHub could not make while Switchyard was down', async () => {
    const repo = fake.listRepositories(installationA)[0]!;
    const missed = await fake.deliver('push', pushPayload(fake, installationA, repo.id as number), { reachable: false });
    expect(missed.statusCode).toBe(0);
    const delivered = await fake.deliver('push', pushPayload(fake, installationA, repo.id as number));
    expect(delivered.statusCode).toBe(202);
    expect((await admin(`/api/events/${missed.guid}`)).status).toBe(404);

    expect((await admin('/api/admin/recovery-runs', { method: 'POST' })).status).toBe(202);
    const ev = await until('the recovered delivery', async () => {
      const res = await admin(`/api/events/${missed.guid}`);
      return res.status === 200 ? json(res) : null;
    });
    expect(ev.event_type).toBe('push');
    await t.settle();
    const runs = await until('a completed run', async () => {
      const body = await json(admin('/api/admin/recovery-runs'));
      return body.items[0]?.status === 'completed' ? body : null;
    });
    expect(runs.items[0]).toMatchObject({ missing: 1, redelivered: 1 });
    expect(runs.totals).toMatchObject({ requested: 1, arrived: 1, failed: 0 });
    const metrics = await (await fetch(`${t.url}/metrics`, { headers: METRICS_AUTH })).text();
    expect(metrics).toMatch(/switchyard_deliveries_recovered\{outcome="arrived"\} 1/);

    // A second run finds nothing new to ask for.
    const attemptsBefore = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/attempts')).length;
    const runsBefore = runs.items.length;
    await admin('/api/admin/recovery-runs', { method: 'POST' });
    const second = await until('a second completed run', async () => {
      const body = await json(admin('/api/admin/recovery-runs'));
      return body.items.length === runsBefore + 1 && body.items[0].status === 'completed' ? body : null;
    });
    expect(second.items[0]).toMatchObject({ missing: 0, redelivered: 0 });
    expect(fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/attempts')).length).toBe(attemptsBefore);
  });

  it('never writes a secret to the log', () => {
    const logs = t.logs.join('');
    for (const s of secretsSeen) expect(logs).not.toContain(s);
  });
});
