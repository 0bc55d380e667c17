/**
 * The check status of pull requests at a glance, for lists: per pull request, the latest run of each
 * check on its head commit (a re-run is a new check run of the same name; the newest counts),
 * counted by outcome, and one overall state — failure, pending, success — or null without checks.
 */
import type { Database } from '../db/index.js';
import type { VisibleRepositoryId } from './read-repo.js';
import { FAILING_CONCLUSIONS } from './refresh-failing-checks.js';

const PASSING = new Set(['success', 'neutral', 'skipped']);

export interface CheckSummary {
  number: number;
  head_sha: string | null;
  total: number;
  passing: number;
  failing: number;
  pending: number;
  /** Cancelled, stale and other conclusions that are neither passing nor failing. */
  other: number;
  state: 'failure' | 'pending' | 'success' | 'neutral' | null;
}

/** Check summaries of these pull requests (by number) of a visible repository; unknown numbers are left out. */
export async function checkSummaries(db: Database, repositoryId: VisibleRepositoryId, numbers: number[]): Promise<CheckSummary[]> {
  if (numbers.length === 0) return [];
  const pulls = await db.kysely.selectFrom('pull_requests').select(['number', 'head_sha']).where('repository_id', '=', repositoryId).where('number', 'in', numbers).execute();
  const shas = [...new Set(pulls.map((p) => p.head_sha).filter((s): s is string => !!s))];
  const runs = shas.length
    ? await db.kysely
        .selectFrom('check_runs')
        .select(['name', 'head_sha', 'github_id', 'status', 'conclusion'])
        .where('repository_id', '=', repositoryId)
        .where('head_sha', 'in', shas)
        .execute()
    : [];
  // The newest run of each check name per commit.
  const latest = new Map<string, Map<string, (typeof runs)[number]>>();
  for (const run of runs) {
    const byName = latest.get(run.head_sha) ?? new Map();
    latest.set(run.head_sha, byName);
    const seen = byName.get(run.name);
    if (!seen || Number(run.github_id) > Number(seen.github_id)) byName.set(run.name, run);
  }
  return pulls
    .sort((a, b) => b.number - a.number)
    .map((p) => {
      const checks = [...(p.head_sha ? (latest.get(p.head_sha)?.values() ?? []) : [])];
      const s = { number: p.number, head_sha: p.head_sha, total: checks.length, passing: 0, failing: 0, pending: 0, other: 0 };
      for (const c of checks) {
        if (c.status !== 'completed') s.pending++;
        else if (c.conclusion && FAILING_CONCLUSIONS.includes(c.conclusion)) s.failing++;
        else if (c.conclusion && PASSING.has(c.conclusion)) s.passing++;
        else s.other++;
      }
      const state = s.total === 0 ? null : s.failing > 0 ? 'failure' : s.pending > 0 ? 'pending' : s.passing > 0 ? 'success' : 'neutral';
      return { ...s, state };
    });
}
