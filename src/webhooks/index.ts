/**
 * The webhooks slice: receive → verify → store → enqueue, the processing job that feeds the
 * automation registry, replay, retention, and the event log API. Owns `event_receipts`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Auth } from '../http/auth-context.js';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import type { Queue } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../http/metrics.js';
import { AUTOMATION_JOB, type AutomationRegistry } from '../automations/registry.js';
import { createFilePayloadStore, type PayloadStore } from './payload-store.js';
import { createReceiptStore, PROCESS_RECEIPT_JOB, type BatchWriter, type IncomingDelivery, type StoreResult } from './store-receipt.js';
import { receiveRoute } from './receive-route.js';
import { eventsRoutes } from './events-routes.js';
import { eventsStreamRoutes } from './events-stream.js';
import { runAutomation, type ProcessDeps } from './process-receipt.js';
import { RETENTION_JOB, runRetention } from './retention.js';
import { createSqliteReceiptProcessor } from './sqlite-receipt-processing.js';
import { createPostgresReceiptProcessor } from './postgres-receipt-processing.js';
import { createSqliteReceiptQueue } from './sqlite-receipt-queue.js';

export { replayReceipt } from './replay-receipt.js';
export { getEvent, listEvents } from './events-repo.js';
export { createActivityReader, deliverySummary, lastDays } from './repository-activity.js';
export type { ActivityReader, RepositoryActivity, DeliverySummary } from './repository-activity.js';
export { runRetention } from './retention.js';
export { processReceipt, loadPayload, eventContextFor } from './process-receipt.js';
export { PROCESS_RECEIPT_JOB } from './store-receipt.js';
export type { BatchWriter, IncomingDelivery, StoreResult } from './store-receipt.js';
export { writeReceiptBatch } from './sqlite-receipt-batch.js';
export type { BatchItem, BatchOutcome } from './sqlite-receipt-batch.js';
export { extractReceiptFields } from './extract-receipt-fields.js';
export { createFilePayloadStore } from './payload-store.js';
export type { PayloadStore } from './payload-store.js';

export interface WebhooksDeps {
  config: Config;
  db: Database;
  queue: Queue;
  registry: AutomationRegistry;
  metrics: Metrics;
  log: Logger;
  /** Called after new receipts commit (wakes a worker running in another thread). */
  afterReceiptsCommitted?: () => void;
  /** SQLite: write receipt batches through this (the embedded writer thread). */
  receiptBatchWriter?: BatchWriter;
  /** The current webhook secret (defaults to WEBHOOK_SECRET). */
  webhookSecret?: () => string | undefined;
  /** Authenticates a request again (the live tail re-reads its viewer's scope with it). */
  authenticate?: (req: FastifyRequest) => Promise<Auth | null>;
}

export interface WebhooksSlice {
  payloads: PayloadStore;
  /**
   * Stores a verified delivery from another source (`source: 'telegram'`, …) as a receipt and
   * enqueues its processing, as the GitHub receiver does (committed = acknowledged).
   */
  store(delivery: IncomingDelivery): Promise<StoreResult>;
  /** Mounts the webhook endpoint (in its own encapsulated context, for its raw-body parser). */
  receiver(app: FastifyInstance): Promise<void>;
  /** Mounts the event log API (and its live tail). */
  routes(app: FastifyInstance): Promise<void>;
  /** Waits until every delivery being stored has been written (before the database closes). */
  drain(): Promise<void>;
  /**
   * SQLite: starts taking stored receipts for processing (the receipt is its own queue entry,
   * sqlite-receipt-queue.ts). Nothing to do on PostgreSQL (a pg-boss job per receipt).
   */
  start(opts: { work: boolean }): void;
  /** New receipts were committed by another thread or process: take them now, not at the next poll. */
  receiptsCommitted(): void;
  /** Stops taking receipts and waits for the ones being processed. */
  stop(): Promise<void>;
}

/** Registers the slice's jobs and schedules on the queue and returns its route plugins. */
export function createWebhooksSlice(deps: WebhooksDeps): WebhooksSlice {
  const { config, db, queue, registry, metrics, log } = deps;
  const payloads = createFilePayloadStore(config.dataDir);
  const processDeps: ProcessDeps = {
    db,
    queue,
    registry,
    payloads,
    metrics,
    log: log.child({ slice: 'webhooks' }),
    retryBaseMs: config.retryBaseMs,
    secrets: [config.webhookSecret, config.apiToken],
  };
  // Receipts whose jobs run at the same time are processed in one transaction (per dialect: SQLite's
  // single writer with a savepoint per receipt; PostgreSQL's batches with a per-receipt fallback).
  const sqliteProcessor = db.dialect === 'sqlite' ? createSqliteReceiptProcessor(processDeps) : null;
  const batchProcessor = sqliteProcessor ?? createPostgresReceiptProcessor(processDeps);
  // SQLite: new receipts get no job; the worker takes them from event_receipts (retries and replays
  // still run as `webhooks.process-receipt` jobs).
  const receiptQueue = sqliteProcessor ? createSqliteReceiptQueue({ db, processor: sqliteProcessor, log: processDeps.log }) : null;
  queue.register<{ receiptId: string }>(PROCESS_RECEIPT_JOB, (p, ctx) => batchProcessor.process(p.receiptId, ctx));
  queue.register<{ automation: string; receiptId: string }>(AUTOMATION_JOB, (p, ctx) => runAutomation(processDeps, p, { id: ctx.id, attempt: ctx.attempt }));
  queue.register(RETENTION_JOB, async () => {
    await runRetention({ db, payloads, log: processDeps.log, days: config.retentionProcessedDays });
  });
  queue.schedule(RETENTION_JOB, config.retentionCron);

  metrics.addCollectedGauge('switchyard_receipts', 'Stored receipts by processing status', ['status'], async () => {
    const rows = await db.kysely
      .selectFrom('event_receipts')
      .select((eb) => ['processing_status', eb.fn.countAll<number>().as('n')])
      .where('processing_status', '!=', 'processed')
      .groupBy('processing_status')
      .execute();
    return rows.map((r) => ({ labels: { status: r.processing_status }, value: Number(r.n) }));
  });

  const store = createReceiptStore({
    db,
    queue,
    payloads,
    inlineLimit: config.payloadInlineLimit,
    maxRetries: config.receiptMaxRetries,
    afterCommit: () => {
      deps.afterReceiptsCommitted?.();
      receiptQueue?.wake();
    },
    batchWriter: deps.receiptBatchWriter,
  });
  return {
    payloads,
    store: (delivery) => store.store(delivery),
    receiver: (app) => receiveRoute(app, { store, webhookSecret: deps.webhookSecret ?? (() => config.webhookSecret), bodyLimit: config.webhookBodyLimit, metrics }),
    routes: async (app) => {
      await eventsRoutes(app, { db, queue, payloads });
      await eventsStreamRoutes(app, { db, log, authenticate: deps.authenticate });
    },
    drain: () => store.drain(),
    start(opts) {
      if (opts.work) receiptQueue?.start();
    },
    receiptsCommitted() {
      receiptQueue?.wake();
    },
    async stop() {
      // A queue never started has nothing in hand: stopping it returns at once.
      await receiptQueue?.stop();
    },
  };
}
