/**
 * What both databases' batch processors share: the first step of a batch (its receipts' rows and
 * payloads read in one select each, and each one's handler context; receipts already processed or
 * dead are left out, one whose payload cannot be read or parsed goes to `failed`) and the last (each
 * waiting job settled, a failed receipt's failure recorded).
 */
import type { Selectable } from 'kysely';
import type { EventReceiptsTable } from '../db/index.js';
import type { EventContext } from '../automations/registry.js';
import type { JobContext } from '../jobs/index.js';
import { contextFromBytes, recordFailure, type ProcessDeps } from './process-receipt.js';

export type ReceiptHead = Selectable<EventReceiptsTable>;
export type BatchFailures = Map<string, { eventType: string; error: unknown }>;

/** A `webhooks.process-receipt` job waiting for the batch that carries its receipt. */
export interface BatchWaiter {
  receiptId: string;
  job?: JobContext;
  resolve(): void;
  reject(err: unknown): void;
}

export async function readBatchContexts(
  deps: Pick<ProcessDeps, 'db' | 'payloads' | 'log'>,
  ids: string[],
  failed: BatchFailures,
): Promise<Map<string, { head: ReceiptHead; ctx: EventContext }>> {
  const { db } = deps;
  const contexts = new Map<string, { head: ReceiptHead; ctx: EventContext }>();
  const heads = (await db.kysely.selectFrom('event_receipts').selectAll().where('id', 'in', ids).execute()).filter(
    (h) => h.processing_status !== 'processed' && h.processing_status !== 'dead',
  );
  if (heads.length === 0) return contexts;
  const inline = heads.filter((h) => !h.payload_storage).map((h) => h.id);
  const bodies = new Map<string, Buffer>();
  if (inline.length > 0) {
    for (const p of await db.kysely.selectFrom('event_payloads').select(['receipt_id', 'body']).where('receipt_id', 'in', inline).execute()) {
      bodies.set(p.receipt_id, Buffer.isBuffer(p.body) ? p.body : Buffer.from(p.body));
    }
  }
  for (const head of heads) {
    try {
      const bytes = head.payload_storage ? await deps.payloads.get(head.payload_storage) : bodies.get(head.id);
      if (!bytes) throw new Error('Receipt has no payload');
      contexts.set(head.id, { head, ctx: contextFromBytes(deps, head, bytes) });
    } catch (error) {
      failed.set(head.id, { eventType: head.event_type, error });
    }
  }
  return contexts;
}

/**
 * Settles the jobs of a committed batch. As in processReceipt: a failure is recorded on the receipt
 * (retry or dead); only a failure to record it fails the job, which the queue then retries.
 */
export async function settleBatch(deps: ProcessDeps, batch: BatchWaiter[], failed: BatchFailures): Promise<void> {
  for (const w of batch) {
    const err = failed.get(w.receiptId);
    if (err === undefined) {
      w.resolve();
      continue;
    }
    failed.delete(w.receiptId);
    await recordFailure(deps, w.receiptId, err.eventType, err.error, w.job).then(w.resolve, w.reject);
  }
}
