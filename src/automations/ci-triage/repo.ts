/** Kysely queries of the CI-triage slice: one function per operation. */
import { sql } from 'kysely';
import type { Database, Executor } from '../../db/index.js';
import { newId, nowIso } from '../../db/index.js';
import type { LogAnalysis } from './analyzer/index.js';
import './tables.js';

export const FAILED_CONCLUSIONS = ['failure', 'timed_out', 'action_required'] as const;

export interface CheckRunContext {
  checkRunId: string;
  githubId: number;
  name: string;
  headSha: string;
  status: string;
  conclusion: string | null;
  appSlug: string | null;
  completedAt: string | null;
  repositoryId: string;
  owner: string;
  repo: string;
  installationId: number | null;
  configOverride: string | null;
  pullRequestId: string | null;
  prNumber: number | null;
  baseRef: string | null;
}

/** A check run with its repository and pull request, by GitHub id. */
export async function checkRunContext(db: Executor, githubId: number): Promise<CheckRunContext | null> {
  const row = await db
    .selectFrom('check_runs as c')
    .innerJoin('repositories as r', 'r.id', 'c.repository_id')
    .leftJoin('pull_requests as p', 'p.id', 'c.pull_request_id')
    .select([
      'c.id as checkRunId',
      'c.github_id as githubId',
      'c.name',
      'c.head_sha as headSha',
      'c.status',
      'c.conclusion',
      'c.app_slug as appSlug',
      'c.completed_at as completedAt',
      'r.id as repositoryId',
      'r.owner',
      'r.name as repo',
      'r.installation_id as installationId',
      'r.config_override as configOverride',
      'p.id as pullRequestId',
      'p.number as prNumber',
      'p.base_ref as baseRef',
    ])
    .where('c.github_id', '=', githubId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    ...row,
    githubId: Number(row.githubId),
    installationId: row.installationId === null ? null : Number(row.installationId),
    prNumber: row.prNumber === null ? null : Number(row.prNumber),
  };
}

export async function hasAnalysis(db: Executor, checkRunGithubId: number): Promise<boolean> {
  return !!(await db.selectFrom('analysis_results').select('id').where('check_run_github_id', '=', checkRunGithubId).executeTakeFirst());
}

export async function saveAnalysis(
  db: Executor,
  ctx: CheckRunContext,
  a: LogAnalysis,
  extra: { evidence: Record<string, unknown>; logPath: string | null; logBytes: number | null; logTruncated: boolean; analyzer: string },
): Promise<void> {
  const now = nowIso();
  const values = {
    repository_id: ctx.repositoryId,
    pull_request_id: ctx.pullRequestId,
    check_name: ctx.name,
    head_sha: ctx.headSha,
    conclusion: ctx.conclusion,
    status: 'analyzed' as const,
    category: a.category,
    confidence: a.confidence,
    reason: a.reason,
    root_cause: a.rootCause,
    recommended_action: a.recommendedAction,
    failure_lines: JSON.stringify(a.failureLines),
    excerpt: JSON.stringify(a.excerpt),
    evidence: JSON.stringify(extra.evidence),
    log_path: extra.logPath,
    log_bytes: extra.logBytes,
    log_truncated: extra.logTruncated,
    analyzer: extra.analyzer,
    error_message: null,
    history_lines: a.historyLines.length > 0 ? JSON.stringify(a.historyLines) : null,
    updated_at: now,
  };
  await db
    .insertInto('analysis_results')
    .values({ id: newId(), check_run_github_id: ctx.githubId, ...values, created_at: now })
    .onConflict((oc) => oc.column('check_run_github_id').doUpdateSet(values))
    .execute();
}

/** What history says about a check: did it pass after failing on this commit; how often it failed lately. */
export async function checkHistory(db: Executor, repositoryId: string, name: string, headSha: string, since: string): Promise<{ sameShaPassedAfterFailure: boolean; recentFailureRate: number; recentRuns: number }> {
  const same = await db
    .selectFrom('check_runs')
    .select(['conclusion', 'completed_at'])
    .where('repository_id', '=', repositoryId)
    .where('name', '=', name)
    .where('head_sha', '=', headSha)
    .where('status', '=', 'completed')
    .orderBy('completed_at')
    .execute();
  let failedBefore = false;
  let passedAfter = false;
  for (const r of same) {
    if (r.conclusion && (FAILED_CONCLUSIONS as readonly string[]).includes(r.conclusion)) failedBefore = true;
    else if (r.conclusion === 'success' && failedBefore) passedAfter = true;
  }
  const recent = await db
    .selectFrom('check_runs')
    .select((eb) => [
      eb.fn.countAll<number>().as('runs'),
      eb.fn.sum<number>(eb.case().when('conclusion', 'in', [...FAILED_CONCLUSIONS]).then(1).else(0).end()).as('failures'),
    ])
    .where('repository_id', '=', repositoryId)
    .where('name', '=', name)
    .where('status', '=', 'completed')
    .where('completed_at', '>=', since)
    .executeTakeFirstOrThrow();
  const runs = Number(recent.runs);
  return { sameShaPassedAfterFailure: passedAfter, recentFailureRate: runs > 0 ? Number(recent.failures ?? 0) / runs : 0, recentRuns: runs };
}

/** Records a fix attempt once per (repository, head sha, check name, strategy); false when one exists. */
export async function claimFixAttempt(
  db: Executor,
  p: { repositoryId: string; pullRequestId: string | null; checkName: string; headSha: string; triggerGithubId: number; workflowRunGithubId: number | null; category: string },
): Promise<string | null> {
  const id = newId();
  const now = nowIso();
  const r = await db
    .insertInto('fix_attempts')
    .values({
      id,
      repository_id: p.repositoryId,
      pull_request_id: p.pullRequestId,
      check_name: p.checkName,
      head_sha: p.headSha,
      fix_strategy: 'rerun',
      trigger_check_run_github_id: p.triggerGithubId,
      workflow_run_github_id: p.workflowRunGithubId,
      category: p.category,
      status: 'requested',
      outcome_check_run_github_id: null,
      error_message: null,
      completed_at: null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['repository_id', 'head_sha', 'check_name', 'fix_strategy']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0 ? id : null;
}

export async function failFixAttempt(db: Executor, id: string, message: string): Promise<void> {
  await db.updateTable('fix_attempts').set({ status: 'error', error_message: message.slice(0, 1000), completed_at: nowIso(), updated_at: nowIso() }).where('id', '=', id).execute();
}

/**
 * A check run completed: settles the fix attempt waiting on its name and commit (if any), and when
 * the re-run passed, marks the earlier failure flaky. Returns the settled attempt's outcome.
 */
export async function settleFixAttempt(db: Database, run: { repositoryId: string; name: string; headSha: string; githubId: number; conclusion: string | null }): Promise<'succeeded' | 'failed' | null> {
  return db.kysely.transaction().execute(async (tx) => {
    const attempt = await tx
      .selectFrom('fix_attempts')
      .selectAll()
      .where('repository_id', '=', run.repositoryId)
      .where('head_sha', '=', run.headSha)
      .where('check_name', '=', run.name)
      .where('status', '=', 'requested')
      .where('trigger_check_run_github_id', '!=', run.githubId)
      .executeTakeFirst();
    if (!attempt) return null;
    const outcome = run.conclusion === 'success' ? 'succeeded' : 'failed';
    const now = nowIso();
    await tx
      .updateTable('fix_attempts')
      .set({ status: outcome, outcome_check_run_github_id: run.githubId, completed_at: now, updated_at: now })
      .where('id', '=', attempt.id)
      .execute();
    if (outcome === 'succeeded') {
      await tx
        .updateTable('analysis_results')
        .set({
          category: 'flaky',
          recommended_action: 'rerun',
          reason: sql<string>`'passed when re-run on the same commit (was: ' || category || ')'`,
          updated_at: now,
        })
        .where('check_run_github_id', '=', Number(attempt.trigger_check_run_github_id))
        .execute();
    }
    return outcome;
  });
}
