/**
 * The first run in a real browser, against the fake GitHub (test/support/fake-github), at 1280 px
 * (light) and 360 px (dark), on both databases: a visitor of a fresh Switchyard is led from the
 * sign-in page to the setup wizard, which asks for the one-time setup code (a wrong one is refused,
 * the one from the server's log is accepted), creates the GitHub App through GitHub's manifest flow
 * (the fake plays the person clicking "Create GitHub App"), offers the installation, and makes the
 * first administrator — with GitHub at 1280 px, as a local account at 360 px — who lands on the
 * overview where the first delivery's repository appears. PUBLIC_URL is localhost, so the wizard says
 * GitHub cannot reach it and shows how to forward deliveries. Nothing scrolls sideways at 360 px.
 *
 * The browser reaches Switchyard as `localhost` and the fake GitHub as `127.0.0.1`: two different
 * sites, as github.com and a Switchyard server are, so the state, grant and session cookies
 * (SameSite=Lax) must survive a cross-site round trip as they must in production.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../test/support/app.js';
import { dialects } from '../test/support/databases.js';
import { installationPayload, startFakeGitHub, type FakeGitHub } from '../test/support/fake-github/index.js';
import { freePort } from '../test/support/process.js';
import { recordSecret } from '../test/support/secret-ledger.js';
import { setupCodeFromLog } from '../test/support/setup-code.js';
import { until } from '../test/support/wait.js';
import { expectAccessibleInBothSchemes } from './support/axe.js';
import { chromiumPath, expectNoSidewaysScroll, launchBrowser, openPerson, screenshot, type Person } from './support/browser.js';

const runs = dialects.flatMap((dialect) => [
  { dialect, width: 1280, scheme: 'light' as const, admin: 'github' as const },
  { dialect, width: 360, scheme: 'dark' as const, admin: 'local' as const },
]);

describe.skipIf(!chromiumPath).each(runs)('the setup wizard in a browser ($dialect, $width px, $scheme)', ({ dialect, width, scheme, admin }) => {
  let fake: FakeGitHub;
  let t: TestApp;
  let browser: Browser;
  let publicUrl: string;
  let visitor: Person;
  const shot = (page: Page, name: string) => screenshot(page, `${dialect}-${width}-setup-${name}`);
  const narrow = width < 600;
  /** Each step fits a narrow screen and has no serious accessibility finding, in light and dark. */
  const fits = async (page: Page, what: string) => {
    if (narrow) await expectNoSidewaysScroll(page, what);
    await expectAccessibleInBothSchemes(page, `/setup, ${what}, at ${width} px`);
  };

  beforeAll(async () => {
    const port = await freePort();
    publicUrl = `http://localhost:${port}`;
    [fake, browser] = await Promise.all([startFakeGitHub(), launchBrowser()]);
    // The person in the browser is signed in to GitHub (creating an App needs that, as on GitHub).
    fake.addUser({ login: 'octocat', email: 'octo@example.com', name: 'The Octocat' });
    fake.signInAs('octocat');
    // No APP_ID, no private key, no OAuth client, no webhook secret, no account: a fresh install.
    t = await startTestApp(dialect, { PORT: String(port), PUBLIC_URL: publicUrl, WEBHOOK_SECRET: '', GITHUB_URL: fake.url, GITHUB_API_URL: fake.apiUrl });
    visitor = await openPerson(browser, publicUrl, { width, height: 800, colorScheme: scheme });
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

  it('leads a first visitor from the sign-in page to the wizard, which asks for the setup code', async () => {
    const { page, errors } = visitor;
    await page.goto('/');
    await page.waitForURL((u) => u.pathname === '/sign-in');
    await page.getByText('No GitHub App is connected yet').waitFor();
    await page.getByRole('link', { name: 'Run the setup wizard' }).click();
    await page.waitForURL((u) => u.pathname === '/setup');
    await page.getByRole('heading', { level: 1, name: 'Set up Switchyard' }).waitFor();
    await expect(page.locator('main').count()).resolves.toBe(1);
    await page.getByRole('heading', { level: 2, name: /Enter the setup code \(current step\)/ }).waitFor();
    // Later steps are listed but closed.
    await expect(page.getByRole('button', { name: 'Create the GitHub App' }).count()).resolves.toBe(0);
    await fits(page, 'the code step');
    await shot(page, 'code');

    // Keyboard only: the code field has the focus; a wrong code is refused where the person looks.
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('setup-code');
    await page.keyboard.type('aaaa-bbbb-cccc');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').getByText('This is not the setup code').waitFor();
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('setup-code');
    await shot(page, 'code-wrong');
    // The refusal (403) is the point of that step.
    expect(errors.filter((e) => !e.includes('status of 403'))).toEqual([]);
    errors.length = 0;
  });

  it('accepts the code from the server’s log and creates the App on GitHub', async () => {
    const { page, errors } = visitor;
    const code = setupCodeFromLog(t);
    await page.getByLabel('Setup code').fill(code);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: /Create the GitHub App \(current step\)/ }).waitFor();
    await page.getByText('Code accepted').waitFor();
    // localhost: GitHub cannot deliver here; the wizard says so and shows how to forward.
    await page.getByText(`GitHub cannot reach ${publicUrl}`).waitFor();
    await page.getByText(`npx smee-client --url <channel> --target ${publicUrl}/api/github/webhooks`).waitFor();
    await page.getByText(/gh webhook forward --repo=<owner\/repo> --events='\*'/).waitFor();
    const hook = page.locator('.wizard-url code');
    await expect(hook.textContent()).resolves.toBe(`${publicUrl}/api/github/webhooks`);
    if (narrow) {
      // The webhook URL wraps inside the card instead of widening the page.
      const box = await hook.boundingBox();
      expect(box!.x + box!.width).toBeLessThanOrEqual(width);
    }
    await fits(page, 'the App step');
    await shot(page, 'app');

    await page.getByLabel('App name').fill(`Yard ${width}`);
    await page.getByRole('button', { name: 'Create the GitHub App' }).click();
    // GitHub creates the App and sends the browser back to the wizard's next step.
    await page.waitForURL((u) => u.pathname === '/setup' && u.searchParams.get('connected') === '1');
    await page.getByText('The GitHub App is created').waitFor();
    await page.getByRole('heading', { level: 2, name: /Install it on repositories \(current step\)/ }).waitFor();
    const c = t.app.appCredentials.current();
    expect(c?.source).toBe('setup');
    const app = fake.getApp(c!.appId);
    recordSecret(app.privateKey, app.clientSecret, app.webhookSecret);
    expect(app.name).toBe(`Yard ${width}`);
    expect(await page.getByRole('link', { name: /Install the App on GitHub/ }).getAttribute('href')).toBe(`${c!.htmlUrl}/installations/new`);
    await fits(page, 'the install step');
    await shot(page, 'install');
    expect(errors).toEqual([]);
  });

  it('makes the first administrator, who lands on the overview as the first delivery arrives', async () => {
    const { page, errors } = visitor;
    // The person installs the App on GitHub (the fake installs it and GitHub delivers the event).
    const inst = fake.addInstallation({ account: { login: 'acme', type: 'Organization' } });
    fake.addRepository(inst.id, { name: `widgets-${width}` });
    fake.grantInstallation('octocat', inst.id);
    await page.getByRole('button', { name: 'It is installed: continue' }).click();
    await page.getByRole('heading', { level: 2, name: /Sign in \(current step\)/ }).waitFor();
    await fits(page, 'the sign-in step');
    await shot(page, 'sign-in');

    if (admin === 'github') {
      await page.getByRole('link', { name: 'Sign in with GitHub as the administrator' }).click();
    } else {
      const password = `a long local password ${width}`;
      recordSecret(password);
      await page.getByLabel('Username').fill('first-admin');
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Create the administrator and sign in' }).click();
    }
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const who = await t.app.db.kysely.selectFrom('users').select(['username', 'is_admin']).execute();
    expect(who.map((u) => u.username)).toEqual([admin === 'github' ? 'octocat' : 'first-admin']);
    expect(Boolean(who[0]!.is_admin)).toBe(true);
    // The code is used up.
    await expect(t.app.db.kysely.selectFrom('setup_codes').selectAll().execute()).resolves.toEqual([]);

    const sent = await fake.deliver('installation', installationPayload(fake, inst.id));
    expect(sent.statusCode).toBe(202);
    await until('the first delivery on the overview', async () => {
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      return (await page.getByText(`acme/widgets-${width}`).count()) > 0;
    });
    await fits(page, 'the overview');
    await shot(page, 'overview');

    // The wizard now says everything is done.
    await page.goto('/setup');
    await page.getByRole('heading', { level: 2, name: /Watch the first deliveries arrive \(current step\)/ }).waitFor();
    await expect(page.getByRole('heading', { level: 2, name: /\(done\)/ }).count()).resolves.toBe(4);
    await fits(page, 'the finished wizard');
    await shot(page, 'done');
    expect(errors).toEqual([]);
  });

  it('closes the wizard to everyone but administrators once one exists', async () => {
    const other = await openPerson(browser, publicUrl, { width, height: 800, colorScheme: scheme });
    try {
      await other.page.goto('/setup');
      // An App is connected and an administrator exists: the steps show as done, and the next thing is signing in.
      await other.page.getByRole('heading', { level: 2, name: /Sign in \(current step\)/ }).waitFor();
      await expect(other.page.getByRole('button', { name: 'Create the administrator and sign in' }).count()).resolves.toBe(0);
      await expect(other.page.getByLabel('Setup code').count()).resolves.toBe(0);
      await fits(other.page, 'the wizard for a visitor');
      expect(other.errors).toEqual([]);
    } finally {
      await other.context.close();
    }
  });
});
