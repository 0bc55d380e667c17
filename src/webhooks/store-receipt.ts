/**
 * Stores a verified delivery in `event_receipts` and enqueues its processing in the same
 * transaction; the HTTP layer answers only after this resolves (committed = acknowledged).
 *
 * Embedded SQLite uses group commit: deliveries that arrive while a batch is being written are
 * committed together in the next transaction (one WAL commit for many receipts), each in its own
 * savepoint so one bad row cannot fail its neighbours. PostgreSQL runs one short transaction per
 * delivery; concurrency there comes from the connection pool.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from '../db/index.js';
import { newId, withSqlite } from '../db/index.js';
import type { Queue } from '../jobs/index.js';
import { enqueueSqliteSync } from '../jobs/index.js';
import type { ReceiptFields } from './extract-receipt-fields.js';
import type { PayloadStore } from './payload-store.js';

export const PROCESS_RECEIPT_JOB = 'webhooks.process-receipt';

/** How long a batch waits for the SQLite write lock before its deliveries are answered 500. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

export interface IncomingDelivery {
  deliveryId: string;
  eventType: string;
  /** GitHub's non-secret headers, kept for the event log. */
  headers: Record<string, string>;
  /** The raw body bytes, stored as received. */
  body: Buffer;
  fields: ReceiptFields;
  receivedAt: string;
}

export type StoreResult = { status: 'received'; id: string } | { status: 'duplicate'; id: string | null };

export interface ReceiptStore {
  store(delivery: IncomingDelivery): Promise<StoreResult>;
  /** Resolves once every delivery handed to store() has been written (or failed). */
  drain(): Promise<void>;
}

export interface ReceiptStoreDeps {
  db: Database;
  queue: Queue;
  payloads: PayloadStore;
  inlineLimit: number;
  maxRetries: number;
  /** Called after receipts (and their jobs) commit; wakes workers in other threads. */
  afterCommit?: () => void;
  /** SQLite: set to 1 while deliveries wait to be written, 0 (and notified) when none do. */
  ingestGate?: Int32Array;
}

/** Picks the store for the database's dialect. */
export function createReceiptStore(deps: ReceiptStoreDeps): ReceiptStore {
  return deps.db.dialect === 'sqlite' ? createSqliteReceiptStore(deps) : createPostgresReceiptStore(deps);
}

interface Prepared {
  exists: BetterSqlite3.Statement;
  upsertRepo: BetterSqlite3.Statement;
  insertReceipt: BetterSqlite3.Statement;
  insertPayload: BetterSqlite3.Statement;
}

function prepareSqlite(sqlite: BetterSqlite3.Database): Prepared {
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
       values (@id, @delivery_id, 'github', @event_type, @event_action, @installation_id, @repository_id, @actor,
         @target_object_ids, @github_timestamp, @received_at, @headers, @payload_storage, @payload_size,
         'received', 0, @max_retries, @received_at, @received_at)`,
    ),
    insertPayload: sqlite.prepare('insert into event_payloads (receipt_id, body) values (?, ?)'),
  };
}

function repoParams(d: IncomingDelivery) {
  const r = d.fields.repository;
  if (!r) return null;
  return {
    id: newId(),
    github_id: r.githubId,
    owner: r.owner,
    name: r.name,
    full_name: r.fullName,
    installation_id: d.fields.installationId,
    is_private: r.isPrivate ? 1 : 0,
    default_branch: r.defaultBranch,
    html_url: r.htmlUrl,
    at: d.receivedAt,
  };
}

function receiptParams(d: IncomingDelivery, id: string, repositoryId: string | null, storage: string | null, maxRetries: number) {
  return {
    id,
    delivery_id: d.deliveryId,
    event_type: d.eventType,
    event_action: d.fields.action,
    installation_id: d.fields.installationId,
    repository_id: repositoryId,
    actor: d.fields.actor,
    target_object_ids: JSON.stringify(d.fields.targetObjectIds),
    github_timestamp: d.fields.githubTimestamp,
    received_at: d.receivedAt,
    headers: JSON.stringify(d.headers),
    payload_storage: storage,
    payload_size: d.body.length,
    max_retries: maxRetries,
  };
}

interface Pending {
  delivery: IncomingDelivery;
  id: string;
  storage: string | null;
  resolve(r: StoreResult): void;
  reject(e: unknown): void;
}

function createSqliteReceiptStore(deps: ReceiptStoreDeps): ReceiptStore {
  const { db, payloads, inlineLimit, maxRetries } = deps;
  const sqlite = db.sqlite;
  if (!sqlite) throw new Error('SQLite receipt store needs the SQLite handle');
  let prepared: Prepared | null = null;
  let pending: Pending[] = [];
  let flushing = false;
  let flushed: Promise<void> = Promise.resolve();

  const writeOne = (p: Pending, s: Prepared): StoreResult => {
    const existing = s.exists.get(p.delivery.deliveryId) as string | undefined;
    if (existing) return { status: 'duplicate', id: existing };
    const repo = repoParams(p.delivery);
    const repositoryId = repo ? (s.upsertRepo.get(repo) as string) : null;
    s.insertReceipt.run(receiptParams(p.delivery, p.id, repositoryId, p.storage, maxRetries));
    if (!p.storage) s.insertPayload.run(p.id, p.delivery.body);
    enqueueSqliteSync(sqlite, PROCESS_RECEIPT_JOB, { receiptId: p.id }, { key: `receipt:${p.id}`, maxAttempts: 5 });
    return { status: 'received', id: p.id };
  };

  /**
   * Writes batches until nothing is pending. The write lock is tried without waiting: while the
   * worker thread holds it, the batch waits a millisecond on the event loop (collecting more
   * deliveries) instead of blocking the thread that serves HTTP.
   */
  const gate = deps.ingestGate;
  const flush = async (): Promise<void> => {
    flushing = true;
    let batch: Pending[] = [];
    let busySince = 0;
    while (pending.length > 0 || batch.length > 0) {
      batch = batch.concat(pending);
      pending = [];
      const results: Array<{ ok: true; r: StoreResult } | { ok: false; e: unknown }> = [];
      try {
        await withSqlite(db, (handle) => {
          prepared ??= prepareSqlite(handle);
          const s = prepared;
          const one = handle.transaction((p: Pending) => writeOne(p, s));
          handle.pragma('busy_timeout = 0');
          try {
            handle
              .transaction(() => {
                for (const p of batch) {
                  try {
                    results.push({ ok: true, r: one(p) });
                  } catch (e) {
                    results.push({ ok: false, e });
                  }
                }
              })
              .immediate();
          } finally {
            handle.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
          }
        });
      } catch (e) {
        if ((e as { code?: string }).code === 'SQLITE_BUSY' && Date.now() - (busySince || Date.now()) < SQLITE_BUSY_TIMEOUT_MS) {
          busySince ||= Date.now();
          await new Promise((r) => setTimeout(r, 1));
          continue;
        }
        // The batch did not commit: nothing in it is acknowledged.
        results.length = 0;
        for (let i = 0; i < batch.length; i++) results.push({ ok: false, e });
      }
      busySince = 0;
      if (results.some((r) => r.ok && r.r.status === 'received')) deps.afterCommit?.();
      batch.forEach((p, i) => {
        const res = results[i];
        if (res?.ok) {
          if (res.r.status === 'duplicate' && p.storage) void payloads.remove(p.storage).catch(() => undefined);
          p.resolve(res.r);
        } else {
          if (p.storage) void payloads.remove(p.storage).catch(() => undefined);
          p.reject(res ? res.e : new Error('receipt batch failed'));
        }
      });
      batch = [];
    }
    flushing = false;
    if (gate) {
      Atomics.store(gate, 0, 0);
      Atomics.notify(gate, 0);
    }
  };

  return {
    drain: () => flushed,
    async store(delivery) {
      const id = newId();
      const storage = delivery.body.length > inlineLimit ? await payloads.put(id, delivery.receivedAt, delivery.body) : null;
      return new Promise<StoreResult>((resolve, reject) => {
        pending.push({ delivery, id, storage, resolve, reject });
        if (gate) Atomics.store(gate, 0, 1);
        if (!flushing) {
          flushing = true;
          flushed = new Promise<void>((done) => setImmediate(() => void flush().finally(done)));
        }
      });
    },
  };
}

class DuplicateDelivery extends Error {}

function createPostgresReceiptStore(deps: ReceiptStoreDeps): ReceiptStore {
  const { db, queue, payloads, inlineLimit, maxRetries } = deps;
  const inFlight = new Set<Promise<unknown>>();
  return {
    async drain() {
      await Promise.allSettled([...inFlight]);
    },
    store(d) {
      const p = storeOne(d);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p)).catch(() => undefined);
      return p;
    },
  };

  async function storeOne(d: IncomingDelivery): Promise<StoreResult> {
    const id = newId();
    const storage = d.body.length > inlineLimit ? await payloads.put(id, d.receivedAt, d.body) : null;
    try {
      await db.kysely.transaction().execute(async (trx) => {
        const repo = repoParams(d);
        let repositoryId: string | null = null;
        if (repo) {
          const row = await trx
            .insertInto('repositories')
            .values({
              id: repo.id,
              github_id: repo.github_id,
              owner: repo.owner,
              name: repo.name,
              full_name: repo.full_name,
              installation_id: repo.installation_id,
              is_private: repo.is_private === 1,
              default_branch: repo.default_branch,
              html_url: repo.html_url,
              event_count: 1,
              last_event_at: repo.at,
              status: 'active',
              failure_count: 0,
              created_at: repo.at,
              updated_at: repo.at,
            })
            .onConflict((oc) =>
              oc.column('github_id').doUpdateSet((eb) => ({
                event_count: eb('repositories.event_count', '+', 1),
                last_event_at: eb.fn('greatest', [eb.ref('repositories.last_event_at'), eb.ref('excluded.last_event_at')]),
                installation_id: eb.fn.coalesce(eb.ref('excluded.installation_id'), eb.ref('repositories.installation_id')),
                updated_at: eb.ref('excluded.updated_at'),
              })),
            )
            .returning('id')
            .executeTakeFirstOrThrow();
          repositoryId = row.id;
        }
        const inserted = await trx
          .insertInto('event_receipts')
          .values({ ...receiptParams(d, id, repositoryId, storage, maxRetries), source: 'github', processing_status: 'received', retry_count: 0, created_at: d.receivedAt, updated_at: d.receivedAt })
          .onConflict((oc) => oc.column('delivery_id').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!inserted) throw new DuplicateDelivery();
        if (!storage) await trx.insertInto('event_payloads').values({ receipt_id: id, body: d.body }).execute();
        await queue.enqueue(trx, PROCESS_RECEIPT_JOB, { receiptId: id }, { key: `receipt:${id}`, maxAttempts: 5 });
      });
      deps.afterCommit?.();
      return { status: 'received', id };
    } catch (e) {
      if (storage) await payloads.remove(storage).catch(() => undefined);
      if (e instanceof DuplicateDelivery) {
        const row = await db.kysely.selectFrom('event_receipts').select('id').where('delivery_id', '=', d.deliveryId).executeTakeFirst();
        return { status: 'duplicate', id: row?.id ?? null };
      }
      throw e;
    }
  }
}
