/**
 * Hosted Probot apps in a browser: two small, real Probot apps loaded by the server from files
 * (SWITCHYARD_APPS), the fake GitHub minting their installation tokens and answering their calls.
 * Deliveries sent by the fake run them; the Apps page shows each app with its events and figures,
 * an app's page lists its runs (filtered in the URL), a delivery's page shows the apps that ran
 * with what they logged, and an administrator runs a failed app again once its cause is fixed.
 * Every page is checked with axe in both colour schemes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../test/support/app.js';
import { dialects } from '../test/support/databases.js';
import { installationPayload, issuesPayload, startFakeGitHub, type FakeGitHub } from '../test/support/fake-github/index.js';
import { createUser, grantInstallation, type CreatedUser } from '../test/support/users.js';
import { until } from '../test/support/wait.js';
import { expectAccessibleInBothSchemes } from './support/axe.js';
import { chromiumPath, expectNoSidewaysScroll, launchBrowser, openPerson, screenshot, signIn, type Person } from './support/browser.js';

/** Two Probot 14 apps, as their authors would write them. */
const APPS: Record<string, string> = {
  'greeter.mjs': `export default (app) => {
  app.on('issues.opened', async (context) => {
    context.log.info({ number: context.payload.issue.number }, 'greeting the author');
    await context.octokit.rest.issues.createComment(context.issue({ body: 'Thanks for opening this issue!' }));
  });
};`,
  'triager.mjs': `export default (app) => {
  app.on(['issues.opened', 'issues.labeled'], async (context) => {
    const { data: issue } = await context.octokit.rest.issues.get(context.issue());
    if (issue.labels.length === 0) throw new Error('issue #' + issue.number + ' has no label: label it, then run triager again');
    context.log.info({ label: issue.labels[0].name }, 'triaged');
    await context.octokit.rest.issues.createComment(context.issue({ body: 'Triaged as ' + issue.labels[0].name }));
  });
};`,
};

type Run = { app: string; delivery_id: string; status: string };

describe.skipIf(!chromiumPath).each(dialects)('hosted Probot apps in the dashboard (%s)', (dialect) => {
  let fake: FakeGitHub;
  let t: TestApp;
  let browser: Browser;
  let dir: string;
  let repoId: number;
  let root: CreatedUser;
  let alice: CreatedUser;
  let admin: Person;
  /** Issue #1 (labelled: both apps succeed) and #2 (no label: the triager fails). */
  const delivered = { labelled: '', unlabelled: '' };

  const runsOf = async (deliveryId: string): Promise<Run[]> => (await t.getJson(`/api/events/${deliveryId}/apps`)).items as Run[];
  const settledRuns = (deliveryId: string) => until(`the apps ran for ${deliveryId}`, async () => {
    const runs = await runsOf(deliveryId);
    return runs.length === 2 && runs.every((r) => r.status === 'succeeded' || r.status === 'failed') ? runs : null;
  });
  const statuses = (runs: Run[]) => Object.fromEntries(runs.map((r) => [r.app, r.status]));
  const commentsOn = (issue: number) => fake.comments(repoId, issue).map((c) => c.body);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-e2e-apps-'));
    for (const [file, code] of Object.entries(APPS)) fs.writeFileSync(path.join(dir, file), code);
    fake = await startFakeGitHub();
    const ghApp = fake.createApp({ permissions: { metadata: 'read', issues: 'write' } });
    [t, browser] = await Promise.all([
      startTestApp(dialect, {
        APP_ID: String(ghApp.id),
        PRIVATE_KEY: ghApp.privateKey,
        WEBHOOK_SECRET: ghApp.webhookSecret,
        GITHUB_URL: fake.url,
        GITHUB_API_URL: fake.apiUrl,
        SWITCHYARD_APPS: Object.keys(APPS).map((f) => path.join(dir, f)).join(','),
      }),
      launchBrowser(),
    ]);
    fake.setWebhookTarget(`${t.url}/api/github/webhooks`, ghApp.webhookSecret);
    const installationId = fake.addInstallation({ account: { login: 'acme', type: 'Organization' } }).id;
    repoId = Number(fake.addRepository(installationId, { name: 'widgets', defaultBranch: 'main' }).id);
    expect((await fake.deliver('installation', installationPayload(fake, installationId))).statusCode).toBe(202);
    fake.addIssue(repoId, { number: 1, title: 'Widgets wobble', labels: ['bug'] });
    fake.addIssue(repoId, { number: 2, title: 'Gadgets glow' });
    delivered.labelled = (await fake.deliver('issues', issuesPayload(fake, installationId, repoId, 1, 'opened'))).guid;
    delivered.unlabelled = (await fake.deliver('issues', issuesPayload(fake, installationId, repoId, 2, 'opened'))).guid;
    expect(statuses(await settledRuns(delivered.labelled))).toEqual({ greeter: 'succeeded', triager: 'succeeded' });
    expect(statuses(await settledRuns(delivered.unlabelled))).toEqual({ greeter: 'succeeded', triager: 'failed' });

    root = await createUser(t, { username: 'root', password: 'root-has-a-long-password', isAdmin: true });
    alice = await createUser(t, { username: 'alice', password: 'alice-has-a-long-password' });
    await grantInstallation(t, alice.id, installationId);
    admin = await openPerson(browser, t.url);
    await signIn(admin.page, root);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await fake?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists each app with the events it subscribes to, its runs, success rate, durations and last error', async () => {
    const { page, errors } = admin;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Apps' }).click();
    await page.getByRole('heading', { level: 1, name: 'Apps' }).waitFor();
    const table = page.getByRole('table', { name: 'Hosted Probot apps' });
    const triager = table.getByRole('row').filter({ has: page.getByRole('link', { name: 'triager', exact: true }) });
    const greeter = table.getByRole('row').filter({ has: page.getByRole('link', { name: 'greeter', exact: true }) });
    await triager.waitFor();
    await expect(triager.getByRole('list', { name: 'Events triager subscribes to' }).getByRole('listitem').allTextContents()).resolves.toEqual(['issues.labeled', 'issues.opened']);
    await expect(triager.getByText('2 runs').count()).resolves.toBe(1);
    await expect(triager.getByRole('cell').nth(3).textContent()).resolves.toBe('50%');
    await expect(triager.getByText('has no label').count()).resolves.toBe(1);
    await expect(triager.getByRole('img', { name: /Runs per day of triager: 2 in 7 days/ }).count()).resolves.toBe(1);
    await expect(greeter.getByRole('cell').nth(3).textContent()).resolves.toBe('100%');
    await expect(greeter.getByRole('cell').nth(4).textContent()).resolves.toMatch(/^(\d+ ms|\d+s) \/ (\d+ ms|\d+s)$/);
    await expect(greeter.getByRole('cell').nth(5).textContent()).resolves.toBe('none');
    await screenshot(page, `${dialect}-apps`);
    await expectAccessibleInBothSchemes(page, 'the Apps page');
    expect(errors).toEqual([]);
  });

  it("lists an app's runs with status, attempts, duration and error, filtered in the URL", async () => {
    const { page, errors } = admin;
    await page.getByRole('link', { name: 'triager', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'triager' }).waitFor();
    const runs = page.getByRole('table', { name: 'Runs' });
    const failed = runs.locator(`tr[data-delivery="${delivered.unlabelled}"]`);
    const passed = runs.locator(`tr[data-delivery="${delivered.labelled}"]`);
    await failed.locator('.badge', { hasText: 'failed' }).waitFor();
    await passed.locator('.badge', { hasText: 'succeeded' }).waitFor();
    await expect(failed.getByText('issue #2 has no label: label it, then run triager again').count()).resolves.toBe(1);
    await expect(failed.getByRole('cell').nth(1).textContent()).resolves.toBe('acme/widgets');
    await expect(failed.getByRole('cell').nth(3).textContent()).resolves.toBe('1');
    await expectAccessibleInBothSchemes(page, "an app's runs");

    await page.getByRole('combobox', { name: 'Status', exact: true }).selectOption('failed');
    await page.waitForURL((u) => u.searchParams.get('status') === 'failed');
    // The filtered page replaces the whole table (a moment of loading in between): wait for it.
    await passed.waitFor({ state: 'detached' });
    await failed.waitFor();
    await expect(runs.locator('tbody tr').count()).resolves.toBe(1);
    await page.getByLabel('Event', { exact: true }).fill('issues.labeled');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No runs match these filters').waitFor();
    await expectAccessibleInBothSchemes(page, "an app's runs, none matching");
    // A shared link opens the same view; Clear shows every run again.
    const shared = page.url();
    await page.goto(shared);
    await page.getByText('No runs match these filters').waitFor();
    await expect(page.getByLabel('Event', { exact: true }).inputValue()).resolves.toBe('issues.labeled');
    await page.getByRole('link', { name: 'Clear filters' }).click();
    await passed.waitFor();
    await failed.waitFor();
    await screenshot(page, `${dialect}-app-runs`);
    expect(errors).toEqual([]);
  });

  it("shows on a delivery's page the apps that ran, what they logged, and runs a failed one again", async () => {
    const { page, errors } = admin;
    await page.locator(`tr[data-delivery="${delivered.unlabelled}"]`).getByRole('link', { name: 'issues.opened' }).click();
    await page.getByRole('heading', { level: 1, name: /issues\.opened/ }).waitFor();
    const apps = page.getByRole('table', { name: 'Probot apps that ran for this delivery' });
    const greeter = apps.locator('tr[data-app="greeter"]');
    const triager = apps.locator('tr[data-app="triager"]');
    await greeter.locator('.badge', { hasText: 'succeeded' }).waitFor();
    await triager.locator('.badge', { hasText: 'failed' }).waitFor();
    await triager.locator('pre', { hasText: 'issue #2 has no label' }).waitFor();
    await greeter.getByText(/logged lines? of greeter/).click();
    await greeter.getByRole('region', { name: 'What greeter logged' }).getByText('greeting the author').waitFor();
    await expectAccessibleInBothSchemes(page, "a delivery's apps");

    // The cause fixed on GitHub, the administrator runs the triager again: only it runs.
    fake.updateIssue(repoId, 2, { labels: ['enhancement'] });
    expect(commentsOn(2)).toEqual(['Thanks for opening this issue!']);
    await triager.getByRole('button', { name: 'Run again: triager, for this delivery' }).click();
    await triager.locator('.badge', { hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
    await triager.getByText(/logged lines? of triager/).click();
    await triager.getByRole('region', { name: 'What triager logged' }).getByText('triaged').waitFor();
    await expect(triager.locator('pre').count()).resolves.toBe(0);
    expect(commentsOn(2)).toEqual(['Thanks for opening this issue!', 'Triaged as enhancement']);
    expect(statuses(await runsOf(delivered.unlabelled))).toEqual({ greeter: 'succeeded', triager: 'succeeded' });
    await screenshot(page, `${dialect}-delivery-apps`);
    await expectAccessibleInBothSchemes(page, "a delivery's apps after running one again");

    // The app's page and the Apps page follow.
    await triager.getByRole('link', { name: 'triager' }).click();
    await page.getByRole('heading', { level: 1, name: 'triager' }).waitFor();
    await page.locator(`tr[data-delivery="${delivered.unlabelled}"]`).locator('.badge', { hasText: 'succeeded' }).waitFor();
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Apps' }).click();
    await page.getByRole('heading', { level: 1, name: 'Apps' }).waitFor();
    await page.getByRole('row').filter({ has: page.getByRole('link', { name: 'triager', exact: true }) }).getByRole('cell', { name: '100%' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('shows someone who is not an administrator the runs of their installation, without "Run again", and fits 360 px', async () => {
    const person = await openPerson(browser, t.url, { width: 360, height: 780 });
    const { page, errors } = person;
    await signIn(page, alice);
    await page.goto(`/events/${delivered.unlabelled}`);
    const triager = page.getByRole('table', { name: 'Probot apps that ran for this delivery' }).locator('tr[data-app="triager"]');
    await triager.locator('.badge', { hasText: 'succeeded' }).waitFor();
    await expect(page.getByRole('button', { name: /Run again/ }).count()).resolves.toBe(0);
    await expectNoSidewaysScroll(page, "a delivery's page");
    await page.goto('/probot-apps/triager');
    await page.locator(`tr[data-delivery="${delivered.labelled}"]`).waitFor();
    await expectNoSidewaysScroll(page, "an app's page");
    await page.goto('/probot-apps');
    await page.getByRole('table', { name: 'Hosted Probot apps' }).waitFor();
    await expectNoSidewaysScroll(page, 'the Apps page');
    await expectAccessibleInBothSchemes(page, 'the Apps page at 360 px');
    expect(errors).toEqual([]);
    await person.context.close();
  });
});
