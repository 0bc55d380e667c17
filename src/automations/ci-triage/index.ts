/**
 * The CI-triage slice: watches every pull request's check runs (webhooks first, polling as the
 * safety net), diagnoses each failed one (analyzer/), and acts: a re-run of flaky or platform
 * failures, one comment per pull request, an in-app notification. Owns analysis_results,
 * fix_attempts, reviews and the repositories' polling columns. See README.md.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/index.js';
import type { Database } from '../../db/index.js';
import type { GitHubClients } from '../../github/index.js';
import type { Queue } from '../../jobs/index.js';
import type { Logger } from '../../log/index.js';
import { num, objAt, str } from '../../payload-readers/index.js';
import type { AutomationRegistry } from '../registry.js';
import { createRuleAnalyzer, type LogAnalyzer } from './analyzer/index.js';
import { analyzeCheckRun, ANALYZE_JOB, COMMENT_JOB, isFailed } from './analyze-check-run.js';
import { pollRepository, POLL_JOB, POLL_REPOSITORY_JOB, scheduleDuePolls } from './poll-repositories.js';
import { TRIAGE_CHECK_NAME, updateTriageComment } from './pr-comment.js';
import { settleFixAttempt } from './repo.js';
import { triageRoutes } from './routes.js';
import './tables.js';

export { analyzeCheckRun, ANALYZE_JOB, COMMENT_JOB } from './analyze-check-run.js';
export { pollRepository, scheduleDuePolls, dueRepositories, POLL_JOB, POLL_REPOSITORY_JOB } from './poll-repositories.js';
export { renderComment, TRIAGE_CHECK_NAME, updateTriageComment } from './pr-comment.js';
export { listFlakyChecks } from './flaky-checks.js';
export { triageConfigOf } from './triage-config.js';
export { createRuleAnalyzer } from './analyzer/index.js';
export type { LogAnalyzer, LogAnalysis } from './analyzer/index.js';

export interface CiTriageDeps {
  config: Config;
  db: Database;
  queue: Queue;
  registry: AutomationRegistry;
  clients: () => GitHubClients;
  log: Logger;
  /** Defaults to the offline rule-based analyzer. */
  analyzer?: LogAnalyzer;
}

export interface CiTriageSlice {
  routes(app: FastifyInstance): Promise<void>;
  /** Reads one pull request and its checks from GitHub now (API and CLI). */
  refreshPullRequest(repositoryId: string, number: number): ReturnType<typeof pollRepository>;
}

export function createCiTriageSlice(deps: CiTriageDeps): CiTriageSlice {
  const { db, queue, registry, clients } = deps;
  const log = deps.log.child({ slice: 'ci-triage' });
  const analyzer = deps.analyzer ?? createRuleAnalyzer();
  const analyzeDeps = { db, queue, clients, analyzer, dataDir: deps.config.dataDir, log };

  queue.register<{ checkRunGithubId: number }>(ANALYZE_JOB, async (p, ctx) => {
    if (!clients().configured) return ctx.log.debug('no GitHub App configured: nothing to fetch the evidence with');
    await analyzeCheckRun({ ...analyzeDeps, log: ctx.log }, p.checkRunGithubId);
  }, { concurrency: 2 });
  queue.register<{ pullRequestId: string }>(COMMENT_JOB, async (p, ctx) => {
    if (!clients().configured) return;
    await updateTriageComment({ db, clients, log: ctx.log }, p.pullRequestId);
  }, { concurrency: 1 });
  queue.register(POLL_JOB, async () => {
    if (!clients().configured) return;
    await scheduleDuePolls({ db, queue });
  });
  queue.register<{ repositoryId: string }>(POLL_REPOSITORY_JOB, async (p, ctx) => {
    await pollRepository({ db, queue, clients, log: ctx.log }, p.repositoryId);
  }, { concurrency: 4 });
  queue.schedule(POLL_JOB, '* * * * *');

  // Webhooks first: a completed check run is diagnosed (failed) or settles a re-run (any result).
  registry.on('ci-triage.check-run', ['check_run.completed'], async (ctx) => {
    // Payloads are untrusted: every field through the checked readers (a `head_sha` that is an
    // object must skip this delivery with a reason, not fail the job until it is dead).
    const raw = objAt(ctx.payload, 'check_run');
    const id = num(raw?.id);
    if (!raw || id === null || id <= 0) return ctx.log.info({ delivery: ctx.id }, 'skipped: the check_run has no numeric id');
    const run = { id, name: str(raw.name), head_sha: str(raw.head_sha), conclusion: str(raw.conclusion) };
    // Switchyard's own report is not a check to diagnose (and updating it must not loop).
    if (!ctx.repositoryId || run.name === TRIAGE_CHECK_NAME) return;
    const githubId = run.id;
    if (isFailed(run.conclusion)) {
      await queue.enqueue(db.kysely, ANALYZE_JOB, { checkRunGithubId: githubId }, { key: `${ANALYZE_JOB}:${githubId}` });
    }
    const settled = await settleFixAttempt(db, { repositoryId: ctx.repositoryId, name: run.name ?? '', headSha: run.head_sha ?? '', githubId, conclusion: run.conclusion ?? null });
    if (settled) ctx.log.info({ checkRun: githubId, outcome: settled }, 're-run settled');
    // The pull request's comment follows (it says nothing for pull requests that never failed).
    const pr = await db.kysely.selectFrom('check_runs').select('pull_request_id').where('github_id', '=', githubId).executeTakeFirst();
    if (pr?.pull_request_id && !isFailed(run.conclusion)) {
      await queue.enqueue(db.kysely, COMMENT_JOB, { pullRequestId: pr.pull_request_id }, { key: `${COMMENT_JOB}:${pr.pull_request_id}:${githubId}:${run.conclusion ?? ''}` });
    }
  });

  const refreshPullRequest = (repositoryId: string, number: number) => pollRepository({ db, queue, clients, log }, repositoryId, { number, trigger: 'manual_check' });
  return {
    refreshPullRequest,
    routes: (app) => triageRoutes(app, { db, refreshPullRequest }),
  };
}
