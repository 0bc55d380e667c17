/** Projects installation and installation_repositories events into installations and their repositories. */
import type { Executor } from '../db/index.js';
import { newId, nowIso } from '../db/index.js';
import { num, objAt, str, toIsoTimestamp, type Obj } from '../payload-readers/index.js';
import type { EventContext } from '../automations/registry.js';
import { listedRepositories, upsertRepository } from './project-repository.js';

/** The GitHub ids of the installations on an account (an organization or a user), deleted ones left out. */
export async function installationsOfAccount(tx: Executor, accountId: number): Promise<number[]> {
  const rows = await tx.selectFrom('installations').select('github_id').where('account_id', '=', accountId).where('status', '!=', 'deleted').execute();
  return rows.map((r) => Number(r.github_id));
}

/** Upserts an installation from its payload object; returns its id. */
export async function upsertInstallation(tx: Executor, inst: Obj, status: 'active' | 'suspended' | 'deleted' | null): Promise<string | null> {
  const githubId = num(inst.id);
  if (githubId === null) return null;
  const now = nowIso();
  const account = objAt(inst, 'account');
  const values = {
    account_login: str(account?.login) ?? str(account?.slug),
    account_id: num(account?.id),
    account_type: str(account?.type) ?? (account?.slug ? 'Enterprise' : null),
    target_type: str(inst.target_type),
    repository_selection: str(inst.repository_selection),
    permissions: JSON.stringify(objAt(inst, 'permissions') ?? {}),
    events: JSON.stringify(Array.isArray(inst.events) ? inst.events : []),
    github_updated_at: toIsoTimestamp(inst.updated_at),
  };
  const suspendedAt = toIsoTimestamp(inst.suspended_at);
  const row = await tx
    .insertInto('installations')
    .values({ id: newId(), github_id: githubId, ...values, status: status ?? (suspendedAt ? 'suspended' : 'active'), suspended_at: suspendedAt, deleted_at: null, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('github_id').doUpdateSet({ ...values, updated_at: now }))
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Links a repository to an installation; returns false when the link already existed. */
async function link(tx: Executor, installationId: string, repositoryId: string): Promise<boolean> {
  const r = await tx
    .insertInto('installation_repositories')
    .values({ installation_id: installationId, repository_id: repositoryId, created_at: nowIso() })
    .onConflict((oc) => oc.columns(['installation_id', 'repository_id']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/**
 * Unlinks repositories removed from an installation. A repository whose own installation was this
 * one loses it too: it is scoped by `repositories.installation_id`, and the people of the
 * installation may no longer see it (it gets an installation again when one reaches it).
 */
async function unlink(tx: Executor, installationId: string, installationGithubId: number, repoGithubIds: number[]): Promise<void> {
  if (repoGithubIds.length === 0) return;
  const repos = tx.selectFrom('repositories').select('id').where('github_id', 'in', repoGithubIds);
  await tx.deleteFrom('installation_repositories').where('installation_id', '=', installationId).where('repository_id', 'in', repos).execute();
  await tx
    .updateTable('repositories')
    .set({ installation_id: null, updated_at: nowIso() })
    .where('github_id', 'in', repoGithubIds)
    .where('installation_id', '=', installationGithubId)
    .execute();
}

async function addRepositories(tx: Executor, installationId: string, installationGithubId: number, list: Obj[]): Promise<void> {
  for (const r of list) {
    const repoId = await upsertRepository(tx, r, installationGithubId);
    if (repoId) await link(tx, installationId, repoId);
  }
}

/** installation.created|deleted|suspend|unsuspend|new_permissions_accepted (and any other action). */
export async function projectInstallation(ctx: EventContext, tx: Executor): Promise<void> {
  const inst = objAt(ctx.payload, 'installation');
  if (!inst) return;
  const githubId = num(inst.id);
  if (githubId === null) return;
  const now = nowIso();
  const status = ctx.action === 'deleted' ? 'deleted' : ctx.action === 'suspend' ? 'suspended' : ctx.action === 'created' || ctx.action === 'unsuspend' ? 'active' : null;
  const id = await upsertInstallation(tx, inst, status);
  if (!id) return;
  switch (ctx.action) {
    case 'created':
      await tx.updateTable('installations').set({ status: 'active', deleted_at: null, updated_at: now }).where('id', '=', id).execute();
      await addRepositories(tx, id, githubId, listedRepositories(ctx.payload.repositories));
      break;
    case 'deleted':
      await tx.updateTable('installations').set({ status: 'deleted', deleted_at: now, updated_at: now }).where('id', '=', id).execute();
      await tx.deleteFrom('installation_repositories').where('installation_id', '=', id).execute();
      break;
    case 'suspend':
      await tx
        .updateTable('installations')
        .set({ status: 'suspended', suspended_at: toIsoTimestamp(inst.suspended_at) ?? now, updated_at: now })
        .where('id', '=', id)
        .execute();
      break;
    case 'unsuspend':
      await tx.updateTable('installations').set({ status: 'active', suspended_at: null, updated_at: now }).where('id', '=', id).execute();
      break;
    default:
      // new_permissions_accepted and others: the upsert already refreshed permissions and events.
      break;
  }
}

/** installation_repositories.added|removed. */
export async function projectInstallationRepositories(ctx: EventContext, tx: Executor): Promise<void> {
  const inst = objAt(ctx.payload, 'installation');
  const githubId = num(inst?.id);
  if (!inst || githubId === null) return;
  const id = await upsertInstallation(tx, inst, null);
  if (!id) return;
  await addRepositories(tx, id, githubId, listedRepositories(ctx.payload.repositories_added));
  const removed = listedRepositories(ctx.payload.repositories_removed)
    .map((r) => num(r.id))
    .filter((n): n is number => n !== null);
  await unlink(tx, id, githubId, removed);
}

/**
 * Any event that names an installation: make sure the installation exists (first sight) and that
 * the event's repository is linked to it, so what an installation can reach is known without
 * waiting for an installation event. Links already in the database are remembered (up to 10,000)
 * so most events skip the three statements; installation events clear that memory.
 */
export function installationLinkProjector() {
  const known = new Set<string>();
  return async function projectInstallationLink(ctx: EventContext, tx: Executor): Promise<void> {
    if (ctx.name === 'installation' || ctx.name === 'installation_repositories') {
      known.clear();
      return;
    }
    if (ctx.installationId === null) return;
    const key = `${ctx.installationId}:${ctx.repositoryId ?? ''}`;
    if (known.has(key)) return;
    const now = nowIso();
    const created = await tx
      .insertInto('installations')
      .values({ id: newId(), github_id: ctx.installationId, account_login: null, account_id: null, account_type: null, target_type: null, repository_selection: null, permissions: '{}', events: '[]', status: 'active', suspended_at: null, deleted_at: null, github_updated_at: null, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('github_id').doNothing())
      .executeTakeFirst();
    let existed = Number(created.numInsertedOrUpdatedRows ?? 0) === 0;
    if (ctx.repositoryId) {
      const inst = await tx.selectFrom('installations').select(['id', 'status']).where('github_id', '=', ctx.installationId).executeTakeFirst();
      if (!inst || inst.status === 'deleted') return;
      existed = !(await link(tx, inst.id, ctx.repositoryId)) && existed;
    }
    // Remember only what was already committed: a row written now could still roll back.
    if (existed) {
      if (known.size >= 10_000) known.clear();
      known.add(key);
    }
  };
}
