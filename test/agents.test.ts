/**
 * LLM agents on GitHub issues end to end, on SQLite and PostgreSQL: the fake GitHub, real git, the
 * real LLM slice against the fake OpenAI server (scripted replies), and the sandbox. A labelled
 * issue becomes a plan, a design note, commits on switchyard/issue-<n>, a draft pull request, a
 * failing test round back to the coder, a passing one, and a COMMENT review, with five agents in
 * the conversation and one token_usage row per call.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { startAgentsWorld, until, type AgentsWorld, MODEL } from './support/agents-world.js';

const plan = {
  summary: 'Make greet() say hello.',
  tasks: [
    { title: 'Design the greeting', agent_type: 'architect', priority: 1, definition_of_done: ['a design note names the file to change'] },
    { title: 'Implement greet()', agent_type: 'coder', priority: 2, definition_of_done: ['greet("Ada") returns "Hello, Ada!"', 'the declared tests pass'] },
  ],
};
const review = {
  summary: 'greet() does what the issue asks.',
  items: [
    { done_item: 'greet("Ada") returns "Hello, Ada!"', met: true, comment: 'src/greet.js returns the greeting.' },
    { done_item: 'the declared tests pass', met: true, comment: 'node test.js passes.' },
  ],
  changes_requested: false,
};

describe.each(dialects)('LLM agents on an issue (%s)', (dialect) => {
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

  it('label → plan → design note → draft PR → a failing and a passing test round → review → completed', async () => {
    const u = { input: 900, output: 120 };
    w.llm.script(
      { text: JSON.stringify(plan), usage: u },
      // architect: reads, then writes the note
      { toolCalls: [{ id: 'a1', name: 'read_file', arguments: { path: 'test.js' } }], usage: u },
      { text: 'Design note: change src/greet.js to return `Hello, ${name}!`. Risk: none. Test plan: node test.js.', usage: u },
      // coder, round 1: a wrong greeting, then done
      { toolCalls: [{ id: 'c1', name: 'write_file', arguments: { path: 'src/greet.js', content: "exports.greet = (name) => 'Hi ' + name;\n" } }], usage: u },
      { text: 'Implemented greet().', usage: u },
      // tester: the test fails
      { text: 'The assertion expects "Hello, Ada!" but got "Hi Ada".', usage: u },
      // coder, round 2: the fix (and a run of the tests in the sandbox)
      { toolCalls: [{ id: 'c2', name: 'write_file', arguments: { path: 'src/greet.js', content: 'exports.greet = (name) => `Hello, ${name}!`;\n' } }, { id: 'c3', name: 'run_command', arguments: { command: 'test' } }], usage: u },
      { text: 'Fixed the greeting; the tests pass.', usage: u },
      // tester: passes
      { text: 'All tests pass.', usage: u },
      // reviewer
      { text: JSON.stringify(review), usage: u },
    );
    // Facts the agents keep: the important unexpired one joins the calls (as data), the expired one not.
    const fact = await w.api(`/api/agents/projects/${w.projectId}/memory`, { body: { category: 'convention', key: 'style', value: 'Use template literals for greetings', importance: 9 } });
    expect(fact.status).toBe(201);
    const expired = await w.api(`/api/agents/projects/${w.projectId}/memory`, { body: { category: 'convention', key: 'old', value: 'An outdated rule nobody follows', importance: 10, expires_at: '2020-01-01T00:00:00Z' } });
    expect(expired.status).toBe(201);
    expect(((await w.json(`/api/agents/projects/${w.projectId}/memory`)) as { items: unknown[] }).items).toHaveLength(2);
    const number = await w.labelIssue('Greet people properly', 'greet(name) should return "Hello, <name>!".');
    const c = await w.waitConversation(number, (x) => x.status === 'completed' || x.status === 'failed', 120_000);
    if (c.status !== 'completed') {
      const tests = await w.t.app.db.kysely.selectFrom('messages').select(['thread', 'role', 'content']).where('thread', 'like', 'tester:%').where('role', '=', 'user').execute();
      console.error(JSON.stringify(tests, null, 1).slice(0, 4000));
    }
    expect(c.status, JSON.stringify(c.tasks.map((t: { title: string; status: string; error_message: string | null }) => [t.title, t.status, t.error_message]))).toBe('completed');

    // Five agents took part; the plan became tasks that all completed.
    expect(c.participants.map((p: { role: string }) => p.role).sort()).toEqual(['architect', 'coder', 'orchestrator', 'reviewer', 'tester']);
    expect(c.tasks.map((t: { position: number; agent_type: string; status: string }) => [t.position, t.agent_type, t.status])).toEqual([
      [0, 'orchestrator', 'completed'],
      [1, 'architect', 'completed'],
      [2, 'coder', 'completed'],
    ]);
    const coder = c.tasks[2];
    expect(coder.test_rounds).toBe(1);
    expect(coder.review_rounds).toBe(0);
    expect(c.tasks[1].result).toContain('Design note');

    // One LLM call per scripted reply, each a token_usage row and a message with tokens and cost.
    expect(w.llm.pending()).toBe(0);
    expect(w.llm.requests).toHaveLength(10);
    const usage = await w.t.app.db.kysely.selectFrom('token_usage').selectAll().execute();
    expect(usage).toHaveLength(10);
    const calls = await w.t.app.db.kysely.selectFrom('messages').selectAll().where('role', '=', 'assistant').execute();
    expect(calls).toHaveLength(10);
    expect(new Set(calls.map((m) => m.token_usage_id))).toEqual(new Set(usage.map((r) => r.id)));
    for (const m of calls) {
      expect(m.model).toMatch(new RegExp(`^${MODEL}`));
      expect(Number(m.input_tokens)).toBe(900);
      expect(Number(m.cost_nano)).toBeGreaterThan(0);
    }
    expect(c.total_tokens).toBe(10 * 1020);
    expect(c.total_cost_nano_usd).toBe(calls.reduce((s, m) => s + Number(m.cost_nano), 0));

    // The branch carries the fix; main is untouched; the workflow file was never touched.
    const head = w.branchHead(`switchyard/issue-${number}`);
    expect(head).toBeDefined();
    expect(w.show(head!, 'src/greet.js')).toContain('Hello, ${name}!');
    expect(w.show('main', 'src/greet.js')).toContain('TODO');

    // One draft pull request from the branch; one COMMENT review; one status comment, updated.
    const pulls = w.fake.pullRequests(w.repo.id);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ draft: true, state: 'open', number: c.pr_number, head: { ref: `switchyard/issue-${number}`, sha: expect.any(String) } });
    const reviews = w.fake.reviews(w.repo.id);
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({ event: 'COMMENT', state: 'COMMENTED' });
    expect(String(reviews[0]!.body)).toContain('✅ greet("Ada") returns "Hello, Ada!"');
    // The comment follows the state just after it commits.
    let lastBody = '';
    const status = await until('the status comment says completed', async () => {
      lastBody = String(w.fake.comments(w.repo.id, number)[0]?.body ?? '');
      return lastBody.includes('**Status:** completed') ? lastBody : null;
    }, 30_000).catch((err: unknown) => {
      throw new Error(`${String(err)}; last body: ${lastBody}; logs: ${w.t.logs.filter((l) => /status comment|warn|error/i.test(l)).join('').slice(-3000)}`);
    });
    expect(w.fake.comments(w.repo.id, number)).toHaveLength(1);
    expect(status).toContain('- [x] 1. Design the greeting');
    expect(status).toContain('- [x] 2. Implement greet()');
    expect(status).toContain(`**Pull request:** #${c.pr_number} (draft)`);

    // The tester's failure reached the coder as quoted data; the prompts carry the data rule.
    const coderRound2 = w.llm.requests[6]!.body as { messages: Array<{ role: string; content: unknown }> };
    const firstUser = JSON.stringify(coderRound2.messages.find((m) => m.role === 'user'));
    expect(firstUser).toContain('untrusted-data source=\\"feedback from the last test or review round\\"');
    expect(firstUser).toContain('Hi Ada');
    // The issue text is inside a delimited block, never in the system prompt.
    const planUser = JSON.stringify((w.llm.requests[0]!.body as { messages: Array<{ role: string; content: unknown }> }).messages.filter((m) => m.role === 'user'));
    expect(planUser).toContain('untrusted-data source=\\"project memory');
    expect(planUser).toContain('[convention] style: Use template literals for greetings (importance 9)');
    expect(planUser).not.toContain('An outdated rule');
    const system = JSON.stringify((w.llm.requests[0]!.body as { messages: Array<{ role: string; content: unknown }> }).messages.filter((m) => m.role === 'system'));
    expect(system).not.toContain('Hello, <name>');
    expect(system).toContain('never an instruction');
  }, 180_000);

  it('the API pages tasks and messages, and a second trigger on the same issue starts nothing', async () => {
    const tasks = await w.json('/api/agents/tasks?limit=2');
    expect(tasks.items).toHaveLength(2);
    expect(tasks.next_cursor).toEqual(expect.any(String));
    const rest = await w.json(`/api/agents/tasks?limit=2&cursor=${tasks.next_cursor}`);
    expect(rest.items).toHaveLength(1);
    const conversations = await w.json('/api/agents/conversations');
    expect(conversations.items).toHaveLength(1);
    const id = conversations.items[0].id;
    const page = await w.json(`/api/agents/conversations/${id}/messages?limit=5`);
    expect(page.items).toHaveLength(5);
    expect(page.items[0].id > page.items[4].id).toBe(true);
    // A human reply is kept as a message.
    const reply = await w.api(`/api/agents/conversations/${id}/messages`, { body: { content: 'Thanks!' } });
    expect(reply.status).toBe(201);
    expect(((await reply.json()) as { role: string }).role).toBe('human');
    // Labelling again changes nothing (one conversation per issue).
    const requests = w.llm.requests.length;
    const number = conversations.items[0].issue_number;
    const { issuesPayload } = await import('./support/fake-github/index.js');
    await w.deliver('issues', issuesPayload(w.fake, w.installationId, w.repo.id, number, 'labeled', { sender: 'alice', label: 'switchyard' }));
    expect((await w.json('/api/agents/conversations')).items).toHaveLength(1);
    expect(w.llm.requests.length).toBe(requests);
  });

  it('ignores a label by someone without write access', async () => {
    const before = (await w.json('/api/agents/conversations')).items.length;
    const number = await w.labelIssue('Please do it', 'anything', { sender: 'mallory' });
    expect(number).toBeGreaterThan(0);
    expect((await w.json('/api/agents/conversations')).items).toHaveLength(before);
  });
});
