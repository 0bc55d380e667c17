/**
 * The GitHub events the mirror subscribes to (one automation, `mirror`), and what each does:
 *
 * | event | effect |
 * |---|---|
 * | `star.created`, `watch.started` | starred rules whose users include the sender (or anyone) start mirroring the repository |
 * | `star.deleted` | the sender's stars stop counting; a mirror with no reason left stops |
 * | `push`, `create`, `delete` | mirrors of the repository are brought up to date (rules are applied first, so a new repository matching a pattern starts) |
 * | `installation.created`/`unsuspend`/`new_permissions_accepted`, `installation_repositories.added`, `repository.created` | installation, list and pattern rules are applied to the repositories |
 * | `installation.deleted`, `installation_repositories.removed` | their mirrors stop (GitHub access ended) |
 * | `repository.renamed`/`transferred` | the mapping follows; the copy is renamed where the forge allows |
 * | `repository.deleted` | its mirrors stop; the copies are kept, archived where the forge supports it |
 *
 * Each event is handled in one transaction; forge calls (rename, archive) run after it commits.
 */
import type { AutomationHandler, EventContext } from '../registry.js';
import type { Database, Executor } from '../../db/index.js';
import { arr, isObj, num, objAt, str } from '../../github/index.js';
import { follow, type FollowAction, type FollowDeps } from './follow-repository.js';
import { addSource, applyRules, removeSources, resumeAfterAccess, stopMirror } from './membership.js';
import { getRepositoryFacts, getTarget, listRules, liveRepositories, mirrorsOfRepository, repositoriesByGithubIds, requestSync, type RepositoryFacts } from './repo.js';
import { sourceKey, starCounts } from './service.js';

export const MIRROR_EVENTS = ['star', 'watch.started', 'push', 'create', 'delete', 'installation', 'installation_repositories', 'repository'] as const;

export interface EventDeps extends FollowDeps {
  maxRetries: number;
  /** Wakes this process's sync runner. */
  wake(): void;
}

interface Outcome {
  wake: boolean;
  actions: FollowAction[];
}

/** Repositories named in a payload list (installation events carry {id, full_name, …}). */
async function listed(tx: Executor, v: unknown): Promise<RepositoryFacts[]> {
  const ids = arr(v)
    .filter(isObj)
    .map((r) => num(r.id))
    .filter((n): n is number => n !== null);
  return repositoriesByGithubIds(tx, ids);
}

async function star(tx: Executor, db: Database, deps: EventDeps, ctx: EventContext, repo: RepositoryFacts, out: Outcome): Promise<void> {
  const login = str(objAt(ctx.payload, 'sender')?.login);
  const starred = ctx.action === 'created' || ctx.action === 'started';
  if (starred) {
    for (const rule of await listRules(tx)) {
      if (!rule.target_enabled || !starCounts(rule, login)) continue;
      const target = await getTarget(tx, rule.target_id);
      if (!target) continue;
      const r = await addSource(tx, db.dialect, target, repo, sourceKey(rule, login), deps.maxRetries);
      if (r?.started) out.wake = true;
    }
    return;
  }
  if (ctx.action !== 'deleted' || !login) return;
  const suffix = `:${login.toLowerCase()}`;
  for (const row of await mirrorsOfRepository(tx, repo.id)) {
    if (await removeSources(tx, row, (s) => s.startsWith('star:') && s.endsWith(suffix), `${login} un-starred ${repo.full_name}`)) {
      out.actions.push({ kind: 'on_remove', mirrorId: row.id });
    }
  }
}

async function accessEnded(tx: Executor, repos: RepositoryFacts[], reason: string, out: Outcome): Promise<void> {
  for (const repo of repos) {
    for (const row of await mirrorsOfRepository(tx, repo.id)) {
      if (await stopMirror(tx, row, `GitHub access ended: ${reason}`)) out.actions.push({ kind: 'on_remove', mirrorId: row.id });
    }
  }
}

async function accessGained(tx: Executor, db: Database, deps: EventDeps, repos: RepositoryFacts[], out: Outcome): Promise<void> {
  const rules = await listRules(tx);
  for (const repo of repos) {
    if ((await applyRules(tx, db.dialect, repo, deps.maxRetries, rules)).length > 0) out.wake = true;
    if ((await resumeAfterAccess(tx, repo)).length > 0) out.wake = true;
  }
}

/** The `mirror` automation's handler. */
export function mirrorEventHandler(deps: EventDeps): AutomationHandler {
  const { db } = deps;
  return async (ctx) => {
    const out: Outcome = { wake: false, actions: [] };
    await db.kysely.transaction().execute(async (tx) => {
      const repo = ctx.repositoryId ? await getRepositoryFacts(tx, ctx.repositoryId) : null;
      switch (ctx.name) {
        case 'star':
        case 'watch':
          if (repo) await star(tx, db, deps, ctx, repo, out);
          return;
        case 'push':
        case 'create':
        case 'delete':
          if (!repo) return;
          if ((await applyRules(tx, db.dialect, repo, deps.maxRetries)).length > 0) out.wake = true;
          if ((await requestSync(tx, { repositoryId: repo.id })) > 0) out.wake = true;
          return;
        case 'installation': {
          const installationId = num(objAt(ctx.payload, 'installation')?.id);
          if (ctx.action === 'deleted') {
            const repos = [...(await listed(tx, ctx.payload.repositories)), ...(installationId === null ? [] : await liveRepositories(tx, { installationId, limit: 10_000 }))];
            await accessEnded(tx, dedupe(repos), 'the GitHub App was uninstalled', out);
          } else if (ctx.action === 'created' || ctx.action === 'unsuspend' || ctx.action === 'new_permissions_accepted') {
            const repos = [...(await listed(tx, ctx.payload.repositories)), ...(installationId === null ? [] : await liveRepositories(tx, { installationId, limit: 10_000 }))];
            await accessGained(tx, db, deps, dedupe(repos), out);
          }
          return;
        }
        case 'installation_repositories':
          if (ctx.action === 'added') await accessGained(tx, db, deps, await listed(tx, ctx.payload.repositories_added), out);
          else if (ctx.action === 'removed') await accessEnded(tx, await listed(tx, ctx.payload.repositories_removed), 'the repository was removed from the installation', out);
          return;
        case 'repository':
          if (!repo) return;
          if (ctx.action === 'deleted') {
            for (const row of await mirrorsOfRepository(tx, repo.id)) {
              await stopMirror(tx, row, `${repo.full_name} was deleted on GitHub`);
              out.actions.push({ kind: 'archive', mirrorId: row.id });
            }
          } else if (ctx.action === 'renamed' || ctx.action === 'transferred') {
            for (const row of await mirrorsOfRepository(tx, repo.id)) out.actions.push({ kind: 'rename', mirrorId: row.id });
            if ((await applyRules(tx, db.dialect, repo, deps.maxRetries)).length > 0) out.wake = true;
          } else if (ctx.action === 'created' || ctx.action === 'unarchived' || ctx.action === 'publicized' || ctx.action === 'privatized') {
            if ((await applyRules(tx, db.dialect, repo, deps.maxRetries)).length > 0) out.wake = true;
          }
          return;
      }
    });
    if (out.wake) deps.wake();
    for (const a of out.actions) await follow(deps, a);
  };
}

function dedupe(repos: RepositoryFacts[]): RepositoryFacts[] {
  return [...new Map(repos.map((r) => [r.id, r])).values()];
}
