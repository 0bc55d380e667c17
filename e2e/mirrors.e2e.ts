/**
 * Mirrors in a browser: a failed mirror of acme/widgets (seeded straight into mirror_targets,
 * repo_mirrors and sync_logs, on a disabled target with no token so nothing syncs) shows on
 * Mirrors with its status and error, and its sync log lists the steps of the failed sync.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../test/support/app.js';
import { dialects } from '../test/support/databases.js';
import { createUser, grantInstallation, type CreatedUser } from '../test/support/users.js';
import { chromiumPath, expectNoSidewaysScroll, launchBrowser, openPerson, screenshot, signIn, type Person } from './support/browser.js';
import { seedMirror } from './support/seed-automations.js';
import { ACME, seed } from './support/seed.js';

describe.skipIf(!chromiumPath).each(dialects)('Mirrors in the dashboard (%s)', (dialect) => {
  let t: TestApp;
  let browser: Browser;
  let alice: CreatedUser;
  let person: Person;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp(dialect), launchBrowser()]);
    await seed(t);
    await seedMirror(t);
    alice = await createUser(t, { username: 'alice', password: 'alice-has-a-long-password' });
    await grantInstallation(t, alice.id, ACME);
    person = await openPerson(browser, t.url);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows a failed mirror with its status and error, and its sync log', async () => {
    const { page, errors } = person;
    await signIn(page, alice);
    await page.getByRole('link', { name: 'Mirrors' }).click();
    await page.getByRole('heading', { level: 1, name: 'Mirrors' }).waitFor();
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'acme/widgets', exact: true }) });
    await row.locator('.badge', { hasText: 'failed' }).waitFor();
    await expect(row.getByText('onedev-backup').isVisible()).resolves.toBe(true);
    await expect(row.getByText('protected branch main').isVisible()).resolves.toBe(true);
    await expect(row.getByRole('button', { name: 'Retry' }).isVisible()).resolves.toBe(true);
    await expect(row.getByRole('button', { name: 'Sync now' }).isVisible()).resolves.toBe(true);
    await screenshot(page, `${dialect}-mirrors`);

    await row.getByRole('link', { name: /Sync log/ }).click();
    await page.waitForURL('**/mirrors/acme/widgets/logs**');
    await page.getByRole('heading', { level: 1, name: 'Sync log' }).waitFor();
    const failed = page.getByRole('row').filter({ hasText: 'sync failed' });
    await failed.waitFor();
    await expect(failed.getByText('push_rejected').isVisible()).resolves.toBe(true);
    await expect(page.getByRole('row').filter({ hasText: 'clone completed' }).getByText('2.4 MB').isVisible()).resolves.toBe(true);
    expect(await page.locator('tbody tr').count()).toBe(3);
    await screenshot(page, `${dialect}-mirror-log`);

    // A 360 px screen: the page fits.
    await page.setViewportSize({ width: 360, height: 780 });
    await expectNoSidewaysScroll(page);
    await page.goto('/mirrors');
    await page.getByRole('heading', { level: 1, name: 'Mirrors' }).waitFor();
    await expectNoSidewaysScroll(page, 'mirrors page');
    await screenshot(page, `${dialect}-mirrors-360`, undefined, { viewport: true });
    expect(errors).toEqual([]);
  });
});
