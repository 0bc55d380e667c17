/**
 * `ci_triage.comment` (keyed by pull request and the check run that asked, run one at a time per process): one report per pull request listing the failing
 * checks of its head commit with their diagnosis, updated in place as checks change, and marked
 * resolved when they pass — never a new report per event. A pull request that never had a failing
 * check gets nothing.
 *
 * The report is a comment on the pull request, or, with the repository's `check_run` setting and
 * an installation that may write checks, a `Switchyard triage` check run on the head commit
 * (neutral while checks fail, success once they pass; one per commit, since check runs belong to
 * a commit). If GitHub refuses the check run (403), the comment is used instead.
 */
import type { Database } from '../../db/index.js';
import { newId, nowIso, parseJson } from '../../db/index.js';
import type { GitHubClients } from '../../github/index.js';
import type { Logger } from '../../log/index.js';
import { scrubSecrets } from '../../log/index.js';
import { FAILED_CONCLUSIONS } from './repo.js';
import { triageConfigOf } from './triage-config.js';

export const COMMENT_MARKER = '<!-- switchyard:triage -->';
/** The name of the check run Switchyard reports with (and ignores when it reads checks). */
export const TRIAGE_CHECK_NAME = 'Switchyard triage';

interface FailingCheck {
  name: string;
  githubId: number;
  conclusion: string;
  htmlUrl: string | null;
  category: string | null;
  confidence: number | null;
  rootCause: string | null;
  action: string | null;
  excerpt: Array<{ line: number; text: string }>;
  rerun: string | null;
}

const ACTION_TEXT: Record<string, string> = {
  rerun: 'Re-run it: this looks like a flaky or platform failure, not the change.',
  fix_code: 'Fix the code: the change under test broke it.',
  update_dependency: 'Check the dependencies: one could not be resolved or installed.',
  fix_configuration: 'Fix the CI configuration.',
  contact_admin: 'Ask an administrator: credentials or permissions are missing.',
  none: 'No confident diagnosis: read the log.',
};

/** The comment's Markdown (pure: tested on its own). */
export function renderComment(p: { headSha: string; failing: FailingCheck[]; passing: number; pending: number }): string {
  const sha = p.headSha.slice(0, 7);
  const lines = [COMMENT_MARKER, '### Switchyard triage', ''];
  if (p.failing.length === 0) {
    lines.push(`✅ Resolved: no failing checks on \`${sha}\`${p.pending > 0 ? ` (${p.pending} still running)` : ''}. Earlier failures on this pull request have passed.`);
    return lines.join('\n');
  }
  lines.push(`❌ ${p.failing.length} failing check${p.failing.length === 1 ? '' : 's'} on \`${sha}\` (${p.passing} passing${p.pending > 0 ? `, ${p.pending} running` : ''}).`, '');
  for (const f of p.failing) {
    const title = f.htmlUrl ? `[${f.name}](${f.htmlUrl})` : f.name;
    lines.push(`#### ${title} — ${f.conclusion}`);
    if (f.category) {
      lines.push(`**${f.category.replace(/_/g, ' ')}** (confidence ${Math.round((f.confidence ?? 0) * 100)}%). ${f.rootCause ?? ''}`.trim());
      if (f.action) lines.push('', `**What to do:** ${ACTION_TEXT[f.action] ?? f.action}`);
      if (f.rerun) lines.push('', `_${f.rerun}_`);
      if (f.excerpt.length > 0) {
        const body = f.excerpt.slice(0, 15).map((e) => `${String(e.line).padStart(6)} | ${e.text.slice(0, 300)}`).join('\n').replace(/```/g, "'''");
        lines.push('', '```text', body, '```');
      }
    } else {
      lines.push('_Diagnosis pending._');
    }
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}

export type ReportOutcome = 'posted' | 'updated' | 'unchanged' | 'skipped';

/** Title of the triage check run (at most 255 characters on GitHub). */
export function checkRunTitle(failing: Array<{ name: string; category: string | null }>): string {
  if (failing.length === 0) return 'Resolved: no failing checks';
  const what = failing.map((f) => `${f.name}${f.category ? ` (${f.category.replace(/_/g, ' ')})` : ''}`).join(', ');
  return `${failing.length} failing: ${what}`.slice(0, 255);
}

/** Whether the installation's granted permissions let the App create check runs. */
export function canWriteChecks(permissions: string | null | undefined): boolean {
  return parseJson(permissions, {} as Record<string, string>).checks === 'write';
}

export async function updateTriageComment(deps: { db: Database; clients: () => GitHubClients; log: Logger }, pullRequestId: string): Promise<ReportOutcome> {
  const { db } = deps;
  const pr = await db.kysely
    .selectFrom('pull_requests as p')
    .innerJoin('repositories as r', 'r.id', 'p.repository_id')
    .leftJoin('installations as i', 'i.github_id', 'r.installation_id')
    .select(['p.id', 'p.number', 'p.head_sha', 'p.repository_id', 'r.owner', 'r.name', 'r.installation_id', 'r.config_override', 'i.permissions'])
    .where('p.id', '=', pullRequestId)
    .executeTakeFirst();
  if (!pr?.head_sha || pr.installation_id === null) return 'skipped';
  const config = triageConfigOf(pr.config_override);
  if (!config.comment) return 'skipped';
  // The latest run of each check name on the head commit (Switchyard's own report is not a check to triage).
  const runs = await db.kysely
    .selectFrom('check_runs')
    .select(['github_id', 'name', 'status', 'conclusion', 'html_url', 'completed_at', 'id'])
    .where('repository_id', '=', pr.repository_id)
    .where('head_sha', '=', pr.head_sha)
    .where('name', '!=', TRIAGE_CHECK_NAME)
    .orderBy('id', 'desc')
    .execute();
  const latest = new Map<string, (typeof runs)[number]>();
  for (const r of runs) if (!latest.has(r.name)) latest.set(r.name, r);
  const current = [...latest.values()];
  const failedRuns = current.filter((r) => r.status === 'completed' && r.conclusion && (FAILED_CONCLUSIONS as readonly string[]).includes(r.conclusion));
  const analyses = failedRuns.length
    ? await db.kysely.selectFrom('analysis_results').selectAll().where('check_run_github_id', 'in', failedRuns.map((r) => Number(r.github_id))).execute()
    : [];
  const attempts = failedRuns.length
    ? await db.kysely.selectFrom('fix_attempts').selectAll().where('repository_id', '=', pr.repository_id).where('head_sha', '=', pr.head_sha).execute()
    : [];
  const failing: FailingCheck[] = failedRuns.map((r) => {
    const a = analyses.find((x) => Number(x.check_run_github_id) === Number(r.github_id));
    const attempt = attempts.find((x) => x.check_name === r.name);
    return {
      name: r.name,
      githubId: Number(r.github_id),
      conclusion: r.conclusion!,
      htmlUrl: r.html_url,
      category: a?.category ?? null,
      confidence: a ? Number(a.confidence) : null,
      rootCause: a?.root_cause ?? null,
      action: a?.recommended_action ?? null,
      excerpt: parseJson(a?.excerpt, [] as Array<{ line: number; text: string }>),
      rerun: attempt ? (attempt.status === 'requested' ? 'Switchyard re-ran the failed jobs once; waiting for the result.' : attempt.status === 'failed' ? 'Switchyard re-ran the failed jobs once; they failed again.' : attempt.status === 'error' ? 'Switchyard could not re-run the failed jobs.' : null) : null,
    };
  });
  const review = await db.kysely.selectFrom('reviews').selectAll().where('pull_request_id', '=', pr.id).where('reviewer_type', '=', 'triage').executeTakeFirst();
  if (failing.length === 0 && !review) return 'skipped'; // never failed: nothing to say
  const passing = current.filter((r) => r.status === 'completed' && !failedRuns.includes(r)).length;
  const pending = current.filter((r) => r.status !== 'completed').length;
  // A new head commit whose checks have not finished yet resolves nothing.
  if (failing.length === 0 && passing === 0) return 'skipped';
  const body = renderComment({ headSha: pr.head_sha, failing, passing, pending });
  const target: Report = { db, gh: deps.clients().installation(Number(pr.installation_id)), owner: pr.owner, repo: pr.name, pr, review: review ?? null, body, failing };
  if (config.check_run && canWriteChecks(pr.permissions)) {
    try {
      return await reportAsCheckRun(target);
    } catch (err) {
      if ((err as { status?: number }).status !== 403) throw err;
      deps.log.warn({ repository: `${pr.owner}/${pr.name}` }, 'GitHub refused the triage check run (403): reporting with a comment instead');
    }
  }
  return reportAsComment(target);
}

interface Report {
  db: Database;
  gh: ReturnType<GitHubClients['installation']>;
  owner: string;
  repo: string;
  pr: { id: string; number: number | string; head_sha: string | null; repository_id: string };
  review: { id: string; feedback: string | null; github_comment_id: number | null; github_check_run_id: number | null; head_sha: string | null } | null;
  body: string;
  failing: FailingCheck[];
}

async function saveReview(t: Report, ids: { github_comment_id?: number; github_check_run_id?: number }): Promise<void> {
  const now = nowIso();
  const failing = t.failing.length > 0;
  const values = { status: failing ? ('posted' as const) : ('resolved' as const), decision: failing ? ('failing' as const) : ('passing' as const), feedback: t.body, head_sha: t.pr.head_sha, error_message: null, updated_at: now, ...ids };
  await t.db.kysely
    .insertInto('reviews')
    .values({ id: newId(), repository_id: t.pr.repository_id, pull_request_id: t.pr.id, reviewer_type: 'triage', github_comment_id: null, github_check_run_id: null, created_at: now, ...values })
    .onConflict((oc) => oc.columns(['pull_request_id', 'reviewer_type']).doUpdateSet(values))
    .execute();
}

async function recordFailure(t: Report, err: unknown): Promise<never> {
  const message = scrubSecrets(err instanceof Error ? err.message : String(err)).slice(0, 1000);
  if (t.review) await t.db.kysely.updateTable('reviews').set({ error_message: message, updated_at: nowIso() }).where('id', '=', t.review.id).execute();
  throw err;
}

async function reportAsComment(t: Report): Promise<ReportOutcome> {
  if (t.review?.feedback === t.body && t.review.github_comment_id) return 'unchanged';
  const r = { owner: t.owner, repo: t.repo };
  try {
    let commentId = t.review?.github_comment_id ? Number(t.review.github_comment_id) : null;
    let outcome: 'posted' | 'updated' = 'posted';
    if (commentId) {
      try {
        await t.gh.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { ...r, comment_id: commentId, body: t.body });
        outcome = 'updated';
      } catch (err) {
        if ((err as { status?: number }).status !== 404) throw err;
        commentId = null; // deleted by someone: post a new one
      }
    }
    if (!commentId) {
      const { data } = await t.gh.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...r, issue_number: Number(t.pr.number), body: t.body });
      commentId = Number(data.id);
      outcome = 'posted';
    }
    await saveReview(t, { github_comment_id: commentId });
    return outcome;
  } catch (err) {
    return recordFailure(t, err);
  }
}

async function reportAsCheckRun(t: Report): Promise<ReportOutcome> {
  const sameCommit = t.review?.github_check_run_id && t.review.head_sha === t.pr.head_sha;
  if (sameCommit && t.review?.feedback === t.body) return 'unchanged';
  const r = { owner: t.owner, repo: t.repo };
  const summary = t.body.slice(COMMENT_MARKER.length).trim().slice(0, 65_000);
  const fields = {
    status: 'completed' as const,
    // Neutral: the failing checks already fail the commit; the report should not block a merge by itself.
    conclusion: t.failing.length > 0 ? ('neutral' as const) : ('success' as const),
    completed_at: new Date().toISOString(),
    output: { title: checkRunTitle(t.failing), summary },
  };
  try {
    if (sameCommit) {
      try {
        await t.gh.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', { ...r, check_run_id: Number(t.review!.github_check_run_id), ...fields });
        await saveReview(t, {});
        return 'updated';
      } catch (err) {
        if ((err as { status?: number }).status !== 404) throw err;
      }
    }
    const { data } = await t.gh.request('POST /repos/{owner}/{repo}/check-runs', { ...r, name: TRIAGE_CHECK_NAME, head_sha: t.pr.head_sha!, external_id: `switchyard-triage:${t.pr.id}`, ...fields });
    await saveReview(t, { github_check_run_id: Number(data.id) });
    return 'posted';
  } catch (err) {
    if ((err as { status?: number }).status === 403) throw err; // the caller falls back to a comment
    return recordFailure(t, err);
  }
}
