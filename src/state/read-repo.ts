/** Read queries over the projected GitHub state (repositories, pull requests, checks, issues). */
import type { Database } from '../db/index.js';
import { parseJson, toBool } from '../db/index.js';

export interface RepositoryItem {
  id: string;
  full_name: string;
  owner: string;
  name: string;
  github_id: number;
  default_branch: string | null;
  language: string | null;
  description: string | null;
  html_url: string | null;
  is_private: boolean;
  is_archived: boolean;
  is_deleted: boolean;
  installation_id: number | null;
  last_event_at: string | null;
  event_count: number;
  last_commit_sha: string | null;
  status: string;
  open_pull_requests: number;
  failing_checks: number;
}

function repositoriesQuery(db: Database) {
  return db.kysely.selectFrom('repositories as r').select((eb) => [
    'r.id',
    'r.full_name',
    'r.owner',
    'r.name',
    'r.github_id',
    'r.default_branch',
    'r.language',
    'r.description',
    'r.html_url',
    'r.is_private',
    'r.is_archived',
    'r.is_deleted',
    'r.installation_id',
    'r.last_event_at',
    'r.event_count',
    'r.last_commit_sha',
    'r.status',
    eb
      .selectFrom('pull_requests as p')
      .select((e) => e.fn.countAll<number>().as('n'))
      .whereRef('p.repository_id', '=', 'r.id')
      .where('p.state', '=', 'open')
      .as('open_pull_requests'),
    // Each pull request keeps its own count (refresh-failing-checks.ts); open ones add up.
    eb
      .selectFrom('pull_requests as p')
      .select((e) => e.fn.coalesce(e.fn.sum<number>('p.failing_checks'), e.lit(0)).as('n'))
      .whereRef('p.repository_id', '=', 'r.id')
      .where('p.state', '=', 'open')
      .as('failing_checks'),
  ]);
}

type RepoRow = Awaited<ReturnType<ReturnType<typeof repositoriesQuery>['execute']>>[number];

const toRepo = (r: RepoRow): RepositoryItem => ({
  ...r,
  is_private: toBool(r.is_private),
  is_archived: toBool(r.is_archived),
  is_deleted: toBool(r.is_deleted),
  open_pull_requests: Number(r.open_pull_requests ?? 0),
  failing_checks: Number(r.failing_checks ?? 0),
});

/** A page of repositories, newest first by id. */
export async function listRepositories(db: Database, p: { beforeId?: string; limit: number }): Promise<RepositoryItem[]> {
  let q = repositoriesQuery(db);
  if (p.beforeId) q = q.where('r.id', '<', p.beforeId);
  return (await q.orderBy('r.id', 'desc').limit(p.limit + 1).execute()).map(toRepo);
}

/** The id of a repository by owner/name (a live one before a deleted one of the same name). */
export async function findRepositoryId(db: Database, fullName: string): Promise<string | null> {
  const row = await db.kysely.selectFrom('repositories').select('id').where('full_name', '=', fullName).orderBy('is_deleted').orderBy('id', 'desc').executeTakeFirst();
  return row?.id ?? null;
}

/** A repository by owner/name (a live one is preferred over a deleted one of the same name). */
export async function getRepository(db: Database, fullName: string): Promise<RepositoryItem | null> {
  const row = await repositoriesQuery(db).where('r.full_name', '=', fullName).orderBy('r.is_deleted').orderBy('r.id', 'desc').executeTakeFirst();
  return row ? toRepo(row) : null;
}

export interface PullRequestItem {
  id: string;
  number: number;
  title: string;
  state: string;
  is_draft: boolean;
  author: string | null;
  head_sha: string | null;
  head_ref: string | null;
  base_ref: string | null;
  html_url: string | null;
  merged_at: string | null;
  closed_at: string | null;
  github_created_at: string | null;
  github_updated_at: string | null;
  last_checked_at: string | null;
}

const PR_COLUMNS = ['id', 'number', 'title', 'state', 'is_draft', 'author', 'head_sha', 'head_ref', 'base_ref', 'html_url', 'merged_at', 'closed_at', 'github_created_at', 'github_updated_at', 'last_checked_at'] as const;

/** A page of a repository's pull requests, highest number first. */
export async function listPullRequests(db: Database, p: { repositoryId: string; state?: string; beforeNumber?: number; limit: number }): Promise<PullRequestItem[]> {
  let q = db.kysely.selectFrom('pull_requests').select(PR_COLUMNS).where('repository_id', '=', p.repositoryId);
  if (p.state) q = q.where('state', '=', p.state as 'open');
  if (p.beforeNumber !== undefined) q = q.where('number', '<', p.beforeNumber);
  const rows = await q.orderBy('number', 'desc').limit(p.limit + 1).execute();
  return rows.map((r) => ({ ...r, is_draft: toBool(r.is_draft) }));
}

/** One pull request with its check runs and state history. */
export async function getPullRequest(db: Database, repositoryId: string, number: number) {
  const pr = await db.kysely.selectFrom('pull_requests').select(PR_COLUMNS).where('repository_id', '=', repositoryId).where('number', '=', number).executeTakeFirst();
  if (!pr) return null;
  const [checkRuns, history] = await Promise.all([
    db.kysely
      .selectFrom('check_runs')
      .select(['id', 'github_id', 'name', 'head_sha', 'status', 'conclusion', 'started_at', 'completed_at', 'details_url', 'html_url', 'app_slug', 'output_title', 'output_summary'])
      .where('pull_request_id', '=', pr.id)
      .orderBy('id', 'desc')
      .limit(500)
      .execute(),
    db.kysely
      .selectFrom('pr_state_history')
      .select(['from_state', 'to_state', 'trigger', 'delivery_id', 'actor', 'occurred_at'])
      .where('pull_request_id', '=', pr.id)
      .orderBy('occurred_at')
      .orderBy('id')
      .execute(),
  ]);
  return {
    ...pr,
    is_draft: toBool(pr.is_draft),
    check_runs: checkRuns.map((c) => ({
      ...c,
      duration_seconds: c.started_at && c.completed_at ? Math.max(0, (Date.parse(c.completed_at) - Date.parse(c.started_at)) / 1000) : null,
    })),
    state_history: history,
  };
}

/** A page of a repository's issues, highest number first. */
export async function listIssues(db: Database, p: { repositoryId: string; state?: string; beforeNumber?: number; limit: number }) {
  let q = db.kysely
    .selectFrom('github_issues')
    .select(['id', 'number', 'title', 'state', 'author', 'labels', 'assignees', 'comments', 'html_url', 'closed_at', 'github_created_at', 'github_updated_at', 'is_deleted'])
    .where('repository_id', '=', p.repositoryId);
  if (p.state) q = q.where('state', '=', p.state as 'open');
  if (p.beforeNumber !== undefined) q = q.where('number', '<', p.beforeNumber);
  const rows = await q.orderBy('number', 'desc').limit(p.limit + 1).execute();
  return rows.map((r) => ({ ...r, labels: parseJson<string[]>(r.labels, []), assignees: parseJson<string[]>(r.assignees, []), is_deleted: toBool(r.is_deleted) }));
}
