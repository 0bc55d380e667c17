/**
 * Embedded (SQLite) receipt processing in batches: the `webhooks.process-receipt` jobs that run at
 * the same time are processed together, in one write transaction, instead of one transaction each.
 *
 * Why: SQLite has one write lock, shared by the receipt writer (group commit of incoming
 * deliveries) and processing. One transaction per receipt meant a lock hand-over, a commit and the
 * same few pages (the repository row, the pull request, the status index's last page, the jobs
 * table) written to the WAL again for every receipt. A batch takes the lock once and writes each
 * page once.
 *
 * What stays as it was (see process-receipt.ts): each receipt is re-checked inside the transaction
 * and skipped when already processed or dead (a job that runs twice changes nothing); each receipt
 * runs in its own savepoint, so one that fails is rolled back alone and recorded as failed (retry
 * with backoff, dead after its last retry) while the others commit; the projection's writes and the
 * `processed` mark commit together.
 */
import { sql } from 'kysely';
import { nowIso } from '../db/index.js';
import type { JobContext } from '../jobs/index.js';
import { AUTOMATION_JOB } from '../automations/registry.js';
import { readBatchContexts, settleBatch, type BatchWaiter } from './receipt-batch-contexts.js';
import { countDelivery, type ProcessDeps } from './process-receipt.js';

/** At most this many receipts in one transaction (a batch holds the write lock while it runs). */
const MAX_BATCH = 64;

export interface SqliteReceiptProcessor {
  /** Processes the receipt with whatever else is waiting; resolves once its outcome is committed. */
  process(receiptId: string, job?: JobContext): Promise<void>;
}

export function createSqliteReceiptProcessor(deps: ProcessDeps): SqliteReceiptProcessor {
  let pending: BatchWaiter[] = [];
  let running = false;

  const run = async (): Promise<void> => {
    while (pending.length > 0) {
      const batch = pending.slice(0, MAX_BATCH);
      pending = pending.slice(MAX_BATCH);
      try {
        const failed = await processBatch(deps, [...new Set(batch.map((w) => w.receiptId))]);
        await settleBatch(deps, batch, failed);
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    running = false;
  };

  return {
    process(receiptId, job) {
      return new Promise<void>((resolve, reject) => {
        pending.push({ receiptId, job, resolve, reject });
        if (!running) {
          running = true;
          // The jobs claimed together all arrive before this runs.
          setImmediate(() => void run());
        }
      });
    },
  };
}


/**
 * Processes the receipts in one transaction; returns the ones that failed (receipt id → event type
 * and error) for the caller to record. Receipts already processed or dead are skipped.
 */
async function processBatch(deps: ProcessDeps, ids: string[]): Promise<Map<string, { eventType: string; error: unknown }>> {
  const { db, registry, queue, metrics } = deps;
  const failed = new Map<string, { eventType: string; error: unknown }>();
  const contexts = await readBatchContexts(deps, ids, failed);
  if (contexts.size === 0) return failed;

  const done: Array<{ event: string; receivedAt: string }> = [];
  let processedAt = '';
  try {
    await db.kysely.transaction().execute(async (tx) => {
      done.length = 0;
      // Re-read under the write lock (BEGIN IMMEDIATE): another run may have processed them since.
      const rows = await tx
        .selectFrom('event_receipts')
        .select(['id', 'processing_status', 'received_at', 'counted', 'repository_id', 'installation_id'])
        .where('id', 'in', [...contexts.keys()])
        .orderBy('id')
        .execute();
      const processed: string[] = [];
      for (const row of rows) {
        if (row.processing_status === 'processed' || row.processing_status === 'dead') continue;
        const { ctx } = contexts.get(row.id)!;
        await sql`savepoint receipt`.execute(tx);
        try {
          for (const p of registry.projectorsFor(ctx.name, ctx.action)) await p.handler(ctx, tx);
          for (const name of registry.automationsFor(ctx.name, ctx.action)) {
            await queue.enqueue(tx, AUTOMATION_JOB, { automation: name, receiptId: row.id }, { key: `automation:${name}:${row.id}` });
          }
          await countDelivery(tx, row);
          await sql`release receipt`.execute(tx);
          processed.push(row.id);
          done.push({ event: ctx.name, receivedAt: row.received_at });
        } catch (error) {
          await sql`rollback to receipt`.execute(tx);
          await sql`release receipt`.execute(tx);
          failed.set(row.id, { eventType: ctx.name, error });
        }
      }
      processedAt = nowIso();
      if (processed.length > 0) {
        await tx
          .updateTable('event_receipts')
          .set({ processing_status: 'processed', processed_at: processedAt, next_attempt_at: null, error_message: null, counted: true, updated_at: processedAt })
          .where('id', 'in', processed)
          .execute();
      }
    });
  } catch (error) {
    // Nothing of the batch committed: every receipt in it failed this attempt.
    done.length = 0;
    for (const { head } of contexts.values()) if (!failed.has(head.id)) failed.set(head.id, { eventType: head.event_type, error });
  }
  for (const d of done) {
    metrics.processed.inc({ event: d.event, outcome: 'processed' });
    metrics.processingLag.observe({ event: d.event }, Math.max(0, (Date.parse(processedAt) - Date.parse(d.receivedAt)) / 1000));
  }
  return failed;
}
