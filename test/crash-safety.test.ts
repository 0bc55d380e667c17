/**
 * kill -9 mid-burst: every delivery that was answered 2xx is stored and, after a restart,
 * processed exactly once. Runs the built server as a real process on both databases, with the
 * default job lease (300 s): the restarted embedded process takes back the dead one's jobs at once
 * (it owns the data dir), and on PostgreSQL a dead worker's claims run out after 15 s without its
 * heartbeat, so recovery takes seconds, not the lease. The time until all is processed is printed.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dialects, createPostgresDatabaseUrl } from './support/databases.js';
import { freePort, spawnSwitchyard, type ServerProcess } from './support/process.js';
import { deliveryHeaders, TEST_SECRET } from './support/sign.js';
import { openPostgres, openSqlite, type Database } from '../src/db/index.js';
import { pullRequest } from './support/payloads.js';

describe.each(dialects)('crash safety (%s)', (dialect) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('loses no acknowledged delivery and processes each exactly once after kill -9', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-crash-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = { SWITCHYARD_DATA_DIR: dataDir, WEBHOOK_SECRET: TEST_SECRET, RETRY_BASE_MS: '100' };
    if (dialect === 'postgres') {
      const pg = await createPostgresDatabaseUrl();
      cleanups.push(() => pg.drop());
      Object.assign(env, { DATABASE_URL: pg.url, DATABASE_POOL_SIZE: '4' });
    }
    const port = await freePort();
    let server: ServerProcess = await spawnSwitchyard('start', env, port);
    cleanups.push(() => server.kill());

    const total = 600;
    const acknowledged: string[] = [];
    let sent = 0;
    let killed = false;
    const sendOne = async (n: number) => {
      const id = randomUUID();
      const body = JSON.stringify(pullRequest('opened', { number: n + 1, updatedAt: '2026-01-01T00:00:00Z' }));
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders('pull_request', body, id), body });
        if (res.status === 202) acknowledged.push(id);
        await res.arrayBuffer();
      } catch {
        // connection reset by the kill: not acknowledged
      }
    };
    const workers = Array.from({ length: 16 }, async () => {
      while (sent < total && !killed) {
        const n = sent++;
        await sendOne(n);
        if (acknowledged.length >= 250 && !killed) {
          killed = true;
          await server.kill('SIGKILL');
        }
      }
    });
    await Promise.all(workers);
    expect(killed).toBe(true);
    expect(acknowledged.length).toBeGreaterThanOrEqual(250);

    const restartedAt = Date.now();
    server = await spawnSwitchyard('start', env, port);
    const db: Database = dialect === 'postgres' ? openPostgres(env.DATABASE_URL!) : openSqlite(path.join(dataDir, 'switchyard.db'));
    cleanups.push(() => db.close());
    // Generous for a busy machine, and still far below the 300 s lease the jobs were claimed with.
    const deadline = Date.now() + 120_000;
    let pending = -1;
    while (Date.now() < deadline) {
      const r = await db.kysely
        .selectFrom('event_receipts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('processing_status', '!=', 'processed')
        .executeTakeFirstOrThrow();
      pending = Number(r.n);
      if (pending === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(pending).toBe(0);
    console.log(`crash safety (${dialect}): every acknowledged delivery processed ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the restart began`);

    const rows = await db.kysely.selectFrom('event_receipts').select(['delivery_id', 'processing_status']).execute();
    const stored = new Set(rows.map((r) => r.delivery_id));
    for (const id of acknowledged) expect(stored.has(id), `acknowledged ${id} was lost`).toBe(true);
    // Exactly once: one pull request and one "opened" history row per stored delivery.
    const prs = await db.kysely.selectFrom('pull_requests').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const history = await db.kysely.selectFrom('pr_state_history').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(prs.n)).toBe(rows.length);
    expect(Number(history.n)).toBe(rows.length);
    const repo = await db.kysely.selectFrom('repositories').select('event_count').executeTakeFirstOrThrow();
    expect(Number(repo.event_count)).toBe(rows.length);
  }, 420_000); // two process starts (up to 150 s each on a busy machine) and the 120 s wait
});
