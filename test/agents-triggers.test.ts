/**
 * What else starts the agents, on SQLite and PostgreSQL: an assignment to a login the project
 * names, and a `/switchyard` comment, each from someone with write access; the API cancels.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { startAgentsWorld, type AgentsWorld } from './support/agents-world.js';

describe.each(dialects)('agents triggers (%s)', (dialect) => {
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

  it('an assignment to a login the project names, and a /switchyard comment, start the agents; the API cancels them', async () => {
    const { issuesPayload, issueCommentPayload } = await import('./support/fake-github/index.js');
    // Every call answers with something that is not a plan: nothing gets far.
    w.llm.setFallback({ text: 'thinking…' });
    const patched = await w.api(`/api/agents/projects/${w.projectId}`, { method: 'PATCH', body: { assignee_logins: ['switchyard-bot'] } });
    expect(patched.status).toBe(200);
    w.fake.addUser({ login: 'switchyard-bot' });
    const assigned = Number(w.fake.addIssue(w.repo.id, { title: 'Assigned work', body: 'x', user: 'alice', assignees: ['switchyard-bot'] }).number);
    await w.deliver('issues', issuesPayload(w.fake, w.installationId, w.repo.id, assigned, 'assigned', { sender: 'alice', assignee: 'switchyard-bot' }));
    const other = Number(w.fake.addIssue(w.repo.id, { title: 'Asked in a comment', body: 'y', user: 'mallory' }).number);
    await w.deliver('issue_comment', issueCommentPayload(w.fake, w.installationId, w.repo.id, other, '/switchyard please', { sender: 'alice' }));
    const a = await w.waitConversation(assigned, (c) => c.trigger === 'assignment');
    const b = await w.waitConversation(other, (c) => c.trigger === 'comment');
    expect([a.triggered_by, b.triggered_by]).toEqual(['alice', 'alice']);
    for (const c of [a, b]) {
      const res = await w.api(`/api/agents/conversations/${c.id}/cancel`, { method: 'POST' });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { status: string }).status).toBe('cancelled');
    }
    expect((await w.api(`/api/agents/conversations/${a.id}/cancel`, { method: 'POST' })).status).toBe(409);
    w.llm.setFallback({ text: 'ok' });
  }, 180_000);
});
