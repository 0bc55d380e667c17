/**
 * `ci_triage.comment` (keyed by pull request): one comment per pull request listing the failing
 * checks of its head commit with their diagnosis, edited in place as checks change, and marked
 * resolved when they pass — never a new comment per event. A pull request that never had a
 * failing check gets no comment.
 */
import type { Database } from '../../db/index.js';
import { newId, nowIso, parseJson } from '../../db/index.js';
import type { GitHubClients } from '../../github/index.js';
import type { Logger } from '../../log/index.js';
import { scrubSecrets } from '../../log/index.js';
import { FAILED_CONCLUSIONS } from './repo.js';

export const COMMENT_MARKER = '<!-- switchyard:triage -->';

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

export async function updateTriageComment(deps: { db: Database; clients: () => GitHubClients; log: Logger }, pullRequestId: string): Promise<'posted' | 'updated' | 'unchanged' | 'skipped'> {
  const { db } = deps;
  const pr = await db.kysely
    .selectFrom('pull_requests as p')
    .innerJoin('repositories as r', 'r.id', 'p.repository_id')
    .select(['p.id', 'p.number', 'p.head_sha', 'p.repository_id', 'r.owner', 'r.name', 'r.installation_id'])
    .where('p.id', '=', pullRequestId)
    .executeTakeFirst();
  if (!pr?.head_sha || pr.installation_id === null) return 'skipped';
  // The latest run of each check name on the head commit.
  const runs = await db.kysely
    .selectFrom('check_runs')
    .select(['github_id', 'name', 'status', 'conclusion', 'html_url', 'completed_at', 'id'])
    .where('repository_id', '=', pr.repository_id)
    .where('head_sha', '=', pr.head_sha)
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
  if (review?.feedback === body && review.github_comment_id) return 'unchanged';

  const gh = deps.clients().installation(Number(pr.installation_id));
  const r = { owner: pr.owner, repo: pr.name };
  const now = nowIso();
  const decision = failing.length > 0 ? ('failing' as const) : ('passing' as const);
  try {
    let commentId = review?.github_comment_id ? Number(review.github_comment_id) : null;
    let outcome: 'posted' | 'updated';
    if (commentId) {
      try {
        await gh.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { ...r, comment_id: commentId, body });
        outcome = 'updated';
      } catch (err) {
        if ((err as { status?: number }).status !== 404) throw err;
        commentId = null; // deleted by someone: post a new one
      }
    }
    if (!commentId) {
      const { data } = await gh.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...r, issue_number: Number(pr.number), body });
      commentId = Number(data.id);
      outcome = 'posted';
    }
    const values = { status: failing.length > 0 ? ('posted' as const) : ('resolved' as const), decision, feedback: body, github_comment_id: commentId, head_sha: pr.head_sha, error_message: null, updated_at: now };
    await db.kysely
      .insertInto('reviews')
      .values({ id: newId(), repository_id: pr.repository_id, pull_request_id: pr.id, reviewer_type: 'triage', github_check_run_id: null, created_at: now, ...values })
      .onConflict((oc) => oc.columns(['pull_request_id', 'reviewer_type']).doUpdateSet(values))
      .execute();
    return outcome!;
  } catch (err) {
    const message = scrubSecrets(err instanceof Error ? err.message : String(err)).slice(0, 1000);
    if (review) await db.kysely.updateTable('reviews').set({ error_message: message, updated_at: now }).where('id', '=', review.id).execute();
    throw err;
  }
}
