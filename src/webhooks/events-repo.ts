/** Reads and maintains the event log (`event_receipts`). */
import type { Database, Executor } from '../db/index.js';
import { isUuid, nowIso, parseJson, uuidLowerBound } from '../db/index.js';

export interface EventFilters {
  repository?: string;
  installation?: number;
  type?: string;
  action?: string;
  status?: string;
  since?: Date;
  until?: Date;
  /** Exclusive upper bound on id (keyset cursor). */
  beforeId?: string;
  limit: number;
}

export interface EventItem {
  id: string;
  delivery_id: string;
  event_type: string;
  event_action: string | null;
  repository: string | null;
  installation_id: number | null;
  actor: string | null;
  target_object_ids: Record<string, string | number>;
  received_at: string;
  github_timestamp: string | null;
  processing_status: string;
  retry_count: number;
  error_message: string | null;
}

function baseQuery(db: Executor) {
  return db
    .selectFrom('event_receipts as e')
    .leftJoin('repositories as r', 'r.id', 'e.repository_id')
    .select([
      'e.id',
      'e.delivery_id',
      'e.event_type',
      'e.event_action',
      'r.full_name as repository',
      'e.installation_id',
      'e.actor',
      'e.target_object_ids',
      'e.received_at',
      'e.github_timestamp',
      'e.processing_status',
      'e.retry_count',
      'e.error_message',
    ]);
}

type Row = {
  id: string;
  delivery_id: string;
  event_type: string;
  event_action: string | null;
  repository: string | null;
  installation_id: number | null;
  actor: string | null;
  target_object_ids: string;
  received_at: string;
  github_timestamp: string | null;
  processing_status: string;
  retry_count: number;
  error_message: string | null;
};

const toItem = (r: Row): EventItem => ({ ...r, target_object_ids: parseJson(r.target_object_ids, {}) });

/** One page of events, newest first (limit + 1 rows, so the caller knows whether more exist). */
export async function listEvents(db: Database, f: EventFilters): Promise<EventItem[]> {
  let q = baseQuery(db.kysely);
  if (f.repository !== undefined) {
    // Resolve the name first: `repository_id = ?` lets the (repository_id, id) index give the
    // order; `in (subquery)` makes both databases read and sort every event of the repository.
    const ids = (await db.kysely.selectFrom('repositories').select('id').where('full_name', '=', f.repository).execute()).map((r) => r.id);
    if (ids.length === 0) return [];
    q = ids.length === 1 ? q.where('e.repository_id', '=', ids[0]!) : q.where('e.repository_id', 'in', ids);
  }
  if (f.installation !== undefined) q = q.where('e.installation_id', '=', f.installation);
  if (f.type !== undefined) q = q.where('e.event_type', '=', f.type);
  if (f.action !== undefined) q = q.where('e.event_action', '=', f.action);
  if (f.status !== undefined) q = q.where('e.processing_status', '=', f.status as Row['processing_status'] & 'received');
  // Ids are UUIDv7 (time-ordered): time bounds become id bounds, so every filter uses an (x, id) index.
  if (f.since) q = q.where('e.id', '>=', uuidLowerBound(f.since)).where('e.received_at', '>=', f.since.toISOString());
  if (f.until) q = q.where('e.id', '<', uuidLowerBound(new Date(f.until.getTime() + 1))).where('e.received_at', '<=', f.until.toISOString());
  if (f.beforeId) q = q.where('e.id', '<', f.beforeId);
  const rows = (await q.orderBy('e.id', 'desc').limit(f.limit + 1).execute()) as Row[];
  return rows.map(toItem);
}

export interface EventDetail extends EventItem {
  headers: Record<string, string>;
  payload_size: number;
  payload_storage: string | null;
  processed_at: string | null;
  next_attempt_at: string | null;
  max_retries: number;
}

/** One event by delivery id (its payload is read with loadPayload). */
export async function getEvent(db: Database, deliveryId: string): Promise<EventDetail | null> {
  const row = await baseQuery(db.kysely)
    .select(['e.headers', 'e.payload_size', 'e.payload_storage', 'e.processed_at', 'e.next_attempt_at', 'e.max_retries'])
    .where('e.delivery_id', '=', deliveryId)
    .executeTakeFirst();
  if (!row) return null;
  return { ...toItem(row as Row), ...row, target_object_ids: parseJson(row.target_object_ids, {}), headers: parseJson(row.headers, {}) };
}

/** Marks a receipt for another run; returns false when it does not exist. */
export async function markForReplay(tx: Executor, receiptId: string): Promise<void> {
  await tx
    .updateTable('event_receipts')
    .set({ processing_status: 'received', retry_count: 0, next_attempt_at: null, updated_at: nowIso() })
    .where('id', '=', receiptId)
    .execute();
}

/** Deletes processed receipts received before `cutoff`, in batches; returns the payload references to remove and the count. */
export async function deleteProcessedBefore(db: Database, cutoff: Date, batchSize = 1000): Promise<{ deleted: number; storage: string[] }> {
  const bound = uuidLowerBound(cutoff);
  let deleted = 0;
  const storage: string[] = [];
  for (;;) {
    const batch = await db.kysely
      .selectFrom('event_receipts')
      .select(['id', 'payload_storage'])
      .where('processing_status', '=', 'processed')
      .where('id', '<', bound)
      .orderBy('id')
      .limit(batchSize)
      .execute();
    if (batch.length === 0) break;
    await db.kysely.deleteFrom('event_receipts').where('id', 'in', batch.map((b) => b.id)).execute();
    deleted += batch.length;
    for (const b of batch) if (b.payload_storage) storage.push(b.payload_storage);
    if (batch.length < batchSize) break;
  }
  return { deleted, storage };
}

export { isUuid };
