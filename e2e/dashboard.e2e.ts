/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a real
 * Switchyard: sign-in with a password and a TOTP code, two-factor enrollment, the overview, the
 * live event log (a delivery posted to the webhook endpoint appears without a reload), filters in
 * the URL, the delivery page, replaying a dead receipt, scoping between two people, 360 px and dark
 * mode, and the admin pages. Each test saves a screenshot under test-output/e2e/.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTotp } from '../src/identity/index.js';
import { startTestApp, type TestApp } from '../test/support/app.js';
import { dialects } from '../test/support/databases.js';
import { createUser, grantInstallation, type CreatedUser } from '../test/support/users.js';
import { expectAccessibleInBothSchemes } from './support/axe.js';
import { chromiumPath, expectNoSidewaysScroll, launchBrowser, openPerson, screenshot, signIn, type Person } from './support/browser.js';
import { ACME, deliver, GLOBEX, seed } from './support/seed.js';

const widgets = { id: 1001, name: 'widgets', full_name: 'acme/widgets', private: false, owner: { login: 'acme', id: 9 }, html_url: 'https://github.com/acme/widgets', updated_at: '2026-01-01T00:00:00Z' };

async function waitForStatus(t: TestApp, deliveryId: string, status: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const e = await t.getJson(`/api/events/${deliveryId}`);
    if (e.processing_status === status) return;
    if (Date.now() > deadline) throw new Error(`delivery ${deliveryId} is ${e.processing_status}, not ${status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!chromiumPath).each(dialects)('the dashboard in a browser (%s)', (dialect) => {
  let t: TestApp;
  let browser: Browser;
  let alice: CreatedUser;
  let bob: CreatedUser;
  let root: CreatedUser;
  let aliceBrowser: Person;
  let totpSecret = '';
  let liveDelivery = '';
  let flaky = true;
  const people: Person[] = [];
  const shot = (page: Page, name: string, readme?: string, options?: { viewport?: boolean }) => screenshot(page, `${dialect}-${name}`, dialect === 'sqlite' ? readme : undefined, options);

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp(dialect, { RECEIPT_MAX_RETRIES: '1' }), launchBrowser()]);
    // A projector that fails while `flaky` is set: deployments die, then replay once it is fixed.
    t.app.registry.project('e2e.flaky-deployments', 'deployment', async () => {
      if (flaky) throw new Error('deploy target unreachable: connection refused');
    });
    await seed(t);
    alice = await createUser(t, { username: 'alice', password: 'alice-has-a-long-password' });
    bob = await createUser(t, { username: 'bob', password: 'bob-has-a-long-password' });
    root = await createUser(t, { username: 'root', password: 'root-has-a-long-password', isAdmin: true });
    await grantInstallation(t, alice.id, ACME);
    await grantInstallation(t, bob.id, GLOBEX);
    aliceBrowser = await openPerson(browser, t.url);
    people.push(aliceBrowser);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('enrolls two-factor from the account page: QR code, first code, recovery codes', async () => {
    const { page, errors } = aliceBrowser;
    await signIn(page, alice);
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('button', { name: 'Set up two-factor' }).click();
    await page.getByRole('img', { name: /QR code/ }).waitFor();
    await page.getByText('Can’t scan it? Enter the key by hand').click();
    totpSecret = (await page.getByTestId('totp-secret').textContent())!.trim();
    expect(totpSecret).toMatch(/^[A-Z2-7]{16,}$/);
    // The previous step's code: still accepted (one step of drift), and it leaves the current step for the sign-in below.
    // It stops being accepted when the next step begins: send it with at least 10 s of that step left (a
    // busy machine can take seconds to deliver the request), and give the ten recovery codes' hashing time.
    const intoStep = Date.now() % 30_000;
    if (intoStep > 20_000) await new Promise((resolve) => setTimeout(resolve, 30_000 - intoStep + 200));
    await page.getByLabel('Enter the 6-digit code it shows').fill(currentTotp(totpSecret, Date.now() - 30_000));
    await page.getByRole('button', { name: 'Turn on two-factor' }).click();
    const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
    await codes.first().waitFor({ timeout: 60_000 });
    expect(await codes.count()).toBe(10);
    await shot(page, 'account-two-factor');
    await expectAccessibleInBothSchemes(page, 'two-factor recovery codes');
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.getByText('Two-factor is on.').waitFor();
    expect((await t.getJson(`/api/users/${alice.id}`)).is_2fa_enabled).toBe(true);
    expect(errors).toEqual([]);
  });

  it('signs in with a local account and its TOTP code (and refuses a wrong one)', async () => {
    const { page, errors } = aliceBrowser;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Switchyard' }).waitFor();
    // Signed out: a page of the dashboard sends you to sign in, and back afterwards.
    await page.goto('/events?type=issues');
    await page.waitForURL(/\/sign-in\?return_to=/);
    await page.getByLabel('Username').fill(alice.username);
    await page.getByLabel('Password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const code = page.getByLabel('Two-factor code');
    await code.waitFor();
    await code.fill('000000');
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.getByRole('alert').filter({ hasText: /code/i }).waitFor();
    await expectAccessibleInBothSchemes(page, 'sign-in, a wrong two-factor code');
    await code.fill(currentTotp(totpSecret));
    await shot(page, 'sign-in-totp');
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/events' && u.searchParams.get('type') === 'issues');
    await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('shows every repository the person can see with its health at a glance', async () => {
    const { page, errors } = aliceBrowser;
    await page.goto('/');
    const table = page.getByRole('table', { name: 'Repositories' });
    await table.waitFor();
    const rows = table.getByRole('row');
    await expect(rows.filter({ hasText: 'widgets' }).count()).resolves.toBe(1);
    await expect(rows.filter({ hasText: 'gadgets' }).count()).resolves.toBe(1);
    const legacy = rows.filter({ hasText: 'legacy' });
    await expect(legacy.getByText(/Quiet 10 days/).count()).resolves.toBe(1);
    const widgetsRow = rows.filter({ hasText: 'widgets' });
    await expect(widgetsRow.getByRole('img', { name: /Events per day for acme\/widgets/ }).count()).resolves.toBe(1);
    await expect(widgetsRow.getByRole('cell').nth(4).textContent()).resolves.toBe('3');
    await expect(widgetsRow.getByRole('cell').nth(5).textContent()).resolves.toBe('1');
    await expect(rows.filter({ hasText: 'secret-plans' }).count()).resolves.toBe(0);
    await page.locator('.daily-chart canvas').waitFor();
    await shot(page, 'overview', 'overview');
    expect(errors).toEqual([]);
  });

  it('shows a repository’s pull requests with their checks, and a pull request’s check runs and history', async () => {
    const { page, errors } = aliceBrowser;
    await page.getByRole('link', { name: /acme\/\s*widgets/ }).click();
    await page.getByRole('heading', { level: 1, name: /widgets/ }).waitFor();
    const pr7 = page.getByRole('listitem').filter({ hasText: 'Add a widget factory' });
    await pr7.getByText('1 of 3 failing').waitFor();
    await page.getByRole('listitem').filter({ hasText: 'Speed up the widget cache' }).getByText('1 of 2 running').waitFor();
    await page.locator('.daily-chart canvas').waitFor();
    await shot(page, 'repository');
    const sections = page.getByRole('navigation', { name: 'Repository sections' });
    await sections.getByRole('link', { name: 'Issues' }).click();
    await page.getByText('Widgets wobble on Safari').waitFor();
    await sections.getByRole('link', { name: /Pull requests/ }).click();
    await pr7.getByRole('link', { name: 'Add a widget factory' }).click();
    await page.getByRole('heading', { level: 1, name: /Add a widget factory/ }).waitFor();
    const checks = page.getByRole('table', { name: 'Check runs on the head commit' });
    await checks.getByRole('row').filter({ hasText: 'test' }).getByText('failure').waitFor();
    await expect(checks.getByRole('row').filter({ hasText: 'build' }).getByText('5m 0s').count()).resolves.toBe(1);
    await page.getByRole('list').filter({ hasText: 'pull_request.opened' }).waitFor();
    await shot(page, 'pull-request');
    expect(errors).toEqual([]);
  });

  it('shows a delivery posted to the webhook endpoint live in the event log, without a reload', async () => {
    const { page, errors } = aliceBrowser;
    await page.goto('/events');
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));
    liveDelivery = await deliver(t, 'issues', {
      action: 'opened',
      issue: { id: 777_001, number: 42, title: 'Arrived live', state: 'open', user: { login: 'monalisa' }, labels: [], assignees: [], comments: 0, created_at: new Date().toISOString(), updated_at: new Date().toISOString() },
      repository: widgets,
      installation: { id: ACME },
      sender: { login: 'monalisa', id: 2 },
    });
    const row = page.locator(`tr[data-delivery="${liveDelivery}"]`);
    await row.waitFor({ timeout: 8_000 });
    await expect(row.getByRole('link').first().textContent()).resolves.toBe('issues.opened');
    // Its status follows processing, live too.
    await row.getByText('processed').waitFor({ timeout: 8_000 });
    expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
    await shot(page, 'events-live', 'events', { viewport: true });
    expect(errors).toEqual([]);
  });

  it('filters the event log (kept in the URL) and opens a delivery with its headers and payload', async () => {
    const { page, errors } = aliceBrowser;
    await page.getByLabel('Event type').fill('issues');
    await page.getByLabel('Action').fill('opened');
    await page.getByLabel('Repository').fill('acme/widgets');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL((u) => u.searchParams.get('type') === 'issues' && u.searchParams.get('action') === 'opened' && u.searchParams.get('repository') === 'acme/widgets');
    const rows = page.locator('tbody tr');
    await page.locator(`tr[data-delivery="${liveDelivery}"]`).waitFor();
    // The unfiltered rows stay until the filtered page has arrived: wait for it.
    await expect.poll(async () => [...new Set(await rows.locator('.event-link').allTextContents())], { timeout: 15_000 }).toEqual(['issues.opened']);
    expect(await rows.locator('.event-link').count()).toBeGreaterThanOrEqual(3);
    // A shared link opens the same view.
    const shared = page.url();
    await page.goto('about:blank');
    await page.goto(shared);
    await expect(page.getByLabel('Event type').inputValue()).resolves.toBe('issues');
    // The time range: a preset applies at once; a custom range opens two inputs that apply with the form.
    await page.getByRole('combobox', { name: 'Received' }).selectOption('24h');
    await page.waitForURL((u) => u.searchParams.get('range') === '24h' && u.searchParams.get('type') === 'issues');
    await page.getByRole('combobox', { name: 'Received' }).selectOption('custom');
    await page.getByLabel('From').fill('2020-01-01T00:00');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL((u) => u.searchParams.get('range') === 'custom' && (u.searchParams.get('since') ?? '').startsWith('20'));
    await page.locator(`tr[data-delivery="${liveDelivery}"]`).waitFor();
    await page.getByRole('combobox', { name: 'Status' }).selectOption('dead');
    await page.getByText('No events match these filters').waitFor();
    await page.goBack();
    await page.locator(`tr[data-delivery="${liveDelivery}"]`).getByRole('link', { name: 'issues.opened' }).click();

    await page.getByRole('heading', { level: 1, name: /issues\.opened/ }).waitFor();
    await page.getByText(liveDelivery).first().waitFor();
    const tree = page.getByRole('group', { name: 'Payload' });
    await tree.getByText('"issue"').click();
    await tree.getByText('"Arrived live"').waitFor();
    await page.getByText('Show the request headers GitHub sent').click();
    await page.getByRole('row').filter({ hasText: 'x-github-event' }).getByText('issues').waitFor();
    await page.getByRole('button', { name: 'Copy JSON' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(JSON.parse(await page.evaluate(() => navigator.clipboard.readText())).issue.title).toBe('Arrived live');
    await shot(page, 'event-detail', 'event-detail');
    expect(errors).toEqual([]);
  });

  it('replays a dead receipt and shows the outcome', async () => {
    const { page, errors } = aliceBrowser;
    const id = await deliver(t, 'deployment', { action: 'created', deployment: { id: 1, environment: 'production', ref: 'main' }, repository: widgets, installation: { id: ACME }, sender: { login: 'octocat', id: 1 } });
    await waitForStatus(t, id, 'dead');
    await page.goto('/events?status=dead');
    await page.locator(`tr[data-delivery="${id}"]`).waitFor();
    await expectAccessibleInBothSchemes(page, 'the event log of dead deliveries');
    await page.locator(`tr[data-delivery="${id}"]`).getByRole('link', { name: 'deployment.created' }).click();
    await page.getByText('Processing failed for good').waitFor();
    await page.getByText('deploy target unreachable').first().waitFor();
    await expectAccessibleInBothSchemes(page, 'a dead delivery');
    flaky = false;
    await page.getByRole('button', { name: 'Replay' }).click();
    await page.getByText('Replay succeeded').waitFor({ timeout: 15_000 });
    await page.getByRole('heading', { level: 1 }).getByText('processed').waitFor();
    await shot(page, 'replay');
    expect((await t.getJson(`/api/events/${id}`)).processing_status).toBe('processed');
    expect(errors).toEqual([]);
  });

  it('does not show a second person the first one’s repositories or deliveries, not even live', async () => {
    const bobBrowser = await openPerson(browser, t.url);
    people.push(bobBrowser);
    const { page, errors } = bobBrowser;
    await signIn(page, bob);
    const repositories = page.getByRole('table', { name: 'Repositories' });
    await repositories.getByRole('link', { name: /secret-plans/ }).waitFor();
    await expect(repositories.getByRole('link', { name: /widgets/ }).count()).resolves.toBe(0);
    await shot(page, 'second-user-overview');

    await page.goto('/repositories/acme/widgets');
    await page.getByRole('alert').getByText('Not found', { exact: true }).waitFor();
    await page.goto(`/events/${liveDelivery}`);
    await page.getByRole('alert').getByText('Not found', { exact: true }).waitFor();

    await page.goto('/events');
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await expect(page.locator(`tr[data-delivery="${liveDelivery}"]`).count()).resolves.toBe(0);
    const hidden = await deliver(t, 'issues', { action: 'edited', issue: { id: 777_002, number: 43, title: 'Not for bob', state: 'open', updated_at: new Date().toISOString() }, repository: widgets, installation: { id: ACME }, sender: { login: 'octocat', id: 1 } });
    const visible = await deliver(t, 'issues', {
      action: 'edited',
      issue: { id: 777_003, number: 2, title: 'For bob', state: 'open', updated_at: new Date().toISOString() },
      repository: { id: 2001, name: 'secret-plans', full_name: 'globex/secret-plans', private: true, owner: { login: 'globex', id: 10 }, updated_at: '2026-01-01T00:00:00Z' },
      installation: { id: GLOBEX },
      sender: { login: 'octocat', id: 1 },
    });
    await page.locator(`tr[data-delivery="${visible}"]`).waitFor({ timeout: 8_000 });
    await expect(page.locator(`tr[data-delivery="${hidden}"]`).count()).resolves.toBe(0);
    await shot(page, 'second-user-events');
    expect(errors).toEqual([]);
    await bobBrowser.context.close();
  });

  it('fits a 360 px screen and follows the system’s dark mode', async () => {
    const phone = await openPerson(browser, t.url, { width: 360, height: 780, colorScheme: 'dark' });
    people.push(phone);
    const { page, errors } = phone;
    await signIn(page, alice, () => currentTotp(totpSecret, Date.now() + 30_000));
    await page.getByRole('table', { name: 'Repositories' }).getByRole('link', { name: /widgets/ }).waitFor();
    await expectNoSidewaysScroll(page);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe('rgb(13, 17, 23)');
    await shot(page, 'overview-360-dark');
    await page.getByRole('button', { name: 'Open menu' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Events' }).click();
    await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    await expectNoSidewaysScroll(page);
    await shot(page, 'events-360-dark', undefined, { viewport: true });
    await page.locator(`tr[data-delivery="${liveDelivery}"]`).getByRole('link').first().click();
    await page.getByRole('heading', { level: 1, name: /issues\.opened/ }).waitFor();
    await expectNoSidewaysScroll(page);
    // A short page: the top bar stays a bar.
    await page.goto('/no/such/page');
    await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
    expect((await page.locator('.topbar').boundingBox())!.height).toBeLessThan(80);
    expect(errors).toEqual([]);
    await phone.context.close();
  });

  it('creates and revokes a personal API token, and lists the person’s sessions', async () => {
    const { page, errors } = aliceBrowser;
    await page.goto('/account');
    await page.getByLabel('Token name').fill('deploy script');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.getByTestId('new-token').textContent())!.trim();
    const me = await fetch(`${t.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await me.json()) as { user: { username: string } }).user.username).toBe('alice');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Revoke token deploy script' }).click();
    await page.getByRole('button', { name: 'Revoke', exact: true }).click();
    await page.getByText('No tokens yet').waitFor();
    expect((await fetch(`${t.url}/api/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    await page.getByRole('region', { name: 'Sessions' }).getByText('this session').waitFor();
    expect(errors).toEqual([]);
  });

  it('is keyboard navigable: a skip link, then the navigation, and a 404 page', async () => {
    const { page, errors } = aliceBrowser;
    await page.goto('/no/such/page');
    await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Skip to content');
    await page.keyboard.press('Enter');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('main');
    await shot(page, 'not-found');
    expect(errors).toEqual([]);
  });

  it('shows administrators the users, the installations, the job queue and recovery runs', async () => {
    const admin = await openPerson(browser, t.url);
    people.push(admin);
    const { page, errors } = admin;
    await signIn(page, root);
    await page.getByRole('link', { name: 'Admin' }).click();
    const users = page.getByRole('table', { name: 'Users' });
    await users.getByRole('link', { name: 'alice' }).waitFor();
    await expect(users.getByRole('row').filter({ hasText: 'alice' }).getByText('on').count()).resolves.toBe(1);
    // Let bob see acme too, from his page, then take it back. His page draws the checkboxes once
    // two answers have arrived — his account and the installations — which on a loaded machine can
    // take longer than an action's 10 s: the test waits for those answers (generously), not a clock.
    const answered = (path: string) => page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().method() === 'GET' && r.ok(), { timeout: 60_000 });
    const bobsPage = Promise.all([answered(`/api/users/${bob.id}`), answered('/api/installations')]);
    await users.getByRole('link', { name: 'bob' }).click();
    await bobsPage;
    const acme = page.getByRole('checkbox', { name: /acme/ });
    await acme.waitFor();
    await expect(acme.isChecked()).resolves.toBe(false);
    // The grant answered and his account read again: the checkbox is enabled once more.
    const granted = answered(`/api/users/${bob.id}`);
    await acme.check();
    await page.getByText('Access updated.').waitFor();
    await granted;
    expect((await t.getJson(`/api/users/${bob.id}`)).installation_ids.sort()).toEqual([ACME, GLOBEX]);
    await acme.uncheck();
    await expect.poll(async () => (await t.getJson(`/api/users/${bob.id}`)).installation_ids).toEqual([GLOBEX]);
    await shot(page, 'admin-user');
    await page.getByRole('link', { name: 'Installations' }).click();
    await page.getByRole('table', { name: 'Installations' }).getByText('globex').waitFor();
    await page.getByRole('link', { name: 'Job queue' }).click();
    await page.getByRole('table', { name: 'Jobs' }).getByText('webhooks.process-receipt').waitFor();
    await shot(page, 'admin-queue');
    await page.getByRole('link', { name: 'Missed deliveries' }).click();
    await page.getByText('No recovery runs yet').waitFor();
    // An unknown delivery id is answered with the dashboard's own not-found state.
    await page.goto(`/events/${randomUUID()}`);
    await page.getByRole('alert').getByText('Not found', { exact: true }).waitFor();
    expect(errors).toEqual([]);
    await admin.context.close();
  });
});
