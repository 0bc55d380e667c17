/**
 * Polling, the safety net under webhooks. `ci_triage.poll` (every minute) picks the repositories
 * that are due — active ones whose `next_poll_at` has come, and ones in `error` whose backoff has
 * passed — claims them by moving `next_poll_at`, and queues `ci_triage.poll_repository` for each.
 * That lists the open pull requests and the check runs of each head commit (conditional requests:
 * an unchanged answer is a free 304), stores them like webhook events would be stored, and queues
 * a diagnosis for any failed check run not yet diagnosed. Failures count in `failure_count`; five
 * in a row put the repository in `error` (polled again with backoff); 403/404 on the repository
 * suspends it. A successful poll resets all of that.
 */
import type { Database } from '../../db/index.js';
import { nowIso } from '../../db/index.js';
import type { GitHubClients, Obj } from '../../github/index.js';
import type { Queue } from '../../jobs/index.js';
import type { Logger } from '../../log/index.js';
import { scrubSecrets } from '../../log/index.js';
import { applyPolledCheckRuns, applyPolledPullRequest } from '../../state/index.js';
import { ANALYZE_JOB, isFailed } from './analyze-check-run.js';
import { triageConfigOf } from './triage-config.js';
import './tables.js';

export const POLL_JOB = 'ci_triage.poll';
export const POLL_REPOSITORY_JOB = 'ci_triage.poll_repository';
export const ERROR_AFTER_FAILURES = 5;
const BATCH = 200;

/** Backoff for a failing repository: 2^n minutes, at most an hour. */
export function backoffMinutes(failures: number): number {
  return Math.min(60, 2 ** Math.max(0, failures));
}

/** The repositories due for polling now (at most `limit`), oldest due first. */
export async function dueRepositories(db: Database, now: Date, limit = BATCH): Promise<Array<{ id: string; config_override: string | null }>> {
  const at = now.toISOString();
  return db.kysely
    .selectFrom('repositories')
    .select(['id', 'config_override'])
    .where('status', 'in', ['active', 'error'])
    .where('is_deleted', '=', false)
    .where('installation_id', 'is not', null)
    .where((eb) => eb.or([eb('next_poll_at', 'is', null), eb('next_poll_at', '<=', at)]))
    .orderBy('next_poll_at')
    .limit(limit)
    .execute();
}

/** Claims the due repositories (pushing their next poll out) and queues a poll for each. */
export async function scheduleDuePolls(deps: { db: Database; queue: Queue }, now = new Date()): Promise<number> {
  const due = await dueRepositories(deps.db, now);
  for (const repo of due) {
    const minutes = triageConfigOf(repo.config_override).poll_interval_minutes;
    await deps.db.kysely.transaction().execute(async (tx) => {
      await tx.updateTable('repositories').set({ next_poll_at: new Date(now.getTime() + minutes * 60_000).toISOString() }).where('id', '=', repo.id).execute();
      await deps.queue.enqueue(tx, POLL_REPOSITORY_JOB, { repositoryId: repo.id }, { key: `${POLL_REPOSITORY_JOB}:${repo.id}`, maxAttempts: 1 });
    });
  }
  return due.length;
}

export interface PollResult {
  pullRequests: number;
  checkRuns: number;
  queuedAnalyses: number;
}

/**
 * Polls one repository (or only one of its pull requests, for a manual check). Records the outcome
 * on the repository; rethrows nothing for GitHub errors (they are the repository's state).
 */
export async function pollRepository(
  deps: { db: Database; queue: Queue; clients: () => GitHubClients; log: Logger },
  repositoryId: string,
  only?: { number: number; trigger: 'manual_check' },
): Promise<PollResult> {
  const { db, log } = deps;
  const repo = await db.kysely.selectFrom('repositories').select(['id', 'owner', 'name', 'installation_id', 'failure_count', 'config_override']).where('id', '=', repositoryId).executeTakeFirst();
  if (!repo || repo.installation_id === null) return { pullRequests: 0, checkRuns: 0, queuedAnalyses: 0 };
  if (!deps.clients().configured) throw new Error('No GitHub App is configured: set APP_ID and PRIVATE_KEY, or run the setup wizard');
  const gh = deps.clients().installation(Number(repo.installation_id));
  const r = { owner: repo.owner, repo: repo.name };
  const result: PollResult = { pullRequests: 0, checkRuns: 0, queuedAnalyses: 0 };
  try {
    const pulls: Obj[] = only
      ? [(await gh.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { ...r, pull_number: only.number })).data as unknown as Obj]
      : ((await gh.paginate('GET /repos/{owner}/{repo}/pulls', { ...r, state: 'open', per_page: 100 })) as unknown as Obj[]);
    for (const pr of pulls) {
      await applyPolledPullRequest(db, repositoryId, pr, only?.trigger ?? 'poll');
      result.pullRequests++;
      const sha = (pr.head as Obj | undefined)?.sha;
      if (typeof sha !== 'string') continue;
      const runs = (await gh.paginate('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ...r, ref: sha, filter: 'all', per_page: 100 })) as unknown as Obj[];
      await applyPolledCheckRuns(db, repositoryId, runs);
      result.checkRuns += runs.length;
      const failed = runs.filter((c) => c.status === 'completed' && isFailed(typeof c.conclusion === 'string' ? c.conclusion : null)).map((c) => Number(c.id));
      if (failed.length > 0) {
        const done = new Set(
          (await db.kysely.selectFrom('analysis_results').select('check_run_github_id').where('check_run_github_id', 'in', failed).execute()).map((a) => Number(a.check_run_github_id)),
        );
        for (const id of failed.filter((f) => !done.has(f))) {
          await deps.queue.enqueue(db.kysely, ANALYZE_JOB, { checkRunGithubId: id }, { key: `${ANALYZE_JOB}:${id}` });
          result.queuedAnalyses++;
        }
      }
    }
    const minutes = triageConfigOf(repo.config_override).poll_interval_minutes;
    await db.kysely
      .updateTable('repositories')
      .set({ status: 'active', failure_count: 0, last_polled_at: nowIso(), next_poll_at: new Date(Date.now() + minutes * 60_000).toISOString() })
      .where('id', '=', repositoryId)
      .execute();
    return result;
  } catch (err) {
    const status = (err as { status?: number }).status;
    const message = scrubSecrets(err instanceof Error ? err.message : String(err));
    // A 403 that is a rate limit (which the client already waited out twice) is transient, not a lost repository.
    const rateLimited = /rate limit/i.test(message) || !!(err as { response?: { headers?: Record<string, string> } }).response?.headers?.['retry-after'];
    if ((status === 404 || status === 403) && !rateLimited) {
      await db.kysely.updateTable('repositories').set({ status: 'suspended', last_polled_at: nowIso() }).where('id', '=', repositoryId).execute();
      log.warn({ repository: `${r.owner}/${r.repo}`, status }, 'repository not readable: polling suspended');
    } else {
      const failures = Number(repo.failure_count) + 1;
      const next = new Date(Date.now() + backoffMinutes(failures) * 60_000).toISOString();
      await db.kysely
        .updateTable('repositories')
        .set({ failure_count: failures, status: failures >= ERROR_AFTER_FAILURES ? 'error' : 'active', last_polled_at: nowIso(), next_poll_at: next })
        .where('id', '=', repositoryId)
        .execute();
      log.warn({ repository: `${r.owner}/${r.repo}`, status, failures, err: message }, 'polling failed');
    }
    if (only) throw err;
    return result;
  }
}
