/**
 * The agents' pages in a browser, at 360 px: a person of acme sees acme's tasks on the board (and
 * not globex's), opens a task's conversation, sees the agents' messages with tokens and cost, and
 * sends a reply that shows up in the live conversation. Conversations are written straight into the
 * test database (no model is called).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../test/support/app.js';
import { dialects } from '../test/support/databases.js';
import { createUser, grantInstallation, type CreatedUser } from '../test/support/users.js';
import { chromiumPath, expectNoSidewaysScroll, launchBrowser, openPerson, screenshot, signIn } from './support/browser.js';
import { seedConversation } from './support/seed-automations.js';
import { ACME, GLOBEX, seed } from './support/seed.js';

describe.skipIf(!chromiumPath).each(dialects)('the agents in the dashboard (%s)', (dialect) => {
  let t: TestApp;
  let browser: Browser;
  let alice: CreatedUser;
  let acmeConversation: string;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp(dialect), launchBrowser()]);
    await seed(t);
    alice = await createUser(t, { username: 'alice', password: 'alice-has-a-long-password' });
    await grantInstallation(t, alice.id, ACME);
    acmeConversation = await seedConversation(t, 'acme/widgets', ACME, 41, 'Greeting');
    await seedConversation(t, 'globex/secret-plans', GLOBEX, 99, 'Globex secret');
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('the task board and a live conversation fit 360 px and show only what alice may see', async () => {
    const { page, errors } = await openPerson(browser, t.url, { width: 360, height: 780 });
    await signIn(page, alice);
    await page.goto(`${t.url}/agents`);
    await page.getByRole('heading', { level: 1, name: 'Agents' }).waitFor();
    const inProgress = page.getByRole('region', { name: /In progress/ });
    await inProgress.getByRole('link', { name: '1. Implement greeting' }).waitFor();
    await expect(page.getByText('Globex secret').count()).resolves.toBe(0);
    await expect(page.getByRole('region', { name: /Pending/ }).getByText('2. Check it').count()).resolves.toBe(1);
    await expectNoSidewaysScroll(page, 'task board');
    await screenshot(page, `${dialect}-agents-board`);

    await inProgress.getByRole('link', { name: '1. Implement greeting' }).click();
    await page.getByRole('heading', { level: 1, name: 'Greeting' }).waitFor();
    await page.getByText('gpt-4o-2024-08-06 · 3,000 in + 300 out · $0.01').waitFor();
    await expect(page.getByText('calls write_file').count()).resolves.toBe(1);
    await expect(page.getByText('draft PR #12').count()).resolves.toBe(1);
    await expectNoSidewaysScroll(page, 'conversation');

    await page.getByLabel('Reply to the agents').fill('Please keep it small.');
    await page.getByRole('button', { name: 'Send' }).click();
    // The live view picks the reply up from the API.
    await page.locator('.agents-message-human').getByText('Please keep it small.').waitFor({ timeout: 15_000 });
    const stored = await t.app.db.kysely.selectFrom('messages').select(['author', 'role']).where('conversation_id', '=', acmeConversation).where('role', '=', 'human').execute();
    expect(stored).toEqual([{ author: 'alice', role: 'human' }]);
    await screenshot(page, `${dialect}-agents-conversation`);
    expect(errors).toEqual([]);
  });
});
