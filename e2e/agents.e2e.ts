/**
 * The agents' pages in a browser, at 360 px: a person of acme sees acme's tasks on the board (and
 * not globex's), opens a task's conversation, sees the agents' messages with tokens and cost, and
 * sends a reply that shows up in the live conversation. Conversations are written straight into the
 * test database (no model is called).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, nowIso } from '../src/db/index.js';
import { agentsRepo } from '../src/automations/agents/index.js';
import { startTestApp, type TestApp } from '../test/support/app.js';
import { dialects } from '../test/support/databases.js';
import { createUser, grantInstallation, type CreatedUser } from '../test/support/users.js';
import { chromiumPath, expectNoSidewaysScroll, launchBrowser, openPerson, screenshot, signIn } from './support/browser.js';
import { ACME, GLOBEX, seed } from './support/seed.js';

async function conversation(t: TestApp, fullName: string, installationId: number, issue: number, title: string): Promise<string> {
  const db = t.app.db.kysely;
  const repositoryId = (await db.selectFrom('repositories').select('id').where('full_name', '=', fullName).executeTakeFirstOrThrow()).id;
  const projectId = await agentsRepo.insertProject(db, repositoryId, { name: fullName, triggerLabel: 'switchyard', assigneeLogins: [], commands: { test: 'npm test' }, limits: { max_running_tasks: 2, task_minutes: 60, task_budget_usd: 5, test_rounds: 3, review_rounds: 2 }, enabled: true });
  const agentId = await agentsRepo.upsertAgent(db, projectId, { role: 'coder', name: 'coder', model: { provider: 'none', model: 'gpt-4o', temperature: 0, max_tokens: 100, max_turns: 5 }, systemPrompt: null, rulesFilePath: null, enabled: true });
  const id = newId();
  const now = nowIso();
  await db
    .insertInto('conversations')
    .values({ id, project_id: projectId, repository_id: repositoryId, installation_id: installationId, issue_number: issue, issue_title: title, issue_body: 'body', status: 'running', triggered_by: 'alice', trigger: 'label', branch: `switchyard/issue-${issue}`, base_branch: 'main', pr_number: 12, status_comment_id: null, head_sha: null, total_tokens: 3300, total_cost_nano: 12_340_000, error_message: null, created_at: now, updated_at: now })
    .execute();
  const taskId = await agentsRepo.insertTask(db, { conversationId: id, projectId, position: 1, title: `Implement ${title.toLowerCase()}`, agentType: 'coder', priority: 1, definitionOfDone: ['it works', 'tests pass'], phase: 'coder', status: 'in_progress' });
  await agentsRepo.insertTask(db, { conversationId: id, projectId, position: 2, title: 'Check it', agentType: 'tester', priority: 2, definitionOfDone: ['tests pass'], phase: 'tester' });
  const base = { conversation_id: id, task_id: taskId, agent_id: agentId, thread: 'coder:0', tool_call_id: null, tool_name: null, token_usage_id: null };
  await agentsRepo.insertMessage(db, { ...base, role: 'user', author: 'switchyard', content: 'Task: implement it', tool_calls: null, model: null, input_tokens: null, output_tokens: null, cost_nano: null });
  await agentsRepo.insertMessage(db, { ...base, role: 'assistant', author: 'coder', content: 'I will write src/greet.js now, a long explanation '.repeat(3), tool_calls: JSON.stringify([{ id: 'c1', name: 'write_file', arguments: '{}' }]), model: 'gpt-4o-2024-08-06', input_tokens: 3000, output_tokens: 300, cost_nano: 12_340_000 });
  await agentsRepo.addUsage(db, taskId, id, 0, 0);
  return id;
}

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
    acmeConversation = await conversation(t, 'acme/widgets', ACME, 41, 'Greeting');
    await conversation(t, 'globex/secret-plans', GLOBEX, 99, 'Globex secret');
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
