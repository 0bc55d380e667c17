/**
 * The first-run setup wizard in a real browser, against the fake GitHub (test/support/fake-github):
 * a Switchyard with no GitHub App tells a visitor so and leads to the wizard; once an account exists
 * only an administrator may run it; the administrator follows the overview's "Run the setup wizard",
 * submits the manifest to GitHub (the fake plays the person clicking "Create GitHub App" and sends
 * the browser back with a code), and lands on Switchyard's "Connected" page. The credentials are then
 * stored encrypted and the dashboard offers GitHub sign-in and an install link instead of the wizard.
 *
 * The browser reaches Switchyard as `localhost` and the fake GitHub as `127.0.0.1`: two different
 * sites, as github.com and a Switchyard server are, so the state and session cookies (SameSite=Lax)
 * must survive a cross-site round trip as they must in production.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../test/support/app.js';
import { dialects } from '../test/support/databases.js';
import { startFakeGitHub, type FakeGitHub } from '../test/support/fake-github/index.js';
import { freePort } from '../test/support/process.js';
import { recordSecret } from '../test/support/secret-ledger.js';
import { createUser, type CreatedUser } from '../test/support/users.js';
import { json } from '../test/support/wait.js';
import { chromiumPath, launchBrowser, openPerson, screenshot, signIn, type Person } from './support/browser.js';

/** Console errors other than the browser's report of the given status for a page the test opened on purpose. */
const unexpected = (errors: string[], status: number) => errors.filter((e) => !e.includes(`the server responded with a status of ${status}`));

describe.skipIf(!chromiumPath).each(dialects)('the setup wizard in a browser (%s)', (dialect) => {
  let fake: FakeGitHub;
  let t: TestApp;
  let browser: Browser;
  let publicUrl: string;
  let root: CreatedUser;
  let admin: Person;
  const people: Person[] = [];
  const shot = (page: Page, name: string) => screenshot(page, `${dialect}-setup-${name}`);
  const person = async () => {
    const p = await openPerson(browser, publicUrl);
    people.push(p);
    return p;
  };

  beforeAll(async () => {
    const port = await freePort();
    publicUrl = `http://localhost:${port}`;
    [fake, browser] = await Promise.all([startFakeGitHub(), launchBrowser()]);
    // The person in the browser is signed in to GitHub (creating an App needs that, as on GitHub).
    fake.addUser({ login: 'octocat', email: 'octo@example.com', name: 'The Octocat' });
    fake.signInAs('octocat');
    // No APP_ID, no private key, no OAuth client, no webhook secret: a fresh install.
    t = await startTestApp(dialect, { PORT: String(port), PUBLIC_URL: publicUrl, WEBHOOK_SECRET: '', GITHUB_URL: fake.url, GITHUB_API_URL: fake.apiUrl });
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(t.logs.filter((l) => /"level":(40|50)/.test(l)).slice(-20).join(''));
    fake.assertValid();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await fake?.close();
  });

  it('tells a first visitor that no GitHub App is connected and leads to the wizard', async () => {
    const { page, errors } = await person();
    await page.goto('/');
    await page.waitForURL((u) => u.pathname === '/sign-in');
    const callout = page.getByText('No GitHub App is connected yet');
    await callout.waitFor();
    await expect(page.getByRole('link', { name: 'Sign in with GitHub' }).count()).resolves.toBe(0);
    await shot(page, 'sign-in-no-app');

    // With no account at all, anyone reaching the server may run the wizard (as with Probot).
    await page.getByRole('link', { name: 'Run the setup wizard' }).click();
    await page.waitForURL((u) => u.pathname === '/setup');
    await page.getByRole('heading', { level: 1, name: 'Connect Switchyard to GitHub' }).waitFor();
    await expect(page.getByText(`${publicUrl}/api/github/webhooks`).count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: 'Create the GitHub App' }).isVisible()).resolves.toBe(true);
    await shot(page, 'wizard-open');
    expect(errors).toEqual([]);
  });

  it('lets only an administrator run it once an account exists', async () => {
    root = await createUser(t, { username: 'root', password: 'root-has-a-long-password', isAdmin: true });
    const { page, errors } = await person();
    await page.goto('/setup');
    await page.getByRole('heading', { level: 1, name: 'Only an administrator can connect a GitHub App' }).waitFor();
    await shot(page, 'wizard-refused');
    // The 403 of that page is the point of this step.
    expect(unexpected(errors, 403)).toEqual([]);
  });

  it('creates the App on GitHub from the overview and comes back connected', async () => {
    admin = await person();
    const { page, errors } = admin;
    await signIn(page, root);
    // The overview says what is missing, and the sidebar nudges the administrator too.
    await page.getByRole('heading', { name: 'Connect Switchyard to GitHub' }).waitFor();
    await expect(page.getByRole('link', { name: /Connect a GitHub App/ }).isVisible()).resolves.toBe(true);
    await shot(page, 'overview-no-app');

    await page.getByRole('link', { name: 'Run the setup wizard', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/setup');
    await page.getByRole('heading', { level: 1, name: 'Connect Switchyard to GitHub' }).waitFor();
    // The form posts the manifest to GitHub; GitHub creates the App and sends the browser back.
    await page.getByRole('button', { name: 'Create the GitHub App' }).click();
    await page.waitForURL((u) => u.pathname === '/setup/callback');
    await page.getByRole('heading', { level: 1, name: 'Connected' }).waitFor();
    expect(new URL(page.url()).origin).toBe(publicUrl);

    const c = t.app.appCredentials.current();
    expect(c).not.toBeNull();
    expect(c!.source).toBe('setup');
    const app = fake.getApp(c!.appId);
    recordSecret(app.privateKey, app.clientSecret, app.webhookSecret);
    await expect(page.getByText(app.slug).count()).resolves.toBe(1);
    const install = page.getByRole('link', { name: 'Install it on your repositories' });
    expect(await install.getAttribute('href')).toBe(`${c!.htmlUrl}/installations/new`);
    expect(c!.htmlUrl!.startsWith(fake.url)).toBe(true);
    await shot(page, 'connected');
    expect(errors).toEqual([]);
  });

  it('stores the App’s credentials encrypted and stops offering the wizard', async () => {
    const c = t.app.appCredentials.current()!;
    const app = fake.getApp(c.appId);
    expect(c.webhookSecret).toBe(app.webhookSecret);
    expect(c.clientId).toBe(app.clientId);
    const row = await t.app.db.kysely.selectFrom('app_credentials').selectAll().executeTakeFirstOrThrow();
    for (const v of [row.private_key, row.client_secret, row.webhook_secret]) expect(v).toMatch(/^enc:v1:/);
    const stored = JSON.stringify(row);
    for (const secret of [app.clientSecret, app.webhookSecret, app.privateKey.split('\n')[1]!]) expect(stored).not.toContain(secret);
    const status = await json(fetch(`${t.url}/api/setup/status`));
    expect(status).toMatchObject({ configured: true, source: 'setup', github_sign_in: true, setup_url: null, app: { id: app.id, slug: app.slug } });

    // The administrator's overview now offers to install the App instead of the wizard.
    const { page, errors } = admin;
    await page.goto('/');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const installLink = page.getByRole('link', { name: 'Install the App on repositories' });
    await installLink.waitFor();
    expect(await installLink.getAttribute('href')).toBe(`${c.htmlUrl}/installations/new`);
    await expect(page.getByRole('link', { name: /Run the setup wizard/ }).count()).resolves.toBe(0);
    await expect(page.getByRole('link', { name: /Connect a GitHub App/ }).count()).resolves.toBe(0);
    await shot(page, 'overview-connected');

    // The wizard itself says it is done (a 409, which openPerson does not count as an error).
    await page.goto('/setup');
    await page.getByRole('heading', { level: 1, name: 'Switchyard is already connected to a GitHub App' }).waitFor();
    expect(errors).toEqual([]);

    // A signed-out visitor is offered "Sign in with GitHub", and no wizard.
    const visitor = await person();
    await visitor.page.goto('/sign-in');
    await visitor.page.getByRole('link', { name: 'Sign in with GitHub' }).waitFor();
    await expect(visitor.page.getByText('No GitHub App is connected yet').count()).resolves.toBe(0);
    await expect(visitor.page.getByRole('link', { name: 'Run the setup wizard' }).count()).resolves.toBe(0);
    await shot(visitor.page, 'sign-in-connected');
    expect(visitor.errors).toEqual([]);
  });
});
