/**
 * `github.reconcile` (at start and hourly): lists the App's installations and each one's
 * repositories through the API and brings installations, installation_repositories and
 * repositories up to date — a repository added while Switchyard was down appears without an event.
 */
import type { Database } from '../db/index.js';
import type { Logger } from '../log/index.js';
import { applyInstallationSnapshot, markMissingInstallationsDeleted } from '../state/index.js';
import type { GitHubClients } from './client.js';
import type { Obj } from '../payload-readers/index.js';

export const RECONCILE_JOB = 'github.reconcile';

export interface ReconcileResult {
  installations: number;
  repositories: number;
  linked: number;
  unlinked: number;
  deleted: number;
  /** Installations whose repositories could not be listed (suspended, or an error). */
  skipped: number;
}

export async function reconcileInstallations(deps: { db: Database; clients: GitHubClients; log: Logger }): Promise<ReconcileResult> {
  const { db, clients, log } = deps;
  const installations = (await clients.app().paginate('GET /app/installations', { per_page: 100 })) as unknown as Obj[];
  const result: ReconcileResult = { installations: installations.length, repositories: 0, linked: 0, unlinked: 0, deleted: 0, skipped: 0 };
  const listed: number[] = [];
  for (const inst of installations) {
    const id = Number(inst.id);
    listed.push(id);
    let repos: Obj[] | null = null;
    if (!inst.suspended_at) {
      try {
        repos = (await clients.installation(id).paginate('GET /installation/repositories', { per_page: 100 })) as unknown as Obj[];
      } catch (err) {
        result.skipped++;
        log.warn({ installationId: id, status: (err as { status?: number }).status, err: (err as Error).message }, 'could not list an installation’s repositories');
      }
    } else {
      result.skipped++;
    }
    const r = await applyInstallationSnapshot(db, inst, repos);
    result.repositories += r.repositories;
    result.linked += r.linked;
    result.unlinked += r.unlinked;
  }
  result.deleted = await markMissingInstallationsDeleted(db, listed);
  log.info(result, 'installations reconciled with GitHub');
  return result;
}
