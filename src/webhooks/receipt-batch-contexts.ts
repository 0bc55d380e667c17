/**
 * The first step of processing a batch of receipts, on both databases: their rows and payloads read
 * in one select each, and each one's handler context. Receipts already processed or dead are left
 * out; one whose payload cannot be read or parsed goes to `failed` (recorded by the caller).
 */
import type { Selectable } from 'kysely';
import type { EventReceiptsTable } from '../db/index.js';
import type { EventContext } from '../automations/registry.js';
import { contextFromBytes, type ProcessDeps } from './process-receipt.js';

export type ReceiptHead = Selectable<EventReceiptsTable>;
export type BatchFailures = Map<string, { eventType: string; error: unknown }>;

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
