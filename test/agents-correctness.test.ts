/**
 * The agents' correctness under concurrency, on SQLite and PostgreSQL:
 * - a task that resumes after a wait takes a running slot like a start does (a waiting task holds
 *   none), so the per-project limit holds while it goes on;
 * - many processes refreshing a new conversation's status comment at once post ONE comment;
 * - a cancel aborts the model call in flight — in this process at once, from another process
 *   (a cancel found in the database) within a poll — and the call's reservation settles as
 *   interrupted;
 * - the per-task budget is reserved on like every other budget: the call that could cross it is
 *   refused before it reaches the provider, and the task fails.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { refreshStatusComment } from '../src/automations/agents/pipeline.js';
import { dialects } from './support/databases.js';
import { MODEL, startAgentsWorld, until, type AgentsWorld } from './support/agents-world.js';
import { issueCommentPayload } from './support/fake-github/index.js';

const u = { input: 900, output: 120 };
const notePlan = { summary: 'One note.', tasks: [{ title: 'Write a note', agent_type: 'architect', priority: 1, definition_of_done: ['a note'] }] };
const MARKER = '<!-- switchyard-agents:';

describe.each(dialects)('agents correctness (%s)', (dialect) => {
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

  const db = () => w.t.app.db.kysely;
  const taskRow = (id: string) => db().selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const statusComments = (issue: number) => w.fake.comments(w.repo.id, issue).filter((c) => String(c.body).startsWith(MARKER));
  const setLimits = async (limits: Record<string, number>) => {
    const res = await w.api(`/api/agents/projects/${w.projectId}`, { method: 'PATCH', body: { limits } });
    expect(res.status, await res.clone().text()).toBe(200);
  };
  /** Labels an issue whose plan call hangs; returns the issue, its conversation and its planning task once the call reached the fake. */
  async function hangingIssue(title: string) {
    const before = w.llm.requests.length;
    w.llm.script({ hang: true });
    const number = await w.labelIssue(title, 'Something long.');
    await until('the plan call reached the provider', async () => w.llm.requests.length > before, 60_000);
    const c = await w.waitConversation(number, (x) => x.tasks.length === 1);
    return { number, conversationId: c.id as string, taskId: c.tasks[0].id as string };
  }
  async function expectInterruptedCall(taskId: string) {
    const row = await until('the aborted call settled', async () => db().selectFrom('token_usage').selectAll().where('task_id', '=', taskId).executeTakeFirst(), 60_000);
    expect(row.cost_status).toBe('interrupted');
    expect(Boolean(row.interrupted)).toBe(true);
    expect(Number(row.cost_nano_usd)).toBeGreaterThan(0);
    expect(await db().selectFrom('budget_reservations').select('id').execute()).toEqual([]);
  }

  it('a task that resumes after a wait takes a slot like a start: with one slot per project it waits while another task runs', async () => {
    await setLimits({ max_running_tasks: 1 });
    try {
      // A: the provider refuses the plan call (401): the task waits on a person.
      const first = w.llm.requests.length;
      w.llm.script({ error: 401, message: 'invalid key' });
      const a = await w.labelIssue('Resumed later', 'Write a note.');
      const waiting = await w.waitConversation(a, (c) => c.tasks[0]?.waiting_on === 'human');
      const aTask = waiting.tasks[0].id as string;
      // B takes the project's only slot: its plan call hangs.
      const b = await hangingIssue('Holds the slot');
      expect(w.llm.requests.length).toBe(first + 2);
      // A is resumed while B runs: its turn finds no slot and keeps waiting; nothing reaches the provider.
      w.llm.script({ text: JSON.stringify(notePlan), usage: u }, { text: 'A note.', usage: u });
      expect((await w.api(`/api/agents/tasks/${aTask}/resume`, { method: 'POST' })).status).toBe(200);
      const resumedSeq = Number((await taskRow(aTask)).step_seq);
      await until('the resumed turn ran and queued itself again for a slot', async () => Number((await taskRow(aTask)).step_seq) > resumedSeq, 60_000);
      expect(w.llm.requests.length).toBe(first + 2);
      expect((await taskRow(aTask)).waiting_on).toBe('human');
      // B is cancelled: its slot is free and A goes on to the end.
      expect((await w.api(`/api/agents/conversations/${b.conversationId}/cancel`, { method: 'POST' })).status).toBe(200);
      const done = await w.waitConversation(a, (c) => c.status === 'completed' || c.status === 'failed', 120_000);
      expect(done.status).toBe('completed');
      expect(w.llm.requests.length).toBe(first + 4);
    } finally {
      await setLimits({ max_running_tasks: 2 });
    }
  }, 180_000);

  it('eight processes refreshing a new status comment at once post one comment, updated in place', async () => {
    const c = await hangingIssue('One status comment');
    expect(statusComments(c.number)).toHaveLength(0);
    const pipeline = w.t.app.agents.service.pipeline;
    // Each refresh has its own chain, as each worker process has.
    await Promise.all(Array.from({ length: 8 }, () => refreshStatusComment({ ...pipeline, statusChains: new Map() }, c.conversationId)));
    const comments = statusComments(c.number);
    expect(comments).toHaveLength(1);
    const row = await db().selectFrom('conversations').select('status_comment_id').where('id', '=', c.conversationId).executeTakeFirstOrThrow();
    expect(Number(row.status_comment_id)).toBe(Number(comments[0]!.id));
    await w.deliver('issue_comment', issueCommentPayload(w.fake, w.installationId, w.repo.id, c.number, '/switchyard stop', { sender: 'alice' }));
    await w.waitConversation(c.number, (x) => x.status === 'cancelled');
    await until('the comment says cancelled', async () => String(statusComments(c.number)[0]?.body).includes('Stopped with'));
    expect(statusComments(c.number)).toHaveLength(1);
  }, 180_000);

  it('`/switchyard stop` aborts the model call in flight; its reservation settles as interrupted', async () => {
    const c = await hangingIssue('Stopped mid-call');
    await w.deliver('issue_comment', issueCommentPayload(w.fake, w.installationId, w.repo.id, c.number, '/switchyard stop', { sender: 'alice' }));
    await w.waitConversation(c.number, (x) => x.status === 'cancelled');
    await expectInterruptedCall(c.taskId);
    const task = await taskRow(c.taskId);
    expect([task.status, task.error_message]).toEqual(['failed', 'cancelled by @alice']);
  }, 180_000);

  it('a cancel made by another process (found in the database) aborts the call in flight too', async () => {
    const c = await hangingIssue('Stopped elsewhere');
    // Another process's cancel: the row changes, this process's in-flight registry knows nothing of it.
    await db().updateTable('conversations').set({ status: 'cancelled', error_message: 'cancelled by @bob' }).where('id', '=', c.conversationId).execute();
    await expectInterruptedCall(c.taskId);
  }, 180_000);

  it('the per-task budget is reserved like the others: the call that could cross it never reaches the provider, and the task fails', async () => {
    // The architect reserves 4,000 output tokens (≥ $0.04) a call; its first call settles at $0.03225.
    const put = await w.api(`/api/agents/projects/${w.projectId}/agents/architect`, { method: 'PUT', body: { model_config: { provider: 'fake', model: MODEL, temperature: 0, max_tokens: 4000, max_turns: 8 } } });
    expect(put.status, await put.clone().text()).toBe(200);
    await setLimits({ task_budget_usd: 0.05 });
    try {
      const first = w.llm.requests.length;
      w.llm.script({ text: JSON.stringify(notePlan), usage: u }, { toolCalls: [{ id: 'r1', name: 'read_file', arguments: { path: 'test.js' } }], usage: { input: 900, output: 3000 } });
      const number = await w.labelIssue('Costly note', 'Write a design note.');
      const c = await w.waitConversation(number, (x) => x.status === 'failed' || x.status === 'completed', 120_000);
      const note = c.tasks.find((t: { position: number }) => t.position === 1);
      expect(note.status).toBe('failed');
      expect(note.error_message).toMatch(/the task spent its budget of \$0\.05/);
      // The plan and the architect's first call; the second was refused before it left.
      expect(w.llm.requests.length).toBe(first + 2);
      expect(note.cost_nano_usd).toBe(32_250_000);
      // The task's own budget is no administrator's budget: not listed.
      const budgets = (await w.json('/api/llm/budgets')) as { items: Array<{ scope: string }> };
      expect(budgets.items.filter((b) => b.scope === 'task')).toEqual([]);
      // No notice about a task's own budget.
      expect(await db().selectFrom('notifications').select('id').where('kind', 'like', 'budget.%').execute()).toEqual([]);
    } finally {
      await setLimits({ task_budget_usd: 5 });
    }
  }, 180_000);
});
