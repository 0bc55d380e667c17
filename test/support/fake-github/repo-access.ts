/**
 * `/repos/{owner}/{repo}/…` access as GitHub decides it for an installation access token:
 *
 * - the repository is looked up by owner/name (case-insensitive); unknown → 404 `Not Found`;
 * - a repository the token cannot see (not in the installation's selected repositories, or outside a
 *   narrowed token) is a 404 when private; a public one can still be read (GET), but a write is a
 *   403 `Resource not accessible by integration`;
 * - otherwise the token needs one of the operation's permissions at the level asked (GET on a public
 *   repository needs none), else 403 `Resource not accessible by integration` with GitHub's
 *   `x-accepted-github-permissions` header;
 * - writes to an archived repository are a 403 `Repository was archived so is read-only.`
 */
import { requireInstallationToken } from './auth.js';
import { githubError, HttpError } from './http-kit.js';
import type { RouteContext } from './router.js';
import type { AppRecord, InstallationRecord, InstallationTokenRecord, RepositoryRecord } from './state.js';

export const NOT_ACCESSIBLE = 'Resource not accessible by integration';
const LEVELS: Record<string, number> = { read: 1, write: 2, admin: 3 };

/** One acceptable permission, e.g. `['checks', 'write']`; any one of a list suffices. */
export type PermissionNeed = readonly [name: string, level: 'read' | 'write'];

export interface RepoAccess {
  repo: RepositoryRecord;
  token: InstallationTokenRecord;
  installation: InstallationRecord;
  app: AppRecord;
}

/** A path parameter that must be a positive integer (anything else is GitHub's 404). */
export function idParam(ctx: RouteContext, name: string): number {
  const raw = ctx.params[name] ?? '';
  if (!/^\d+$/.test(raw)) throw new HttpError(githubError(404, 'Not Found', ctx.docsUrl));
  return Number(raw);
}

export function notFound(ctx: RouteContext): HttpError {
  return new HttpError(githubError(404, 'Not Found', ctx.docsUrl));
}

/** Authenticates the installation token and resolves `{owner}/{repo}` with GitHub's 401/403/404 rules. */
export function repoAccess(ctx: RouteContext, needs: readonly PermissionNeed[]): RepoAccess {
  const { state } = ctx.services;
  const { token, installation } = requireInstallationToken(state, ctx.credentials, ctx.docsUrl, NOT_ACCESSIBLE);
  const app = state.requireApp(installation.appId);
  const owner = (ctx.params.owner ?? '').toLowerCase();
  const name = (ctx.params.repo ?? '').toLowerCase();
  const repo = [...state.repositories.values()].find((r) => r.owner.login.toLowerCase() === owner && r.name.toLowerCase() === name);
  if (!repo) throw notFound(ctx);
  const write = ctx.method !== 'GET' && ctx.method !== 'HEAD';
  const visible = state.tokenRepositories(token).some((r) => r.id === repo.id);
  if (!visible) {
    if (repo.private) throw notFound(ctx);
    if (write) throw new HttpError(githubError(403, NOT_ACCESSIBLE, ctx.docsUrl));
    return { repo, token, installation, app };
  }
  const granted = needs.length === 0 || needs.some(([perm, level]) => (LEVELS[token.permissions[perm] ?? ''] ?? 0) >= (LEVELS[level] ?? 9));
  if (!granted && (write || repo.private)) {
    const accepted = needs.map(([perm, level]) => `${perm}=${level}`).join('; ');
    throw new HttpError(githubError(403, NOT_ACCESSIBLE, ctx.docsUrl, { 'x-accepted-github-permissions': accepted }));
  }
  if (write && repo.archived) throw new HttpError(githubError(403, 'Repository was archived so is read-only.', ctx.docsUrl));
  return { repo, token, installation, app };
}
