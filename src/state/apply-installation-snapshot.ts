/**
 * Reconciliation with GitHub's own answer (GET /app/installations and each installation's
 * /installation/repositories): the installation row, its repositories and the links between them
 * become exactly what GitHub listed. Used at start and hourly, so what changed while Switchyard was
 * down appears without waiting for an event.
 */
import type { Database } from '../db/index.js';
import { nowIso } from '../db/index.js';
import { num, toIsoTimestamp, type Obj } from '../payload-readers/index.js';
import { upsertInstallation } from './project-installation.js';
import { upsertRepository } from './project-repository.js';

export interface SnapshotResult {
  repositories: number;
  linked: number;
  unlinked: number;
}

/** Applies one installation as GitHub lists it; `repositories` null = not readable (suspended): links stay. */
export async function applyInstallationSnapshot(db: Database, installation: Obj, repositories: Obj[] | null): Promise<SnapshotResult> {
  const githubId = num(installation.id);
  if (githubId === null) return { repositories: 0, linked: 0, unlinked: 0 };
  return db.kysely.transaction().execute(async (tx) => {
    const suspended = toIsoTimestamp(installation.suspended_at);
    const id = await upsertInstallation(tx, installation, suspended ? 'suspended' : 'active');
    if (!id) return { repositories: 0, linked: 0, unlinked: 0 };
    const now = nowIso();
    await tx
      .updateTable('installations')
      .set({ status: suspended ? 'suspended' : 'active', suspended_at: suspended, deleted_at: null, updated_at: now })
      .where('id', '=', id)
      .execute();
    if (repositories === null) return { repositories: 0, linked: 0, unlinked: 0 };
    const keep: string[] = [];
    let linked = 0;
    for (const repo of repositories) {
      const repoId = await upsertRepository(tx, repo, githubId);
      if (!repoId) continue;
      keep.push(repoId);
      await tx.updateTable('repositories').set({ installation_id: githubId }).where('id', '=', repoId).execute();
      const r = await tx
        .insertInto('installation_repositories')
        .values({ installation_id: id, repository_id: repoId, created_at: now })
        .onConflict((oc) => oc.columns(['installation_id', 'repository_id']).doNothing())
        .executeTakeFirst();
      linked += Number(r.numInsertedOrUpdatedRows ?? 0);
    }
    let del = tx.deleteFrom('installation_repositories').where('installation_id', '=', id);
    if (keep.length > 0) del = del.where('repository_id', 'not in', keep);
    const removed = await del.executeTakeFirst();
    // Repositories it no longer reaches are no longer scoped to it (see project-installation.ts unlink).
    let orphan = tx.updateTable('repositories').set({ installation_id: null, updated_at: now }).where('installation_id', '=', githubId);
    if (keep.length > 0) orphan = orphan.where('id', 'not in', keep);
    await orphan.execute();
    return { repositories: keep.length, linked, unlinked: Number(removed.numDeletedRows) };
  });
}

/** Marks installations GitHub no longer lists as deleted (their links go); returns how many. */
export async function markMissingInstallationsDeleted(db: Database, listedGithubIds: number[]): Promise<number> {
  return db.kysely.transaction().execute(async (tx) => {
    let q = tx.selectFrom('installations').select('id').where('status', '!=', 'deleted');
    if (listedGithubIds.length > 0) q = q.where('github_id', 'not in', listedGithubIds);
    const gone = (await q.execute()).map((r) => r.id);
    if (gone.length === 0) return 0;
    const now = nowIso();
    await tx.updateTable('installations').set({ status: 'deleted', deleted_at: now, updated_at: now }).where('id', 'in', gone).execute();
    await tx.deleteFrom('installation_repositories').where('installation_id', 'in', gone).execute();
    return gone.length;
  });
}
