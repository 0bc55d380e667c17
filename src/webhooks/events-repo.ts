/**
 * Reads and maintains the event log (`event_receipts`). Every read takes the viewer's scope: a
 * receipt is visible when its installation is in the scope; receipts without an installation
 * (e.g. `ping`, `meta`) only to a scope of `all` (administrators and the operator).
 */
import type { Database, Executor } from '../db/index.js';
import { isUuid, nowIso, parseJson, uuidLowerBound } from '../db/index.js';
import type { Scope } from '../http/auth-context.js';

/** The installations a scope limits reads to (each once): null = every receipt, [] = none. */
function visibleInstallations(scope: Scope): number[] | null {
  return scope.all ? null : [...new Set(scope.installationIds)];
}

export interface EventFilters {
  /** Whose events: only receipts of these installations are listed (see visibleInstallations). */
  scope: Scope;
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

type EventsQuery = ReturnType<typeof baseQuery>;

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

/**
 * A scope of more installations than this lists through one `installation_id in (…)` instead of one
 * branch per installation (SQLite allows 500 terms in a compound select). At 300k receipts a merge of
 * 50 branches takes ~15 ms on either database; the `in` list sorts every event of the installations.
 */
const MAX_INSTALLATION_BRANCHES = 200;

/** One page of events, newest first (limit + 1 rows, so the caller knows whether more exist). */
export async function listEvents(db: Database, f: EventFilters): Promise<EventItem[]> {
  let installations = visibleInstallations(f.scope);
  if (f.installation !== undefined) {
    // Filtering by an installation outside the scope finds nothing, exactly as an unknown one does.
    if (installations && !installations.includes(f.installation)) return [];
    installations = [f.installation];
  }
  // Kysely cannot express `in ()`; an empty scope sees nothing anyway.
  if (installations?.length === 0) return [];
  let repositoryIds: string[] | undefined;
  if (f.repository !== undefined) {
    // Resolve the name first: `repository_id = ?` lets the (repository_id, id) index give the
    // order; `in (subquery)` makes both databases read and sort every event of the repository.
    // (Not scoped: the events themselves are, so another installation's repository lists nothing.)
    repositoryIds = (await db.kysely.selectFrom('repositories').select('id').where('full_name', '=', f.repository).execute()).map((r) => r.id);
    if (repositoryIds.length === 0) return [];
  }

  /** The filters other than the scope, and the page's order and size. */
  const page = (q: EventsQuery) => {
    if (repositoryIds) q = repositoryIds.length === 1 ? q.where('e.repository_id', '=', repositoryIds[0]!) : q.where('e.repository_id', 'in', repositoryIds);
    if (f.type !== undefined) q = q.where('e.event_type', '=', f.type);
    if (f.action !== undefined) q = q.where('e.event_action', '=', f.action);
    if (f.status !== undefined) q = q.where('e.processing_status', '=', f.status as Row['processing_status'] & 'received');
    // Ids are UUIDv7 (time-ordered): time bounds become id bounds, so every filter uses an (x, id) index.
    if (f.since) q = q.where('e.id', '>=', uuidLowerBound(f.since)).where('e.received_at', '>=', f.since.toISOString());
    if (f.until) q = q.where('e.id', '<', uuidLowerBound(new Date(f.until.getTime() + 1))).where('e.received_at', '<=', f.until.toISOString());
    if (f.beforeId) q = q.where('e.id', '<', f.beforeId);
    return q.orderBy('e.id', 'desc').limit(f.limit + 1);
  };

  let rows: Row[];
  if (installations && installations.length > 1 && !repositoryIds && installations.length <= MAX_INSTALLATION_BRANCHES) {
    // `installation_id in (a, b)` cannot take its order from the (installation_id, id) index: SQLite
    // reads and sorts every event of the installations (300 ms at 300k receipts), PostgreSQL scans
    // the primary key and filters. One page per installation, each in index order, merged instead
    // (both databases merge the sorted branches). With a repository filter, its index gives the order.
    const branches = installations.map((id, i) => db.kysely.selectFrom(page(baseQuery(db.kysely).where('e.installation_id', '=', id)).as(`b${i}`)).selectAll());
    const merged = branches.slice(1).reduce((union, b) => union.unionAll(b), branches[0]!);
    rows = (await db.kysely.selectFrom(merged.as('u')).selectAll().orderBy('u.id', 'desc').limit(f.limit + 1).execute()) as Row[];
  } else {
    // One installation: `installation_id = ?` lets the (installation_id, id) index give the order.
    let q = baseQuery(db.kysely);
    if (installations) q = installations.length === 1 ? q.where('e.installation_id', '=', installations[0]!) : q.where('e.installation_id', 'in', installations);
    rows = (await page(q).execute()) as Row[];
  }
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

/** One event by delivery id, null when it does not exist or is outside the scope (its payload is read with loadPayload). */
export async function getEvent(db: Database, deliveryId: string, scope: Scope): Promise<EventDetail | null> {
  const installations = visibleInstallations(scope);
  if (installations?.length === 0) return null;
  let q = baseQuery(db.kysely)
    .select(['e.headers', 'e.payload_size', 'e.payload_storage', 'e.processed_at', 'e.next_attempt_at', 'e.max_retries'])
    .where('e.delivery_id', '=', deliveryId);
  if (installations) q = q.where('e.installation_id', 'in', installations);
  const row = await q.executeTakeFirst();
  if (!row) return null;
  return { ...toItem(row as Row), ...row, target_object_ids: parseJson(row.target_object_ids, {}), headers: parseJson(row.headers, {}) };
}

/** The id of the receipt with this delivery id, null when it does not exist or is outside the scope. */
export async function findReceiptId(db: Executor, deliveryId: string, scope: Scope): Promise<string | null> {
  const installations = visibleInstallations(scope);
  if (installations?.length === 0) return null;
  let q = db.selectFrom('event_receipts').select('id').where('delivery_id', '=', deliveryId);
  if (installations) q = q.where('installation_id', 'in', installations);
  return (await q.executeTakeFirst())?.id ?? null;
}

/** Marks a receipt for another run. */
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
