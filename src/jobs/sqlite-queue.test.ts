/** What only the embedded queue has: the synchronous enqueue fast path and SQLite schedules. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { withSqlite } from '../db/index.js';
import { createLogger } from '../log/index.js';
import type { Queue } from './queue.js';
import { enqueueSqliteSync } from './sqlite-enqueue.js';
import { createSqliteQueue, type SqliteQueueOptions } from './sqlite-queue.js';

const log = createLogger('silent');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('embedded SQLite queue', () => {
  let t: TestDatabase;
  const queues: Queue[] = [];
  const makeQueue = (o: Partial<SqliteQueueOptions> = {}) => {
    const q = createSqliteQueue({ db: t.db, log, concurrency: 4, leaseSeconds: 30, retryBaseMs: 10, ...o });
    queues.push(q);
    return q;
  };

  beforeEach(async () => {
    t = await createTestDatabase('sqlite');
  });
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((q) => q.stop()));
    await t.drop();
  });

  it('enqueueSqliteSync inserts inside the caller transaction, de-duplicates by key and wakes the runner', async () => {
    const seen: unknown[] = [];
    // A long idle poll: only the wake-up can make the job run quickly.
    const q = makeQueue({ pollIntervalMs: 60_000 });
    q.register('sync.job', async (payload) => {
      seen.push(payload);
    });
    await q.start({ work: true, schedule: false });
    await sleep(50);

    const results = await withSqlite(t.db, (sqlite) =>
      sqlite.transaction(() => [
        enqueueSqliteSync(sqlite, 'sync.job', { n: 1 }, { key: 'r1' }),
        enqueueSqliteSync(sqlite, 'sync.job', { n: 2 }, { key: 'r1' }),
      ])(),
    );
    expect(results).toEqual([true, false]);
    await expect(
      withSqlite(t.db, (sqlite) =>
        sqlite.transaction(() => {
          enqueueSqliteSync(sqlite, 'sync.job', { n: 3 });
          throw new Error('roll back');
        })(),
      ),
    ).rejects.toThrow('roll back');

    await waitFor(() => seen.length === 1, 'the woken runner', 2000);
    await sleep(100);
    expect(seen).toEqual([{ n: 1 }]);
    const left = await t.db.kysely.selectFrom('jobs').selectAll().execute();
    expect(left).toEqual([]);
  });

  it('fails a handler that outlives its lease', async () => {
    const q = makeQueue({ leaseSeconds: 1 });
    q.register('slow.job', async () => {
      await sleep(1500);
    });
    await q.start({ work: true, schedule: false });
    await q.enqueue(t.db.kysely, 'slow.job', {}, { maxAttempts: 1 });
    await waitFor(async () => (await q.stats()).some((s) => s.name === 'slow.job' && s.dead === 1), 'the job to be dead');
    const stats = (await q.stats()).find((s) => s.name === 'slow.job');
    expect(stats?.lastError).toMatch(/lease/);
  });

  it('records a new schedule without firing, and fires only the latest missed slot once at start', async () => {
    const runs: string[] = [];
    const hourAgo = new Date(Date.now() - 3 * 3600_000).toISOString();
    await t.db.kysely.insertInto('schedule_runs').values({ name: 'cron.missed', last_slot: hourAgo, updated_at: hourAgo }).execute();
    const q = makeQueue({ pollIntervalMs: 20 });
    for (const name of ['cron.missed', 'cron.new']) {
      q.register(name, async () => {
        runs.push(name);
      });
      q.schedule(name, '0 * * * *');
    }
    await q.start({ work: true, schedule: true });
    await waitFor(() => runs.length >= 1, 'the missed slot');
    await sleep(300);
    expect(runs).toEqual(['cron.missed']);

    const rows = await t.db.kysely.selectFrom('schedule_runs').selectAll().orderBy('name').execute();
    const latestHour = new Date(Math.floor(Date.now() / 3600_000) * 3600_000).toISOString();
    expect(rows.map((r) => [r.name, r.last_slot])).toEqual([
      ['cron.missed', latestHour],
      ['cron.new', latestHour],
    ]);

    // A restart in the same slot fires nothing.
    await q.stop();
    const again = makeQueue({ pollIntervalMs: 20 });
    again.register('cron.missed', async () => {
      runs.push('again');
    });
    again.schedule('cron.missed', '0 * * * *');
    await again.start({ work: true, schedule: true });
    await sleep(300);
    expect(runs).toEqual(['cron.missed']);
  });

  it('rejects bad names, cron expressions and options early', async () => {
    const q = makeQueue();
    expect(() => q.register('bad name', async () => undefined)).toThrow(/Invalid job name/);
    expect(() => q.schedule('ok.name', 'not a cron')).toThrow(/Invalid cron/);
    await expect(q.enqueue(t.db.kysely, 'ok.name', {}, { maxAttempts: 0 })).rejects.toThrow(/maxAttempts/);
  });
});
