/**
 * Pets in a browser: acme/widgets's pet (its commits and health history seeded straight into
 * commit_analyses and health_history; no GitHub here, so its fetches fail, which the page shows)
 * appears on Pets with its creature, band and 30-day line; its page draws the health chart, lists
 * the commits with each component's points and reason, shows the history progress, the settings
 * and the badge snippet; renaming works; it fits 360 px in dark mode.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../test/support/app.js';
import { dialects } from '../test/support/databases.js';
import { createUser, grantInstallation, type CreatedUser } from '../test/support/users.js';
import { chromiumPath, expectNoSidewaysScroll, launchBrowser, openPerson, screenshot, signIn } from './support/browser.js';
import { seedPet } from './support/seed-automations.js';
import { ACME, seed } from './support/seed.js';

describe.skipIf(!chromiumPath).each(dialects)('Pets in the dashboard (%s)', (dialect) => {
  let t: TestApp;
  let browser: Browser;
  let alice: CreatedUser;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp(dialect), launchBrowser()]);
    await seed(t);
    await seedPet(t);
    alice = await createUser(t, { username: 'alice', password: 'alice-has-a-long-password' });
    await grantInstallation(t, alice.id, ACME);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('lists pets, and a pet’s page explains its health commit by commit', async () => {
    const { page, errors } = await openPerson(browser, t.url);
    await signIn(page, alice);
    await page.getByRole('link', { name: 'Pets' }).click();
    await page.getByRole('heading', { level: 1, name: 'Pets' }).waitFor();
    const card = page.locator('.pet-card').filter({ hasText: 'acme/widgets' });
    await card.waitFor();
    await expect(card.getByText('73 · healthy').isVisible()).resolves.toBe(true);
    await expect(card.getByRole('img', { name: /^Health of Brave Pixel over 30 days/ }).isVisible()).resolves.toBe(true);
    await card.locator('img.pet-creature').evaluate((img: HTMLImageElement) => (img.complete ? null : new Promise((r) => img.addEventListener('load', r, { once: true }))));
    expect(await card.locator('img.pet-creature').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    // globex's pet is not alice's to see.
    expect(await page.locator('.pet-card').filter({ hasText: 'globex/' }).count()).toBe(0);
    await screenshot(page, `${dialect}-pets`);

    await card.getByRole('link', { name: 'Brave Pixel' }).click();
    await page.waitForURL('**/pets/acme/widgets');
    await page.getByRole('heading', { level: 1, name: 'Brave Pixel' }).waitFor();
    await page.locator('.health-chart canvas').first().waitFor();
    await expect(page.getByText('history analysed: 2 of 2 commits').isVisible()).resolves.toBe(true);
    const bad = page.locator('.pet-commit').filter({ hasText: 'Quick fix for the cache' });
    await bad.locator('summary').click();
    await bad.getByText('an AWS access key in src/cache.ts').waitFor();
    await bad.getByText('src/cache.ts:12').waitFor();
    await expect(bad.getByText('-7').first().isVisible()).resolves.toBe(true);
    await expect(page.locator('.pet-snippet').textContent()).resolves.toContain('/pets/acme/widgets/badge.svg');
    await screenshot(page, `${dialect}-pet`);

    // Rename.
    const name = page.getByLabel('Name', { exact: true });
    await name.fill('Sir Widget');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sir Widget' }).waitFor();

    // 360 px, dark: the page fits.
    const small = await openPerson(browser, t.url, { width: 360, height: 780, colorScheme: 'dark' });
    await signIn(small.page, alice);
    await small.page.goto('/pets/acme/widgets');
    await small.page.getByRole('heading', { level: 1, name: 'Sir Widget' }).waitFor();
    await small.page.locator('.health-chart canvas').first().waitFor();
    await expectNoSidewaysScroll(small.page, 'pet page');
    await screenshot(small.page, `${dialect}-pet-360-dark`, undefined, { viewport: true });
    await small.page.goto('/pets');
    await small.page.locator('.pet-card').first().waitFor();
    await expectNoSidewaysScroll(small.page, 'pets page');
    expect(errors).toEqual([]);
    expect(small.errors).toEqual([]);
    await small.context.close();
  });
});
