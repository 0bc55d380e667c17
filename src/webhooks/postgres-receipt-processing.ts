/**
 * Scaled-out (PostgreSQL) receipt processing in batches: the `webhooks.process-receipt` jobs that
 * run at the same time are processed together, in one transaction, instead of one transaction each.
 *
 * Why: processing one receipt took ~12 round trips to the server (read the receipt, its payload,
 * begin, lock it, the projection's statements, count it on its repository, mark it processed,
 * commit), each waiting for the server's backend to be scheduled; on a busy machine that capped
 * processing below the ingestion rate (bench/pg-process-stages.mjs, BENCHMARKS.md). A batch reads
 * its receipts and payloads in one statement each, locks and re-checks them in one, enqueues all
 * their automation jobs in one, counts them on their repositories in one, marks them
 * processed in one, and commits once; only the projection's own statements stay per receipt.
 *
 * What stays as it was (see process-receipt.ts):
 * - each receipt is re-read under its row lock (`FOR UPDATE`) and skipped when already processed
 *   or dead, so a job that runs twice, a replay, or another worker's batch changes nothing;
 * - the projection's writes, the automation jobs and the `processed` mark commit together;
 * - each receipt runs in its own savepoint, so one that fails is rolled back alone and recorded
 *   failed (retry with backoff) or dead as before, while the others commit. Between two receipts
 *   the savepoint is released and set again in one round trip (`release …; savepoint …`);
 * - when the transaction as a whole fails (a deadlock with another worker's batch, a lost
 *   connection), nothing of it committed, and every receipt of the batch is processed again on its
 *   own by `processReceipt`, one transaction each; a receipt whose own statements lost a deadlock
 *   is rolled back to its savepoint and processed again on its own right after the batch commits
 *   (not retried with backoff: it did nothing wrong).
 *
 * Lock order: receipts are locked in id order and the projection runs in repository order, so two
 * batches (two workers) touching the same repositories take their row locks in the same order.
 */
import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import { nowIso, toBool } from '../db/index.js';
import type { JobContext } from '../jobs/index.js';
import { AUTOMATION_JOB } from '../automations/registry.js';
import { readBatchContexts, settleBatch, type BatchWaiter } from './receipt-batch-contexts.js';
import { processReceipt, type ProcessDeps } from './process-receipt.js';

/** At most this many receipts in one transaction. */
const MAX_BATCH = 32;
/** Batches in flight at once (each holds one connection of the pool while it runs). */
const BATCHES_IN_FLIGHT = 2;

export interface PostgresReceiptProcessor {
  /** Processes the receipt with whatever else is waiting; resolves once its outcome is committed. */
  process(receiptId: string, job?: JobContext): Promise<void>;
}

export function createPostgresReceiptProcessor(deps: ProcessDeps, options: { maxBatch?: number; batchesInFlight?: number } = {}): PostgresReceiptProcessor {
  const maxBatch = options.maxBatch ?? MAX_BATCH;
  const batchesInFlight = options.batchesInFlight ?? BATCHES_IN_FLIGHT;
  let pending: BatchWaiter[] = [];
  let inFlight = 0;
  let scheduled = false;

  const runBatch = async (batch: BatchWaiter[]): Promise<void> => {
    const ids = [...new Set(batch.map((w) => w.receiptId))];
    let outcome: BatchOutcome;
    try {
      outcome = await processBatch(deps, ids);
    } catch (err) {
      // The batch could not be tried at all (e.g. the database is unreachable): the jobs fail
      // and pg-boss retries them.
      for (const w of batch) w.reject(err);
      return;
    }
    if (!outcome.committed) {
      // The transaction itself failed (a deadlock with another batch, a lost connection) and
      // nothing of it committed: each receipt on its own, as before batches.
      for (const w of batch) await processReceipt(deps, w.receiptId, w.job).then(w.resolve, w.reject);
      return;
    }
    // A receipt that lost a deadlock (or a serialization conflict) did nothing wrong: it runs again
    // now, alone, instead of waiting out a retry's backoff (which left a backlog of them).
    const again = new Set([...outcome.failed].filter(([, f]) => isTransient(f.error)).map(([id]) => id));
    for (const id of again) outcome.failed.delete(id);
    await settleBatch(deps, batch.filter((w) => !again.has(w.receiptId)), outcome.failed);
    for (const w of batch.filter((w) => again.has(w.receiptId))) await processReceipt(deps, w.receiptId, w.job).then(w.resolve, w.reject);
  };

  const pump = (): void => {
    scheduled = false;
    while (pending.length > 0 && inFlight < batchesInFlight) {
      const batch = pending.slice(0, maxBatch);
      pending = pending.slice(maxBatch);
      inFlight += 1;
      void runBatch(batch).finally(() => {
        inFlight -= 1;
        pump();
      });
    }
  };

  return {
    process(receiptId, job) {
      return new Promise<void>((resolve, reject) => {
        pending.push({ receiptId, job, resolve, reject });
        if (!scheduled && inFlight < batchesInFlight) {
          scheduled = true;
          // The jobs fetched together all arrive before this runs.
          setImmediate(pump);
        }
      });
    },
  };
}

/** PostgreSQL's deadlock_detected and serialization_failure: the statement lost a race, nothing more. */
const isTransient = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
};

type Locked = { id: string; processing_status: string; received_at: string; counted: boolean | number; repository_id: string | null; installation_id: number | null };

type BatchOutcome = { committed: true; failed: Map<string, { eventType: string; error: unknown }> } | { committed: false };

/**
 * Processes the receipts in one transaction, each in a savepoint. Returns the ones that failed
 * (rolled back alone; receipt id → event type and error) for the caller to record, or
 * `committed: false` when the transaction as a whole failed. Receipts already processed or dead
 * are skipped.
 */
async function processBatch(deps: ProcessDeps, ids: string[]): Promise<BatchOutcome> {
  const { db, registry, queue, metrics } = deps;
  const failed = new Map<string, { eventType: string; error: unknown }>();
  const contexts = await readBatchContexts(deps, ids, failed);
  if (contexts.size === 0) return { committed: true, failed };

  const done: Array<{ event: string; receivedAt: string }> = [];
  let processedAt = nowIso();
  try {
    await db.kysely.transaction().execute(async (tx) => {
      // Re-read under the row locks, in id order: another worker or run may have processed them since.
      const locked = (await tx
        .selectFrom('event_receipts')
        .select(['id', 'processing_status', 'received_at', 'counted', 'repository_id', 'installation_id'])
        .where('id', 'in', [...contexts.keys()])
        .orderBy('id')
        .forUpdate()
        .execute()) as Locked[];
      const rows = locked
        .filter((r) => r.processing_status !== 'processed' && r.processing_status !== 'dead')
        // Repository order (then arrival): two batches lock the repositories' rows in one order.
        .sort((a, b) => (a.repository_id ?? '').localeCompare(b.repository_id ?? '') || Date.parse(a.received_at) - Date.parse(b.received_at) || a.id.localeCompare(b.id));
      if (rows.length === 0) return;
      const processed: Locked[] = [];
      const automations: Array<{ payload: object; options: { key: string } }> = [];
      await sql`savepoint receipt`.execute(tx);
      for (const [i, row] of rows.entries()) {
        const { ctx } = contexts.get(row.id)!;
        try {
          for (const p of registry.projectorsFor(ctx.name, ctx.action)) await p.handler(ctx, tx);
        } catch (error) {
          // This receipt's writes only; the savepoint stays where it was, before it.
          await sql`rollback to savepoint receipt`.execute(tx);
          failed.set(row.id, { eventType: ctx.name, error });
          continue;
        }
        for (const name of registry.automationsFor(ctx.name, ctx.action)) {
          automations.push({ payload: { automation: name, receiptId: row.id }, options: { key: `automation:${name}:${row.id}` } });
        }
        processed.push(row);
        done.push({ event: ctx.name, receivedAt: row.received_at });
        // Keep this receipt's writes and mark the next one's start, in one round trip.
        if (i < rows.length - 1) await sql.raw('release savepoint receipt; savepoint receipt').execute(tx);
      }
      if (processed.length === 0) return;
      if (automations.length > 0) {
        if (queue.enqueueMany) await queue.enqueueMany(tx, AUTOMATION_JOB, automations);
        else for (const a of automations) await queue.enqueue(tx, AUTOMATION_JOB, a.payload, a.options);
      }
      // Last before the commit: the repository rows stay locked only until it.
      await countDeliveries(tx, processed);
      processedAt = nowIso();
      await tx
        .updateTable('event_receipts')
        .set({ processing_status: 'processed', processed_at: processedAt, next_attempt_at: null, error_message: null, counted: true, updated_at: processedAt })
        .where(
          'id',
          'in',
          processed.map((r) => r.id),
        )
        .execute();
    });
  } catch {
    return { committed: false };
  }
  for (const d of done) {
    metrics.processed.inc({ event: d.event, outcome: 'processed' });
    metrics.processingLag.observe({ event: d.event }, Math.max(0, (Date.parse(processedAt) - Date.parse(d.receivedAt)) / 1000));
  }
  return { committed: true, failed };
}

/**
 * `countDelivery` for many receipts, in one statement: adds each repository's uncounted receipts
 * of the batch, as one receipt at a time would (the latest `received_at`, the last known
 * installation). The repository rows are already locked by the projection (repository order).
 */
async function countDeliveries(tx: Executor, rows: Locked[]): Promise<void> {
  const perRepo = new Map<string, { n: number; last: string; installationId: number | null }>();
  for (const r of rows) {
    if (toBool(r.counted) || !r.repository_id) continue;
    const c = perRepo.get(r.repository_id) ?? { n: 0, last: r.received_at, installationId: null };
    c.n += 1;
    if (Date.parse(r.received_at) > Date.parse(c.last)) c.last = r.received_at;
    if (r.installation_id !== null) c.installationId = r.installation_id;
    perRepo.set(r.repository_id, c);
  }
  if (perRepo.size === 0) return;
  const values = [...perRepo].map(([id, c]) => sql`(${id}::uuid, ${c.n}::int, ${c.last}::timestamptz, ${c.installationId}::bigint)`);
  await sql`update repositories as r
    set event_count = r.event_count + v.n,
      last_event_at = case when r.last_event_at is null or r.last_event_at < v.last then v.last else r.last_event_at end,
      installation_id = coalesce(v.installation_id, r.installation_id)
    from (values ${sql.join(values)}) as v (id, n, last, installation_id)
    where r.id = v.id`.execute(tx);
}
