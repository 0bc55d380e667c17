/**
 * Unmodified Probot apps hosted by Switchyard, end to end on both databases: a real Switchyard,
 * the fake GitHub minting installation tokens, apps loaded from files by SWITCHYARD_APPS. A
 * delivery runs each app once (a duplicate GUID or a reprocessed receipt never twice), GitHub's
 * 502s are retried then dead, a bug fails at once, replay runs one app again, bad apps are left
 * out with the reason, and an app's addHandler routes answer under /apps/<app>/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { json, until } from './support/wait.js';
import { startTestApp, type TestApp } from './support/app.js';
import { sign } from './support/sign.js';
import { createUser, grantInstallation, signIn, sessionClient } from './support/users.js';
import { installationPayload, issuesPayload, startFakeGitHub, type FakeGitHub, type FakeApp } from './support/fake-github/index.js';

const APPS: Record<string, string> = {
  'commenter.mjs': `export default (app, { addHandler }) => {
  app.on('issues.opened', async (context) => {
    context.log.info({ number: context.payload.issue.number }, 'commenting');
    await context.octokit.rest.issues.createComment(context.issue({ body: 'hello from commenter' }));
  });
  addHandler((req, res) => {
    if (req.url !== '/apps/commenter/ping') return false;
    res.writeHead(200, { 'content-type': 'text/plain' }).end('pong');
    return true;
  });
};`,
  'flaky.mjs': `export default (app) => {
  app.on(['issues.opened'], async (context) => {
    await context.octokit.rest.issues.get(context.issue());
  });
};`,
  'hangs.mjs': `export default (app) => {
  app.on('issues.opened', () => new Promise(() => {}));
};`,
  'bugged.cjs': `module.exports = (app) => {
  app.on('issues', async () => { throw new Error('a bug in the handler'); });
};`,
  'throws.mjs': `export default () => { throw new Error('cannot start without FOO'); };`,
  'nofn.mjs': `export const answer = 42;`,
  'badname.mjs': `export default (app) => { app.on('issues.openned', async () => {}); };`,
  'router.mjs': `export default (app) => { app.getRouter('/old'); };`,
};

describe.each(dialects)('hosted Probot apps (%s)', (dialect) => {
  let fake: FakeGitHub;
  let ghApp: FakeApp;
  let t: TestApp;
  let installationId: number;
  let repoId: number;
  let dir: string;

  const commentsPosted = (number: number) => fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/issues/${number}/comments`)).length;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const runsOf = async (app: string) => (await json(t.api(`/api/apps/${app}/runs`))).items as Array<Record<string, any>>;
  const runFor = async (app: string, deliveryId: string) => (await runsOf(app)).find((r) => r.delivery_id === deliveryId);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-probot-apps-'));
    for (const [file, code] of Object.entries(APPS)) fs.writeFileSync(path.join(dir, file), code);
    fake = await startFakeGitHub();
    ghApp = fake.createApp({ permissions: { metadata: 'read', issues: 'write' } });
    t = await startTestApp(dialect, {
      APP_ID: String(ghApp.id),
      PRIVATE_KEY: ghApp.privateKey,
      WEBHOOK_SECRET: ghApp.webhookSecret,
      GITHUB_URL: fake.url,
      GITHUB_API_URL: fake.apiUrl,
      SWITCHYARD_APPS: Object.keys(APPS).map((f) => path.join(dir, f)).join(','),
      SWITCHYARD_APP_REQUEST_RETRIES: '0',
      SWITCHYARD_APP_MAX_ATTEMPTS: '3',
      // Short enough for the hanging app's run to fail during the file; long enough for the others'
      // on a loaded machine (the first delivery signs JWTs and mints a token on a cold process).
      SWITCHYARD_APP_TIMEOUT_MS: '30000',
    });
    fake.setWebhookTarget(`${t.url}/api/github/webhooks`, ghApp.webhookSecret);
    installationId = fake.addInstallation({ account: { login: 'acme', type: 'Organization' } }).id;
    repoId = Number(fake.addRepository(installationId, { name: 'widgets', defaultBranch: 'main' }).id);
    expect((await fake.deliver('installation', installationPayload(fake, installationId))).statusCode).toBe(202);
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(t.logs.filter((l) => /"level":(40|50)|probot/.test(l)).slice(-30).join(''));
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads the good apps and leaves out the bad ones, saying why', async () => {
    const body = await json(t.api('/api/apps'));
    expect(body.items.map((a: { name: string }) => a.name).sort()).toEqual(['bugged', 'commenter', 'flaky', 'hangs']);
    expect(body.items.find((a: { name: string }) => a.name === 'commenter')).toMatchObject({ events: ['issues.opened'], routes: 1 });
    expect(body.items.find((a: { name: string }) => a.name === 'bugged').events).toEqual(['issues']);
    const reasons = Object.fromEntries(body.failures.map((f: { name: string; reason: string }) => [f.name, f.reason]));
    expect(reasons.throws).toContain('cannot start without FOO');
    expect(reasons.nofn).toContain('exports no function');
    expect(reasons.badname).toContain('"issues.openned"');
    expect(reasons.router).toContain('getRouter');
    expect(reasons.router).toContain('addHandler');
  });

  it('a delivery runs each app once; a duplicate GUID and a reprocessed receipt never run it again', async () => {
    fake.addIssue(repoId, { number: 1, title: 'First' });
    fake.failNext('GET', /\/issues\/1$/, { status: 502 }, 3);
    const delivery = await fake.deliver('issues', issuesPayload(fake, installationId, repoId, 1, 'opened'));
    expect(delivery.statusCode).toBe(202);
    const run = await until('commenter ran', async () => {
      const r = await runFor('commenter', delivery.guid);
      return r?.status === 'succeeded' ? r : null;
    });
    expect(run).toMatchObject({ attempts: 1, event: 'issues', action: 'opened', installation_id: installationId, error: null });
    expect(run.log_lines.some((l: { msg: string; number?: number }) => l.msg === 'commenting' && l.number === 1)).toBe(true);
    expect(commentsPosted(1)).toBe(1);
    const comment = fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/issues/1/comments'));
    expect(comment?.auth).toBe('installation');

    // The same GUID again (GitHub's redelivery): acknowledged as a duplicate, nothing runs.
    const sent = fake.deliveries.find((d) => d.guid === delivery.guid)!;
    const body = JSON.stringify(sent.request.payload);
    const res = await fetch(`${t.url}/api/github/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'issues', 'x-github-delivery': delivery.guid, 'x-hub-signature-256': sign(body, ghApp.webhookSecret) },
      body,
    });
    expect(((await res.json()) as { status: string }).status).toBe('duplicate');
    // The receipt processed again (event log replay): the app's run already succeeded.
    expect((await t.api(`/api/events/${delivery.guid}/replay`, { method: 'POST' })).status).toBe(202);
    await until('receipt reprocessed', async () => (await json(t.api(`/api/events/${delivery.guid}`))).processing_status === 'processed');
    await t.settle();
    await until('flaky settled', async () => ['dead', 'failed', 'succeeded'].includes((await runFor('flaky', delivery.guid))?.status ?? ''));
    expect(commentsPosted(1)).toBe(1);
    expect((await runFor('commenter', delivery.guid))!.attempts).toBe(1);
  });

  it('GitHub answering 502 is retried until the last attempt, then dead; a bug fails at once', async () => {
    const deliveryId = fake.deliveries.find((d) => d.event === 'issues')!.guid;
    const flaky = await until('flaky dead', async () => {
      const r = await runFor('flaky', deliveryId);
      return r?.status === 'dead' ? r : null;
    });
    expect(flaky.attempts).toBe(3);
    expect(flaky.error).toContain('502');
    const bugged = await until('bugged failed', async () => {
      const r = await runFor('bugged', deliveryId);
      return r?.status === 'failed' ? r : null;
    });
    expect(bugged.attempts).toBe(1);
    expect(bugged.error).toContain('a bug in the handler');
    const failed = await json(t.api('/api/apps/bugged/runs?status=failed'));
    expect(failed.items.map((r: { delivery_id: string }) => r.delivery_id)).toContain(deliveryId);
    expect((await json(t.api('/api/apps/bugged/runs?status=succeeded'))).items).toEqual([]);
    const apps = await json(t.api('/api/apps'));
    expect(apps.items.find((a: { name: string }) => a.name === 'flaky').stats.last_error.error).toContain('502');
  });

  it('a handler that never settles is stopped after SWITCHYARD_APP_TIMEOUT_MS and its run failed with that reason', async () => {
    const deliveryId = fake.deliveries.find((d) => d.event === 'issues')!.guid;
    const hangs = await until(
      'hangs failed',
      async () => {
        const r = await runFor('hangs', deliveryId);
        return r?.status === 'failed' ? r : null;
      },
      120_000,
    );
    expect(hangs.attempts).toBe(1);
    expect(hangs.error).toContain('did not settle within 30000 ms');
    expect(hangs.duration_ms).toBeGreaterThanOrEqual(30000);
  });

  it('replay runs one app again for one delivery (GitHub is back)', async () => {
    const deliveryId = fake.deliveries.find((d) => d.event === 'issues')!.guid;
    const res = await t.api('/api/apps/flaky/replay', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delivery_id: deliveryId }) });
    expect(res.status).toBe(202);
    const r = await until('flaky succeeded', async () => {
      const run = await runFor('flaky', deliveryId);
      return run?.status === 'succeeded' ? run : null;
    });
    expect(r.attempts).toBe(1);
    // Only that app ran again.
    expect(commentsPosted(1)).toBe(1);
    const ran = await json(t.api(`/api/events/${deliveryId}/apps`));
    expect(ran.items.map((x: { app: string; status: string }) => `${x.app}:${x.status}`).sort()).toEqual(['bugged:failed', 'commenter:succeeded', 'flaky:succeeded', 'hangs:failed']);
    // Bad input: an unknown app, an unknown delivery, an app that does not handle the event.
    expect((await t.api('/api/apps/nope/replay', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delivery_id: deliveryId }) })).status).toBe(404);
    expect((await t.api('/api/apps/flaky/replay', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delivery_id: 'missing' }) })).status).toBe(404);
    const installation = fake.deliveries.find((d) => d.event === 'installation')!.guid;
    const refused = await t.api('/api/apps/flaky/replay', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delivery_id: installation }) });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: string }).error).toBe('PROBOT_APP_DOES_NOT_HANDLE');
  });

  it("an app's runs filter by status, event, repository and time, and page with a cursor", async () => {
    const opened = fake.deliveries.find((d) => d.event === 'issues')!.guid;
    const edited = await fake.deliver('issues', issuesPayload(fake, installationId, repoId, 1, 'edited'));
    await until('bugged failed on the edited issue', async () => (await runFor('bugged', edited.guid))?.status === 'failed');
    const ids = async (query: string) => {
      const res = await t.api(`/api/apps/bugged/runs?${query}`);
      expect(res.status, `${query}: ${await res.clone().text()}`).toBe(200);
      return ((await res.json()) as { items: Array<{ delivery_id: string }> }).items.map((r) => r.delivery_id);
    };
    expect(await ids('')).toEqual([edited.guid, opened]);
    expect((await runFor('bugged', edited.guid))!.repository).toBe('acme/widgets');
    expect(await ids('event=issues.opened')).toEqual([opened]);
    expect(await ids('event=issues.edited&status=failed')).toEqual([edited.guid]);
    expect(await ids('event=issues')).toEqual([edited.guid, opened]);
    expect(await ids('event=pull_request')).toEqual([]);
    expect(await ids('repository=acme/widgets')).toEqual([edited.guid, opened]);
    expect(await ids('repository=acme/gizmos')).toEqual([]);
    const createdOpened = new Date((await runFor('bugged', opened))!.created_at);
    expect(await ids(`since=${encodeURIComponent(new Date(createdOpened.getTime() + 1).toISOString())}`)).toEqual([edited.guid]);
    expect(await ids(`until=${encodeURIComponent(createdOpened.toISOString())}`)).toEqual([opened]);
    expect(await ids(`since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).toEqual([]);
    // One run a page: the cursor leads to the older run, and the last page has none.
    const first = await json(t.api('/api/apps/bugged/runs?limit=1'));
    expect(first.items.map((r: { delivery_id: string }) => r.delivery_id)).toEqual([edited.guid]);
    const second = await json(t.api(`/api/apps/bugged/runs?limit=1&cursor=${first.next_cursor}`));
    expect(second.items.map((r: { delivery_id: string }) => r.delivery_id)).toEqual([opened]);
    expect(second.next_cursor).toBeNull();
    // Bad input answers 400 and says which parameter.
    for (const bad of ['repository=widgets', 'since=yesterday', 'event=Issues!', 'status=broken', 'cursor=nope']) {
      const res = await t.api(`/api/apps/bugged/runs?${bad}`);
      expect(res.status, bad).toBe(400);
    }
    expect(((await (await t.api('/api/apps/bugged/runs?repository=widgets')).json()) as { message: string }).message).toContain('owner/name');
  });

  it('a user sees only the runs of installations they can see', async () => {
    const deliveryId = fake.deliveries.find((d) => d.event === 'issues')!.guid;
    const outsider = await createUser(t, { username: `out-${dialect}` });
    const insider = await createUser(t, { username: `in-${dialect}` });
    await grantInstallation(t, insider.id, installationId);
    const out = sessionClient(t, await signIn(t, outsider));
    const inn = sessionClient(t, await signIn(t, insider));
    expect((await json(out.fetch('/api/apps/commenter/runs'))).items).toEqual([]);
    // Naming the repository or the event does not reach past the scope either.
    expect((await json(out.fetch('/api/apps/commenter/runs?repository=acme/widgets&event=issues.opened'))).items).toEqual([]);
    expect((await out.fetch(`/api/events/${deliveryId}/apps`)).status).toBe(404);
    const replay = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delivery_id: deliveryId }) };
    expect((await out.fetch('/api/apps/commenter/replay', replay)).status).toBe(404);
    const outApps = await json(out.fetch('/api/apps'));
    expect(outApps.items.find((a: { name: string }) => a.name === 'commenter').stats.runs).toBe(0);
    expect(outApps.failures).toEqual([]);
    expect((await json(inn.fetch('/api/apps/commenter/runs'))).items.map((r: { delivery_id: string }) => r.delivery_id)).toContain(deliveryId);
    expect((await json(inn.fetch(`/api/events/${deliveryId}/apps`))).items).toHaveLength(4);
  });

  it("serves an app's addHandler routes under /apps/<app>/", async () => {
    const res = await fetch(`${t.url}/apps/commenter/ping`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('pong');
    expect((await fetch(`${t.url}/apps/commenter/other`)).status).toBe(404);
    expect((await fetch(`${t.url}/apps/flaky/ping`)).status).toBe(404);
  });
});
