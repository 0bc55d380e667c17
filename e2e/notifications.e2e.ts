/**
 * Notifications and adding mirror targets in a browser. Notifications are recorded with notify()
 * straight into the test database (acme's for alice, globex's she must not see): the navigation
 * shows the unread count, the page lists them with a link into the dashboard, "Mark read" makes the
 * badge go away, the unread/all filter lives in the URL, "Load more" pages and "Mark all read"
 * clears the rest. An administrator adds a mirror target through the form: a missing field is
 * caught in the page, an address the server refuses shows the server's message, then the target is
 * added and listed, and the token typed into the form is nowhere in the page afterwards.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notify } from '../src/notify/index.js';
import { startTestApp, type TestApp } from '../test/support/app.js';
import { dialects } from '../test/support/databases.js';
import { recordSecret } from '../test/support/secret-ledger.js';
import { createUser, grantInstallation, type CreatedUser } from '../test/support/users.js';
import { expectAccessibleInBothSchemes } from './support/axe.js';
import { chromiumPath, expectNoSidewaysScroll, launchBrowser, openPerson, screenshot, signIn, type Person } from './support/browser.js';
import { ACME, GLOBEX, seed } from './support/seed.js';

describe.skipIf(!chromiumPath).each(dialects)('Notifications and mirror targets in the dashboard (%s)', (dialect) => {
  let t: TestApp;
  let browser: Browser;
  let alice: CreatedUser;
  let root: CreatedUser;
  const people: Person[] = [];
  const repositoryId = async (fullName: string) => (await t.app.db.kysely.selectFrom('repositories').select('id').where('full_name', '=', fullName).executeTakeFirstOrThrow()).id;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp(dialect), launchBrowser()]);
    await seed(t);
    alice = await createUser(t, { username: 'alice', password: 'alice-has-a-long-password' });
    root = await createUser(t, { username: 'root', password: 'root-has-a-long-password', isAdmin: true });
    await grantInstallation(t, alice.id, ACME);
    await notify(t.app.db, {
      installationId: GLOBEX,
      repositoryId: await repositoryId('globex/secret-plans'),
      kind: 'check_failed',
      title: 'globex/secret-plans: build failed — infrastructure',
      body: 'Not for alice',
      link: '/api/checks/99',
    });
    // Check run 2 is acme/widgets' failed "test" on #7 (seed.ts); the API link opens its dashboard page.
    await notify(t.app.db, {
      installationId: ACME,
      repositoryId: await repositoryId('acme/widgets'),
      kind: 'check_failed',
      title: 'acme/widgets: test failed on #7 — flaky',
      body: 'The test timed out waiting for the database.\nA re-run usually passes.',
      link: '/api/checks/2',
    });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows the unread count, lists notifications, marks them read, pages and marks all read', async () => {
    const person = await openPerson(browser, t.url);
    people.push(person);
    const { page, errors } = person;
    await signIn(page, alice);
    const nav = page.getByRole('navigation', { name: 'Main' });
    const badge = nav.getByTestId('unread-count');
    await badge.waitFor();
    await expect(badge.textContent()).resolves.toBe('1 unread');

    await nav.getByRole('link', { name: /Notifications/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();
    const items = page.getByTestId('notification');
    const item = items.filter({ hasText: 'acme/widgets: test failed on #7' });
    await item.waitFor();
    await expect(items.count()).resolves.toBe(1);
    await expect(page.getByText('globex/secret-plans').count()).resolves.toBe(0);
    await expect(item.getByText('unread', { exact: true }).isVisible()).resolves.toBe(true);
    await expect(item.getByText('A re-run usually passes.').isVisible()).resolves.toBe(true);
    await expect(item.locator('time').textContent()).resolves.toMatch(/just now|ago/);
    await expect(item.getByRole('link', { name: /test failed on #7/ }).getAttribute('href')).resolves.toBe('/checks/2');
    await screenshot(page, `${dialect}-notifications`);

    // "Mark read" with the keyboard: the badge goes away, the item stays (showing all) without "unread".
    const markRead = item.getByRole('button', { name: /Mark read/ });
    await markRead.focus();
    await page.keyboard.press('Enter');
    await badge.waitFor({ state: 'detached' });
    await item.getByText('unread', { exact: true }).waitFor({ state: 'detached' });
    await expect(item.getByRole('button', { name: /Mark read/ }).count()).resolves.toBe(0);
    const reads = await t.app.db.kysely.selectFrom('notification_reads').select('user_id').execute();
    expect(reads.map((r) => r.user_id)).toEqual([alice.id]);

    // The filter lives in the URL.
    await page.getByRole('group', { name: 'Show' }).getByRole('button', { name: /Unread/ }).click();
    await page.waitForURL('**/notifications?show=unread');
    await page.getByText('You are all caught up').waitFor();
    await page.reload();
    await page.getByText('You are all caught up').waitFor();
    await expect(page.getByRole('button', { name: /Unread/ }).getAttribute('aria-pressed')).resolves.toBe('true');

    // The link opens the check run's page in the dashboard.
    await page.getByRole('button', { name: 'Show all notifications' }).click();
    await page.waitForURL((url) => url.pathname === '/notifications' && url.search === '');
    await page.getByRole('link', { name: /test failed on #7/ }).click();
    await page.waitForURL('**/checks/2');

    // More than a page: "Load more", then "Mark all read" clears the badge.
    const widgets = await repositoryId('acme/widgets');
    for (let i = 1; i <= 30; i++) {
      await notify(t.app.db, { installationId: ACME, repositoryId: widgets, kind: 'mirror_failed', title: `acme/widgets mirror problem ${String(i).padStart(2, '0')}`, body: `Attempt ${i}` });
    }
    await page.goto('/notifications');
    await badge.waitFor();
    await expect(badge.textContent()).resolves.toBe('20+ unread');
    await expect.poll(() => items.count()).toBe(25);
    await expect(items.first().textContent()).resolves.toContain('mirror problem 30');
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => items.count()).toBe(31);
    await page.getByRole('button', { name: 'Load more' }).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Mark all read' }).click();
    await page.getByText('Marked 30 notifications read.').waitFor();
    await badge.waitFor({ state: 'detached' });
    await expect.poll(() => page.getByText('unread', { exact: true }).count()).toBe(0);

    // A 360 px screen: the page fits, and the menu button carries no unread dot once all are read.
    await page.setViewportSize({ width: 360, height: 780 });
    await expectNoSidewaysScroll(page, 'notifications page');
    await expect(page.getByTestId('menu-unread').count()).resolves.toBe(0);
    await screenshot(page, `${dialect}-notifications-360`, undefined, { viewport: true });
    expect(errors).toEqual([]);
    await person.context.close();
  });

  it('lets an administrator add a mirror target with the form (showing the server’s error, never the token), add and remove a rule, disable and remove the target', async () => {
    const person = await openPerson(browser, t.url);
    people.push(person);
    const { page, errors } = person;
    const token = `e2e-forge-token-${dialect}-0123456789abcdef`;
    recordSecret(token);
    await signIn(page, root);
    await page.goto('/admin/mirror-targets');
    await page.getByRole('heading', { level: 2, name: 'Mirror targets' }).waitFor();
    await page.getByText('No mirror targets').waitFor();
    await expectAccessibleInBothSchemes(page, 'mirror targets, none yet');
    await page.getByRole('button', { name: 'Add a target' }).click();
    const form = page.getByRole('form', { name: 'Add a mirror target' });
    await form.waitFor();
    await expect(page.evaluate(() => document.activeElement?.getAttribute('id')?.endsWith('-name'))).resolves.toBe(true);

    // Required fields are checked in the page: nothing is sent.
    await form.getByRole('button', { name: 'Add target' }).click();
    await form.getByText('Give the target a name.').waitFor();
    await form.getByText('Give the target’s address.').waitFor();
    await expect(form.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).resolves.toBe('true');

    // An address the server refuses: its message, next to the form.
    await form.getByLabel('Name', { exact: true }).fill('backup-git');
    await form.getByLabel('Kind', { exact: true }).selectOption('git');
    await form.getByLabel('Address', { exact: true }).fill('not a url');
    await form.getByLabel('Access token (optional)').fill(token);
    // Disabled: the rule added below must not start syncs to this (unreachable) address.
    await form.getByLabel(/^Enabled/).uncheck();
    await expect(form.getByLabel('Access token (optional)').getAttribute('type')).resolves.toBe('password');
    await form.getByRole('button', { name: 'Add target' }).click();
    const serverError = page.getByTestId('target-form-error');
    await serverError.waitFor();
    await expect(serverError.textContent()).resolves.toContain('base_url is not a URL');
    await expect(serverError.getAttribute('role')).resolves.toBe('alert');
    await screenshot(page, `${dialect}-mirror-target-error`);
    await expectAccessibleInBothSchemes(page, 'the mirror target form with the server’s error');
    // The browser logs the refused request; the test asked for it.
    errors.splice(0, errors.length, ...errors.filter((e) => !/status of 400/.test(e)));

    // A good address: added, listed, and the token is gone from the page.
    await form.getByLabel('Address', { exact: true }).fill('https://203.0.113.7/{path}.git');
    await form.getByRole('button', { name: 'Add target' }).click();
    await page.getByText('Target “backup-git” added').waitFor();
    await expect(serverError.count()).resolves.toBe(0);
    const row = page.getByRole('table', { name: 'Mirror targets' }).getByRole('row').filter({ hasText: 'backup-git' });
    await row.waitFor();
    await expect(row.getByText('https://203.0.113.7/{path}.git').isVisible()).resolves.toBe(true);
    await expect(row.getByText('no token').count()).resolves.toBe(0);
    await expect(form.getByLabel('Access token (optional)').inputValue()).resolves.toBe('');
    const stored = (await t.getJson('/api/mirror/targets')).items.find((x: { name: string }) => x.name === 'backup-git');
    expect(stored).toMatchObject({ kind: 'git', base_url: 'https://203.0.113.7/{path}.git', has_token: true, enabled: false });
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(await page.content()).not.toContain(token);
    await screenshot(page, `${dialect}-mirror-targets-added`);

    // A rule for it, through the rules form.
    await page.getByLabel('Rule', { exact: true }).selectOption('pattern');
    await page.getByLabel('Pattern', { exact: true }).fill('acme/*');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByText(/^Rule added/).waitFor();
    await page.getByRole('list', { name: 'Rules of backup-git' }).getByText('acme/*').waitFor();
    expect(await page.content()).not.toContain(token);
    await expectAccessibleInBothSchemes(page, 'a mirror target with a rule');

    // 360 px: the page and its form fit.
    await page.setViewportSize({ width: 360, height: 780 });
    await expectNoSidewaysScroll(page, 'mirror targets page');
    await screenshot(page, `${dialect}-mirror-targets-360`, undefined, { viewport: true });
    await page.setViewportSize({ width: 1280, height: 800 });

    // The rule goes again; the target is enabled, disabled, then removed (after a confirmation).
    await page.getByRole('button', { name: 'Remove the rule acme/*' }).click();
    await page.getByText('Rule “acme/*” removed').waitFor();
    await page.getByText('No rules for backup-git').waitFor();
    expect((await t.getJson('/api/mirror/targets/backup-git/rules')).items).toEqual([]);
    await row.getByRole('button', { name: 'Enable' }).click();
    await row.getByText('enabled', { exact: true }).waitFor();
    expect((await t.getJson('/api/mirror/targets/backup-git')).enabled).toBe(true);
    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByText('disabled', { exact: true }).waitFor();
    await row.getByRole('button', { name: 'Remove…' }).click();
    await row.getByRole('button', { name: 'Cancel' }).click();
    await expect(row.getByRole('button', { name: /Remove backup-git/ }).count()).resolves.toBe(0);
    await row.getByRole('button', { name: 'Remove…' }).click();
    await row.getByRole('button', { name: /Remove backup-git, its rules/ }).click();
    await page.getByText('No mirror targets').waitFor();
    expect((await t.getJson('/api/mirror/targets')).items.find((x: { name: string }) => x.name === 'backup-git')).toBeUndefined();
    expect(errors).toEqual([]);
    await person.context.close();
  });
});
