/**
 * Stores a verified delivery in `event_receipts` and enqueues its processing in the same
 * transaction; the HTTP layer answers only after this resolves (committed = acknowledged).
 *
 * Embedded SQLite uses group commit: deliveries that arrive while a batch is being written are
 * committed together in the next transaction (one WAL commit for many receipts; see
 * sqlite-receipt-batch.ts). The batch is written on this thread, or by the embedded writer thread
 * when one runs. PostgreSQL groups concurrent deliveries the same way (postgres-receipt-store.ts).
 */
import type { Database } from '../db/index.js';
import { newId, SQLITE_BUSY_TIMEOUT_MS, withSqlite } from '../db/index.js';
import type { Queue } from '../jobs/index.js';
import type { IncomingDelivery, StoreResult } from './receipt-rows.js';
import type { PayloadStore } from './payload-store.js';
import { createPostgresReceiptStore } from './postgres-receipt-store.js';
import { writeReceiptBatch, type BatchItem, type BatchOutcome } from './sqlite-receipt-batch.js';

export { PROCESS_RECEIPT_JOB } from './receipt-rows.js';
export type { IncomingDelivery, StoreResult } from './receipt-rows.js';


export interface ReceiptStore {
  store(delivery: IncomingDelivery): Promise<StoreResult>;
  /** Resolves once every delivery handed to store() has been written (or failed). */
  drain(): Promise<void>;
}

/** Writes one batch of receipts somewhere else (the embedded writer thread). */
export type BatchWriter = (items: BatchItem[]) => Promise<BatchOutcome[]>;

export interface ReceiptStoreDeps {
  db: Database;
  queue: Queue;
  payloads: PayloadStore;
  inlineLimit: number;
  maxRetries: number;
  /** Called after receipts (and their jobs) commit; wakes workers in other threads. */
  afterCommit?: () => void;
  /** SQLite: write batches through this instead of on this thread's connection. */
  batchWriter?: BatchWriter;
}

/** Picks the store for the database's dialect. */
export function createReceiptStore(deps: ReceiptStoreDeps): ReceiptStore {
  return deps.db.dialect === 'sqlite' ? createSqliteReceiptStore(deps) : createPostgresReceiptStore(deps);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Writes a batch on this thread's connection. The write lock is tried without waiting: while
 * another connection (the worker thread) holds it, the batch waits a millisecond on the event loop
 * instead of blocking the thread that serves HTTP.
 */
function localBatchWriter(db: Database, maxRetries: number): BatchWriter {
  return async (items) => {
    const since = Date.now();
    for (;;) {
      try {
        // The connection's busy timeout is 0 (open-database.ts): SQLITE_BUSY comes back at once.
        return await withSqlite(db, (handle) => writeReceiptBatch(handle, items, maxRetries));
      } catch (e) {
        if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() - since >= SQLITE_BUSY_TIMEOUT_MS) throw e;
        await sleep(1);
      }
    }
  };
}

interface Pending extends BatchItem {
  resolve(r: StoreResult): void;
  reject(e: unknown): void;
}

function createSqliteReceiptStore(deps: ReceiptStoreDeps): ReceiptStore {
  const { db, payloads, inlineLimit, maxRetries } = deps;
  const write = deps.batchWriter ?? localBatchWriter(db, maxRetries);
  // The writer thread takes batches one after the other: with a second batch already queued there,
  // it starts on it as soon as it commits the first, instead of idling for the answer to reach this
  // thread and the next batch to come back. (On this thread's own connection batches queue on the
  // connection anyway: one at a time.)
  const maxInFlight = deps.batchWriter ? 2 : 1;
  let pending: Pending[] = [];
  let inFlight = 0;
  let scheduled = false;
  let idleWaiters: Array<() => void> = [];

  const settle = (batch: Pending[], outcomes: BatchOutcome[]): void => {
    if (outcomes.some((o) => o.ok && o.result.status === 'received')) deps.afterCommit?.();
    batch.forEach((p, i) => {
      const o = outcomes[i];
      if (o?.ok) {
        if (o.result.status === 'duplicate' && p.storage) void payloads.remove(p.storage).catch(() => undefined);
        p.resolve(o.result);
      } else {
        if (p.storage) void payloads.remove(p.storage).catch(() => undefined);
        p.reject(new Error(`receipt was not stored: ${o ? o.error : 'no outcome'}`));
      }
    });
  };

  /** Starts batches while fewer than `maxInFlight` are being written; deliveries arriving meanwhile form the next. */
  const kick = (): void => {
    scheduled = false;
    while (pending.length > 0 && inFlight < maxInFlight) {
      const batch = pending;
      pending = [];
      inFlight += 1;
      void write(batch.map(({ id, storage, delivery }) => ({ id, storage, delivery })))
        .catch((e: unknown) => {
          // The batch did not commit: nothing in it is acknowledged.
          const error = e instanceof Error ? e.message : String(e);
          return batch.map((): BatchOutcome => ({ ok: false, error }));
        })
        .then((outcomes) => {
          inFlight -= 1;
          settle(batch, outcomes);
          if (pending.length > 0) kick();
          else if (inFlight === 0) {
            const waiters = idleWaiters;
            idleWaiters = [];
            for (const w of waiters) w();
          }
        });
    }
  };

  return {
    drain: () => (pending.length === 0 && inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    async store(delivery) {
      const id = newId();
      const storage = delivery.body.length > inlineLimit ? await payloads.put(id, delivery.receivedAt, delivery.body) : null;
      return new Promise<StoreResult>((resolve, reject) => {
        pending.push({ delivery, id, storage, resolve, reject });
        // Deliveries that arrive in the same turn of the event loop go in one batch.
        if (!scheduled && inFlight < maxInFlight) {
          scheduled = true;
          setImmediate(kick);
        }
      });
    },
  };
}
