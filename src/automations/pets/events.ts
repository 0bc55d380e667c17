/**
 * The GitHub events the pets subscribe to (one automation, `pets`), and what each does:
 *
 * | event | effect |
 * |---|---|
 * | `push` to the pet's branch (its setting, else the default branch) | a sync request: fetch, analyse what is new, move health |
 * | `push` to another branch, a tag, a branch deletion | nothing |
 * | `installation.created`/`unsuspend`/`new_permissions_accepted`, `installation_repositories.added`, `repository.created` | each repository gets its pet, and a first sync that queues its history backfill |
 * | `repository.deleted` | the pet dies ("repository deleted") and its cache is removed |
 *
 * Archiving needs no handling: decay reads the repository's archived flag when it runs. Renames and
 * transfers change nothing (a pet is keyed by the GitHub repository id).
 */
import { arr, isObj, num, objAt, str } from '../../github/index.js';
import type { AutomationHandler, EventContext } from '../registry.js';
import { repositoryDeleted, type HealthDeps } from './health.js';
import * as repo from './repo.js';
import { generatedName, typeFromLanguage } from './rules.js';
import { enqueueSync, removePetCache, type SyncDeps } from './sync-pet.js';

export const PETS_EVENTS = ['push', 'installation', 'installation_repositories', 'repository'] as const;

/** Gives a repository its pet (if it has none) and requests a sync. */
export async function adoptRepository(deps: Pick<SyncDeps, 'db' | 'queue'>, facts: repo.RepositoryFacts): Promise<repo.EntityRow> {
  const { entity } = await repo.ensureEntity(deps.db.kysely, facts, { name: generatedName(facts.github_id), entity_type: typeFromLanguage(facts.language) });
  const seq = await repo.requestSync(deps.db.kysely, entity.id);
  await enqueueSync(deps, entity.id, seq);
  return entity;
}

async function adoptAll(deps: SyncDeps, repos: repo.RepositoryFacts[]): Promise<void> {
  for (const r of new Map(repos.map((x) => [x.id, x])).values()) {
    if (!r.is_deleted && r.installation_id !== null) await adoptRepository(deps, r);
  }
}

async function listed(deps: SyncDeps, v: unknown): Promise<repo.RepositoryFacts[]> {
  const ids = arr(v)
    .filter(isObj)
    .map((r) => num(r.id))
    .filter((n): n is number => n !== null);
  return repo.repositoriesByGithubIds(deps.db.kysely, ids);
}

async function onPush(deps: SyncDeps, ctx: EventContext, facts: repo.RepositoryFacts): Promise<void> {
  const ref = str(ctx.payload.ref);
  if (!ref?.startsWith('refs/heads/') || ctx.payload.deleted === true) return;
  const existing = await repo.entityOfRepository(deps.db.kysely, facts.id);
  const branch = existing?.branch ?? facts.default_branch ?? str(objAt(ctx.payload, 'repository')?.default_branch) ?? 'main';
  if (ref !== `refs/heads/${branch}`) {
    ctx.log.debug({ ref, branch }, 'push to a branch the pet does not follow');
    return;
  }
  await adoptRepository(deps, facts);
}

/** The `pets` automation's handler. */
export function petsEventHandler(deps: SyncDeps & HealthDeps): AutomationHandler {
  return async (ctx) => {
    const facts = ctx.repositoryId ? await repo.getRepositoryFacts(deps.db.kysely, ctx.repositoryId) : null;
    switch (ctx.name) {
      case 'push':
        if (facts && !facts.is_deleted) await onPush(deps, ctx, facts);
        return;
      case 'installation': {
        if (ctx.action !== 'created' && ctx.action !== 'unsuspend' && ctx.action !== 'new_permissions_accepted') return;
        const installationId = num(objAt(ctx.payload, 'installation')?.id);
        const repos = [...(await listed(deps, ctx.payload.repositories)), ...(installationId === null ? [] : await repo.liveRepositories(deps.db.kysely, { installationId, limit: 10_000 }))];
        await adoptAll(deps, repos);
        return;
      }
      case 'installation_repositories':
        if (ctx.action === 'added') await adoptAll(deps, await listed(deps, ctx.payload.repositories_added));
        return;
      case 'repository': {
        if (!facts) return;
        if (ctx.action === 'created') {
          await adoptAll(deps, [facts]);
        } else if (ctx.action === 'deleted') {
          const e = await repo.entityOfRepository(deps.db.kysely, facts.id);
          if (!e) return;
          await repositoryDeleted(deps, e.id);
          removePetCache(deps.config.pets.cacheDir, facts.github_id);
        }
        return;
      }
    }
  };
}
