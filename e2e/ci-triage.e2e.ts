/**
 * CI triage in a browser: a failed check run with a diagnosis (seeded straight into check_runs and
 * analysis_results) shows on Failing checks, and its page shows the category, the reason and the
 * log excerpt with the failure lines highlighted — also on a 360 px screen.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../test/support/app.js';
import { dialects } from '../test/support/databases.js';
import { createUser, grantInstallation, type CreatedUser } from '../test/support/users.js';
import { chromiumPath, expectNoSidewaysScroll, launchBrowser, openPerson, screenshot, signIn, type Person } from './support/browser.js';
import { CHECK_RUN, FAILURE_TEXT, seedFailedCheck } from './support/seed-automations.js';
import { ACME, seed } from './support/seed.js';

describe.skipIf(!chromiumPath).each(dialects)('CI triage in the dashboard (%s)', (dialect) => {
  let t: TestApp;
  let browser: Browser;
  let alice: CreatedUser;
  let person: Person;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp(dialect), launchBrowser()]);
    await seed(t);
    await seedFailedCheck(t);
    alice = await createUser(t, { username: 'alice', password: 'alice-has-a-long-password' });
    await grantInstallation(t, alice.id, ACME);
    person = await openPerson(browser, t.url);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows a failed check run on Failing checks and its diagnosis with the failure lines highlighted', async () => {
    const { page, errors } = person;
    await signIn(page, alice);
    await page.getByRole('link', { name: 'Failing checks' }).click();
    await page.getByRole('heading', { level: 1, name: 'Failing checks' }).waitFor();
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'unit-tests', exact: true }) });
    await row.getByText('test failure').waitFor();
    await expect(row.getByText('Fix the code').isVisible()).resolves.toBe(true);
    await expect(row.getByRole('link', { name: '#7' }).isVisible()).resolves.toBe(true);
    await screenshot(page, `${dialect}-failing-checks`);

    await row.getByRole('link', { name: 'unit-tests', exact: true }).click();
    await page.waitForURL(`**/checks/${CHECK_RUN}`);
    await page.getByRole('heading', { level: 1, name: 'unit-tests' }).waitFor();
    const diagnosis = page.locator('.diagnosis');
    await diagnosis.getByText('test failure').waitFor();
    await expect(diagnosis.getByText('92% confident').isVisible()).resolves.toBe(true);
    await expect(diagnosis.getByText('vitest reported a failing test').isVisible()).resolves.toBe(true);

    const excerpt = page.getByRole('region', { name: 'Log excerpt' });
    const hits = excerpt.locator('[data-failure]');
    expect(await hits.count()).toBe(2);
    await expect(hits.first().isVisible()).resolves.toBe(true);
    expect(await hits.first().textContent()).toContain(FAILURE_TEXT);
    expect(await hits.first().locator('.log-no').textContent()).toBe('121');
    // Lines outside [121, 122] are not highlighted.
    expect(await excerpt.locator('.log-line:not([data-failure])').filter({ hasText: 'Test Files' }).count()).toBe(1);
    await screenshot(page, `${dialect}-check-run`);

    // A 360 px screen: the page fits, the excerpt scrolls sideways inside its own box.
    await page.setViewportSize({ width: 360, height: 780 });
    await expectNoSidewaysScroll(page);
    await screenshot(page, `${dialect}-check-run-360`, undefined, { viewport: true });

    // Line 121 was ranked up by this repository's history, and says so.
    expect(await hits.first().textContent()).toContain('matched this repository’s history');
    expect(await hits.nth(1).textContent()).not.toContain('matched this repository’s history');

    // The pull request page links the failed run to its diagnosis.
    await page.goto('/repositories/acme/widgets/pulls/7');
    await page.getByRole('row').filter({ hasText: 'unit-tests' }).getByRole('link', { name: 'Diagnosis' }).click();
    await page.getByRole('heading', { level: 1, name: 'unit-tests' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('lets an administrator correct the diagnosis on the check run page, and shows the correction', async () => {
    const root = await createUser(t, { username: 'root-admin', password: 'root-has-a-long-password', isAdmin: true });
    const admin = await openPerson(browser, t.url);
    await signIn(admin.page, root);
    await admin.page.goto(`/checks/${CHECK_RUN}`);
    await admin.page.getByRole('heading', { level: 1, name: 'unit-tests' }).waitFor();
    // Not line ranges: a clear message, nothing sent.
    await admin.page.getByLabel('The failure lines').fill('the red ones');
    await admin.page.getByRole('button', { name: 'These are the failure' }).click();
    await admin.page.getByRole('alert').filter({ hasText: 'e.g. 120-131' }).waitFor();
    await admin.page.getByLabel('The failure lines').fill('121-123');
    await admin.page.getByRole('button', { name: 'These are the failure' }).click();
    await admin.page.getByTestId('correction').filter({ hasText: 'Corrected by root-admin: the failure is lines 121–123' }).waitFor();
    const stored = await t.app.db.kysely.selectFrom('triage_corrections').selectAll().where('check_run_github_id', '=', CHECK_RUN).execute();
    expect(stored.map((r) => [r.verdict, JSON.parse(r.lines), r.author])).toEqual([['lines', [[121, 123]], 'root-admin']]);
    await admin.page.getByRole('button', { name: 'Not this' }).click();
    await admin.page.getByTestId('correction').filter({ hasText: 'Marked “not this” by root-admin' }).waitFor();
    expect(admin.errors).toEqual([]);
  });
});
