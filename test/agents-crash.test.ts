/**
 * A worker killed (SIGKILL) in the middle of a coder's turn, on SQLite and PostgreSQL: the turn's
 * job runs again after its lease in the next worker, from the last saved turn. The result is one
 * branch, one draft pull request and one status comment, and the first turn's commit is not made
 * twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { startAgentsWorld, until, type AgentsWorld } from './support/agents-world.js';
import { ensureBuilt, spawnSwitchyard, type ServerProcess } from './support/process.js';

const u = { input: 900, output: 120 };

describe.each(dialects)('a worker killed mid coder turn (%s)', (dialect) => {
  let w: AgentsWorld;
  const workers: ServerProcess[] = [];
  let first: ServerProcess;

  beforeAll(async () => {
    if (!fs.existsSync(path.resolve(import.meta.dirname, '../dist/automations/agents/pipeline.js'))) {
      fs.rmSync(path.resolve(import.meta.dirname, '../dist/cli/main.js'), { force: true });
    }
    ensureBuilt();
    // This process: web only (webhooks and API); the turns run in worker processes.
    w = await startAgentsWorld(dialect, {}, {
      roles: { web: true, worker: false, scheduler: false },
      beforeSetup: async (env) => {
        first = await spawnSwitchyard('worker', { ...env, LOG_LEVEL: 'warn' }, null);
        workers.push(first);
      },
    });
  });
  afterAll(async () => {
    for (const p of workers) await p.kill().catch(() => undefined);
    await w?.close();
  });

  it('the next worker resumes from the last saved turn: one branch, one PR, one status comment', async () => {
    // The default job lease: the restarted worker takes the dead one's job back at once on SQLite (it owns
    // the data dir), and on PostgreSQL the dead worker's claim runs out without its heartbeat. A short
    // lease would also end turns that run longer than it on a busy machine, and run them twice.
    const env = { ...w.env, LOG_LEVEL: 'warn' };
    w.llm.script(
      { text: JSON.stringify({ summary: 'Fix it.', tasks: [{ title: 'Implement greet()', agent_type: 'coder', priority: 1, definition_of_done: ['greet works'] }] }), usage: u },
      { toolCalls: [{ id: 'k1', name: 'write_file', arguments: { path: 'src/greet.js', content: 'exports.greet = (name) => `Hello, ${name}!`;\n' } }], usage: u },
      // The second coder turn never answers: the worker is killed while it waits.
      { hang: true },
    );
    const number = await w.labelIssue('Greet', 'greet(name) should say hello.');
    await until('the third call (the second coder turn) in flight', async () => w.llm.requests.length >= 3, 60_000);
    const branch = `switchyard/issue-${number}`;
    const pushed = w.branchHead(branch);
    expect(pushed).toBeDefined();
    await first.kill('SIGKILL');

    w.llm.script(
      { text: 'Done.', usage: u },
      { text: 'All tests pass.', usage: u },
      { text: JSON.stringify({ summary: 'Good.', items: [{ done_item: 'greet works', met: true, comment: 'yes' }], changes_requested: false }), usage: u },
    );
    const second = await spawnSwitchyard('worker', env, null);
    workers.push(second);
    const c = await w.waitConversation(number, (x) => x.status === 'completed' || x.status === 'failed', 90_000);
    expect(c.status).toBe('completed');
    expect(w.llm.requests).toHaveLength(6);

    // One branch whose history has the first turn's commit once; one draft PR; one status comment.
    expect(w.branchHead(branch)).toBe(pushed);
    const commits = execFileSync('git', ['rev-list', `main..${branch}`], { cwd: w.bare, encoding: 'utf8' }).trim().split('\n');
    expect(commits).toHaveLength(1);
    expect(w.fake.pullRequests(w.repo.id)).toHaveLength(1);
    await until('the status comment says completed', async () => String(w.fake.comments(w.repo.id, number)[0]?.body ?? '').includes('**Status:** completed'));
    expect(w.fake.comments(w.repo.id, number)).toHaveLength(1);
    expect(w.fake.reviews(w.repo.id)).toHaveLength(1);
    // The coder's thread: the first turn once, the retried second turn once.
    const coder = await w.t.app.db.kysely.selectFrom('messages').select(['role', 'content']).where('conversation_id', '=', c.id).where('thread', '=', 'coder:0').where('role', '=', 'assistant').execute();
    expect(coder.map((m) => m.content)).toEqual(['', 'Done.']);
  }, 180_000);
});
