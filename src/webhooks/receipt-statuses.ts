/** The current processing status of receipts by id (the live tail follows receipts it has shown). */
import type { Database } from '../db/index.js';

export interface ReceiptStatus {
  id: string;
  processing_status: string;
  retry_count: number;
  error_message: string | null;
}

/** Statuses of these receipts (missing ones — deleted by retention — are left out). */
export async function receiptStatuses(db: Database, ids: string[]): Promise<ReceiptStatus[]> {
  const out: ReceiptStatus[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    out.push(
      ...(await db.kysely.selectFrom('event_receipts').select(['id', 'processing_status', 'retry_count', 'error_message']).where('id', 'in', chunk).execute()),
    );
  }
  return out;
}
