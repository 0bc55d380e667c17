/**
 * The agents' limits on SQLite and PostgreSQL: at most two tasks of a project run at once (the
 * others wait for a slot), and a provider's 429 with `retry-after` makes the task wait that long,
 * then go on by itself.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { startAgentsWorld, until, type AgentsWorld } from './support/agents-world.js';

const u = { input: 900, output: 120 };
const plan = { summary: 'One note.', tasks: [{ title: 'Write a note', agent_type: 'architect', priority: 1, definition_of_done: ['a note'] }] };

describe.each(dialects)('agents limits (%s)', (dialect) => {
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

  it('a 429 with retry-after: the task waits on the provider that long, then goes on by itself', async () => {
    w.llm.script({ error: 429, retryAfter: 1 }, { text: JSON.stringify(plan), usage: u }, { text: 'A note.', usage: u });
    const started = Date.now();
    const number = await w.labelIssue('Rate limited', 'Write a note.');
    const waiting = await w.waitConversation(number, (c) => c.tasks.some((t: { waiting_on: string | null }) => t.waiting_on === 'provider'), 20_000);
    const until1 = Date.parse(waiting.tasks[0].wait_until);
    expect(until1 - started).toBeGreaterThanOrEqual(900);
    const c = await w.waitConversation(number, (x) => x.status === 'completed' || x.status === 'failed');
    expect(c.status).toBe('completed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(w.llm.requests).toHaveLength(3);
  });

  it('two tasks of a project at most run at once; the third waits for a slot', async () => {
    // Every call answers after a while with a plan of one note (a plan to the orchestrator, a note to the architect).
    w.llm.setFallback({ text: JSON.stringify(plan), delayMs: 1200, usage: u });
    const numbers = await Promise.all([w.labelIssue('One', 'a'), w.labelIssue('Two', 'b'), w.labelIssue('Three', 'c')]);
    let most = 0;
    let sawWaiting = false;
    await until(
      'all three conversations completed',
      async () => {
        const tasks = (await w.json('/api/agents/tasks?limit=200')) as { items: Array<{ issue_number: number; status: string; waiting_on: string | null }> };
        const mine = tasks.items.filter((t) => numbers.includes(t.issue_number));
        const running = mine.filter((t) => ['in_progress', 'testing', 'review'].includes(t.status) && t.waiting_on === null).length;
        most = Math.max(most, running);
        if (running === 2 && mine.some((t) => t.status === 'pending')) sawWaiting = true;
        const conversations = (await w.json('/api/agents/conversations?limit=200')) as { items: Array<{ issue_number: number; status: string }> };
        const ours = conversations.items.filter((c) => numbers.includes(c.issue_number));
        return ours.length === 3 && ours.every((c) => c.status === 'completed');
      },
      90_000,
    );
    w.llm.setFallback({ text: 'ok' });
    expect(most).toBe(2);
    expect(sawWaiting).toBe(true);
  }, 180_000);
});
