/**
 * SQL this project runs against pg-boss 10's own tables (schema `pgboss`, schema version 24), for
 * what pg-boss's API does not offer: key de-duplication of pending jobs, fenced completion, stats
 * with the last error, and moving dead jobs back with a fresh attempt budget.
 *
 * Glossary:
 * - pgboss.job: one row per job, partitioned by queue name; `state` is an enum ordered
 *   created < retry < active < completed < cancelled < failed, so `state < 'completed'` = pending.
 * - fence: a job row is touched only if it is still `active` with the `retry_count` the fetch
 *   returned; pg-boss adds one to retry_count each time it hands a job out again, so (id,
 *   retry_count) names one claim, and a late completion never touches a newer claim's row.
 * - internal queues: pg-boss's own queues are named `__pgboss__…` (e.g. the cron `send-it` queue);
 *   they are left alone.
 */
import type pg from 'pg';
import type { JobSummary } from './queue.js';

export const BOSS_SCHEMA = 'pgboss';
export const KEY_INDEX = 'switchyard_job_key_pending';
const INTERNAL = `left(name, 10) = '__pgboss__'`;

/**
 * Runs DDL on pg-boss's schema in a transaction holding one advisory lock, retrying on deadlock.
 * pg-boss 10's `create_queue` deadlocks when two run at once (each inserts into pgboss.queue, then
 * adds a foreign key to it, which needs a lock the other holds), e.g. when several processes start
 * together; serializing ours avoids that, and the retry covers pg-boss's own unserialized calls.
 */
async function withDdlLock(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(`select pg_advisory_xact_lock(hashtext('switchyard.${BOSS_SCHEMA}.ddl'))`);
      await fn(client);
      await client.query('commit');
      return;
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      if ((err as { code?: string }).code !== '40P01' || attempt >= 5) throw err;
    } finally {
      client.release();
    }
  }
}

/**
 * pg-boss's `singletonKey` alone de-duplicates nothing on a `standard` queue in v10 (its unique
 * indexes only cover the short/singleton/stately policies and throttling slots; `short` would also
 * treat every key-less job as one key). This partial unique index gives the contract: one pending
 * job per (queue, key). pg-boss inserts with ON CONFLICT DO NOTHING, so a duplicate is skipped, and
 * new queue partitions inherit the index when pg-boss attaches them.
 */
const KEY_INDEX_SQL = `create unique index if not exists ${KEY_INDEX} on ${BOSS_SCHEMA}.job (name, singleton_key)
  where singleton_key is not null and state < 'completed' and left(name, 10) <> '__pgboss__'`;

/**
 * The order pg-boss 10 fetches in. Its fetch is `… WHERE name = $1 AND state < 'active' AND
 * start_after < now() ORDER BY priority desc, created_on, id LIMIT n FOR UPDATE SKIP LOCKED`, and
 * its own index for it (`job_i5`: name, start_after INCLUDE priority, created_on, id) does not give
 * that order, so every fetch read and sorted every pending job of the queue (the lock step sits
 * between the sort and the limit, so it was a full sort, on disk past work_mem): 360 ms per fetch
 * at 200,000 queued, which is why a backlog on PostgreSQL never caught up (14–18 jobs/s). With this
 * index the fetch walks the first n entries: 0.09 ms at 200,000 queued (EXPLAIN in
 * docs/architecture.md). It is created on the partitioned parent, so every queue's partition has it,
 * also partitions pg-boss attaches later.
 */
export const FETCH_INDEX = 'switchyard_job_fetch_order';
const FETCH_INDEX_SQL = `create index if not exists ${FETCH_INDEX} on ${BOSS_SCHEMA}.job (name, priority desc, created_on, id)
  where state < 'active'`;

/**
 * Session settings of the connections that fetch jobs. Right after a burst the planner's statistics
 * of a queue's partition still say it is nearly empty (autovacuum analyzes it up to a minute
 * later), and for a few rows a bitmap scan on pg-boss's `job_i5` plus a sort looks cheapest, which
 * is the full sort again, now over the real backlog (measured: 346 jobs/s at 20,000 queued against
 * 1,809 at the end of the drain). Sorting the candidates is never needed with FETCH_INDEX, so the
 * fetch connections turn sorts off (a planner setting, not a hint: a sort the query still needs,
 * such as the window over at most a batch, still runs). A disabled sort adds a huge constant to the
 * plan's cost, which would make PostgreSQL JIT-compile every fetch (0.6 s each, measured), so JIT is
 * off on these connections too.
 */
export const FETCH_SESSION_OPTIONS = '-c enable_sort=off -c jit=off';

/** Creates the indexes this project adds to pg-boss's job table (once; serialized with other DDL). */
export async function ensureIndexes(pool: pg.Pool): Promise<void> {
  const exists = await pool.query<{ k: string | null; f: string | null }>(
    `select to_regclass('${BOSS_SCHEMA}.${KEY_INDEX}')::text as k, to_regclass('${BOSS_SCHEMA}.${FETCH_INDEX}')::text as f`,
  );
  if (exists.rows[0]?.k && exists.rows[0]?.f) return;
  await withDdlLock(pool, async (client) => {
    await client.query(KEY_INDEX_SQL);
    await client.query(FETCH_INDEX_SQL);
  });
}

/** pg-boss queue settings, as `boss.createQueue` passes them to `create_queue`. */
export interface BossQueueSettings {
  policy: 'standard';
  retryLimit?: number;
  retryDelay?: number;
  retryBackoff?: boolean;
  expireInSeconds?: number;
}

/** Creates pg-boss's queue (and its job partition) unless it exists, serialized with other DDL. */
export async function ensureBossQueue(pool: pg.Pool, name: string, settings: BossQueueSettings): Promise<void> {
  const exists = await pool.query(`select 1 from ${BOSS_SCHEMA}.queue where name = $1`, [name]);
  if ((exists.rowCount ?? 0) > 0) return;
  await withDdlLock(pool, async (client) => {
    await client.query(`select ${BOSS_SCHEMA}.create_queue($1, $2)`, [name, settings]);
  });
}

/** Deletes completed jobs (success = delete, as in the SQLite queue), fenced by retry_count. */
export async function deleteCompleted(pool: pg.Pool, name: string, claims: ReadonlyArray<{ id: string; retryCount: number }>): Promise<void> {
  await pool.query(
    `delete from ${BOSS_SCHEMA}.job j using unnest($2::uuid[], $3::int[]) as d(id, retry_count)
     where j.name = $1 and j.id = d.id and j.retry_count = d.retry_count and j.state = 'active'`,
    [name, claims.map((c) => c.id), claims.map((c) => c.retryCount)],
  );
}

/**
 * Renews claims: each still-active job (fenced by retry_count) gets `claimSeconds` more from now,
 * by moving its `expire_in` (pg-boss expires a job when started_on + expire_in < now()).
 */
export async function renewClaims(pool: pg.Pool, claims: ReadonlyArray<{ name: string; id: string; retryCount: number }>, claimSeconds: number): Promise<void> {
  await pool.query(
    `update ${BOSS_SCHEMA}.job j set expire_in = (now() - j.started_on) + make_interval(secs => $4)
     from unnest($1::text[], $2::uuid[], $3::int[]) as c(name, id, retry_count)
     where j.name = c.name and j.id = c.id and j.retry_count = c.retry_count and j.state = 'active'`,
    [claims.map((c) => c.name), claims.map((c) => c.id), claims.map((c) => c.retryCount), claimSeconds],
  );
}

/** Locks the job row if this claim still holds it (call inside a transaction). */
export async function lockClaim(client: pg.PoolClient, name: string, id: string, retryCount: number): Promise<boolean> {
  const res = await client.query(
    `select 1 from ${BOSS_SCHEMA}.job where name = $1 and id = $2 and retry_count = $3 and state = 'active' for update`,
    [name, id, retryCount],
  );
  return (res.rowCount ?? 0) > 0;
}

export interface StateCount {
  name: string;
  state: string | null;
  n: number;
}

/** Job counts per queue and state (queues without jobs appear with state null). */
export async function countStates(pool: pg.Pool): Promise<StateCount[]> {
  const res = await pool.query<{ name: string; state: string | null; n: string | number }>(
    `select q.name, j.state::text as state, count(j.id) as n
     from ${BOSS_SCHEMA}.queue q left join ${BOSS_SCHEMA}.job j on j.name = q.name
     where left(q.name, 10) <> '__pgboss__'
     group by q.name, j.state`,
  );
  return res.rows.map((r) => ({ name: r.name, state: r.state, n: Number(r.n) }));
}

/** The error message of the most recently failed job per queue (pg-boss stores it in `output`). */
export async function lastErrors(pool: pg.Pool): Promise<Map<string, string | null>> {
  const res = await pool.query<{ name: string; message: string | null }>(
    `select distinct on (name) name,
       coalesce(output->>'message', output->'value'->>'message', output::text) as message
     from ${BOSS_SCHEMA}.job
     where state = 'failed' and not ${INTERNAL}
     order by name, completed_on desc nulls last`,
  );
  return new Map(res.rows.map((r) => [r.name, r.message]));
}

/**
 * Moves failed jobs back to `created` with retry_count 0 and started_on null, so the next run is
 * attempt 1 of a fresh budget. Per key only the latest failed job moves, and only if no pending job
 * holds the key. Returns how many moved.
 */
export async function retryFailed(pool: pg.Pool, name: string | undefined): Promise<number> {
  const sql = `
    with candidates as (
      select distinct on (j.name, coalesce(j.singleton_key, j.id::text)) j.name, j.id
      from ${BOSS_SCHEMA}.job j
      where j.state = 'failed' and ($1::text is null or j.name = $1) and left(j.name, 10) <> '__pgboss__'
        and (j.singleton_key is null or not exists (
          select 1 from ${BOSS_SCHEMA}.job p
          where p.name = j.name and p.singleton_key = j.singleton_key and p.state < 'completed'))
      order by j.name, coalesce(j.singleton_key, j.id::text), j.completed_on desc nulls last
    ), moved as (
      update ${BOSS_SCHEMA}.job j set state = 'created', retry_count = 0, started_on = null, completed_on = null,
        start_after = now(), keep_until = now() + interval '14 days'
      from candidates c
      where j.name = c.name and j.id = c.id and j.state = 'failed'
      returning 1
    )
    select count(*) as n from moved`;
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await pool.query<{ n: string | number }>(sql, [name ?? null]);
      return Number(res.rows[0]?.n ?? 0);
    } catch (err) {
      // A job with the same key was enqueued meanwhile (unique violation): try again, it is skipped now.
      if ((err as { code?: string }).code !== '23505' || attempt >= 3) throw err;
    }
  }
}

/** Pending, running and failed jobs of a queue whose data has these top-level string values. */
export async function findBossJobs(pool: pg.Pool, name: string, match: Record<string, string>): Promise<JobSummary[]> {
  const keys = Object.keys(match);
  const where = keys.map((_, i) => `data->>$${i * 2 + 2} = $${i * 2 + 3}`).join(' and ');
  const params: unknown[] = [name, ...keys.flatMap((k) => [k, match[k]])];
  const res = await pool.query<{ id: string; name: string; state: string; retry_count: number; retry_limit: number; message: string | null; data: Record<string, unknown> | null }>(
    `select id, name, state::text as state, retry_count, retry_limit, data,
       coalesce(output->>'message', output->'value'->>'message') as message
     from ${BOSS_SCHEMA}.job
     where name = $1 and state in ('created', 'retry', 'active', 'failed')${where ? ` and ${where}` : ''}
     order by created_on limit 50`,
    params,
  );
  const states: Record<string, JobSummary['state']> = { created: 'queued', retry: 'retrying', active: 'running', failed: 'dead' };
  return res.rows.map((r) => ({
    id: r.id,
    name: r.name,
    state: states[r.state] ?? 'queued',
    // pg-boss counts retries; a job that ran (or runs) has had retry_count + 1 attempts.
    attempts: r.state === 'created' ? r.retry_count : r.retry_count + 1,
    maxAttempts: r.retry_limit + 1,
    lastError: r.message,
    payload: r.data ?? {},
  }));
}
