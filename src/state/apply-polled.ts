/**
 * What polling learned (REST answers rather than webhooks) goes through the same upserts the
 * projections use, so a polled pull request or check run is stored exactly as if its event had
 * arrived: newer state wins, progress never goes backwards, history is recorded.
 */
import type { Database } from '../db/index.js';
import type { Obj } from '../payload-readers/index.js';
import { upsertCheckRun } from './project-checks.js';
import { upsertPullRequest } from './project-pull-request.js';

/** Stores a pull request as GitHub's REST API returned it; `manual_check` always records a history row. */
export async function applyPolledPullRequest(db: Database, repositoryId: string, pr: Obj, trigger: 'poll' | 'manual_check'): Promise<string | null> {
  return db.kysely.transaction().execute(async (tx) => {
    const id = await upsertPullRequest(tx, db.dialect, repositoryId, pr, { trigger, deliveryId: null, actor: null, recordAlways: trigger === 'manual_check' });
    if (id) await tx.updateTable('pull_requests').set({ last_checked_at: new Date().toISOString() }).where('id', '=', id).execute();
    return id;
  });
}

/** Stores check runs as GitHub's REST API returned them (one transaction). */
export async function applyPolledCheckRuns(db: Database, repositoryId: string, runs: Obj[]): Promise<void> {
  if (runs.length === 0) return;
  await db.kysely.transaction().execute(async (tx) => {
    for (const run of runs) await upsertCheckRun(tx, repositoryId, run);
  });
}
