/** Replays a receipt: marks it for another run and enqueues its processing, in one transaction. */
import type { Database } from '../db/index.js';
import type { Queue } from '../jobs/index.js';
import { markForReplay } from './events-repo.js';
import { ReceiptNotFound } from './errors.js';
import { PROCESS_RECEIPT_JOB } from './store-receipt.js';

/** Replays the receipt with this delivery id; returns its id. Throws ReceiptNotFound. */
export async function replayReceipt(deps: { db: Database; queue: Queue }, deliveryId: string): Promise<string> {
  return deps.db.kysely.transaction().execute(async (tx) => {
    const row = await tx.selectFrom('event_receipts').select('id').where('delivery_id', '=', deliveryId).executeTakeFirst();
    if (!row) throw new ReceiptNotFound(deliveryId);
    await markForReplay(tx, row.id);
    await deps.queue.enqueue(tx, PROCESS_RECEIPT_JOB, { receiptId: row.id }, { key: `receipt:${row.id}:replay:${Date.now()}` });
    return row.id;
  });
}
