/**
 * Data for the automations' pages, written straight into the test database on top of seed.ts (no
 * GitHub, forge or model is called): a failed mirror, a pet's commits and health history, a failed
 * check run with its diagnosis, an agents' conversation, and LLM usage against the fake LLM.
 */
import { expect } from 'vitest';
import { agentsRepo } from '../../src/automations/agents/index.js';
import { newId, nowIso } from '../../src/db/index.js';
import type { TestApp } from '../../test/support/app.js';
import type { FakeLlm } from '../../test/support/fake-llm/index.js';
import { json } from '../../test/support/users.js';
import { ACME, GLOBEX } from './seed.js';

const DAY = 86_400_000;
export const CHECK_RUN = 424242;
export const FAILURE_TEXT = 'FAIL src/widget.test.ts > resizes a widget: expected 40 to be 42';

/** A disabled OneDev target, a failed mirror of acme/widgets to it and the log of that sync. */
export async function seedMirror(t: TestApp): Promise<void> {
  const db = t.app.db.kysely;
  const repo = await db.selectFrom('repositories').select('id').where('full_name', '=', 'acme/widgets').executeTakeFirstOrThrow();
  const now = nowIso();
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
  const targetId = newId();
  await db
    .insertInto('mirror_targets')
    .values({ id: targetId, name: 'onedev-backup', kind: 'onedev', base_url: 'https://onedev.example.com', namespace: null, username: null, token: null, visibility: 'same', name_template: '{name}', push_backups: false, on_remove: 'keep', max_concurrency: null, enabled: false, last_test_at: null, last_test_ok: null, last_test_message: null, created_at: now, updated_at: now })
    .execute();
  const mirrorId = newId();
  await db
    .insertInto('repo_mirrors')
    .values({
      id: mirrorId,
      target_id: targetId,
      repository_id: repo.id,
      target_path: 'widgets',
      target_repo_id: null,
      target_url: null,
      sources: JSON.stringify(['manual']),
      is_active: true,
      stopped_reason: null,
      sync_status: 'failed',
      error_code: 'push_rejected',
      error_message: 'The target rejected the push: protected branch main',
      retry_count: 2,
      max_retries: 5,
      next_retry_at: null,
      due_at: null,
      requested_seq: 1,
      synced_seq: 1,
      pending_since: null,
      lease_owner: null,
      lease_expires_at: null,
      progress: null,
      last_sync_started_at: at(10),
      last_synced_at: at(60),
      last_duration_ms: 4200,
      last_bytes: 2_500_000,
      synced_sha: null,
      created_at: at(120),
      updated_at: now,
    })
    .execute();
  const syncId = newId();
  const log = (minutesAgo: number, event: string, extra: { duration_ms?: number; bytes_transferred?: number; error_code?: string; message?: string } = {}) => ({
    id: newId(),
    repo_mirror_id: mirrorId,
    sync_id: syncId,
    event,
    message: extra.message ?? null,
    duration_ms: extra.duration_ms ?? null,
    bytes_transferred: extra.bytes_transferred ?? null,
    error_code: extra.error_code ?? null,
    details: null,
    created_at: at(minutesAgo),
  });
  // Ids are UUIDv7-ordered by creation; insert oldest first.
  await db.insertInto('sync_logs').values(log(10, 'sync_started')).execute();
  await db.insertInto('sync_logs').values(log(9, 'clone_completed', { duration_ms: 3100, bytes_transferred: 2_500_000 })).execute();
  await db.insertInto('sync_logs').values(log(8, 'sync_failed', { duration_ms: 4200, error_code: 'push_rejected', message: 'protected branch main' })).execute();
}

/** Analyses and history for acme/widgets's pet: a good commit, a bad one, and some decay. */
export async function seedPet(t: TestApp): Promise<void> {
  const db = t.app.db.kysely;
  // The installation events gave every repository its pet (in an automation job): wait for it.
  const deadline = Date.now() + 30_000;
  let pet: { id: string; repository_id: string; generation: number } | undefined;
  while (!pet) {
    pet = await db.selectFrom('entities as e').innerJoin('repositories as r', 'r.id', 'e.repository_id').select(['e.id', 'e.repository_id', 'e.generation']).where('r.full_name', '=', 'acme/widgets').executeTakeFirst();
    if (pet) break;
    if (Date.now() > deadline) throw new Error('acme/widgets got no pet');
    await new Promise((r) => setTimeout(r, 50));
  }
  const at = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString();
  const analysis = (sha: string, subject: string, daysAgo: number, delta: number, breakdown: Record<string, { points: number; reason: string }>, findings: object[] = []) => ({
    id: newId(),
    entity_id: pet.id,
    repository_id: pet.repository_id,
    sha,
    parents: JSON.stringify([]),
    is_merge: false,
    author_name: 'Alice',
    author_email: 'alice@example.com',
    authored_at: at(daysAgo),
    committed_at: at(daysAgo),
    subject,
    files_changed: 3,
    additions: 40,
    deletions: 5,
    overall_quality_score: delta > 0 ? 71.5 : 28.2,
    health_delta: delta,
    applied_delta: delta,
    applied: 'applied' as const,
    analysis_json: JSON.stringify({ analyzer_version: 'test', breakdown, findings, notes: [] }),
    analyzer_version: 'test',
    source: 'push' as const,
    orphaned: false,
    created_at: nowIso(),
    updated_at: nowIso(),
  });
  const good = analysis('a1'.repeat(20), 'Add the widget factory with tests', 12, 4, { tests: { points: 3, reason: '60 test lines for 80 code lines' }, docs: { points: 1, reason: 'README updated' } });
  const bad = analysis('b2'.repeat(20), 'Quick fix for the cache', 8, -7, { hygiene: { points: -2, reason: '2 debug leftovers (console.log)' }, secrets: { points: -5, reason: 'an AWS access key in src/cache.ts' } }, [
    { component: 'secrets', rule: 'aws-access-token', file: 'src/cache.ts', line: 12, message: 'AWS access key', preview: 'AKIA…' },
  ]);
  await db.insertInto('commit_analyses').values([good, bad]).execute();
  const row = (kind: 'commit_analysis' | 'daily_decay', before: number, after: number, daysAgo: number, reason: string, commitId: string | null, day?: string) => ({
    id: newId(),
    entity_id: pet.id,
    kind,
    health_before: before,
    health_after: after,
    delta: after - before,
    life_state: 'alive' as const,
    generation: pet.generation,
    commit_analysis_id: commitId,
    decay_day: day ?? null,
    reason,
    occurred_at: at(daysAgo),
    created_at: nowIso(),
  });
  await db
    .insertInto('health_history')
    .values([
      row('commit_analysis', 80, 84, 12, 'a1a1a1a Add the widget factory with tests: +4', good.id),
      row('commit_analysis', 84, 77, 8, 'b2b2b2b Quick fix for the cache: −7', bad.id),
      row('daily_decay', 77, 75, 4, 'no analysed commit: −2', null, at(4).slice(0, 10)),
      row('daily_decay', 75, 73, 3, 'no analysed commit: −2', null, at(3).slice(0, 10)),
    ])
    .execute();
  await db.updateTable('entities').set({ health: 73, last_commit_at: at(8), backfill_status: 'done', backfill_done: 2, backfill_total: 2, name: 'Brave Pixel' }).where('id', '=', pet.id).execute();
}

/** A failed "unit-tests" run on acme/widgets#7 and the diagnosis the analyzer would have written. */
export async function seedFailedCheck(t: TestApp): Promise<void> {
  const db = t.app.db.kysely;
  const repo = await db.selectFrom('repositories').select('id').where('full_name', '=', 'acme/widgets').executeTakeFirstOrThrow();
  const pr = await db.selectFrom('pull_requests').select(['id', 'head_sha']).where('repository_id', '=', repo.id).where('number', '=', 7).executeTakeFirstOrThrow();
  const now = nowIso();
  const started = new Date(Date.now() - 4 * 60_000).toISOString();
  await db
    .insertInto('check_runs')
    .values({ id: newId(), repository_id: repo.id, github_id: CHECK_RUN, check_suite_github_id: null, pull_request_id: pr.id, name: 'unit-tests', head_sha: pr.head_sha!, status: 'completed', conclusion: 'failure', started_at: started, completed_at: now, details_url: null, html_url: `https://github.com/acme/widgets/runs/${CHECK_RUN}`, app_slug: 'github-actions', output_title: null, output_summary: null, created_at: now, updated_at: now })
    .execute();
  const excerpt = [
    { line: 118, text: '> widgets@1.0.0 test' },
    { line: 119, text: '> vitest run' },
    { line: 120, text: ' ✓ src/size.test.ts (12 tests) 41ms' },
    { line: 121, text: FAILURE_TEXT },
    { line: 122, text: '   at src/widget.test.ts:57:24' },
    { line: 123, text: ' Test Files  1 failed | 11 passed (12)' },
  ];
  await db
    .insertInto('analysis_results')
    .values({
      id: newId(),
      repository_id: repo.id,
      check_run_github_id: CHECK_RUN,
      pull_request_id: pr.id,
      check_name: 'unit-tests',
      head_sha: pr.head_sha!,
      conclusion: 'failure',
      status: 'analyzed',
      category: 'test_failure',
      confidence: 0.92,
      reason: 'vitest reported a failing test',
      root_cause: 'resizes a widget: expected 40 to be 42 (src/widget.test.ts:57)',
      recommended_action: 'fix_code',
      failure_lines: JSON.stringify([[121, 122]]),
      history_lines: JSON.stringify([121]),
      excerpt: JSON.stringify(excerpt),
      evidence: JSON.stringify({ log: true }),
      log_path: null,
      log_bytes: null,
      log_truncated: false,
      analyzer: 'rules',
      error_message: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

/** A running conversation on an issue of `fullName`, with two tasks and two messages (no model is called); returns its id. */
export async function seedConversation(t: TestApp, fullName: string, installationId: number, issue: number, title: string): Promise<string> {
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

/** An LLM provider on the fake LLM server, budgets for acme and globex, and two calls through the real LLM slice (one priced, one not). */
export async function seedLlm(t: TestApp, fake: FakeLlm): Promise<void> {
  const provider = await t.api('/api/llm/providers', json({ name: 'main', kind: 'openai', base_url: fake.openaiBaseUrl, api_key: 'sk-e2e-not-a-real-key' }, { method: 'POST' }));
  expect(provider.status, await provider.clone().text()).toBe(201);
  const budget = await t.api('/api/llm/budgets', json({ name: 'team', scope: 'project', scope_key: 'proj-1', period: 'monthly', amount_usd: 2.5, action_on_exceed: 'block', installation_id: ACME }, { method: 'POST' }));
  expect(budget.status, await budget.clone().text()).toBe(201);
  const theirs = await t.api('/api/llm/budgets', json({ name: 'globex-team', scope: 'project', scope_key: 'proj-9', period: 'daily', amount_usd: 1, action_on_exceed: 'warn', installation_id: GLOBEX }, { method: 'POST' }));
  expect(theirs.status, await theirs.clone().text()).toBe(201);
  fake.script({ text: 'hello', usage: { input: 1000, output: 100 } });
  await t.app.llm.complete({ provider: 'main', model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], maxTokens: 50, scope: { projectId: 'proj-1', agentId: 'ag-1', agentType: 'coder', installationId: ACME } });
  fake.script({ text: 'hello', usage: { input: 400, output: 40 } });
  await t.app.llm.complete({ provider: 'main', model: 'acme-9', messages: [{ role: 'user', content: 'hi' }], maxTokens: 50, scope: { projectId: 'proj-2', agentId: 'ag-2', agentType: 'reviewer', installationId: ACME } });
}
