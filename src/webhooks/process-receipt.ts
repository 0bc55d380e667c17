/**
 * The `webhooks.process-receipt` job: runs a receipt's projectors and enqueues its automations in
 * one transaction, then marks it processed. A receipt already processed (or dead) is skipped, so a
 * job that runs twice changes nothing. A failure is recorded on the receipt and retried later with
 * exponential backoff and jitter; after `max_retries` retries the receipt is `dead`.
 */
import { sql, type Selectable } from 'kysely';
import type { Database, EventReceiptsTable, Executor } from '../db/index.js';
import { forUpdate, nowIso, toBool } from '../db/index.js';
import type { Queue, JobContext } from '../jobs/index.js';
import { retryDelayMs } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import { scrubSecrets } from '../log/index.js';
import type { Metrics } from '../http/metrics.js';
import { AUTOMATION_JOB, type AutomationRegistry, type EventContext } from '../automations/registry.js';
import type { PayloadStore } from './payload-store.js';
import { PROCESS_RECEIPT_JOB } from './store-receipt.js';

export interface ProcessDeps {
  db: Database;
  queue: Queue;
  registry: AutomationRegistry;
  payloads: PayloadStore;
  metrics: Metrics;
  log: Logger;
  retryBaseMs: number;
  /** Strings scrubbed from stored error messages. */
  secrets: Array<string | undefined>;
}

/** Loads a receipt's payload bytes, from `event_payloads` or the payload store. */
export async function loadPayload(db: Database, payloads: PayloadStore, row: { id: string; payload_storage: string | null }): Promise<Buffer> {
  if (row.payload_storage) return payloads.get(row.payload_storage);
  const p = await db.kysely.selectFrom('event_payloads').select('body').where('receipt_id', '=', row.id).executeTakeFirst();
  if (!p) throw new Error('Receipt has no payload');
  return Buffer.isBuffer(p.body) ? p.body : Buffer.from(p.body);
}

/** Parses stored payload bytes (JSON, or GitHub's form encoding). */
export function parseStoredPayload(bytes: Buffer, contentType: string | undefined): Record<string, unknown> {
  let text = bytes.toString('utf8');
  if (contentType?.startsWith('application/x-www-form-urlencoded')) text = new URLSearchParams(text).get('payload') ?? '';
  return JSON.parse(text) as Record<string, unknown>;
}

/** Builds the handler context for a receipt. */
export async function eventContextFor(deps: Pick<ProcessDeps, 'db' | 'payloads' | 'log'>, receiptId: string): Promise<EventContext | null> {
  const row = await deps.db.kysely.selectFrom('event_receipts').selectAll().where('id', '=', receiptId).executeTakeFirst();
  return row ? contextFromRow(deps, row) : null;
}

/** Builds the handler context from a receipt row (loads and parses its payload). */
async function contextFromRow(deps: Pick<ProcessDeps, 'db' | 'payloads' | 'log'>, row: Selectable<EventReceiptsTable>): Promise<EventContext> {
  return contextFromBytes(deps, row, await loadPayload(deps.db, deps.payloads, row));
}

/** Builds the handler context from a receipt row and its payload bytes. */
export function contextFromBytes(deps: Pick<ProcessDeps, 'log'>, row: Selectable<EventReceiptsTable>, bytes: Buffer): EventContext {
  const headers = JSON.parse(row.headers) as Record<string, string>;
  const payload = parseStoredPayload(bytes, headers['content-type']);
  return {
    id: row.delivery_id,
    name: row.event_type,
    action: row.event_action,
    payload,
    receiptId: row.id,
    repositoryId: row.repository_id,
    installationId: row.installation_id,
    log: deps.log.child({ deliveryId: row.delivery_id, event: row.event_type }),
  };
}

/** Processes one receipt. Safe to run any number of times. */
export async function processReceipt(deps: ProcessDeps, receiptId: string, job?: JobContext): Promise<void> {
  const { db, registry, queue, metrics } = deps;
  const head = await db.kysely.selectFrom('event_receipts').selectAll().where('id', '=', receiptId).executeTakeFirst();
  if (!head || head.processing_status === 'processed' || head.processing_status === 'dead') return;

  try {
    const c = await contextFromRow(deps, head);
    const done = await db.kysely.transaction().execute(async (tx) => {
      const row = await forUpdate(
        tx.selectFrom('event_receipts').select(['processing_status', 'received_at', 'counted', 'repository_id', 'installation_id']).where('id', '=', receiptId),
        db.dialect,
      ).executeTakeFirst();
      if (!row || row.processing_status === 'processed' || row.processing_status === 'dead') return null;
      for (const p of registry.projectorsFor(c.name, c.action)) await p.handler(c, tx);
      for (const name of registry.automationsFor(c.name, c.action)) {
        await queue.enqueue(tx, AUTOMATION_JOB, { automation: name, receiptId }, { key: `automation:${name}:${receiptId}` });
      }
      const now = nowIso();
      // Last before the commit: the repository row stays locked only until it.
      await countDelivery(tx, row);
      await tx
        .updateTable('event_receipts')
        .set({ processing_status: 'processed', processed_at: now, next_attempt_at: null, error_message: null, counted: true, updated_at: now })
        .where('id', '=', receiptId)
        .execute();
      return { receivedAt: row.received_at, processedAt: now };
    });
    if (done) {
      metrics.processed.inc({ event: c.name, outcome: 'processed' });
      metrics.processingLag.observe({ event: c.name }, Math.max(0, (Date.parse(done.processedAt) - Date.parse(done.receivedAt)) / 1000));
    }
  } catch (err) {
    await recordFailure(deps, receiptId, head.event_type, err, job);
  }
}

/**
 * Adds a delivery to its repository's activity once (PostgreSQL stores receipts uncounted, see
 * store-receipt.ts; SQLite counts at ingest and stores them counted). Call inside the transaction
 * that marks the receipt processed or dead, with `counted` read under its row lock.
 */
export async function countDelivery(
  tx: Executor,
  row: { counted: boolean | number; repository_id: string | null; installation_id: number | null; received_at: string },
): Promise<void> {
  if (toBool(row.counted) || !row.repository_id) return;
  await tx
    .updateTable('repositories')
    .set((eb) => ({
      event_count: eb('event_count', '+', 1),
      last_event_at: sql<string>`case when last_event_at is null or last_event_at < ${row.received_at} then ${row.received_at} else last_event_at end`,
      installation_id: row.installation_id === null ? eb.ref('installation_id') : row.installation_id,
    }))
    .where('id', '=', row.repository_id)
    .execute();
}

/** Records a failed attempt on the receipt and schedules the retry, or marks it dead. */
export async function recordFailure(deps: ProcessDeps, receiptId: string, eventType: string, err: unknown, job?: JobContext): Promise<void> {
  const { db, queue, metrics } = deps;
  const message = scrubSecrets(err instanceof Error ? err.message : String(err), deps.secrets).slice(0, 2000);
  const outcome = await db.kysely.transaction().execute(async (tx) => {
    const row = await forUpdate(
      tx.selectFrom('event_receipts').select(['processing_status', 'retry_count', 'max_retries', 'received_at', 'counted', 'repository_id', 'installation_id']).where('id', '=', receiptId),
      db.dialect,
    ).executeTakeFirst();
    if (!row || row.processing_status === 'processed' || row.processing_status === 'dead') return null;
    const retryCount = row.retry_count + 1;
    const now = nowIso();
    if (retryCount > row.max_retries) {
      await countDelivery(tx, row);
      await tx
        .updateTable('event_receipts')
        .set({ processing_status: 'dead', retry_count: retryCount, error_message: message, next_attempt_at: null, counted: true, updated_at: now })
        .where('id', '=', receiptId)
        .execute();
      return 'dead' as const;
    }
    const next = new Date(Date.now() + retryDelayMs(retryCount, deps.retryBaseMs));
    await tx
      .updateTable('event_receipts')
      .set({ processing_status: 'failed', retry_count: retryCount, error_message: message, next_attempt_at: next.toISOString(), updated_at: now })
      .where('id', '=', receiptId)
      .execute();
    await queue.enqueue(tx, PROCESS_RECEIPT_JOB, { receiptId }, { runAt: next, key: `receipt:${receiptId}:retry:${retryCount}` });
    return 'retry' as const;
  });
  if (!outcome) return;
  metrics.processed.inc({ event: eventType, outcome });
  if (outcome === 'retry') metrics.retries.inc({ event: eventType });
  const log = job?.log ?? deps.log;
  log.warn({ receiptId, outcome, err: message }, outcome === 'dead' ? 'receipt is dead after its last retry' : 'receipt processing failed; retry scheduled');
}

/** The automation job: runs one automation's handler for one receipt. */
export async function runAutomation(deps: ProcessDeps, payload: { automation: string; receiptId: string }, job?: { id: string; attempt: number }): Promise<void> {
  const handler = deps.registry.automation(payload.automation);
  if (!handler) throw new Error(`No automation named ${payload.automation} is registered in this build`);
  const ctx = await eventContextFor(deps, payload.receiptId);
  if (!ctx) return; // the receipt was deleted by retention: nothing left to act on
  try {
    await handler({ ...ctx, log: ctx.log.child({ automation: payload.automation }), ...(job ? { job } : {}) });
  } catch (err) {
    // Every automation shares the `automation.run` job name: say which one failed, where a person
    // sees the error (the queue page's last error, the delivery's page).
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${payload.automation}: ${message}`, { cause: err });
  }
}
