/**
 * `switchyard agents …` as a real process against a real database (SQLite and PostgreSQL): run on
 * an issue (read from the fake GitHub), once only; tasks; show; cancel; retry; resume refused for a
 * task that does not wait; an unknown issue.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { startAgentsWorld, type AgentsWorld } from './support/agents-world.js';
import { ensureBuilt } from './support/process.js';

const BIN = path.resolve(import.meta.dirname, '../bin/switchyard.js');

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe.each(dialects)('switchyard agents CLI (%s)', (dialect) => {
  let w: AgentsWorld;
  let env: Record<string, string>;

  beforeAll(async () => {
    ensureBuilt();
    // Nothing works the tasks here: the CLI's effects are what is checked.
    w = await startAgentsWorld(dialect, {}, { roles: { web: true, worker: true, scheduler: false } });
    await w.t.app.queue.stop();
    env = { ...w.env, LOG_LEVEL: 'silent' };
  });
  afterAll(async () => {
    await w?.close();
  });

  it('runs on an issue once, lists and shows it, cancels, retries, and refuses what it cannot do', async () => {
    const issue = Number(w.fake.addIssue(w.repo.id, { title: 'From the terminal', body: 'Do it.', user: 'alice' }).number);
    const ref = `${w.repo.full_name}#${issue}`;
    const run = await cli(['agents', 'run', ref], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Started: conversation [0-9a-f-]{36}/);
    // Reads, and a second run (which starts nothing), at once.
    const [again, tasks, show] = await Promise.all([cli(['agents', 'run', ref], env), cli(['agents', 'tasks', '--json'], env), cli(['agents', 'show', ref], env)]);
    expect(again.stdout).toMatch(/^Already running or done/);
    const list = JSON.parse(tasks.stdout) as Array<{ id: string; issue_number: number; status: string; agent_type: string }>;
    const plan = list.find((t) => t.issue_number === issue)!;
    expect(plan).toMatchObject({ status: 'pending', agent_type: 'orchestrator' });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`#${issue} From the terminal`);
    expect(show.stdout).toContain(`branch switchyard/issue-${issue}`);
    expect(show.stdout).toMatch(/Tasks:\n {2}[0-9a-f-]{36} {2}0\. Plan the work {2}\[orchestrator\] pending/);

    const [resume, missing, bad] = await Promise.all([cli(['agents', 'resume', plan.id], env), cli(['agents', 'run', `${w.repo.full_name}#999`], env), cli(['agents', 'run', 'not-an-issue'], env)]);
    expect(resume.code).toBe(1);
    expect(resume.stderr).toContain('The task is not waiting');
    expect(missing.code).toBe(1);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('owner/name#123');

    const cancel = await cli(['agents', 'cancel', ref], env);
    expect(cancel.code).toBe(0);
    const cancelled = await w.t.app.db.kysely.selectFrom('tasks').select(['status', 'error_message']).where('id', '=', plan.id).executeTakeFirstOrThrow();
    expect(cancelled).toEqual({ status: 'failed', error_message: 'cancelled by cli' });

    const retry = await cli(['agents', 'retry', plan.id], env);
    expect(retry.code).toBe(0);
    expect((await w.t.app.db.kysely.selectFrom('tasks').select('status').where('id', '=', plan.id).executeTakeFirstOrThrow()).status).toBe('pending');

  }, 120_000);
});
