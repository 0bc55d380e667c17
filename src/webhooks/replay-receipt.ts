/** Replays a receipt: marks it for another run and enqueues its processing, in one transaction. */
import type { Database } from '../db/index.js';
import type { Scope } from '../http/auth-context.js';
import type { Queue } from '../jobs/index.js';
import { findReceiptId, markForReplay } from './events-repo.js';
import { ReceiptNotFound } from './errors.js';
import { PROCESS_RECEIPT_JOB } from './store-receipt.js';

/**
 * Replays the receipt with this delivery id; returns its id. Throws ReceiptNotFound when it does
 * not exist or is outside the scope (the same answer: a scope does not reveal what it cannot see).
 */
export async function replayReceipt(deps: { db: Database; queue: Queue }, deliveryId: string, scope: Scope): Promise<string> {
  return deps.db.kysely.transaction().execute(async (tx) => {
    const id = await findReceiptId(tx, deliveryId, scope);
    if (!id) throw new ReceiptNotFound(deliveryId);
    await markForReplay(tx, id);
    await deps.queue.enqueue(tx, PROCESS_RECEIPT_JOB, { receiptId: id }, { key: `receipt:${id}:replay:${Date.now()}` });
    return id;
  });
}
