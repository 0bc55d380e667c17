/**
 * Writes a batch of verified deliveries to SQLite synchronously: one IMMEDIATE transaction (one
 * WAL commit for the whole batch), each delivery in its own savepoint so one bad row cannot fail
 * its neighbours. No job is written: the worker takes `received` receipts from the table itself
 * (sqlite-receipt-queue.ts). Runs on the thread that owns the connection: the main thread in-process, or the
 * embedded writer thread (src/embedded/writer-thread.ts).
 */
import type BetterSqlite3 from 'better-sqlite3';
import { receiptParams, repoParams, type IncomingDelivery, type StoreResult } from './receipt-rows.js';

export interface BatchItem {
  /** The receipt id to use (UUIDv7, made when the delivery arrived). */
  id: string;
  /** Payload store reference when the body was written to disk; the body is not stored inline then. */
  storage: string | null;
  delivery: IncomingDelivery;
}

export type BatchOutcome = { ok: true; result: StoreResult } | { ok: false; error: string };

interface Prepared {
  exists: BetterSqlite3.Statement;
  upsertRepo: BetterSqlite3.Statement;
  insertReceipt: BetterSqlite3.Statement;
  insertPayload: BetterSqlite3.Statement;
}

function prepare(sqlite: BetterSqlite3.Database): Prepared {
  return {
    exists: sqlite.prepare('select id from event_receipts where delivery_id = ?').pluck(),
    upsertRepo: sqlite
      .prepare(
        `insert into repositories (id, github_id, owner, name, full_name, installation_id, is_private, default_branch, html_url,
           event_count, last_event_at, status, failure_count, created_at, updated_at)
         values (@id, @github_id, @owner, @name, @full_name, @installation_id, @is_private, @default_branch, @html_url,
           1, @at, 'active', 0, @at, @at)
         on conflict (github_id) do update set event_count = event_count + 1,
           last_event_at = max(coalesce(last_event_at, ''), excluded.last_event_at),
           installation_id = coalesce(excluded.installation_id, installation_id), updated_at = excluded.updated_at
         returning id`,
      )
      .pluck(),
    insertReceipt: sqlite.prepare(
      `insert into event_receipts (id, delivery_id, source, event_type, event_action, installation_id, repository_id, actor,
         target_object_ids, github_timestamp, received_at, headers, payload_storage, payload_size,
         processing_status, retry_count, max_retries, created_at, updated_at)
       values (@id, @delivery_id, @source, @event_type, @event_action, @installation_id, @repository_id, @actor,
         @target_object_ids, @github_timestamp, @received_at, @headers, @payload_storage, @payload_size,
         'received', 0, @max_retries, @received_at, @received_at)`,
    ),
    insertPayload: sqlite.prepare('insert into event_payloads (receipt_id, body) values (?, ?)'),
  };
}

const statements = new WeakMap<BetterSqlite3.Database, Prepared>();

/**
 * Writes the batch and returns one outcome per item. Throws (writing nothing) when the transaction
 * cannot start or commit, e.g. SQLITE_BUSY when the busy timeout is 0 and another connection writes.
 */
export function writeReceiptBatch(sqlite: BetterSqlite3.Database, items: BatchItem[], maxRetries: number): BatchOutcome[] {
  let s = statements.get(sqlite);
  if (!s) {
    s = prepare(sqlite);
    statements.set(sqlite, s);
  }
  const st = s;
  const one = sqlite.transaction((item: BatchItem): StoreResult => {
    const d = item.delivery;
    const existing = st.exists.get(d.deliveryId) as string | undefined;
    if (existing) return { status: 'duplicate', id: existing };
    const repo = repoParams(d);
    const repositoryId = repo ? (st.upsertRepo.get(repo) as string) : null;
    st.insertReceipt.run(receiptParams(d, item.id, repositoryId, item.storage, maxRetries));
    if (!item.storage) st.insertPayload.run(item.id, d.body);
    // No job: a `received` receipt is its own queue entry (sqlite-receipt-queue.ts).
    return { status: 'received', id: item.id };
  });
  const outcomes: BatchOutcome[] = [];
  sqlite
    .transaction(() => {
      for (const item of items) {
        try {
          outcomes.push({ ok: true, result: one(item) });
        } catch (e) {
          outcomes.push({ ok: false, error: e instanceof Error ? e.message : String(e) });
        }
      }
    })
    .immediate();
  return outcomes;
}
