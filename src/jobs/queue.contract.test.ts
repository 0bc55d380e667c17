/**
 * The queue contract (queue.ts), run against both implementations: the embedded SQLite runner and
 * pg-boss on PostgreSQL (skipped when PostgreSQL is unavailable). One database per dialect; every
 * test uses its own job names, so tests do not see each other's jobs.
 */
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects, type TestDatabase } from '../../test/support/databases.js';
import { createLogger } from '../log/index.js';
import { createPgBossQueue } from './pg-boss-queue.js';
import type { JobContext, Queue, QueueStats } from './queue.js';
import { createSqliteQueue } from './sqlite-queue.js';

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). */
async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A promise with its resolve function, to hold a handler until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => undefined as void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe.each(dialects)('job queue contract on %s', (dialect) => {
  let t: TestDatabase;
  const queues: Queue[] = [];
  let seq = 0;
  const jobName = (label: string) => `test.${label}-${++seq}`;

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
  });
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((q) => q.stop()));
  });
  afterAll(async () => {
    await t?.drop();
  });

  function makeQueue(o: { leaseSeconds?: number; concurrency?: number } = {}): Queue {
    const base = { db: t.db, log, concurrency: o.concurrency ?? 4, leaseSeconds: o.leaseSeconds ?? 30, retryBaseMs: 10 };
    const q =
      dialect === 'sqlite'
        ? createSqliteQueue({ ...base, pollIntervalMs: 50, scheduleCheckMs: 200 })
        : createPgBossQueue({ ...base, pollIntervalMs: 100, cronMonitorIntervalSeconds: 1, cronWorkerIntervalSeconds: 1 });
    queues.push(q);
    return q;
  }

  async function statsFor(q: Queue, name: string): Promise<QueueStats> {
    const found = (await q.stats()).find((s) => s.name === name);
    return found ?? { name, queued: 0, running: 0, retrying: 0, dead: 0, lastError: null };
  }

  /** Leaves the waiting job of `name` claimed by a worker that then died (kill -9) without finishing it. */
  async function claimAndAbandon(name: string, leaseSeconds: number): Promise<void> {
    if (dialect === 'sqlite') {
      const until = new Date(Date.now() + leaseSeconds * 1000).toISOString();
      await sql`update jobs set state = 'running', attempts = 1, locked_by = 'crashed-runner', locked_until = ${until} where name = ${name}`.execute(t.db.kysely);
    } else {
      await sql`update pgboss.job set state = 'active', started_on = now() where name = ${name} and state = 'created'`.execute(t.db.kysely);
    }
  }

  it('runs a job enqueued in a committed transaction exactly once with its payload; a rolled-back one never', async () => {
    const name = jobName('tx');
    const seen: Array<{ payload: unknown; attempt: number }> = [];
    const q = makeQueue();
    q.register<{ n: number }>(name, async (payload, ctx) => {
      seen.push({ payload, attempt: ctx.attempt });
    });
    await q.start({ work: true, schedule: false });

    await expect(
      t.db.kysely.transaction().execute(async (trx) => {
        await q.enqueue(trx, name, { n: 1 });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await t.db.kysely.transaction().execute((trx) => q.enqueue(trx, name, { n: 2 }));

    await waitFor(() => seen.length >= 1, 'the committed job');
    await sleep(300);
    expect(seen).toEqual([{ payload: { n: 2 }, attempt: 1 }]);
    expect(await statsFor(q, name)).toMatchObject({ queued: 0, running: 0, dead: 0 });
  });

  it('retries a throwing handler with attempt 1, 2, … and makes it dead after maxAttempts; retryDead runs it again', async () => {
    const name = jobName('retry');
    const attempts: JobContext[] = [];
    let failing = true;
    const q = makeQueue();
    q.register(name, async (_payload, ctx) => {
      attempts.push(ctx);
      if (failing) throw new Error(`boom ${ctx.attempt}`);
    });
    await q.start({ work: true, schedule: false });
    await q.enqueue(t.db.kysely, name, {}, { maxAttempts: 3 });

    const dead = await waitFor(async () => {
      const s = await statsFor(q, name);
      return s.dead === 1 ? s : undefined;
    }, 'the job to be dead');
    expect(attempts.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(attempts.every((c) => c.maxAttempts === 3 && c.name === name)).toBe(true);
    expect(new Set(attempts.map((c) => c.id)).size).toBe(1);
    expect(dead).toMatchObject({ queued: 0, running: 0, retrying: 0, dead: 1, lastError: 'boom 3' });

    failing = false;
    expect(await q.retryDead(name)).toBe(1);
    await waitFor(() => attempts.length === 4, 'the retried job');
    expect(attempts[3]?.attempt).toBe(1);
    await waitFor(async () => (await statsFor(q, name)).dead === 0 && (await statsFor(q, name)).running === 0, 'the job to finish');
    expect(await q.retryDead(name)).toBe(0);
  });

  it('ignores a key while a job with that key waits or runs, and accepts it again afterwards', async () => {
    const name = jobName('key');
    const other = jobName('key-other');
    const runs: string[] = [];
    const hold = gate();
    const q = makeQueue();
    q.register<{ tag: string }>(name, async (payload) => {
      runs.push(payload.tag);
      if (payload.tag === 'first') await hold.promise;
    });
    await q.start({ work: true, schedule: false });

    // Waiting (scheduled for later): a second job with the key is ignored; another name is separate.
    await q.enqueue(t.db.kysely, name, { tag: 'later' }, { key: 'k-later', runAt: new Date(Date.now() + 3600_000) });
    await q.enqueue(t.db.kysely, name, { tag: 'later-dup' }, { key: 'k-later' });
    await q.enqueue(t.db.kysely, other, { tag: 'other' }, { key: 'k-later' });
    expect(await statsFor(q, name)).toMatchObject({ queued: 1 });
    expect(await statsFor(q, other)).toMatchObject({ queued: 1 });

    // Running: ignored too.
    await q.enqueue(t.db.kysely, name, { tag: 'first' }, { key: 'k' });
    await waitFor(() => runs.includes('first'), 'the first job to start');
    await q.enqueue(t.db.kysely, name, { tag: 'while-running' }, { key: 'k' });
    expect(await statsFor(q, name)).toMatchObject({ running: 1, queued: 1 });

    // Finished: the key is free again.
    hold.open();
    await waitFor(async () => (await statsFor(q, name)).running === 0, 'the first job to finish');
    await q.enqueue(t.db.kysely, name, { tag: 'second' }, { key: 'k' });
    await waitFor(() => runs.includes('second'), 'the second job');
    expect(runs).toEqual(['first', 'second']);
  });

  it('does not run a job before its runAt', async () => {
    const name = jobName('run-at');
    let ranAt = 0;
    const q = makeQueue();
    q.register(name, async () => {
      ranAt = Date.now();
    });
    await q.start({ work: true, schedule: false });
    const runAt = new Date(Date.now() + 800);
    await q.enqueue(t.db.kysely, name, {}, { runAt });
    await sleep(300);
    expect(ranAt).toBe(0);
    expect(await statsFor(q, name)).toMatchObject({ queued: 1 });
    await waitFor(() => ranAt > 0, 'the delayed job');
    expect(ranAt).toBeGreaterThanOrEqual(runAt.getTime() - 50);
  });

  it('runs a job again after the lease of a worker that died holding it', async () => {
    const name = jobName('lease');
    const leaseSeconds = 2;
    const enqueuer = makeQueue({ leaseSeconds });
    await enqueuer.start({ work: false, schedule: false });
    await enqueuer.enqueue(t.db.kysely, name, { n: 1 });
    await claimAndAbandon(name, leaseSeconds);
    expect(await statsFor(enqueuer, name)).toMatchObject({ running: 1 });

    const attempts: number[] = [];
    const worker = makeQueue({ leaseSeconds });
    worker.register(name, async (_payload, ctx) => {
      attempts.push(ctx.attempt);
    });
    await worker.start({ work: true, schedule: false });
    await waitFor(() => attempts.length > 0, 'the abandoned job to run again', 20_000);
    expect(attempts).toEqual([2]);
    await waitFor(async () => (await statsFor(worker, name)).running === 0, 'the job to finish');
  });

  it('processes each job once across two queue instances on the same database', async () => {
    const name = jobName('pair');
    const count = 200;
    const runs = new Map<number, number>();
    const handler = async (payload: { i: number }) => {
      runs.set(payload.i, (runs.get(payload.i) ?? 0) + 1);
      await sleep(1);
    };
    const a = makeQueue();
    const b = makeQueue();
    a.register(name, handler);
    b.register(name, handler);
    await Promise.all([a.start({ work: true, schedule: false }), b.start({ work: true, schedule: false })]);
    await t.db.kysely.transaction().execute(async (trx) => {
      for (let i = 0; i < count; i++) await a.enqueue(trx, name, { i });
    });
    await waitFor(() => runs.size === count, `${count} jobs`, 30_000);
    await sleep(300);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(await statsFor(a, name)).toMatchObject({ queued: 0, running: 0, dead: 0 });
  });

  it('leaves jobs nobody handles queued, counts them in stats, and stop() waits for running jobs', async () => {
    const unknown = jobName('unhandled');
    const slow = jobName('slow');
    let finished = false;
    const q = makeQueue();
    q.register(slow, async () => {
      await sleep(300);
      finished = true;
    });
    await q.start({ work: true, schedule: false });
    await q.enqueue(t.db.kysely, unknown, { a: 1 });
    await q.enqueue(t.db.kysely, unknown, { a: 2 }, { runAt: new Date(Date.now() + 3600_000) });
    await q.enqueue(t.db.kysely, slow, {});
    await waitFor(async () => (await statsFor(q, slow)).running === 1, 'the slow job to start');
    expect(await statsFor(q, unknown)).toEqual({ name: unknown, queued: 2, running: 0, retrying: 0, dead: 0, lastError: null });
    await q.stop();
    expect(finished).toBe(true);
  });

  it('fires a schedule once per slot across two schedulers', async () => {
    const name = jobName('cron');
    let runs = 0;
    const a = makeQueue();
    const b = makeQueue();
    for (const q of [a, b]) {
      q.register(name, async () => {
        runs += 1;
      });
      // SQLite: every second; pg-boss schedules have minute granularity (the current minute fires at start).
      q.schedule(name, dialect === 'sqlite' ? '* * * * * *' : '* * * * *', { from: 'cron' });
    }
    const slotMs = dialect === 'sqlite' ? 1000 : 60_000;
    const t0 = Date.now();
    await Promise.all([a.start({ work: true, schedule: true }), b.start({ work: true, schedule: true })]);
    await waitFor(() => runs >= (dialect === 'sqlite' ? 2 : 1), 'scheduled runs');
    await sleep(dialect === 'sqlite' ? 300 : 2500);
    await Promise.all([a.stop(), b.stop()]);
    const slots = Math.floor(Date.now() / slotMs) - Math.floor(t0 / slotMs) + 1;
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(runs).toBeLessThanOrEqual(slots);
  });
});
