/**
 * LLM costs and budgets in a browser: a block budget for acme's project and two calls through the
 * real LLM slice against the fake LLM server (one priced, gpt-4o; one to a model without a price).
 * An administrator sees the budget bar (settled of amount, percent, remaining), spend per day and
 * the usage by model and agent type ("unpriced", never $0); raising the amount past the server's
 * limit shows the server's error, raising it to US$ 5 shows the new remaining. A person of acme sees
 * the same budget read-only (not globex's), and the page fits 360 px in dark mode; someone who sees no
 * installation gets the empty state that says how budgets are added.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../test/support/app.js';
import { dialects } from '../test/support/databases.js';
import { startFakeLlm, type FakeLlm } from '../test/support/fake-llm/index.js';
import { createUser, grantInstallation, type CreatedUser } from '../test/support/users.js';
import { chromiumPath, expectNoSidewaysScroll, launchBrowser, openPerson, screenshot, signIn } from './support/browser.js';
import { seedLlm } from './support/seed-automations.js';
import { ACME, seed } from './support/seed.js';

describe.skipIf(!chromiumPath).each(dialects)('LLM costs and budgets in the dashboard (%s)', (dialect) => {
  let t: TestApp;
  let fake: FakeLlm;
  let browser: Browser;
  let admin: CreatedUser;
  let alice: CreatedUser;
  let bob: CreatedUser;

  beforeAll(async () => {
    [t, browser, fake] = await Promise.all([startTestApp(dialect), launchBrowser(), startFakeLlm()]);
    await seed(t);
    await seedLlm(t, fake);
    admin = await createUser(t, { username: 'root', password: 'root-has-a-long-password', isAdmin: true });
    alice = await createUser(t, { username: 'alice', password: 'alice-has-a-long-password' });
    await grantInstallation(t, alice.id, ACME);
    bob = await createUser(t, { username: 'bob', password: 'bob-has-a-long-password' });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await fake?.close();
  });

  it('shows the budget bar and the usage; an administrator raises the amount', async () => {
    const { page, errors } = await openPerson(browser, t.url);
    await signIn(page, admin);
    await page.getByRole('link', { name: 'Costs' }).click();
    await page.getByRole('heading', { level: 1, name: 'LLM costs' }).waitFor();
    const card = page.getByRole('listitem', { name: 'team', exact: true });
    await card.getByText('US$ 0.0035 of 2.50 (0.1 %)').waitFor();
    const meter = card.getByRole('meter');
    expect(await meter.getAttribute('aria-valuetext')).toBe('US$ 0.0035 settled and US$ 0.00 reserved of 2.50 (0.1 %)');
    await expect(card.getByText('US$ 2.4965 remaining', { exact: false }).isVisible()).resolves.toBe(true);
    await expect(card.getByText('blocks').isVisible()).resolves.toBe(true);
    await expect(card.getByText('Monthly').isVisible()).resolves.toBe(true);
    await expect(page.getByRole('listitem', { name: 'globex-team' }).getByText('warns').isVisible()).resolves.toBe(true);

    const byModel = page.getByRole('table', { name: 'Usage by model' });
    await expect(byModel.getByRole('row').filter({ hasText: 'gpt-4o' }).innerText()).resolves.toMatch(/1,000[\s\S]*100[\s\S]*US\$ 0\.0035/);
    await expect(byModel.getByRole('row').filter({ hasText: 'acme-9' }).getByText('unpriced').isVisible()).resolves.toBe(true);
    const byType = page.getByRole('table', { name: 'Usage by agent type' });
    await expect(byType.getByRole('row').filter({ hasText: 'coder' }).innerText()).resolves.toContain('US$ 0.0035');
    await expect(byType.getByRole('row').filter({ hasText: 'reviewer' }).getByText('unpriced').isVisible()).resolves.toBe(true);
    await expect(page.getByText('2 calls · US$ 0.0035 + 1 unpriced').isVisible()).resolves.toBe(true);

    // Past the server's limit: its message is shown, and nothing changes.
    await card.getByRole('button', { name: 'Raise the amount of team' }).click();
    const amount = card.getByLabel('New amount (US$)');
    await amount.fill('2000000');
    await card.getByRole('button', { name: 'Save amount' }).click();
    const alert = card.getByRole('alert');
    await alert.waitFor();
    expect((await alert.innerText()).length).toBeGreaterThan(0);
    expect(await alert.innerText()).not.toContain('Enter an amount');

    await amount.fill('5');
    await amount.press('Enter');
    await card.getByText('US$ 0.0035 of 5.00 (0.1 %)').waitFor();
    await expect(card.getByText('US$ 4.9965 remaining', { exact: false }).isVisible()).resolves.toBe(true);
    // The focus is back on the button that opened the form.
    await expect.poll(() => card.getByRole('button', { name: 'Raise the amount of team' }).evaluate((el) => el === document.activeElement)).toBe(true);
    await screenshot(page, 'llm-costs-admin');
    // The 400 of the refused change is the browser's to log; nothing else.
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    await page.context().close();
  });

  it('a person of acme sees the budget read-only, and it fits 360 px in dark mode', async () => {
    const { page, errors } = await openPerson(browser, t.url, { width: 360, height: 780, colorScheme: 'dark' });
    await signIn(page, alice);
    await page.goto(`${t.url}/costs`);
    const card = page.getByRole('listitem', { name: 'team', exact: true });
    await card.getByText(/^US\$ 0\.0035 of (2\.50|5\.00) \(0\.1 %\)$/).waitFor();
    expect(await card.getByRole('button', { name: /Raise the amount/ }).count()).toBe(0);
    expect(await page.getByRole('listitem', { name: 'globex-team' }).count()).toBe(0);
    await page.getByRole('table', { name: 'Usage by model' }).getByText('unpriced').waitFor();
    await expectNoSidewaysScroll(page, 'costs at 360 px');
    await screenshot(page, 'llm-costs-360-dark');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('someone who sees no installation is told how budgets are added', async () => {
    const { page, errors } = await openPerson(browser, t.url, { width: 360, height: 780 });
    await signIn(page, bob);
    await page.goto(`${t.url}/costs`);
    await page.getByRole('heading', { name: 'No budgets yet' }).waitFor();
    await expect(page.getByText('POST /api/llm/budgets').isVisible()).resolves.toBe(true);
    await expect(page.getByText('No calls in the last 30 days.').first().isVisible()).resolves.toBe(true);
    await expectNoSidewaysScroll(page, 'empty costs at 360 px');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
