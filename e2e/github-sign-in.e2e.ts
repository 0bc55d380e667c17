/**
 * "Sign in with GitHub" in a real browser, against the fake GitHub (test/support/fake-github): a
 * Switchyard with an App configured from the environment, two installations seeded through webhook
 * deliveries the fake sends (acme, which the person can reach on GitHub, and globex, which they
 * cannot). The person clicks "Sign in with GitHub" on the sign-in page, GitHub (the fake, as the
 * signed-in `octocat`) approves and sends the browser back, and they land signed in on the overview
 * seeing acme's repository and not globex's. A callback Switchyard did not start (login CSRF) and
 * GitHub's "Cancel" (`error=access_denied`) end on a page that says so (in its own words, not the
 * link's), with a way to try again that keeps where the person was going.
 *
 * The browser reaches Switchyard as `localhost` and the fake GitHub as `127.0.0.1`: two different
 * sites, as github.com and a Switchyard server are, so the state cookie (SameSite=Lax) must survive
 * a cross-site round trip as it must in production.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GITHUB_TOKEN_COLUMN } from '../src/github/oauth-routes.js';
import { startTestApp, type TestApp } from '../test/support/app.js';
import { dialects } from '../test/support/databases.js';
import { installationPayload, organizationMemberPayload, startFakeGitHub, type FakeGitHub } from '../test/support/fake-github/index.js';
import { freePort } from '../test/support/process.js';
import { recordSecret } from '../test/support/secret-ledger.js';
import { until } from '../test/support/wait.js';
import { createUser } from '../test/support/users.js';
import { expectAccessibleInBothSchemes } from './support/axe.js';
import { chromiumPath, launchBrowser, openPerson, screenshot, type Person } from './support/browser.js';

/** A 1×1 PNG, served for the fake GitHub's avatar URLs. */
const AVATAR = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/** Console errors other than the browser's report of a 400 page the test opened on purpose. */
const unexpected = (errors: string[]) => errors.filter((e) => !e.includes('the server responded with a status of 400'));

describe.skipIf(!chromiumPath).each(dialects)('Sign in with GitHub in a browser (%s)', (dialect) => {
  let fake: FakeGitHub;
  let t: TestApp;
  let browser: Browser;
  let publicUrl: string;
  let acmeId: number;
  const people: Person[] = [];
  const shot = (page: Page, name: string) => screenshot(page, `${dialect}-github-${name}`);
  const person = async () => {
    const p = await openPerson(browser, publicUrl);
    // The fake serves GitHub Enterprise Server's avatar shape, `{GITHUB_URL}/avatars/u/…` (the
    // dashboard's CSP allows GITHUB_URL's origin for images); the fake has no image to send.
    await p.context.route(`${fake.url}/avatars/**`, (route) => route.fulfill({ status: 200, contentType: 'image/png', body: AVATAR }));
    people.push(p);
    return p;
  };
  /** The session cookie the browser holds for Switchyard, if any (recorded for the run's secret check). */
  const sessionOf = async (p: Person) => {
    const value = (await p.context.cookies(publicUrl)).find((c) => c.name === 'sy_session')?.value;
    recordSecret(value);
    return value;
  };

  beforeAll(async () => {
    const port = await freePort();
    publicUrl = `http://localhost:${port}`;
    [fake, browser] = await Promise.all([startFakeGitHub(), launchBrowser()]);
    const app = fake.createApp({
      name: 'Switchyard E2E',
      permissions: { metadata: 'read', contents: 'read', pull_requests: 'read', issues: 'read' },
      events: ['push', 'pull_request', 'issues'],
      webhookUrl: `http://127.0.0.1:${port}/api/github/webhooks`,
      callbackUrls: [`${publicUrl}/api/auth/github/callback`],
    });
    recordSecret(app.privateKey, app.clientSecret, app.webhookSecret);
    const acme = fake.addInstallation({ account: { login: 'acme', type: 'Organization' } });
    acmeId = acme.id;
    fake.addRepository(acme.id, { name: 'widgets', description: 'Widgets for every occasion', language: 'TypeScript' });
    const globex = fake.addInstallation({ account: { login: 'globex', type: 'Organization' } });
    fake.addRepository(globex.id, { name: 'rockets', description: 'Not for octocat', private: true });
    // The fake's default avatar URL is GitHub Enterprise Server's shape, `{GITHUB_URL}/avatars/u/…`:
    // the sidebar shows it without a CSP error (github.com's avatar hosts: dashboard-routes.test.ts).
    fake.addUser({ login: 'octocat', email: 'octo@example.com', name: 'The Octocat' });
    fake.grantInstallation('octocat', acme.id);
    fake.signInAs('octocat');

    t = await startTestApp(dialect, {
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      GITHUB_URL: fake.url,
      GITHUB_API_URL: fake.apiUrl,
      APP_ID: String(app.id),
      PRIVATE_KEY: app.privateKey,
      GITHUB_CLIENT_ID: app.clientId,
      GITHUB_CLIENT_SECRET: app.clientSecret,
      WEBHOOK_SECRET: app.webhookSecret,
    });
    for (const inst of [acme, globex]) {
      const sent = await fake.deliver('installation', installationPayload(fake, inst.id));
      expect(sent.statusCode, `installation ${inst.account?.login} delivered`).toBe(202);
    }
    await t.settle();
    // An administrator exists already (created from the shell), so the GitHub user does not become
    // one and sees only what GitHub lets them reach.
    await createUser(t, { username: 'root', password: 'root-has-a-long-password', isAdmin: true });
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(t.logs.filter((l) => /"level":(40|50)/.test(l)).slice(-20).join(''));
    fake.assertValid();
  });

  afterAll(async () => {
    for (const a of fake?.authorizations ?? []) recordSecret(a.code, a.state);
    await browser?.close();
    await t?.close();
    await fake?.close();
  });

  it('signs a person in with GitHub and shows only the repositories they can reach on GitHub', async () => {
    const p = await person();
    const { page, errors } = p;
    await page.goto('/');
    await page.waitForURL((u) => u.pathname === '/sign-in');
    const button = page.getByRole('link', { name: 'Sign in with GitHub' });
    await button.waitFor();
    await expect(page.getByText('No GitHub App is connected yet').count()).resolves.toBe(0);
    await shot(page, 'sign-in');
    await expectAccessibleInBothSchemes(page, 'sign-in with GitHub');

    await button.click();
    await page.waitForURL((u) => u.origin === publicUrl && u.pathname === '/');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const repositories = page.getByRole('table', { name: 'Repositories' });
    await repositories.getByRole('link', { name: /acme\/\s*widgets/ }).waitFor();
    await expect(repositories.getByRole('link', { name: /rockets/ }).count()).resolves.toBe(0);
    await expect(page.getByText('The Octocat').first().isVisible()).resolves.toBe(true);
    await expect(page.getByRole('link', { name: 'Admin' }).count()).resolves.toBe(0);
    await shot(page, 'overview');

    // GitHub saw the flow Switchyard started: its own callback, its own state.
    const approval = fake.authorizations.at(-1)!;
    expect(approval).toMatchObject({ login: 'octocat', redirectUri: `${publicUrl}/api/auth/github/callback` });
    const session = await sessionOf(p);
    expect(session).toMatch(/^sys_/);
    const me = await (await fetch(`${t.url}/api/me`, { headers: { cookie: `sy_session=${session}` } })).json();
    expect(me.user).toMatchObject({ username: 'octocat', is_admin: false, github_id: expect.any(Number) });
    expect(me.installation_ids).toHaveLength(1);
    const user = await t.app.db.kysely.selectFrom('users').selectAll().where('username', '=', 'octocat').executeTakeFirstOrThrow();
    expect(user.github_access_token).toMatch(/^enc:v1:/);
    const token = t.app.box.open(user.github_access_token!, GITHUB_TOKEN_COLUMN);
    recordSecret(token);
    expect(token).toMatch(/^gho_/);

    // The repository page of the other installation is not theirs.
    await page.goto('/repositories/globex/rockets');
    await page.getByRole('alert').getByText('Not found', { exact: true }).waitFor();
    expect(errors).toEqual([]);
  });

  it('refuses a callback it did not start, and GitHub’s “Cancel”, with a clear message and a way to try again', async () => {
    const p = await person();
    const { page, errors } = p;

    // Login CSRF: someone else's callback link (a code and a state from a flow started elsewhere)
    // opened in this browser, which holds no state cookie.
    const start = await fetch(`${t.url}/api/auth/github?return_to=/events`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const approved = await fetch(start.headers.get('location')!, { redirect: 'manual' });
    const callback = approved.headers.get('location')!;
    expect(callback.startsWith(`${publicUrl}/api/auth/github/callback?code=`)).toBe(true);
    await page.goto(callback);
    await page.getByRole('heading', { level: 1, name: 'Sign-in with GitHub failed' }).waitFor();
    await page.getByText('The sign-in state does not match').waitFor();
    expect(await sessionOf(p)).toBeUndefined();
    await shot(page, 'refused-state');

    // The person starts a sign-in for /events and clicks "Cancel" on GitHub's authorize page: GitHub
    // sends them back with `error=access_denied` and the state. The fake only ever approves, so the
    // browser context starts the flow (its cookie jar gets the state cookie) and then opens the
    // redirect GitHub makes on a cancel.
    const started = await p.context.request.get(`${publicUrl}/api/auth/github?return_to=/events`, { maxRedirects: 0 });
    expect(started.status()).toBe(302);
    const asked = new URL(started.headers().location!);
    const back = new URL(asked.searchParams.get('redirect_uri')!);
    back.searchParams.set('error', 'access_denied');
    back.searchParams.set('error_description', 'Call +1 555 0100 to restore your account'); // never shown: anyone can craft it
    back.searchParams.set('state', asked.searchParams.get('state')!);
    await page.goto(back.toString());
    await page.getByRole('heading', { level: 1, name: 'Sign-in with GitHub failed' }).waitFor();
    await page.getByText('The sign-in was cancelled on GitHub').waitFor();
    expect(await page.content()).not.toContain('555 0100');
    expect(await sessionOf(p)).toBeUndefined();
    await shot(page, 'refused-denied');

    // "Try again" starts a proper flow, which works, and lands where the person was going.
    await page.getByRole('link', { name: 'Try again' }).click();
    await page.waitForURL((u) => u.origin === publicUrl && u.pathname === '/events');
    await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
    expect(await sessionOf(p)).toMatch(/^sys_/);
    // The two failure pages answered 400 on purpose; nothing else went wrong.
    expect(unexpected(errors)).toEqual([]);
  });

  it('stops showing a repository once the person leaves its organization on GitHub, without signing in again', async () => {
    const p = await person();
    const { page, errors } = p;
    await page.goto('/sign-in');
    await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await page.waitForURL((u) => u.origin === publicUrl && u.pathname === '/');
    const repositories = page.getByRole('table', { name: 'Repositories' });
    await repositories.getByRole('link', { name: /acme\/\s*widgets/ }).waitFor();
    recordSecret(await sessionOf(p));

    // The account page says when GitHub last confirmed what this person may see (at sign-in).
    await page.goto('/account');
    await page.getByRole('heading', { level: 2, name: 'GitHub access' }).waitFor();
    await expect(page.getByTestId('access-checked-at').textContent()).resolves.not.toContain('not yet');
    await shot(page, 'account-github-access');

    // On GitHub, octocat leaves acme; GitHub tells the App with an organization delivery.
    fake.revokeInstallation('octocat', acmeId);
    const sent = await fake.deliver('organization', organizationMemberPayload(fake, acmeId, 'member_removed', 'octocat'));
    expect(sent.statusCode).toBe(202);
    await until('the delivery processed', async () => {
      const res = await t.api(`/api/events/${sent.guid}`);
      return res.status === 200 && ((await res.json()) as { processing_status: string }).processing_status === 'processed';
    });
    await page.goto('/');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    // acme was the only installation octocat could reach: the overview now has nothing to show.
    await page.getByText('Nothing shared with you yet').waitFor();
    await expect(page.getByRole('link', { name: /acme\/\s*widgets/ }).count()).resolves.toBe(0);
    await shot(page, 'overview-after-leaving');
    await page.goto('/repositories/acme/widgets');
    await page.getByRole('alert').getByText('Not found', { exact: true }).waitFor();
    expect(errors).toEqual([]);
  });
});
