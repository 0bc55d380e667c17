/**
 * The embedded job queue: jobs live in the SQLite `jobs` table and run in this process.
 *
 * Glossary:
 * - claim: one UPDATE … RETURNING that moves due jobs (queued/retry with run_at ≤ now) to
 *   `running`, stamps `locked_by` (this queue instance) and `locked_until` (now + lease) and adds
 *   one to `attempts`. A claim is identified by (id, attempts): completing or failing a job only
 *   touches the row if that claim still holds it.
 * - reap: a running job whose `locked_until` has passed (its process died, or its handler outlived
 *   the lease) goes back to `retry` (or `dead` if that was its last attempt), like pg-boss's expiry.
 * - unknown job names: jobs no handler is registered for are left queued (another build may know
 *   them); `stats()` shows them.
 *
 * On success the job row is deleted; on failure it goes to `retry` with run_at = now +
 * retryDelayMs(attempt) (full jitter), or `dead` after `max_attempts` runs, keeping `last_error`.
 *
 * All queries go through Kysely's single SQLite connection (one mutex), never a second connection,
 * so a claim waits for an enqueueing transaction to commit. The runner polls every
 * `pollIntervalMs` when idle and at once when woken by `enqueue`, `notify()` or `enqueueSqliteSync`.
 */
import { sql } from 'kysely';
import { newId } from '../db/ids.js';
import type { Database, Executor } from '../db/index.js';
import type { Logger } from '../log/index.js';
import { retryDelayMs } from './backoff.js';
import { assertCron } from './cron.js';
import type { EnqueueOptions, JobHandler, JobSummary, Queue, QueueStats, StartOptions } from './queue.js';
import { assertJobName, createBatcher, createPoller, runHandler, Slots, type Poller } from './runtime.js';
import { newJobRow, onSyncEnqueue } from './sqlite-enqueue.js';
import { createSqliteScheduler, type CronSchedule, type SqliteScheduler } from './sqlite-scheduler.js';

export interface SqliteQueueOptions {
  db: Database;
  log: Logger;
  /** Jobs this process runs at once. */
  concurrency: number;
  /** Seconds a claimed job may run before it is failed and becomes runnable again. */
  leaseSeconds: number;
  /** First retry delay ceiling (doubles per attempt, full jitter, capped at 1 hour). */
  retryBaseMs: number;
  /** Idle poll interval (default 100 ms). */
  pollIntervalMs?: number;
  /** Longest wait between schedule checks (default 15 s); schedules are also checked at their slots. */
  scheduleCheckMs?: number;
  /**
   * This process owns the database (it holds the data dir's lock, embedded/data-dir-lock.ts): at
   * start every job still marked running belongs to a process that has died, so it is taken back at
   * once instead of after its lease (JOB_LEASE_SECONDS, 300 s by default).
   */
  takeBackAtStart?: boolean;
  /**
   * Job names that run in a pool of their own, outside `concurrency` (name → how many at once):
   * receipt processing, whose jobs that run together are processed in one transaction, so a larger
   * pool makes larger batches without taking slots from other jobs.
   */
  ownPools?: Record<string, number>;
}

interface ClaimedRow {
  id: string;
  name: string;
  payload: string;
  attempts: number;
  max_attempts: number;
}

const PENDING = "('queued', 'running', 'retry')";

/** Creates the embedded queue over the `jobs` table of a SQLite database. */
export function createSqliteQueue(options: SqliteQueueOptions): Queue {
  const { db, concurrency, leaseSeconds, retryBaseMs } = options;
  if (db.dialect !== 'sqlite') throw new Error('createSqliteQueue needs the embedded SQLite database');
  const log = options.log.child({ component: 'jobs', queue: 'sqlite' });
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const leaseMs = leaseSeconds * 1000;
  const runnerId = newId();
  const handlers = new Map<string, JobHandler<unknown>>();
  const nameLimits = new Map<string, number>();
  const schedules: CronSchedule[] = [];
  const slots = new Slots(Math.max(1, concurrency), nameLimits);
  const pools = new Map(Object.entries(options.ownPools ?? {}).map(([name, n]) => [name, new Slots(Math.max(1, Math.floor(n)), new Map())]));
  const slotsFor = (name: string): Slots => pools.get(name) ?? slots;
  let state: 'new' | 'started' | 'stopped' = 'new';
  let working = false;
  let poller: Poller | undefined;
  let scheduler: SqliteScheduler | undefined;
  let unregisterWake: (() => void) | undefined;
  let lastReap = 0;
  const busy = new Set<string>();
  let lastFullClaim = 0;

  const enqueue = async (exec: Executor, name: string, payload: object, opts?: EnqueueOptions): Promise<void> => {
    const row = newJobRow(name, payload, opts, new Date());
    await exec.insertInto('jobs').values(row).onConflict((oc) => oc.doNothing()).execute();
    poller?.wake();
  };

  /** Lease expired: back to retry, or dead when that was the last attempt. */
  const reap = async (nowText: string): Promise<void> => {
    const res = await sql`update jobs set
        state = case when attempts >= max_attempts then 'dead' else 'retry' end,
        run_at = ${nowText}, last_error = 'lease expired: the worker died or its handler outlived the lease',
        locked_by = null, locked_until = null, updated_at = ${nowText}
      where state = 'running' and locked_until < ${nowText}`.execute(db.kysely);
    if (res.numAffectedRows) log.warn({ jobs: Number(res.numAffectedRows) }, 'jobs whose lease expired were released');
  };

  /** Claims due jobs for the names with free slots; `requested` is how many it asked for. */
  const claim = async (names: Iterable<string>): Promise<{ rows: ClaimedRow[]; requested: number; wants: Array<[string, number]> }> => {
    const wants: Array<[string, number]> = [];
    for (const name of names) if (slotsFor(name).worthFetching(name)) wants.push([name, slotsFor(name).free(name)]);
    if (wants.length === 0) return { rows: [], requested: 0, wants };
    const sharedWants = wants.filter(([name]) => !pools.has(name));
    const sharedLimit = Math.min(slots.limit - slots.active, sharedWants.reduce((sum, [, n]) => sum + n, 0));
    // One group per pool: the names sharing the process limit, and each name with a pool of its own.
    const groups: Array<{ wants: Array<[string, number]>; limit: number }> = [];
    if (sharedWants.length > 0 && sharedLimit > 0) groups.push({ wants: sharedWants, limit: sharedLimit });
    for (const w of wants) if (pools.has(w[0])) groups.push({ wants: [w], limit: w[1] });
    const requested = groups.reduce((sum, g) => sum + g.limit, 0);
    if (requested === 0) return { rows: [], requested: 0, wants };
    const now = new Date();
    const nowText = now.toISOString();
    if (now.getTime() - lastReap >= 1000) {
      lastReap = now.getTime();
      await reap(nowText);
    }
    const until = new Date(now.getTime() + leaseMs).toISOString();
    // One ordered index range per (name, state): `state in (…)` would make SQLite read and sort
    // every due job of the backlog on each claim. The oldest of each group, up to its limit.
    const picks = groups.map((g) => {
      const ranges = g.wants.flatMap(([name, n]) =>
        (['queued', 'retry'] as const).map(
          (state) =>
            sql`select id, run_at from (select id, run_at from jobs where name = ${name} and state = ${state} and run_at <= ${nowText} order by run_at, id limit ${n})`,
        ),
      );
      return sql`select id from (select id, run_at from (${sql.join(ranges, sql` union all `)}) order by run_at, id limit ${g.limit})`;
    });
    const { rows } = await sql<ClaimedRow>`update jobs set state = 'running', attempts = attempts + 1, locked_by = ${runnerId}, locked_until = ${until}, updated_at = ${nowText}
      where id in (${sql.join(picks, sql` union all `)})
      returning id, name, payload, attempts, max_attempts`.execute(db.kysely);
    return { rows, requested, wants };
  };

  const completer = createBatcher<{ id: string; attempt: number }>(async (items) => {
    const claims = items.map((i) => sql`(${i.id}, ${i.attempt})`);
    await sql`delete from jobs where locked_by = ${runnerId} and state = 'running'
      and (id, attempts) in (values ${sql.join(claims)})`.execute(db.kysely);
  });

  const fail = async (job: ClaimedRow, error: string): Promise<void> => {
    const dead = job.attempts >= job.max_attempts;
    const now = Date.now();
    await db.kysely
      .updateTable('jobs')
      .set({
        state: dead ? 'dead' : 'retry',
        ...(dead ? {} : { run_at: new Date(now + retryDelayMs(job.attempts, retryBaseMs)).toISOString() }),
        last_error: error.slice(0, 4000),
        locked_by: null,
        locked_until: null,
        updated_at: new Date(now).toISOString(),
      })
      .where('id', '=', job.id)
      .where('locked_by', '=', runnerId)
      .where('attempts', '=', job.attempts)
      .where('state', '=', 'running')
      .execute();
    const fields = { job: job.name, jobId: job.id, attempt: job.attempts, maxAttempts: job.max_attempts, error };
    if (dead) log.error(fields, 'job failed for the last time; it is dead');
    else log.warn(fields, 'job failed; it will be retried');
  };

  const execute = async (job: ClaimedRow): Promise<void> => {
    const handler = handlers.get(job.name);
    const ctx = {
      id: job.id,
      name: job.name,
      attempt: job.attempts,
      maxAttempts: job.max_attempts,
      log: log.child({ job: job.name, jobId: job.id, attempt: job.attempts }),
    };
    let payload: unknown;
    try {
      payload = JSON.parse(job.payload);
    } catch {
      payload = {};
    }
    const outcome = handler ? await runHandler(handler, payload, ctx, leaseMs) : { ok: false as const, error: `no handler for ${job.name}` };
    if (outcome.ok) await completer.add({ id: job.id, attempt: job.attempts });
    else await fail(job, outcome.error);
  };

  const launch = (job: ClaimedRow): void => {
    slotsFor(job.name).take(job.name);
    void execute(job)
      .catch((err: unknown) => log.error({ err, job: job.name, jobId: job.id }, 'could not record the outcome of a job; its lease will release it'))
      .finally(() => {
        slotsFor(job.name).release(job.name);
        poller?.wake();
      });
  };

  /** True when it got all it asked for: there may be more due jobs, so poll again at once. */
  /**
   * True when it got all it asked for: there may be more due jobs, so poll again at once.
   *
   * A claim over every registered name probes the index twice per name (48 probes for 24 names:
   * ~5 ms a claim with a backlog, more than processing a receipt took). So while some names have
   * a backlog ("busy": they filled their slots last time), polls claim for those names only, and
   * claim for every name when the busy ones run dry and at least every idle interval, so no name
   * waits longer than it did before.
   */
  const poll = async (): Promise<boolean> => {
    const now = Date.now();
    if (busy.size > 0 && now - lastFullClaim < pollIntervalMs) {
      const { rows, requested } = await claim(busy);
      for (const job of rows) launch(job);
      if (requested > 0 && rows.length === requested) return true;
      // Their slots are full: the next release wakes the poller (and the idle interval sweeps all).
      if (requested === 0) return false;
    }
    lastFullClaim = now;
    const { rows, requested, wants } = await claim(handlers.keys());
    for (const job of rows) launch(job);
    // Busy: got every job it asked for. A name not asked for this time (its slots were full) keeps
    // its mark; one that got fewer than it asked for has run dry.
    const got = new Map<string, number>();
    for (const r of rows) got.set(r.name, (got.get(r.name) ?? 0) + 1);
    for (const [name, n] of wants) {
      if ((got.get(name) ?? 0) >= n) busy.add(name);
      else busy.delete(name);
    }
    return requested > 0 && rows.length === requested;
  };

  const assertNew = (what: string) => {
    if (state !== 'new') throw new Error(`${what} must be called before start()`);
  };

  return {
    kind: 'sqlite',
    enqueue,

    register<P>(name: string, handler: JobHandler<P>, opts?: { concurrency?: number }) {
      assertNew('register');
      assertJobName(name);
      if (handlers.has(name)) throw new Error(`A handler for ${name} is already registered`);
      handlers.set(name, handler as JobHandler<unknown>);
      if (opts?.concurrency !== undefined) nameLimits.set(name, Math.max(1, Math.floor(opts.concurrency)));
    },

    schedule(name: string, cron: string, payload: object = {}) {
      assertNew('schedule');
      assertJobName(name);
      assertCron(cron);
      if (schedules.some((s) => s.name === name)) throw new Error(`${name} already has a schedule`);
      schedules.push({ name, cron, payload });
    },

    async start(opts: StartOptions) {
      assertNew('start');
      state = 'started';
      working = opts.work;
      if (opts.work && options.takeBackAtStart) {
        const nowText = new Date().toISOString();
        // The attempt that died is not counted against the job: it gets back the one its claim took.
        const res = await sql`update jobs set state = 'retry', run_at = ${nowText},
            attempts = case when attempts > 0 then attempts - 1 else 0 end,
            last_error = 'taken back at start: the process that ran it stopped', locked_by = null, locked_until = null, updated_at = ${nowText}
          where state = 'running'`.execute(db.kysely);
        if (res.numAffectedRows) log.warn({ jobs: Number(res.numAffectedRows) }, 'took back the jobs a stopped process left running');
      }
      if (opts.work && handlers.size > 0) {
        poller = createPoller({ poll, idleDelayMs: () => pollIntervalMs, log, what: 'sqlite job runner' });
        if (db.sqlite) unregisterWake = onSyncEnqueue(db.sqlite, () => poller?.wake());
        poller.start();
      }
      if (opts.schedule && schedules.length > 0) {
        scheduler = createSqliteScheduler({ db, log, schedules, checkMs: options.scheduleCheckMs ?? 15_000, enqueue: (exec, name, payload) => enqueue(exec, name, payload) });
        scheduler.start();
      }
      log.info({ work: opts.work, schedule: opts.schedule, handlers: [...handlers.keys()], schedules: schedules.map((s) => s.name) }, 'job queue started');
    },

    async stop() {
      if (state !== 'started') {
        state = 'stopped';
        return;
      }
      state = 'stopped';
      unregisterWake?.();
      await scheduler?.stop();
      await poller?.stop();
      await Promise.all([slots, ...pools.values()].map((p) => p.whenIdle()));
      await completer.drain();
      if (working) log.info('job queue stopped');
    },

    async stats(): Promise<QueueStats[]> {
      const counts = await db.kysely
        .selectFrom('jobs')
        .select(['name', 'state', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy(['name', 'state'])
        .execute();
      const errors = await sql<{ name: string; last_error: string | null }>`select j.name, j.last_error from jobs j
        where j.state = 'dead' and j.id = (select d.id from jobs d where d.name = j.name and d.state = 'dead' order by d.updated_at desc, d.id desc limit 1)`.execute(db.kysely);
      const byName = new Map<string, QueueStats>();
      const entry = (name: string) => {
        let s = byName.get(name);
        if (!s) {
          s = { name, queued: 0, running: 0, retrying: 0, dead: 0, lastError: null };
          byName.set(name, s);
        }
        return s;
      };
      for (const name of handlers.keys()) entry(name);
      for (const { name, state: st, n } of counts) {
        const s = entry(name);
        const count = Number(n);
        if (st === 'queued') s.queued += count;
        else if (st === 'retry') {
          s.queued += count;
          s.retrying += count;
        } else if (st === 'running') s.running += count;
        else if (st === 'dead') s.dead += count;
      }
      for (const row of errors.rows) entry(row.name).lastError = row.last_error;
      return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
    },

    async retryDead(name?: string): Promise<number> {
      const nowText = new Date().toISOString();
      const only = name === undefined ? sql`1 = 1` : sql`name = ${name}`;
      // One job per key (the latest dead one), and only when no pending job holds that key.
      const res = await sql`update jobs set state = 'queued', attempts = 0, run_at = ${nowText},
          locked_by = null, locked_until = null, updated_at = ${nowText}
        where state = 'dead' and ${only} and (key is null or (
          not exists (select 1 from jobs p where p.key = jobs.key and p.state in ${sql.raw(PENDING)})
          and id = (select d.id from jobs d where d.key = jobs.key and d.state = 'dead' order by d.updated_at desc, d.id desc limit 1)))`.execute(
        db.kysely,
      );
      const moved = Number(res.numAffectedRows ?? 0);
      if (moved > 0) poller?.wake();
      return moved;
    },

    async findJobs(name: string, match: Record<string, string>): Promise<JobSummary[]> {
      let q = db.kysely.selectFrom('jobs').select(['id', 'name', 'state', 'attempts', 'max_attempts', 'last_error', 'payload']).where('name', '=', name);
      for (const [k, v] of Object.entries(match)) q = q.where(sql<string>`json_extract(payload, ${`$.${k}`})`, '=', v);
      const rows = await q.orderBy('created_at').limit(50).execute();
      return rows.map((r) => ({
        id: r.id,
        name: r.name,
        state: r.state === 'retry' ? 'retrying' : r.state,
        attempts: r.attempts,
        maxAttempts: r.max_attempts,
        lastError: r.last_error,
        payload: JSON.parse(r.payload) as Record<string, unknown>,
      }));
    },

    notify() {
      poller?.wake();
    },
  };
}
