/**
 * Agents projects and memory in a browser: an administrator adds a project for acme/widgets (every
 * role on one model), edits the coder with the keyboard (model, system prompt, rules file) and makes
 * the agents forget a fact; a person of acme sees the project and its memory read-only at 360 px in
 * dark mode, and not globex's project; someone who sees no installation is told who adds projects.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../test/support/app.js';
import { dialects } from '../test/support/databases.js';
import { createUser, grantInstallation, json, type CreatedUser } from '../test/support/users.js';
import { chromiumPath, expectNoSidewaysScroll, launchBrowser, openPerson, screenshot, signIn } from './support/browser.js';
import { ACME, seed } from './support/seed.js';

const model = { provider: 'main', model: 'gpt-4o', temperature: 0.2, max_tokens: 4096, max_turns: 20 };

describe.skipIf(!chromiumPath).each(dialects)('agents projects and memory in the dashboard (%s)', (dialect) => {
  let t: TestApp;
  let browser: Browser;
  let admin: CreatedUser;
  let alice: CreatedUser;
  let bob: CreatedUser;
  let projectId = '';

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp(dialect), launchBrowser()]);
    await seed(t);
    // globex's project: nobody of acme sees it.
    const theirs = await t.api('/api/agents/projects', json({ repository: 'globex/secret-plans', commands: {}, agents: [{ role: 'orchestrator', model_config: model }] }, { method: 'POST' }));
    expect(theirs.status, await theirs.clone().text()).toBe(201);
    admin = await createUser(t, { username: 'root', password: 'root-has-a-long-password', isAdmin: true });
    alice = await createUser(t, { username: 'alice', password: 'alice-has-a-long-password' });
    await grantInstallation(t, alice.id, ACME);
    bob = await createUser(t, { username: 'bob', password: 'bob-has-a-long-password' });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('an administrator adds a project, edits an agent with the keyboard and makes the agents forget a fact', async () => {
    const { page, errors } = await openPerson(browser, t.url);
    await signIn(page, admin);
    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('link', { name: 'Projects and memory' }).click();
    await page.getByRole('heading', { level: 1, name: 'Agents projects' }).waitFor();
    const form = page.getByRole('form', { name: 'Add a project' });
    // A repository that is not owner/name is refused in the page.
    await form.getByLabel('Repository').fill('widgets');
    await form.getByRole('button', { name: 'Add project' }).click();
    await expect(form.getByRole('alert').innerText()).resolves.toContain('owner/name');
    await form.getByLabel('Repository').fill('acme/widgets');
    await form.getByLabel('Test command (optional)').fill('npm test');
    await form.getByLabel('Provider').fill('main');
    await form.getByLabel('Model').fill('gpt-4o');
    await form.getByLabel('Model').press('Enter');
    await page.getByRole('heading', { level: 1, name: 'acme/widgets' }).waitFor();
    projectId = page.url().split('/').pop()!;
    const agents = page.getByRole('list', { name: 'Agents' });
    expect(await agents.getByRole('listitem').count()).toBe(5);

    // Edit the coder with the keyboard only.
    const coder = agents.getByRole('listitem', { name: 'coder' });
    await coder.getByRole('button', { name: 'Edit the coder' }).focus();
    await page.keyboard.press('Enter');
    const edit = coder.getByRole('form', { name: 'Edit the coder' });
    await edit.getByLabel('Model').fill('gpt-4o-mini');
    await edit.getByLabel('Rules file (optional)').fill('docs/AGENTS.md');
    await edit.getByLabel('System prompt addition (optional)').fill('Prefer small commits.');
    await edit.getByLabel('Max turns').fill('12');
    await edit.getByLabel('Max turns').press('Enter');
    await coder.getByText('gpt-4o-mini').waitFor();
    await expect(coder.innerText()).resolves.toMatch(/12 turns[\s\S]*docs\/AGENTS\.md[\s\S]*Prefer small commits\./);
    await expect.poll(() => coder.getByRole('button', { name: 'Edit the coder' }).evaluate((el) => el === document.activeElement)).toBe(true);
    const saved = (await (await t.api(`/api/agents/projects/${projectId}`)).json()) as { agents: Array<{ role: string; model_config: { model: string; max_turns: number }; rules_file_path: string | null; system_prompt: string | null }> };
    expect(saved.agents.find((a) => a.role === 'coder')).toMatchObject({ model_config: { model: 'gpt-4o-mini', max_turns: 12 }, rules_file_path: 'docs/AGENTS.md', system_prompt: 'Prefer small commits.' });
    // A value the server refuses: its message is shown and nothing changes.
    await coder.getByRole('button', { name: 'Edit the coder' }).click();
    await coder.getByLabel('Temperature').fill('7');
    await coder.getByRole('button', { name: 'Save coder' }).click();
    await coder.getByRole('alert').waitFor();
    await coder.getByLabel('Temperature').press('Escape');
    await expect(coder.getByText('temperature 0.2').isVisible()).resolves.toBe(true);

    // Memory: two facts the agents kept; the administrator makes them forget one.
    for (const fact of [
      { category: 'command', key: 'test', value: 'npm test runs the unit tests', importance: 8 },
      { category: 'convention', key: 'style', value: 'Two-space indentation', importance: 5 },
    ]) {
      const res = await t.api(`/api/agents/projects/${projectId}/memory`, json(fact, { method: 'POST' }));
      expect(res.status, await res.clone().text()).toBe(201);
    }
    await page.reload();
    const memory = page.getByRole('list', { name: 'Memory' });
    await memory.getByRole('listitem', { name: 'style' }).waitFor();
    await memory.getByRole('button', { name: 'Forget style' }).click();
    await expect.poll(() => memory.getByRole('listitem', { name: 'style' }).count()).toBe(0);
    expect(await memory.getByRole('listitem').count()).toBe(1);
    expect(((await (await t.api(`/api/agents/projects/${projectId}/memory`)).json()) as { items: Array<{ key: string }> }).items.map((m) => m.key)).toEqual(['test']);
    await screenshot(page, 'agents-project-admin');
    // The 400 of the refused change is the browser's to log; nothing else.
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    await page.context().close();
  });

  it('a person of acme sees the project and its memory read-only, not globex’s, and it fits 360 px in dark mode', async () => {
    const { page, errors } = await openPerson(browser, t.url, { width: 360, height: 780, colorScheme: 'dark' });
    await signIn(page, alice);
    await page.goto(`${t.url}/agents/projects`);
    const list = page.getByRole('list', { name: 'Projects' });
    await list.getByRole('link', { name: 'acme/widgets' }).waitFor();
    expect(await list.getByRole('link', { name: 'globex/secret-plans' }).count()).toBe(0);
    expect(await page.getByRole('form', { name: 'Add a project' }).count()).toBe(0);
    await expectNoSidewaysScroll(page, 'projects at 360 px');
    await list.getByRole('link', { name: 'acme/widgets' }).click();
    await page.getByRole('heading', { level: 1, name: 'acme/widgets' }).waitFor();
    await page.getByRole('list', { name: 'Memory' }).getByRole('listitem', { name: 'test' }).waitFor();
    expect(await page.getByRole('button', { name: /^Edit the / }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Forget / }).count()).toBe(0);
    await expectNoSidewaysScroll(page, 'project at 360 px');
    await screenshot(page, 'agents-project-360-dark');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('someone who sees no installation is told who adds projects', async () => {
    const { page, errors } = await openPerson(browser, t.url, { width: 360, height: 780 });
    await signIn(page, bob);
    await page.goto(`${t.url}/agents/projects`);
    await page.getByRole('heading', { name: 'No agents projects yet' }).waitFor();
    await expect(page.getByText('An administrator adds the repositories the agents work on.').isVisible()).resolves.toBe(true);
    await expectNoSidewaysScroll(page, 'empty projects at 360 px');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
