/**
 * Read queries over the projected GitHub state (installations, repositories, pull requests, checks,
 * issues), each within the viewer's scope:
 * - an installation is visible when its GitHub id is in the scope;
 * - a repository when its `installation_id` is (one without an installation only to a scope of `all`);
 * - what lives under a repository (pull requests, issues, check runs, history) when the repository
 *   is: nested reads take a VisibleRepositoryId, which only the scoped lookup findRepositoryId makes.
 */
import type { Database, InstallationsTable } from '../db/index.js';
import { parseJson, toBool } from '../db/index.js';
import type { Scope } from '../http/auth-context.js';

/** The installations a scope limits reads to (each once): null = all, [] = none (callers answer empty without a query). */
function visibleInstallations(scope: Scope): number[] | null {
  return scope.all ? null : [...new Set(scope.installationIds)];
}

/** A repository id that came out of a scoped lookup (findRepositoryId): nested reads need one. */
export type VisibleRepositoryId = string & { readonly __visibleRepository: true };

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

/** A page of the repositories in the scope, newest first by id. */
export async function listRepositories(db: Database, p: { scope: Scope; beforeId?: string; limit: number }): Promise<RepositoryItem[]> {
  const installations = visibleInstallations(p.scope);
  if (installations?.length === 0) return [];
  let q = repositoriesQuery(db);
  if (installations) q = q.where('r.installation_id', 'in', installations);
  if (p.beforeId) q = q.where('r.id', '<', p.beforeId);
  return (await q.orderBy('r.id', 'desc').limit(p.limit + 1).execute()).map(toRepo);
}

/** The id of a repository in the scope by owner/name (a live one before a deleted one of the same name). */
export async function findRepositoryId(db: Database, fullName: string, scope: Scope): Promise<VisibleRepositoryId | null> {
  const installations = visibleInstallations(scope);
  if (installations?.length === 0) return null;
  let q = db.kysely.selectFrom('repositories').select('id').where('full_name', '=', fullName);
  if (installations) q = q.where('installation_id', 'in', installations);
  const row = await q.orderBy('is_deleted').orderBy('id', 'desc').executeTakeFirst();
  return (row?.id as VisibleRepositoryId | undefined) ?? null;
}

/** A repository in the scope by owner/name (a live one is preferred over a deleted one of the same name). */
export async function getRepository(db: Database, fullName: string, scope: Scope): Promise<RepositoryItem | null> {
  const installations = visibleInstallations(scope);
  if (installations?.length === 0) return null;
  let q = repositoriesQuery(db).where('r.full_name', '=', fullName);
  if (installations) q = q.where('r.installation_id', 'in', installations);
  const row = await q.orderBy('r.is_deleted').orderBy('r.id', 'desc').executeTakeFirst();
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
export async function listPullRequests(db: Database, p: { repositoryId: VisibleRepositoryId; state?: string; beforeNumber?: number; limit: number }): Promise<PullRequestItem[]> {
  let q = db.kysely.selectFrom('pull_requests').select(PR_COLUMNS).where('repository_id', '=', p.repositoryId);
  if (p.state) q = q.where('state', '=', p.state as 'open');
  if (p.beforeNumber !== undefined) q = q.where('number', '<', p.beforeNumber);
  const rows = await q.orderBy('number', 'desc').limit(p.limit + 1).execute();
  return rows.map((r) => ({ ...r, is_draft: toBool(r.is_draft) }));
}

/** One pull request with its check runs and state history. */
export async function getPullRequest(db: Database, repositoryId: VisibleRepositoryId, number: number) {
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
export async function listIssues(db: Database, p: { repositoryId: VisibleRepositoryId; state?: string; beforeNumber?: number; limit: number }) {
  let q = db.kysely
    .selectFrom('github_issues')
    .select(['id', 'number', 'title', 'state', 'author', 'labels', 'assignees', 'comments', 'html_url', 'closed_at', 'github_created_at', 'github_updated_at', 'is_deleted'])
    .where('repository_id', '=', p.repositoryId);
  if (p.state) q = q.where('state', '=', p.state as 'open');
  if (p.beforeNumber !== undefined) q = q.where('number', '<', p.beforeNumber);
  const rows = await q.orderBy('number', 'desc').limit(p.limit + 1).execute();
  return rows.map((r) => ({ ...r, labels: parseJson<string[]>(r.labels, []), assignees: parseJson<string[]>(r.assignees, []), is_deleted: toBool(r.is_deleted) }));
}

export interface InstallationItem {
  id: string;
  github_id: number;
  account_login: string | null;
  account_type: string | null;
  target_type: string | null;
  repository_selection: string | null;
  status: InstallationsTable['status'];
  suspended_at: string | null;
  deleted_at: string | null;
  repository_count: number;
  created_at: string;
  updated_at: string;
}

function installationsQuery(db: Database) {
  return db.kysely.selectFrom('installations as i').select((eb) => [
    'i.id',
    'i.github_id',
    'i.account_login',
    'i.account_type',
    'i.target_type',
    'i.repository_selection',
    'i.status',
    'i.suspended_at',
    'i.deleted_at',
    'i.created_at',
    'i.updated_at',
    // The repositories its users see (the scoping rule above), less deleted ones; repositories_installation covers it.
    eb
      .selectFrom('repositories as r')
      .select((e) => e.fn.countAll<number>().as('n'))
      .whereRef('r.installation_id', '=', 'i.github_id')
      .where('r.is_deleted', '=', false)
      .as('repository_count'),
  ]);
}

type InstallationRow = Awaited<ReturnType<ReturnType<typeof installationsQuery>['execute']>>[number];

const toInstallation = (i: InstallationRow): InstallationItem => ({ ...i, repository_count: Number(i.repository_count ?? 0) });

/** A page of the installations in the scope, newest first by id. */
export async function listInstallations(db: Database, p: { scope: Scope; beforeId?: string; limit: number }): Promise<InstallationItem[]> {
  const installations = visibleInstallations(p.scope);
  if (installations?.length === 0) return [];
  let q = installationsQuery(db);
  if (installations) q = q.where('i.github_id', 'in', installations);
  if (p.beforeId) q = q.where('i.id', '<', p.beforeId);
  return (await q.orderBy('i.id', 'desc').limit(p.limit + 1).execute()).map(toInstallation);
}

/** An installation in the scope by its GitHub id. */
export async function getInstallation(db: Database, githubId: number, scope: Scope): Promise<InstallationItem | null> {
  const installations = visibleInstallations(scope);
  if (installations && !installations.includes(githubId)) return null;
  const row = await installationsQuery(db).where('i.github_id', '=', githubId).executeTakeFirst();
  return row ? toInstallation(row) : null;
}
