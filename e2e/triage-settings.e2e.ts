/**
 * A repository's CI triage settings in a browser. An administrator sees the defaults on acme/widgets'
 * page, finds the dependent options disabled when what they depend on is off, turns on the
 * check-run report (with the keyboard) and sets polling to 15 minutes; only those two fields are
 * sent, they are kept after a reload and the API answers them. 0 minutes is refused in the page
 * (nothing sent), a body the server refuses shows the server's message, and nothing changes. A
 * person who can see the repository (not an administrator) sees the settings in words, without a
 * form — in dark mode and on a 360 px screen too.
 */
import type { Browser, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../test/support/app.js';
import { dialects } from '../test/support/databases.js';
import { createUser, grantInstallation, type CreatedUser } from '../test/support/users.js';
import { chromiumPath, expectNoSidewaysScroll, launchBrowser, openPerson, screenshot, signIn } from './support/browser.js';
import { ACME, seed } from './support/seed.js';

const CONFIG_PATH = '/api/repositories/acme/widgets/triage-config';
const DEFAULTS = { analyze: true, comment: true, check_run: false, rerun: true, rerun_categories: ['flaky', 'infrastructure', 'network_timeout'], poll_interval_minutes: 5 };

describe.skipIf(!chromiumPath).each(dialects)('CI triage settings in the dashboard (%s)', (dialect) => {
  let t: TestApp;
  let browser: Browser;
  let alice: CreatedUser;
  let root: CreatedUser;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp(dialect), launchBrowser()]);
    await seed(t);
    alice = await createUser(t, { username: 'alice', password: 'alice-has-a-long-password' });
    root = await createUser(t, { username: 'root', password: 'root-has-a-long-password', isAdmin: true });
    await grantInstallation(t, alice.id, ACME);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('lets an administrator change the settings: only what changed is sent, kept after a reload, bad values refused', async () => {
    const person = await openPerson(browser, t.url);
    const { page, errors } = person;
    await expect(t.getJson(CONFIG_PATH)).resolves.toEqual(DEFAULTS);
    await signIn(page, root);
    await page.goto('/repositories/acme/widgets');
    await page.getByRole('heading', { level: 1, name: /widgets/ }).waitFor();

    // The defaults, in words.
    const section = page.getByRole('region', { name: 'CI triage' });
    const summary = section.getByTestId('triage-summary');
    await summary.getByText('Failed checks are diagnosed').waitFor();
    await expect(summary.getByText('One comment per pull request').isVisible()).resolves.toBe(true);
    await expect(summary.getByText('Failed GitHub Actions jobs diagnosed as flaky, infrastructure or network timeout are re-run once').isVisible()).resolves.toBe(true);
    await expect(summary.getByText('Every 5 minutes').isVisible()).resolves.toBe(true);

    // The form holds the same values.
    const form = section.getByRole('form', { name: 'Change the settings' });
    const analyze = form.getByLabel('Analyze failed checks');
    const comment = form.getByLabel('Report on the pull request');
    const checkRun = form.getByLabel('Report as a check run instead of a comment');
    const rerun = form.getByLabel('Re-run failed jobs automatically');
    const categories = form.getByRole('group', { name: 'Re-run these categories' });
    const poll = form.getByLabel('Polling interval (minutes)');
    const save = form.getByRole('button', { name: 'Save' });
    await expect(analyze.isChecked()).resolves.toBe(true);
    await expect(comment.isChecked()).resolves.toBe(true);
    await expect(checkRun.isChecked()).resolves.toBe(false);
    await expect(rerun.isChecked()).resolves.toBe(true);
    for (const name of [/^Flaky/, /^Infrastructure/, /^Network timeout/]) await expect(categories.getByLabel(name).isChecked()).resolves.toBe(true);
    await expect(poll.inputValue()).resolves.toBe('5');
    await expect(poll.getAttribute('min')).resolves.toBe('1');
    await expect(poll.getAttribute('max')).resolves.toBe('1440');
    await screenshot(page, `${dialect}-triage-settings-defaults`);

    // Dependent options: no check run without a report, no categories without re-runs, nothing without analysis.
    await comment.uncheck();
    await expect(checkRun.isDisabled()).resolves.toBe(true);
    await comment.check();
    await expect(checkRun.isEnabled()).resolves.toBe(true);
    await rerun.uncheck();
    await expect(categories.getByLabel(/^Flaky/).isDisabled()).resolves.toBe(true);
    await rerun.check();
    await expect(categories.getByLabel(/^Flaky/).isEnabled()).resolves.toBe(true);
    await analyze.uncheck();
    await expect(comment.isDisabled()).resolves.toBe(true);
    await expect(rerun.isDisabled()).resolves.toBe(true);
    await analyze.check();

    // The check-run report with the keyboard, 15 minutes typed: only those two fields are sent.
    await checkRun.focus();
    await page.keyboard.press('Space');
    await expect(checkRun.isChecked()).resolves.toBe(true);
    await poll.fill('15');
    const patched = page.waitForRequest((r) => r.method() === 'PATCH' && r.url().endsWith(CONFIG_PATH));
    await save.click();
    expect((await patched).postDataJSON()).toEqual({ check_run: true, poll_interval_minutes: 15 });
    await section.getByText('Saved. The new settings apply to the next failed check.').waitFor();
    await summary.getByText('A “Switchyard triage” check run on the head commit').waitFor();
    await expect(summary.getByText('Every 15 minutes').isVisible()).resolves.toBe(true);
    await expect(t.getJson(CONFIG_PATH)).resolves.toEqual({ ...DEFAULTS, check_run: true, poll_interval_minutes: 15 });
    // The session reads the same.
    await expect(page.evaluate(async (p) => (await fetch(p)).json(), CONFIG_PATH)).resolves.toMatchObject({ check_run: true, poll_interval_minutes: 15 });
    await screenshot(page, `${dialect}-triage-settings-saved`);

    // Kept after a reload.
    await page.reload();
    await summary.getByText('Every 15 minutes').waitFor();
    await expect(checkRun.isChecked()).resolves.toBe(true);
    await expect(poll.inputValue()).resolves.toBe('15');

    // Nothing changed: nothing sent.
    const sent: Request[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH') sent.push(r);
    });
    await save.click();
    await section.getByText('Nothing to save: the settings are unchanged.').waitFor();

    // 0 minutes: refused in the page, with the field marked and focused; nothing sent.
    await poll.fill('0');
    await save.click();
    await form.getByText('Enter a whole number of minutes from 1 to 1440 (24 hours).').waitFor();
    await expect(poll.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(poll.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    await expect(section.getByText(/^Saved/).count()).resolves.toBe(0);
    expect(sent).toEqual([]);
    await screenshot(page, `${dialect}-triage-settings-invalid`);

    // A body the server refuses (0 minutes, as if sent by an older page): its message next to the form, nothing changes.
    await page.route(`**${CONFIG_PATH}`, (route) => (route.request().method() === 'PATCH' ? route.continue({ postData: JSON.stringify({ poll_interval_minutes: 0 }) }) : route.continue()));
    await poll.fill('30');
    await save.click();
    const serverError = page.getByTestId('triage-form-error');
    await serverError.waitFor();
    await expect(serverError.textContent()).resolves.toMatch(/The server did not save the settings:.*poll_interval_minutes/);
    await expect(serverError.getAttribute('role')).resolves.toBe('alert');
    await expect(save.isEnabled()).resolves.toBe(true);
    await page.unroute(`**${CONFIG_PATH}`);
    await expect(t.getJson(CONFIG_PATH)).resolves.toEqual({ ...DEFAULTS, check_run: true, poll_interval_minutes: 15 });
    await expect(summary.getByText('Every 15 minutes').isVisible()).resolves.toBe(true);
    expect(sent).toHaveLength(1);
    await screenshot(page, `${dialect}-triage-settings-server-error`);
    // The browser logs the refused request; the test asked for it.
    errors.splice(0, errors.length, ...errors.filter((e) => !/status of 400/.test(e)));

    // 360 px: the page and its form fit.
    await poll.fill('15');
    await page.setViewportSize({ width: 360, height: 780 });
    await expectNoSidewaysScroll(page, 'repository page with the triage form');
    await section.scrollIntoViewIfNeeded();
    await screenshot(page, `${dialect}-triage-settings-admin-360`, undefined, { viewport: true });
    expect(errors).toEqual([]);
    await person.context.close();
  });

  it('shows a person who can see the repository the settings, without a form', async () => {
    const person = await openPerson(browser, t.url, { colorScheme: 'dark' });
    const { page, errors } = person;
    await signIn(page, alice);
    await page.goto('/repositories/acme/widgets');
    const section = page.getByRole('region', { name: 'CI triage' });
    const summary = section.getByTestId('triage-summary');
    await summary.getByText('Every 15 minutes').waitFor();
    await expect(summary.getByText('Failed checks are diagnosed').isVisible()).resolves.toBe(true);
    await expect(summary.getByText('A “Switchyard triage” check run on the head commit').isVisible()).resolves.toBe(true);
    await expect(section.getByText('An administrator can change these.').isVisible()).resolves.toBe(true);
    await expect(section.getByRole('form').count()).resolves.toBe(0);
    await expect(section.getByRole('checkbox').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Save' }).count()).resolves.toBe(0);
    await screenshot(page, `${dialect}-triage-settings-member-dark`);

    await page.setViewportSize({ width: 360, height: 780 });
    await expectNoSidewaysScroll(page, 'repository page with the triage settings');
    await section.scrollIntoViewIfNeeded();
    await screenshot(page, `${dialect}-triage-settings-member-360`, undefined, { viewport: true });
    expect(errors).toEqual([]);
    await person.context.close();
  });
});
