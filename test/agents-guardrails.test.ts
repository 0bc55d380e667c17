/**
 * The agents' guardrails on SQLite and PostgreSQL: a block budget reached mid-task makes the task
 * wait without the call reaching the provider, and raising the limit resumes it; `/switchyard
 * stop` cancels. (Adversarial issues and scoping: agents-security.test.ts; the other triggers:
 * agents-triggers.test.ts.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { changeBudget, createBudget } from '../src/llm/index.js';
import { dialects } from './support/databases.js';
import { startAgentsWorld, until, type AgentsWorld } from './support/agents-world.js';
import { issueCommentPayload } from './support/fake-github/index.js';

const u = { input: 900, output: 120 };

describe.each(dialects)('agents guardrails (%s)', (dialect) => {
  let w: AgentsWorld;

  beforeAll(async () => {
    w = await startAgentsWorld(dialect);
  });
  afterEach(() => {
    w.fake.assertValid();
    expect(w.llm.specErrors).toEqual([]);
  });
  afterAll(async () => {
    await w?.close();
  });

  it('a block budget reached mid-task: the task waits, nothing reaches the provider, raising the limit resumes it', async () => {
    // Enough for the plan (reserve ≈ $0.0095, settles at $0.00345), not for a second reservation.
    const budget = await createBudget(w.t.app.llm.manage, { scope: 'project', scopeKey: w.projectId, period: 'daily', amountUsd: 0.012, actionOnExceed: 'block' });
    w.llm.script({ text: JSON.stringify({ summary: 'One note.', tasks: [{ title: 'Write a note', agent_type: 'architect', priority: 1, definition_of_done: ['a note'] }] }), usage: u });
    const number = await w.labelIssue('Budgeted work', 'Write a design note.');
    const waiting = await w.waitConversation(number, (c) => c.tasks.some((t: { waiting_on: string | null }) => t.waiting_on === 'budget'));
    const task = waiting.tasks.find((t: { position: number }) => t.position === 1);
    expect(task).toMatchObject({ status: 'in_progress', waiting_on: 'budget', agent_type: 'architect' });
    expect(task.error_message).toMatch(/would be exceeded/);
    expect(w.llm.requests).toHaveLength(1);
    // Resuming while the limit still holds asks the guard again and waits again: still one request.
    expect((await w.api(`/api/agents/tasks/${task.id}/resume`, { method: 'POST' })).status).toBe(200);
    await until('the task waits on the budget again', async () => ((await w.json(`/api/agents/tasks/${task.id}`)) as { waiting_on: string | null }).waiting_on === 'budget');
    expect(w.llm.requests).toHaveLength(1);

    await changeBudget(w.t.app.llm.manage, budget.id, { amountUsd: 10 });
    w.llm.script({ text: 'Design note: nothing to change.', usage: u });
    const resumed = await w.api(`/api/agents/tasks/${task.id}/resume`, { method: 'POST' });
    expect(resumed.status).toBe(200);
    const done = await w.waitConversation(number, (c) => c.status === 'completed');
    expect(done.tasks.map((t: { status: string; waiting_on: string | null }) => [t.status, t.waiting_on])).toEqual([
      ['completed', null],
      ['completed', null],
    ]);
    expect(w.llm.requests).toHaveLength(2);
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
