/** The `webhooks.retention` job: deletes processed receipts older than RETENTION_PROCESSED_DAYS, and their stored payloads. */
import type { Database } from '../db/index.js';
import type { Logger } from '../log/index.js';
import { deleteProcessedBefore } from './events-repo.js';
import type { PayloadStore } from './payload-store.js';

export const RETENTION_JOB = 'webhooks.retention';

/** Runs retention once; returns how many receipts it deleted. */
export async function runRetention(deps: { db: Database; payloads: PayloadStore; log: Logger; days: number }, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - deps.days * 86_400_000);
  const { deleted, storage } = await deleteProcessedBefore(deps.db, cutoff);
  for (const ref of storage) await deps.payloads.remove(ref).catch(() => undefined);
  if (deleted > 0) deps.log.info({ deleted, cutoff: cutoff.toISOString() }, 'retention deleted processed receipts');
  return deleted;
}
