/**
 * Embedded (SQLite): the receipt is its own queue entry. A delivery stored on SQLite gets no
 * `webhooks.process-receipt` job; the worker takes the receipts still `received` straight from
 * `event_receipts` (oldest first, through the `(processing_status, id)` index) and hands them to
 * the batch processor (sqlite-receipt-processing.ts).
 *
 * Why: a job per receipt was an insert (row and three indexes) in the receipt's write transaction,
 * then a claim and a delete in two more — a third of the write work of ingestion, for a row that
 * only said "this receipt waits", which its status already says.
 *
 * What keeps the guarantees:
 * - Nothing acknowledged is lost: the receipt commits with status `received` before the 2xx, and a
 *   `received` receipt is taken again by the next poll of any process until it is processed, dead
 *   or failed (retries of failed receipts and replays still go through a job, process-receipt.ts).
 * - Processed once: which receipts are in hand is kept in memory only; the batch processor
 *   re-reads each receipt's status inside its write transaction and skips one already processed
 *   or dead, and marks it processed in the same transaction as its projection. A receipt taken by
 *   two processes, or by this poller and a replay job, is projected once.
 * - kill -9: nothing is leased, so nothing waits out a lease: at start the first poll takes every
 *   receipt still `received`.
 */
import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import { createPoller, type Poller } from '../jobs/runtime.js';
import type { Logger } from '../log/index.js';
import type { SqliteReceiptProcessor } from './sqlite-receipt-processing.js';

export interface SqliteReceiptQueue {
  start(): void;
  /** New receipts were committed (coalesced: cheap to call often). */
  wake(): void;
  /** Stops taking receipts and waits for the ones in hand. */
  stop(): Promise<void>;
}

export interface SqliteReceiptQueueOptions {
  db: Database;
  processor: SqliteReceiptProcessor;
  log: Logger;
  /** Receipts in hand at once (a batch is at most this big). */
  limit?: number;
  /** Idle poll interval (ms). */
  pollIntervalMs?: number;
  /** How long a receipt whose processing threw (its failure could not be recorded) is left alone. */
  cooldownMs?: number;
}

export function createSqliteReceiptQueue(options: SqliteReceiptQueueOptions): SqliteReceiptQueue {
  const { db, processor } = options;
  const limit = options.limit ?? 32;
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const cooldownMs = options.cooldownMs ?? 1000;
  const log = options.log.child({ component: 'receipt-queue' });
  const inHand = new Set<string>();
  const cooling = new Map<string, number>();
  let poller: Poller | undefined;
  let idle: Array<() => void> = [];

  const settle = (id: string) => {
    inHand.delete(id);
    if (inHand.size === 0) {
      const waiters = idle;
      idle = [];
      for (const w of waiters) w();
    }
    poller?.wake();
  };

  const poll = async (): Promise<boolean> => {
    const free = limit - inHand.size;
    // Ask again once a quarter of the slots are free (or nothing is in hand): fuller batches.
    if (free <= 0 || (inHand.size > 0 && free < Math.ceil(limit / 4))) return false;
    const now = Date.now();
    for (const [id, until] of cooling) if (until <= now) cooling.delete(id);
    const { rows } = await sql<{ id: string }>`select id from event_receipts where processing_status = 'received'
      order by id limit ${free + inHand.size + cooling.size}`.execute(db.kysely);
    let taken = 0;
    for (const { id } of rows) {
      if (taken >= free) break;
      if (inHand.has(id) || cooling.has(id)) continue;
      inHand.add(id);
      taken += 1;
      processor.process(id).then(
        () => settle(id),
        (err: unknown) => {
          log.error({ err, receiptId: id }, 'could not process a receipt or record its failure; it is taken again later');
          cooling.set(id, Date.now() + cooldownMs);
          settle(id);
        },
      );
    }
    return taken > 0 && taken === free;
  };

  return {
    start() {
      poller ??= createPoller({ poll, idleDelayMs: () => pollIntervalMs, log, what: 'sqlite receipt queue' });
      poller.start();
    },
    wake() {
      poller?.wake();
    },
    async stop() {
      await poller?.stop();
      if (inHand.size > 0) await new Promise<void>((resolve) => idle.push(resolve));
    },
  };
}
