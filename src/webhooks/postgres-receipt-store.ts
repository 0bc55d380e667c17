/**
 * The receipt store on PostgreSQL: group commit, as on SQLite. Deliveries that arrive while
 * earlier batches are being written wait (a few milliseconds) and are written together: one
 * transaction, one multi-row INSERT per table and one job insert for the whole batch, one commit
 * (one WAL flush). A delivery's request is answered only after the transaction holding its receipt,
 * payload and job has committed, so acknowledged still means committed.
 *
 * Why: one delivery alone costs six round trips to the server (begin, repository, receipt,
 * payload, job, commit); on a busy machine each round trip waits for the server's backend to be
 * scheduled, so a pool of ten connections acknowledged ~200–300 deliveries a second whatever the
 * statements cost (bench/pg-ingest-stages.mjs measures each stage). A batch of n costs the same six
 * round trips.
 *
 * - Repositories are found or created without a row lock (`on conflict do nothing`): an update
 *   would make every delivery of a busy repository wait for the previous transaction's commit.
 *   Processing counts each delivery into its repository once, through `counted`.
 * - Duplicates (a delivery id stored already, by any process, or twice in one batch) are skipped by
 *   `on conflict (delivery_id) do nothing` and answered `duplicate` with the stored receipt's id.
 * - A batch that fails as a whole (a row the database refuses, a deadlock with another process's
 *   batch) is written again one delivery per transaction, so one bad delivery cannot fail the
 *   others; only the delivery that fails alone is answered with an error (and never acknowledged).
 * - Every payload is a row of `event_payloads` (bytea, stored out of line and compressed by
 *   PostgreSQL), whatever its size: `switchyard web` and `switchyard worker` processes share nothing
 *   but DATABASE_URL. Payload files written by earlier versions (`payload_storage`) stay readable.
 */
import type { Database, Executor } from '../db/index.js';
import { newId } from '../db/index.js';
import type { Queue } from '../jobs/index.js';
import { PROCESS_RECEIPT_JOB, receiptParams, repoParams, type IncomingDelivery, type StoreResult } from './receipt-rows.js';

/** The most deliveries one transaction carries. */
const MAX_BATCH = 256;
/**
 * Batches written at once (each on its own pool connection). More than one keeps the server busy
 * while a commit waits for its WAL flush; the rest of the pool stays free for processing and reads.
 */
const BATCHES_IN_FLIGHT = 2;

export interface PostgresReceiptStoreDeps {
  db: Database;
  queue: Queue;
  maxRetries: number;
  /** Called after receipts (and their jobs) commit. */
  afterCommit?: () => void;
  /** The most deliveries in one transaction (default 256; 1 = a transaction per delivery, for comparisons). */
  maxBatch?: number;
  /** Batches written at once (default 2). */
  batchesInFlight?: number;
}

interface Pending {
  id: string;
  delivery: IncomingDelivery;
  resolve(r: StoreResult): void;
  reject(e: unknown): void;
}

export function createPostgresReceiptStore(deps: PostgresReceiptStoreDeps) {
  const { db, queue, maxRetries } = deps;
  const maxBatch = Math.max(1, deps.maxBatch ?? MAX_BATCH);
  const batchesInFlight = Math.max(1, deps.batchesInFlight ?? BATCHES_IN_FLIGHT);
  let pending: Pending[] = [];
  let inFlight = 0;
  let scheduled = false;
  const running = new Set<Promise<void>>();

  const startBatches = () => {
    scheduled = false;
    while (pending.length > 0 && inFlight < batchesInFlight) {
      const batch = pending.slice(0, maxBatch);
      pending = pending.slice(batch.length);
      inFlight++;
      const p = writeBatch(batch).finally(() => {
        inFlight--;
        running.delete(p);
        schedule();
      });
      running.add(p);
    }
  };
  /** Starts batches on the next turn of the event loop, so deliveries parsed in this turn join. */
  const schedule = () => {
    if (scheduled || pending.length === 0 || inFlight >= batchesInFlight) return;
    scheduled = true;
    setImmediate(startBatches);
  };

  async function writeBatch(batch: Pending[]): Promise<void> {
    let results: StoreResult[];
    try {
      results = await db.kysely.transaction().execute((trx) => insertBatch(trx, batch));
    } catch (e) {
      if (batch.length === 1) {
        batch[0]!.reject(e);
        return;
      }
      // Nothing of the batch committed: write each delivery alone, so only a bad one fails.
      for (const item of batch) await writeBatch([item]);
      return;
    }
    if (results.some((r) => r.status === 'received')) deps.afterCommit?.();
    batch.forEach((item, i) => item.resolve(results[i]!));
  }

  async function insertBatch(trx: Executor, batch: Pending[]): Promise<StoreResult[]> {
    const repositoryIds = await findOrCreateRepositories(trx, batch.map((b) => b.delivery));
    // In delivery-id order, so two batches that share delivery ids wait for each other in one order.
    const rows = batch
      .map((b) => {
        const repo = b.delivery.fields.repository;
        const repositoryId = repo ? (repositoryIds.get(String(repo.githubId)) ?? null) : null;
        const r = receiptParams(b.delivery, b.id, repositoryId, null, maxRetries);
        return { ...r, processing_status: 'received' as const, retry_count: 0, counted: false, created_at: r.received_at, updated_at: r.received_at };
      })
      .sort((a, b) => (a.delivery_id < b.delivery_id ? -1 : a.delivery_id > b.delivery_id ? 1 : 0));
    const inserted = new Set((await trx.insertInto('event_receipts').values(rows).onConflict((oc) => oc.column('delivery_id').doNothing()).returning('id').execute()).map((r) => r.id));
    const stored = batch.filter((b) => inserted.has(b.id));
    if (stored.length > 0) {
      await trx
        .insertInto('event_payloads')
        .values(stored.map((b) => ({ receipt_id: b.id, body: b.delivery.body })))
        .execute();
      const jobs = stored.map((b) => ({ payload: { receiptId: b.id }, options: { key: `receipt:${b.id}`, maxAttempts: 5 } }));
      if (queue.enqueueMany) await queue.enqueueMany(trx, PROCESS_RECEIPT_JOB, jobs);
      else for (const j of jobs) await queue.enqueue(trx, PROCESS_RECEIPT_JOB, j.payload, j.options);
    }
    const duplicates = batch.filter((b) => !inserted.has(b.id));
    const existing = new Map<string, string>();
    if (duplicates.length > 0) {
      // The conflicting rows are committed (an insert that conflicts waits for the other
      // transaction), so this statement's snapshot sees them.
      const found = await trx
        .selectFrom('event_receipts')
        .select(['id', 'delivery_id'])
        .where('delivery_id', 'in', [...new Set(duplicates.map((b) => b.delivery.deliveryId))])
        .execute();
      for (const r of found) existing.set(r.delivery_id, r.id);
    }
    return batch.map((b): StoreResult => (inserted.has(b.id) ? { status: 'received', id: b.id } : { status: 'duplicate', id: existing.get(b.delivery.deliveryId) ?? null }));
  }

  return {
    store(delivery: IncomingDelivery): Promise<StoreResult> {
      return new Promise<StoreResult>((resolve, reject) => {
        pending.push({ id: newId(), delivery, resolve, reject });
        schedule();
      });
    },
    async drain(): Promise<void> {
      while (pending.length > 0 || running.size > 0) {
        if (running.size > 0) await Promise.allSettled([...running]);
        else await new Promise((r) => setImmediate(r));
      }
    },
  };
}

/**
 * The repository id of every repository the deliveries name (by GitHub id, as text), creating the
 * ones seen for the first time. No row lock on repositories that exist.
 */
async function findOrCreateRepositories(trx: Executor, deliveries: IncomingDelivery[]): Promise<Map<string, string>> {
  const byGithubId = new Map<string, NonNullable<ReturnType<typeof repoParams>>>();
  for (const d of deliveries) {
    const repo = repoParams(d);
    if (repo && !byGithubId.has(String(repo.github_id))) byGithubId.set(String(repo.github_id), repo);
  }
  const ids = new Map<string, string>();
  if (byGithubId.size === 0) return ids;
  const githubIds = [...byGithubId.values()].map((r) => r.github_id).sort((a, b) => a - b);
  const rows = await trx
    .with('created', (qb) =>
      qb
        .insertInto('repositories')
        .values(
          githubIds.map((g) => {
            const repo = byGithubId.get(String(g))!;
            return {
              id: repo.id,
              github_id: repo.github_id,
              owner: repo.owner,
              name: repo.name,
              full_name: repo.full_name,
              installation_id: repo.installation_id,
              is_private: repo.is_private === 1,
              default_branch: repo.default_branch,
              html_url: repo.html_url,
              event_count: 0,
              last_event_at: null,
              status: 'active',
              failure_count: 0,
              created_at: repo.at,
              updated_at: repo.at,
            };
          }),
        )
        .onConflict((oc) => oc.column('github_id').doNothing())
        .returning(['id', 'github_id']),
    )
    .selectFrom('created')
    .select(['id', 'github_id'])
    .unionAll(trx.selectFrom('repositories').select(['id', 'github_id']).where('github_id', 'in', githubIds))
    .execute();
  for (const r of rows) ids.set(String(r.github_id), r.id);
  // Created by another transaction after this statement's snapshot was taken (its insert made ours
  // wait, so it has committed): a new statement sees it.
  const missing = githubIds.filter((g) => !ids.has(String(g)));
  if (missing.length > 0) {
    for (const r of await trx.selectFrom('repositories').select(['id', 'github_id']).where('github_id', 'in', missing).execute()) ids.set(String(r.github_id), r.id);
  }
  return ids;
}
