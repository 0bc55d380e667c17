/**
 * `ci_triage.analyze` (keyed by check run): diagnoses one failed check run — gathers the evidence
 * (output, annotations, the job log and a passing log of the same job), runs the analyzer, stores
 * the analysis, and follows up: a re-run for flaky or platform failures (once per commit), the
 * pull request's triage comment, an in-app notification. Safe to run again: the analysis is
 * replaced, a re-run is never requested twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from '../../db/index.js';
import type { GitHubClients } from '../../github/index.js';
import type { Queue } from '../../jobs/index.js';
import type { Logger } from '../../log/index.js';
import { scrubSecrets } from '../../log/index.js';
import { notify } from '../../notify/index.js';
import type { LogAnalyzer, LogAnalysis } from './analyzer/index.js';
import { downloadJobLog, fetchAnnotations, fetchCheckRun, findPassingJob, isActions, workflowRunOfJob } from './fetch-evidence.js';
import { checkHistory, checkRunContext, claimFixAttempt, failFixAttempt, FAILED_CONCLUSIONS, saveAnalysis, type CheckRunContext } from './repo.js';
import { learnFromDiagnosis, loadLineHistory } from './learning.js';
import { triageConfigOf } from './triage-config.js';

export const ANALYZE_JOB = 'ci_triage.analyze';
export const COMMENT_JOB = 'ci_triage.comment';
export const ANALYZER_NAME = 'rules-v1';

export interface AnalyzeDeps {
  db: Database;
  queue: Queue;
  clients: () => GitHubClients;
  analyzer: LogAnalyzer;
  dataDir: string;
  log: Logger;
}

export function isFailed(conclusion: string | null | undefined): boolean {
  return !!conclusion && (FAILED_CONCLUSIONS as readonly string[]).includes(conclusion);
}

/** Where a check run's log copy lives. */
export function logPathFor(dataDir: string, repositoryId: string, checkRunGithubId: number): string {
  return path.join(dataDir, 'ci-logs', repositoryId, `${checkRunGithubId}.log.gz`);
}

export async function analyzeCheckRun(deps: AnalyzeDeps, checkRunGithubId: number): Promise<LogAnalysis | null> {
  const { db, log } = deps;
  const ctx = await checkRunContext(db.kysely, checkRunGithubId);
  if (!ctx) return null;
  if (ctx.status !== 'completed' || !isFailed(ctx.conclusion)) return null;
  const config = triageConfigOf(ctx.configOverride);
  if (!config.analyze || ctx.installationId === null) return null;

  const gh = deps.clients().installation(ctx.installationId);
  const r = { owner: ctx.owner, repo: ctx.repo };
  const evidence: Record<string, unknown> = {};
  const facts = await fetchCheckRun(gh, r, checkRunGithubId);
  evidence.output = !!(facts.output.title || facts.output.summary || facts.output.text);
  const annotations = await fetchAnnotations(gh, r, checkRunGithubId).catch((err) => {
    log.warn({ err: scrubSecrets((err as Error).message) }, 'annotations unavailable');
    return [];
  });
  evidence.annotations = annotations.length;

  let saved: Awaited<ReturnType<typeof downloadJobLog>> = null;
  let passingPath: string | null = null;
  if (isActions(facts.appSlug)) {
    // For GitHub Actions, a check run's id is its job's id.
    saved = await downloadJobLog(gh, r, checkRunGithubId, logPathFor(deps.dataDir, ctx.repositoryId, checkRunGithubId));
    evidence.log = saved ? { bytes: saved.bytes, truncated: saved.truncated } : false;
    if (saved && ctx.baseRef) {
      try {
        const passingJob = await findPassingJob(gh, r, checkRunGithubId, ctx.baseRef);
        if (passingJob !== null) {
          const p = logPathFor(deps.dataDir, ctx.repositoryId, passingJob);
          const got = await downloadJobLog(gh, r, passingJob, p);
          if (got) passingPath = got.path;
          evidence.passing_log = got ? { job_id: passingJob, bytes: got.bytes } : false;
        }
      } catch (err) {
        log.warn({ err: scrubSecrets((err as Error).message) }, 'no passing log to compare with');
      }
    }
  }

  const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
  const history = await checkHistory(db.kysely, ctx.repositoryId, ctx.name, ctx.headSha, since);
  // This repository's own memory of its failures (earlier diagnoses and maintainers' corrections).
  const lineHistory = await loadLineHistory(db.kysely, ctx.repositoryId, ctx.name);
  const text = [facts.output.title, facts.output.summary, facts.output.text].filter(Boolean).join('\n');
  const analysis = await deps.analyzer.analyze({
    log: saved ? fs.createReadStream(saved.path) : text,
    passingLog: passingPath ? fs.createReadStream(passingPath) : undefined,
    checkName: ctx.name,
    checkOutput: facts.output,
    annotations,
    history: { sameShaPassedAfterFailure: history.sameShaPassedAfterFailure, recentFailureRate: history.recentRuns >= 5 ? history.recentFailureRate : undefined },
    lineHistory,
  });
  if (passingPath) fs.rmSync(passingPath, { force: true });
  await saveAnalysis(db.kysely, ctx, analysis, {
    evidence,
    logPath: saved?.path ?? null,
    logBytes: saved?.bytes ?? null,
    logTruncated: saved?.truncated ?? false,
    analyzer: ANALYZER_NAME,
  });
  // Lines new relative to a passing run of the same job that the diagnosis reported: remembered.
  if (passingPath && analysis.failureLines.length > 0) {
    await learnFromDiagnosis(db.kysely, { repositoryId: ctx.repositoryId, checkName: ctx.name, checkRunGithubId }, analysis);
  }
  log.info({ checkRun: checkRunGithubId, category: analysis.category, confidence: analysis.confidence }, 'check run diagnosed');

  if (config.rerun && isActions(facts.appSlug) && (config.rerun_categories as string[]).includes(analysis.category)) {
    await requestRerun(deps, ctx, gh, analysis.category);
  }
  if (ctx.pullRequestId && config.comment) {
    // Keyed by this check run, not only the pull request: a refresh asked for while another refresh
    // of the same comment runs must not be dropped (a keyed job is not queued while one with its key
    // waits or runs, and the running one may have read the state before this analysis committed).
    // Comment refreshes run one at a time in a process (concurrency 1), so the last one wins.
    await deps.queue.enqueue(db.kysely, COMMENT_JOB, { pullRequestId: ctx.pullRequestId }, { key: `${COMMENT_JOB}:${ctx.pullRequestId}:${checkRunGithubId}` });
  }
  await notify(db, {
    installationId: ctx.installationId,
    repositoryId: ctx.repositoryId,
    kind: 'check_failed',
    title: `${ctx.owner}/${ctx.repo}: ${ctx.name} failed${ctx.prNumber ? ` on #${ctx.prNumber}` : ''} — ${analysis.category}`,
    body: analysis.rootCause,
    link: `/api/checks/${checkRunGithubId}`,
    dedupeKey: `check_failed:${checkRunGithubId}`,
  });
  return analysis;
}

/** Asks GitHub to re-run the failed jobs of the check's workflow run, once per commit and check. */
async function requestRerun(deps: AnalyzeDeps, ctx: CheckRunContext, gh: ReturnType<GitHubClients['installation']>, category: string): Promise<void> {
  const r = { owner: ctx.owner, repo: ctx.repo };
  let runId: number | null = null;
  try {
    runId = await workflowRunOfJob(gh, r, ctx.githubId);
  } catch (err) {
    deps.log.warn({ err: scrubSecrets((err as Error).message) }, 'cannot find the workflow run to re-run');
    return;
  }
  const attempt = await claimFixAttempt(deps.db.kysely, {
    repositoryId: ctx.repositoryId,
    pullRequestId: ctx.pullRequestId,
    checkName: ctx.name,
    headSha: ctx.headSha,
    triggerGithubId: ctx.githubId,
    workflowRunGithubId: runId,
    category,
  });
  if (!attempt) return; // already tried on this commit
  try {
    await gh.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs', { ...r, run_id: runId });
    deps.log.info({ checkRun: ctx.githubId, runId, category }, 're-run of failed jobs requested');
  } catch (err) {
    await failFixAttempt(deps.db.kysely, attempt, scrubSecrets(err instanceof Error ? err.message : String(err)));
    deps.log.warn({ runId, status: (err as { status?: number }).status }, 're-run request failed');
  }
}
