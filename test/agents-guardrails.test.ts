/**
 * The agents' guardrails on SQLite and PostgreSQL: a block budget reached mid-task makes the task
 * wait without the call reaching the provider, its owners hear of it in the app, on Telegram (the
 * fake Bot API) and by email (a real local SMTP server), and raising the limit through the API
 * resumes it; `/switchyard stop` cancels. (Adversarial issues and scoping: agents-security.test.ts;
 * the other triggers: agents-triggers.test.ts; slots, aborts and the task budget:
 * agents-correctness.test.ts.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBudget } from '../src/llm/index.js';
import { dialects } from './support/databases.js';
import { startAgentsWorld, until, type AgentsWorld } from './support/agents-world.js';
import { issueCommentPayload } from './support/fake-github/index.js';
import { startFakeTelegram, type FakeTelegram } from './support/fake-telegram/index.js';
import { linkTelegramChat, verifyEmailAddress } from './support/notify-channels.js';
import { recordSecret } from './support/secret-ledger.js';
import { startSmtpServer, type TestSmtpServer } from './support/smtp/index.js';
import { createUser, grantInstallation, sessionClient, signIn, type Client } from './support/users.js';

const u = { input: 900, output: 120 };
const OWNER_CHAT = 7_301;
const OWNER_EMAIL = 'owner@example.test';

describe.each(dialects)('agents guardrails (%s)', (dialect) => {
  let w: AgentsWorld;
  let tg: FakeTelegram;
  let smtp: TestSmtpServer;
  let owner: Client;

  beforeAll(async () => {
    tg = await startFakeTelegram();
    smtp = await startSmtpServer();
    recordSecret(tg.token, smtp.password);
    w = await startAgentsWorld(dialect, {
      TELEGRAM_BOT_TOKEN: tg.token,
      TELEGRAM_API_ROOT: tg.apiRoot,
      SMTP_URL: smtp.url,
      SMTP_FROM: 'Switchyard <switchyard@example.test>',
      PUBLIC_URL: 'https://switchyard.example.test',
    });
    // The project's owner: a person of the installation with Telegram linked and email verified.
    const user = await createUser(w.t, { username: 'owner' });
    await grantInstallation(w.t, user.id, w.installationId);
    owner = sessionClient(w.t, await signIn(w.t, user), 'owner');
    await linkTelegramChat(w.t, owner, tg, OWNER_CHAT, 'owner_tg');
    await verifyEmailAddress(owner, smtp, OWNER_EMAIL);
  });
  afterEach(() => {
    w.fake.assertValid();
    expect(w.llm.specErrors).toEqual([]);
  });
  afterAll(async () => {
    await w?.close();
    await tg?.close();
    await smtp?.close();
  });

  const stepSeq = async (taskId: string) => Number((await w.t.app.db.kysely.selectFrom('tasks').select('step_seq').where('id', '=', taskId).executeTakeFirstOrThrow()).step_seq);

  it('a block budget reached mid-task: nothing reaches the provider, the owners hear it on all three channels, raising the limit resumes the task', async () => {
    // Enough for the plan (reserve ≈ $0.0095, settles at $0.00345), not for a second reservation.
    const budget = await createBudget(w.t.app.llm.manage, { name: 'greeter daily', scope: 'project', scopeKey: w.projectId, period: 'daily', amountUsd: 0.012, actionOnExceed: 'block', installationId: w.installationId });
    w.llm.script({ text: JSON.stringify({ summary: 'One note.', tasks: [{ title: 'Write a note', agent_type: 'architect', priority: 1, definition_of_done: ['a note'] }] }), usage: u });
    const number = await w.labelIssue('Budgeted work', 'Write a design note.');
    const waiting = await w.waitConversation(number, (c) => c.tasks.some((t: { waiting_on: string | null }) => t.waiting_on === 'budget'));
    const task = waiting.tasks.find((t: { position: number }) => t.position === 1);
    expect(task).toMatchObject({ status: 'in_progress', waiting_on: 'budget', agent_type: 'architect' });
    expect(task.error_message).toMatch(/would be exceeded/);
    expect(w.llm.requests).toHaveLength(1);

    // The owners are told once, on every channel: the in-app notice, Telegram and email.
    const title = 'Budget "greeter daily" reached: calls are refused until it resets or is raised';
    const inbox = await until('the in-app notice', async () => {
      const items = ((await (await owner.fetch('/api/notifications')).json()) as { items: Array<{ kind: string; title: string }> }).items;
      return items.find((n) => n.kind === 'budget.blocked');
    });
    expect(inbox.title).toBe(title);
    const telegram = await until('the Telegram message', async () => tg.sentTo(OWNER_CHAT).find((m) => m.text.includes(title)));
    expect(telegram.text).toContain('$0.012');
    const mail = await until('the email', async () => smtp.to(OWNER_EMAIL).find((m) => m.subject === title));
    expect(mail.text).toContain('(block)');

    // Resuming while the limit still holds asks the guard again and waits again: still one request.
    const before = await stepSeq(task.id);
    expect((await w.api(`/api/agents/tasks/${task.id}/resume`, { method: 'POST' })).status).toBe(200);
    await until('the resumed turn ran and waits again', async () => (await stepSeq(task.id)) >= before + 2);
    expect(((await w.json(`/api/agents/tasks/${task.id}`)) as { waiting_on: string | null }).waiting_on).toBe('budget');
    expect(w.llm.requests).toHaveLength(1);

    // Raising the limit through the API resumes the task by itself.
    w.llm.script({ text: 'Design note: nothing to change.', usage: u });
    const raised = await w.api(`/api/llm/budgets/${budget.id}`, { method: 'PATCH', body: { amount_usd: 10 } });
    expect(raised.status, await raised.clone().text()).toBe(200);
    const done = await w.waitConversation(number, (c) => c.status === 'completed');
    expect(done.tasks.map((t: { status: string; waiting_on: string | null }) => [t.status, t.waiting_on])).toEqual([
      ['completed', null],
      ['completed', null],
    ]);
    expect(w.llm.requests).toHaveLength(2);
    // One notice per budget, period and level: the second refusal told nobody again.
    const blocked = await w.t.app.db.kysely.selectFrom('notifications').select('id').where('kind', '=', 'budget.blocked').execute();
    expect(blocked).toHaveLength(1);
    expect(tg.sentTo(OWNER_CHAT).filter((m) => m.text.includes(title))).toHaveLength(1);
    expect(smtp.to(OWNER_EMAIL).filter((m) => m.subject === title)).toHaveLength(1);
    // A task that is not waiting cannot be resumed.
    expect((await w.api(`/api/agents/tasks/${task.id}/resume`, { method: 'POST' })).status).toBe(409);
  }, 180_000);

  it('`/switchyard stop` from someone who may write cancels; from someone who may not, nothing', async () => {
    w.llm.setFallback({ text: 'thinking…', delayMs: 1500 });
    const number = await w.labelIssue('Long work', 'Something long.');
    const c = await w.waitConversation(number, (x) => x.status === 'planning');
    await w.deliver('issue_comment', issueCommentPayload(w.fake, w.installationId, w.repo.id, number, '/switchyard stop', { sender: 'mallory' }));
    expect((await w.json(`/api/agents/conversations/${c.id}`)).status).toBe('planning');
    await w.deliver('issue_comment', issueCommentPayload(w.fake, w.installationId, w.repo.id, number, '/switchyard stop', { sender: 'alice' }));
    const stopped = await w.waitConversation(number, (x) => x.status === 'cancelled');
    expect(stopped.tasks.every((t: { status: string }) => t.status === 'failed')).toBe(true);
    expect(stopped.tasks[0].error_message).toBe('cancelled by @alice');
    w.llm.setFallback({ text: 'ok' });
  });
});
