/**
 * The job queue's public surface. `createQueue` picks the implementation for the database:
 * the embedded runner on SQLite, pg-boss on PostgreSQL (see queue.ts for the contract).
 */
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import type { Logger } from '../log/index.js';
import { createPgBossQueue } from './pg-boss-queue.js';
import type { Queue } from './queue.js';
import { createSqliteQueue } from './sqlite-queue.js';

export type { EnqueueOptions, JobContext, JobHandler, JobSummary, Queue, QueueStats, StartOptions } from './queue.js';
export { retryDelayMs } from './backoff.js';
export { enqueueSqliteSync } from './sqlite-enqueue.js';
export { createSqliteQueue, type SqliteQueueOptions } from './sqlite-queue.js';
export { createPgBossQueue, type PgBossQueueOptions } from './pg-boss-queue.js';
export { jobsAdminRoutes } from './admin-routes.js';

/** Creates the queue for `db`'s dialect, sized by WORKER_CONCURRENCY, JOB_LEASE_SECONDS and RETRY_BASE_MS. */
export function createQueue(deps: {
  db: Database;
  log: Logger;
  config: Pick<Config, 'workerConcurrency' | 'jobLeaseSeconds' | 'retryBaseMs' | 'database'>;
  /** SQLite: this process holds the data dir's lock, so running jobs at start are a dead process's. */
  ownsDatabase?: boolean;
  /** Job names that run in a pool of their own, outside WORKER_CONCURRENCY (see SqliteQueueOptions, PgBossQueueOptions). */
  ownPools?: Record<string, number>;
}): Queue {
  const { db, log, config } = deps;
  const options = { db, log, concurrency: config.workerConcurrency, leaseSeconds: config.jobLeaseSeconds, retryBaseMs: config.retryBaseMs };
  if (db.dialect !== 'postgres') return createSqliteQueue({ ...options, takeBackAtStart: deps.ownsDatabase === true, ownPools: deps.ownPools });
  const poolSize = config.database.kind === 'postgres' ? Math.max(2, Math.ceil(config.database.poolSize * 0.6)) : undefined;
  return createPgBossQueue({ ...options, poolSize, ownPools: deps.ownPools });
}
