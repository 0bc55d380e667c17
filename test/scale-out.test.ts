/**
 * Scale-out on PostgreSQL: two `switchyard web` and two `switchyard worker` processes on one
 * database process a burst exactly once.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createPostgresDatabaseUrl, postgresAvailable } from './support/databases.js';
import { freePort, spawnSwitchyard, type ServerProcess } from './support/process.js';
import { deliveryHeaders, TEST_SECRET } from './support/sign.js';
import { openPostgres } from '../src/db/index.js';
import { pullRequest } from './support/payloads.js';

describe.skipIf(!postgresAvailable)('scale-out on PostgreSQL', () => {
  const procs: ServerProcess[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  afterEach((ctx) => {
    // A failure shows what the processes logged (errors are logged at warn and above).
    if (ctx.task.result?.state === 'fail') for (const p of procs) console.error(`--- switchyard ${p.port ?? 'worker'}:\n${p.output.join('').slice(-20_000)}`);
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('two web and two worker processes process a burst exactly once', async () => {
    const pg = await createPostgresDatabaseUrl();
    cleanups.push(() => pg.drop());
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-scale-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    // Four processes on one database, beside the other test files' apps: small pools keep the run under max_connections.
    const env = { DATABASE_URL: pg.url, DATABASE_POOL_SIZE: '4', SWITCHYARD_DATA_DIR: dataDir, WEBHOOK_SECRET: TEST_SECRET };
    // Migrations race safely: every process migrates at start under a lock.
    const ports = [await freePort(), await freePort()];
    const started = await Promise.all([
      spawnSwitchyard('web', env, ports[0]!),
      spawnSwitchyard('web', env, ports[1]!),
      spawnSwitchyard('worker', env, null),
      spawnSwitchyard('worker', env, null),
    ]);
    procs.push(...started);

    const total = 400;
    let next = 0;
    const acknowledged: string[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < total) {
          const n = next++;
          const id = randomUUID();
          const body = JSON.stringify(pullRequest('opened', { number: n + 1, updatedAt: '2026-01-01T00:00:00Z' }));
          const port = ports[n % 2]!;
          const res = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders('pull_request', body, id), body });
          expect(res.status, `delivery ${id}: ${res.status === 202 ? '' : await res.text()}`).toBe(202);
          acknowledged.push(id);
          // Every tenth delivery is redelivered to the other web process: it must stay a duplicate.
          if (n % 10 === 0) {
            const dup = await fetch(`http://127.0.0.1:${ports[(n + 1) % 2]!}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders('pull_request', body, id), body });
            expect(dup.status, `redelivery of ${id}: ${dup.status === 200 ? '' : await dup.text()}`).toBe(200);
          }
        }
      }),
    );
    const db = openPostgres(pg.url);
    cleanups.push(() => db.close());
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await db.kysely.selectFrom('event_receipts').select((eb) => eb.fn.countAll<number>().as('n')).where('processing_status', '=', 'processed').executeTakeFirstOrThrow();
      if (Number(r.n) === total) break;
      if (Date.now() > deadline) throw new Error(`only ${r.n} of ${total} processed`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const receipts = await db.kysely.selectFrom('event_receipts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(receipts.n)).toBe(total);
    const history = await db.kysely.selectFrom('pr_state_history').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(history.n)).toBe(total);
    const repo = await db.kysely.selectFrom('repositories').select('event_count').executeTakeFirstOrThrow();
    expect(Number(repo.event_count)).toBe(total);
    const dead = await db.kysely.selectFrom('event_receipts').select('id').where('processing_status', '!=', 'processed').execute();
    expect(dead).toHaveLength(0);
  });
});
