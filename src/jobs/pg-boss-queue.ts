/**
 * The scaled-out job queue: pg-boss 10 on the PostgreSQL database (its own `pgboss` schema).
 *
 * Glossary:
 * - queue (pg-boss): one per job name, created with `createQueue` before any send; a send to a
 *   queue that does not exist inserts nothing, so `enqueue` creates it first (once per process).
 * - fetch loop: one poller per registered job name calls `boss.fetch` for as many jobs as there are
 *   free slots, runs each job on its own, and completes or fails it individually.
 * - hot polling: for a second after a local `enqueue`/`notify` the idle poll interval drops to
 *   25 ms, since the job becomes visible only when the caller's transaction commits.
 *
 * How pg-boss is configured, and why:
 * - Workers: not `boss.work()`. Its loop waits the whole polling interval (≥ 0.5 s) after every
 *   fetch, even a full one, so one worker handles at most batchSize jobs per interval, and with
 *   batchSize > 1 a throwing handler fails the whole batch. Our fetch loop refetches at once while
 *   it finds full batches (1000 jobs/s is reachable), and polls every `pollIntervalMs` (250 ms)
 *   when idle, so the lag for a job enqueued by another process is ≤ ~0.3 s.
 * - Success deletes the job (like the SQLite queue; the table stays small at high rates); failure
 *   goes through `boss.fail`, which applies retries and backoff. Both are fenced by retry_count.
 * - Lease: a claim lasts `claimSeconds` (min(JOB_LEASE_SECONDS, 15 s)), renewed by a heartbeat
 *   every quarter of it while the handler runs (one UPDATE of `expire_in` for every job this
 *   process runs), up to `leaseSeconds`, the longest a handler may run. pg-boss's maintenance
 *   (supervise) fails active jobs whose claim ran out, as if they had thrown, so the jobs of a
 *   process that died (kill -9, a lost machine) run again within claimSeconds + one maintenance
 *   interval (clamp(claimSeconds / 4, 1 s, 60 s), once across processes): ~20 s, not the 300 s of
 *   the whole lease. A handler still running at leaseSeconds is failed by this process.
 * - Retries: retryLimit = maxAttempts − 1, retryBackoff true, retryDelay = retryBaseMs in whole
 *   seconds (≥ 1). pg-boss's backoff is delay · 2^n · (1 + random()) for the n-th retry (n from 0):
 *   it jitters ("equal jitter", between 1× and 2× the exponential step) but has no 1-hour cap
 *   (the exponent stops at 16) and works in seconds, unlike `retryDelayMs`.
 * - Keys: `singletonKey`, plus a partial unique index (pg-boss-sql.ts) that makes it mean "one
 *   pending job per queue and key"; pg-boss v10's singletonKey on a standard queue de-duplicates
 *   nothing by itself.
 * - Fetch order: a second index (pg-boss-sql.ts, FETCH_INDEX) in the order pg-boss's fetch sorts by,
 *   so a fetch costs the same with 200,000 jobs queued as with none (without it every fetch sorted
 *   the whole backlog and processing fell behind for good).
 * - Schedules: pg-boss's own `schedule(name, cron, data, { tz: 'UTC' })`, declared only by processes
 *   started with `schedule: true`, which also run pg-boss's cron monitor (`schedule` option); a
 *   slot fires once across processes. Granularity is one minute (pg-boss throttles to one job per
 *   schedule per minute); pg-boss checks every `cronMonitorIntervalSeconds` (30 s) and fires a slot
 *   up to 60 s late, so a slot missed while no scheduler ran longer than that does not fire later.
 *   Its first check runs inside `boss.start()`, before our schedules are declared, so right after
 *   the very first start a slot may fire up to 30 s late. Schedules this build no longer declares
 *   are removed at start.
 * - Connections: pg-boss gets its own small pool with default JSON parsing (the data layer makes
 *   the shared `pg` module return json/jsonb as text, which would break pg-boss's cron), and
 *   `send(…, { db })` runs the insert on the caller's Kysely transaction.
 * - Dead jobs stay in pgboss.job for 7 days (`archiveFailedAfterSeconds`), then pg-boss archives them.
 * - Start: `boss.start()` installs or migrates pg-boss's schema under an advisory lock, so several
 *   processes may start at once. Every process must `start()` before `enqueue`, also a web-only one
 *   (`{ work: false, schedule: false }`: no workers, no maintenance, no cron).
 */
import PgBoss from 'pg-boss';
import pg from 'pg';
import { CompiledQuery } from 'kysely';
import type { Database, Executor } from '../db/index.js';
import type { Logger } from '../log/index.js';
import { assertCron } from './cron.js';
import type { EnqueueOptions, JobHandler, JobSummary, Queue, QueueStats, StartOptions } from './queue.js';
import {
  assertJobName,
  createBatcher,
  createPoller,
  DEFAULT_MAX_ATTEMPTS,
  normalizeEnqueueOptions,
  runHandler,
  Slots,
  type NormalizedEnqueueOptions,
  type Poller,
} from './runtime.js';
import { countStates, deleteCompleted, ensureBossQueue, ensureIndexes, FETCH_SESSION_OPTIONS, findBossJobs, lastErrors, lockClaim, renewClaims, retryFailed } from './pg-boss-sql.js';

/** pg-boss's internal queue for fired cron slots (timekeeper.js). */
const CRON_QUEUE = '__pgboss__send-it';

export interface PgBossQueueOptions {
  db: Database;
  log: Logger;
  /** Jobs this process runs at once. */
  concurrency: number;
  /** Seconds a job may run before pg-boss fails it (and runs it again if attempts remain). */
  leaseSeconds: number;
  /** First retry delay; pg-boss works in whole seconds, so it is rounded up to ≥ 1 s. */
  retryBaseMs: number;
  /** Idle poll interval per job name (default 250 ms). */
  pollIntervalMs?: number;
  /** How often expired jobs are released (default clamp(lease / 2, 1, 60) s). */
  maintenanceIntervalSeconds?: number;
  /** How often pg-boss checks schedules for a due slot, once across processes (default 30 s, pg-boss's). */
  cronMonitorIntervalSeconds?: number;
  /** How often pg-boss turns fired cron slots into jobs (default 2 s). */
  cronWorkerIntervalSeconds?: number;
  /** Connections in pg-boss's pool (default 6). */
  poolSize?: number;
  /** How long a claim lasts without a heartbeat (default 15 s; at most leaseSeconds). */
  claimSeconds?: number;
  /**
   * Job names that run in a pool of their own, outside `concurrency` (name → jobs at once), as in
   * the SQLite queue: PostgreSQL processes the receipts whose jobs run together in batches
   * (webhooks/postgres-receipt-processing.ts), so it claims many at once without taking the
   * slots of slower jobs.
   */
  ownPools?: Record<string, number>;
}

type BossJob = PgBoss.JobWithMetadata<unknown>;

/** pg's default json/jsonb parsing, whatever the shared type registry says. */
const bossTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (oid === 114 || oid === 3802) && format !== 'binary'
      ? (v: string) => JSON.parse(v) as unknown
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** A pg-boss `db` that runs SQL on a Kysely executor (the caller's transaction). */
function kyselyBossDb(exec: Executor): PgBoss.Db {
  return {
    async executeSql(text: string, values: unknown[]) {
      const res = await exec.executeQuery(CompiledQuery.raw(text, values ?? []));
      return { rows: res.rows as unknown[] };
    },
  };
}

/** Creates the pg-boss queue on the PostgreSQL database. */
export function createPgBossQueue(options: PgBossQueueOptions): Queue {
  const { db, concurrency } = options;
  if (db.dialect !== 'postgres' || !db.postgresUrl) throw new Error('createPgBossQueue needs a PostgreSQL database');
  const connectionString = db.postgresUrl;
  const log = options.log.child({ component: 'jobs', queue: 'pg-boss' });
  const leaseSeconds = Math.min(Math.max(1, Math.floor(options.leaseSeconds)), 24 * 3600 - 1);
  const leaseMs = leaseSeconds * 1000;
  const claimSeconds = Math.min(leaseSeconds, options.claimSeconds ?? 15);
  const heartbeatMs = Math.max(250, (claimSeconds * 1000) / 4);
  const retryDelay = Math.max(1, Math.ceil(options.retryBaseMs / 1000));
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const maintenanceIntervalSeconds = options.maintenanceIntervalSeconds ?? Math.min(60, Math.max(1, Math.ceil(claimSeconds / 4)));
  const handlers = new Map<string, JobHandler<unknown>>();
  const nameLimits = new Map<string, number>();
  const schedules = new Map<string, { cron: string; payload: object }>();
  const slots = new Slots(Math.max(1, concurrency), nameLimits);
  const pools = new Map(Object.entries(options.ownPools ?? {}).map(([name, n]) => [name, new Slots(Math.max(1, Math.floor(n)), new Map())]));
  const slotsFor = (name: string): Slots => pools.get(name) ?? slots;
  const pollers = new Map<string, Poller>();
  const hotUntil = new Map<string, number>();
  const queuesReady = new Map<string, Promise<void>>();
  let state: 'new' | 'starting' | 'started' | 'stopped' = 'new';
  let stopping = false;
  let boss: PgBoss | undefined;
  let pool: pg.Pool | undefined;
  /** Connections that only fetch (sorts off, see FETCH_SESSION_OPTIONS). */
  let fetchPool: pg.Pool | undefined;
  let fetchDb: PgBoss.Db | undefined;
  let poolClosed = false;

  /** The options of one job (for `send` and for `insert`'s rows). */
  const sendOptions = (o: NormalizedEnqueueOptions): Pick<PgBoss.JobInsert, 'retryLimit' | 'retryDelay' | 'retryBackoff' | 'expireInSeconds' | 'startAfter' | 'singletonKey'> => ({
    retryLimit: o.maxAttempts - 1,
    retryDelay,
    retryBackoff: true,
    expireInSeconds: claimSeconds,
    ...(o.runAt ? { startAfter: o.runAt } : {}),
    ...(o.key !== undefined ? { singletonKey: o.key } : {}),
  });

  const started = (): { boss: PgBoss; pool: pg.Pool } => {
    if (state !== 'started' || !boss || !pool) throw new Error('The pg-boss queue is not started: call start() first (also in processes that only enqueue)');
    return { boss, pool };
  };

  /** Creates pg-boss's queue for `name` once per process (outside any caller transaction). */
  const ensureQueue = (p: pg.Pool, name: string): Promise<void> => {
    let ready = queuesReady.get(name);
    if (!ready) {
      ready = ensureBossQueue(p, name, { policy: 'standard', retryLimit: DEFAULT_MAX_ATTEMPTS - 1, retryDelay, retryBackoff: true, expireInSeconds: claimSeconds });
      queuesReady.set(name, ready);
      ready.catch(() => queuesReady.delete(name));
    }
    return ready;
  };

  const wake = (name?: string) => {
    const until = Date.now() + 1000;
    for (const [n, p] of pollers) {
      if (name !== undefined && n !== name) continue;
      hotUntil.set(n, until);
      p.wake();
    }
  };

  const completer = createBatcher<{ name: string; id: string; retryCount: number }>(async (items) => {
    const { pool: p } = started();
    const byName = new Map<string, Array<{ id: string; retryCount: number }>>();
    for (const i of items) {
      const claims = byName.get(i.name) ?? [];
      claims.push(i);
      byName.set(i.name, claims);
    }
    await Promise.all([...byName].map(([name, claims]) => deleteCompleted(p, name, claims)));
  });

  const fail = async (job: BossJob, error: string): Promise<void> => {
    const { boss: b, pool: p } = started();
    const client = await p.connect();
    try {
      await client.query('begin');
      if (await lockClaim(client, job.name, job.id, job.retryCount)) {
        await b.fail(job.name, job.id, { message: error }, { db: { executeSql: (text, values) => client.query(text, values) } });
      }
      await client.query('commit');
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    const fields = { job: job.name, jobId: job.id, attempt: job.retryCount + 1, maxAttempts: job.retryLimit + 1, error };
    if (job.retryCount >= job.retryLimit) log.error(fields, 'job failed for the last time; it is dead');
    else log.warn(fields, 'job failed; it will be retried');
  };

  const execute = async (job: BossJob, handler: JobHandler<unknown>): Promise<void> => {
    const attempt = job.retryCount + 1;
    const ctx = { id: job.id, name: job.name, attempt, maxAttempts: job.retryLimit + 1, log: log.child({ job: job.name, jobId: job.id, attempt }) };
    const payload: unknown = typeof job.data === 'string' ? JSON.parse(job.data) : (job.data ?? {});
    const outcome = await runHandler(handler, payload, ctx, leaseMs);
    if (outcome.ok) await completer.add({ name: job.name, id: job.id, retryCount: job.retryCount });
    else await fail(job, outcome.error);
  };

  /**
   * The claims this process holds (renewed by the heartbeat), by job id and attempt: a job whose
   * claim ran out while its handler was still running here can be fetched again by this process, and
   * the second claim must stay renewed when the first handler settles.
   */
  const running = new Map<string, { name: string; id: string; retryCount: number }>();
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const beat = async (): Promise<void> => {
    if (running.size === 0 || poolClosed) return;
    const claims = [...running.values()];
    await renewClaims(started().pool, claims, claimSeconds);
  };

  const launch = (job: BossJob, handler: JobHandler<unknown>): void => {
    const slots = slotsFor(job.name);
    slots.take(job.name);
    const claimKey = `${job.id}:${job.retryCount}`;
    running.set(claimKey, { name: job.name, id: job.id, retryCount: job.retryCount });
    void execute(job, handler)
      .catch((err: unknown) => log.error({ err, job: job.name, jobId: job.id }, 'could not record the outcome of a job; its lease will release it'))
      .finally(() => {
        running.delete(claimKey);
        const wasFull = slots.full;
        slots.release(job.name);
        if (wasFull) for (const p of pollers.values()) p.wake();
        else pollers.get(job.name)?.wake();
      });
  };

  const pollerFor = (name: string, handler: JobHandler<unknown>): Poller =>
    createPoller({
      what: `pg-boss fetch loop for ${name}`,
      log,
      idleDelayMs: () => ((hotUntil.get(name) ?? 0) > Date.now() ? 25 : pollIntervalMs),
      poll: async () => {
        if (stopping || !slotsFor(name).worthFetching(name)) return false;
        const batchSize = slotsFor(name).free(name);
        const jobs = await started().boss.fetch<unknown>(name, { batchSize, includeMetadata: true, ...(fetchDb ? { db: fetchDb } : {}) });
        for (const job of jobs) launch(job, handler);
        return jobs.length === batchSize;
      },
    });

  const onBossError = (err: unknown) => {
    if (stopping) return;
    log.error({ err }, 'pg-boss error');
  };

  return {
    kind: 'pg-boss',

    async enqueue(exec: Executor, name: string, payload: object, opts?: EnqueueOptions) {
      assertJobName(name);
      const o = normalizeEnqueueOptions(opts);
      const { boss: b, pool: p } = started();
      await ensureQueue(p, name);
      await b.send(name, payload ?? {}, { ...sendOptions(o), db: kyselyBossDb(exec) });
      wake(name);
    },

    async enqueueMany(exec: Executor, name: string, jobs: Array<{ payload: object; options?: EnqueueOptions }>) {
      assertJobName(name);
      if (jobs.length === 0) return;
      const { boss: b, pool: p } = started();
      await ensureQueue(p, name);
      const rows = jobs.map(({ payload, options: opts }): PgBoss.JobInsert => ({ name, data: payload ?? {}, ...sendOptions(normalizeEnqueueOptions(opts)) }));
      // One statement for every job (pg-boss's `insert`: keys de-duplicate as with `send`).
      await b.insert(rows, { db: kyselyBossDb(exec) });
      wake(name);
    },

    register<P>(name: string, handler: JobHandler<P>, opts?: { concurrency?: number }) {
      if (state !== 'new') throw new Error('register must be called before start()');
      assertJobName(name);
      if (handlers.has(name)) throw new Error(`A handler for ${name} is already registered`);
      handlers.set(name, handler as JobHandler<unknown>);
      if (opts?.concurrency !== undefined) nameLimits.set(name, Math.max(1, Math.floor(opts.concurrency)));
    },

    schedule(name: string, cron: string, payload: object = {}) {
      if (state !== 'new') throw new Error('schedule must be called before start()');
      assertJobName(name);
      assertCron(cron);
      if (schedules.has(name)) throw new Error(`${name} already has a schedule`);
      schedules.set(name, { cron, payload });
    },

    async start(opts: StartOptions) {
      if (state !== 'new') throw new Error('start() may be called once');
      state = 'starting';
      pool = new pg.Pool({ connectionString, max: options.poolSize ?? 6, types: bossTypes, application_name: 'switchyard-jobs' });
      pool.on('error', (err) => {
        if (!stopping) log.warn({ error: err.message }, 'idle pg-boss connection failed');
      });
      const p = pool;
      if (opts.work) {
        const fp = new pg.Pool({ connectionString, max: 2, types: bossTypes, application_name: 'switchyard-jobs-fetch', options: FETCH_SESSION_OPTIONS });
        fp.on('error', (err) => {
          if (!stopping) log.warn({ error: err.message }, 'idle pg-boss fetch connection failed');
        });
        fetchPool = fp;
        fetchDb = { executeSql: (text, values) => (poolClosed ? Promise.resolve({ rows: [] }) : fp.query(text, values)) };
      }
      const bossDb: PgBoss.Db = {
        // Like pg-boss's own Db: after close, answer nothing rather than throw from its timers.
        executeSql: (text, values) => (poolClosed ? Promise.resolve(undefined as unknown as { rows: unknown[] }) : p.query(text, values)),
      };
      boss = new PgBoss({
        db: bossDb,
        migrate: true,
        supervise: opts.work,
        schedule: opts.schedule,
        maintenanceIntervalSeconds,
        archiveFailedAfterSeconds: 7 * 24 * 3600,
        cronMonitorIntervalSeconds: options.cronMonitorIntervalSeconds ?? 30,
        cronWorkerIntervalSeconds: options.cronWorkerIntervalSeconds ?? 2,
        expireInSeconds: claimSeconds,
        retryLimit: DEFAULT_MAX_ATTEMPTS - 1,
        retryDelay,
        retryBackoff: true,
      });
      boss.on('error', onBossError);
      try {
        await boss.start();
        await ensureIndexes(pool);
        for (const name of new Set([...handlers.keys(), ...schedules.keys()])) await ensureQueue(pool, name);
        if (opts.schedule) {
          // pg-boss creates its cron queue at start but ignores failures (e.g. a deadlock with
          // another process's create_queue); without it fired slots are silently dropped.
          await ensureBossQueue(pool, CRON_QUEUE, { policy: 'standard' });
          for (const [name, s] of schedules) {
            await boss.schedule(name, s.cron, s.payload, { tz: 'UTC', ...sendOptions(normalizeEnqueueOptions()) });
          }
          for (const s of await boss.getSchedules()) {
            if (!schedules.has(s.name)) {
              await boss.unschedule(s.name);
              log.info({ schedule: s.name }, 'removed a schedule this build does not declare');
            }
          }
        }
      } catch (err) {
        stopping = true;
        await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
        poolClosed = true;
        await pool.end().catch(() => undefined);
        await fetchPool?.end().catch(() => undefined);
        state = 'stopped';
        throw err;
      }
      state = 'started';
      if (opts.work) {
        heartbeat = setInterval(() => {
          beat().catch((err: unknown) => {
            if (!stopping) log.warn({ err }, 'could not renew the claims of running jobs; they may run again elsewhere');
          });
        }, heartbeatMs);
        heartbeat.unref();
        for (const [name, handler] of handlers) {
          const poller = pollerFor(name, handler);
          pollers.set(name, poller);
          poller.start();
        }
      }
      log.info({ work: opts.work, schedule: opts.schedule, handlers: [...handlers.keys()], schedules: [...schedules.keys()] }, 'job queue started');
    },

    async stop() {
      if (state !== 'started') {
        state = 'stopped';
        return;
      }
      stopping = true;
      await Promise.all([...pollers.values()].map((p) => p.stop()));
      await Promise.all([slots, ...pools.values()].map((p) => p.whenIdle()));
      if (heartbeat) clearInterval(heartbeat);
      await completer.drain();
      try {
        await boss?.stop({ graceful: true, wait: true, timeout: 5000 });
      } finally {
        state = 'stopped';
        poolClosed = true;
        await pool?.end();
        await fetchPool?.end();
      }
      log.info('job queue stopped');
    },

    async stats(): Promise<QueueStats[]> {
      const { pool: p } = started();
      const [counts, errors] = await Promise.all([countStates(p), lastErrors(p)]);
      const byName = new Map<string, QueueStats>();
      for (const { name, state: st, n } of counts) {
        let s = byName.get(name);
        if (!s) {
          s = { name, queued: 0, running: 0, retrying: 0, dead: 0, lastError: errors.get(name) ?? null };
          byName.set(name, s);
        }
        if (st === 'created') s.queued += n;
        else if (st === 'retry') {
          s.queued += n;
          s.retrying += n;
        } else if (st === 'active') s.running += n;
        else if (st === 'failed') s.dead += n;
      }
      return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
    },

    async retryDead(name?: string): Promise<number> {
      const moved = await retryFailed(started().pool, name);
      if (moved > 0) wake(name);
      return moved;
    },

    async findJobs(name: string, match: Record<string, string>): Promise<JobSummary[]> {
      return findBossJobs(started().pool, name, match);
    },

    notify(name?: string) {
      wake(name);
    },
  };
}
