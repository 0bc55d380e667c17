/**
 * Scale-out without a shared disk (PostgreSQL): web and worker processes with separate data dirs,
 * nothing shared but the database. A 5 MB delivery received by one web process is processed by a
 * worker, read back and replayed through another web process. (SQLite is one process on one disk:
 * there is nothing to share, so this runs on PostgreSQL only.)
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabaseUrl, postgresAvailable } from './support/databases.js';
import { startTestApp, type TestApp } from './support/app.js';
import { deliveryHeaders } from './support/sign.js';
import { installation, repo, sender } from './support/payloads.js';
import { until } from './support/wait.js';

describe.runIf(postgresAvailable)('web and worker processes sharing only DATABASE_URL (postgres)', () => {
  const apps: TestApp[] = [];
  let drop: () => Promise<void> = async () => undefined;
  let webA: TestApp;
  let webC: TestApp;

  beforeAll(async () => {
    const pg = await createPostgresDatabaseUrl();
    drop = pg.drop;
    const env = { DATABASE_URL: pg.url, DATABASE_POOL_SIZE: '3' };
    // Each app gets its own temp data dir from startTestApp.
    webA = await startTestApp('postgres', env, { web: true, worker: false, scheduler: false });
    apps.push(webA);
    apps.push(await startTestApp('postgres', env, { web: false, worker: true, scheduler: true }));
    webC = await startTestApp('postgres', env, { web: true, worker: false, scheduler: false });
    apps.push(webC);
  }, 120_000);
  afterAll(async () => {
    for (const a of apps.reverse()) await a.close().catch(() => undefined);
    await drop();
  });

  it('receives a 5 MB delivery on one web process; a worker processes it; another reads it back and replays it', async () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const body = JSON.stringify({ action: 'created', comment: { id: 1, body: big }, issue: { number: 3, title: 'big' }, repository: repo(5201, 'acme/big'), installation, sender });
    const id = randomUUID();
    const res = await fetch(`${webA.url}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders('issue_comment', body, id), body });
    expect(res.status).toBe(202);

    const processed = () =>
      webC.app.db.kysely.selectFrom('event_receipts').select(['id', 'processing_status', 'payload_storage', 'updated_at']).where('delivery_id', '=', id).executeTakeFirst();
    const first = await until('the worker processed it', async () => {
      const r = await processed();
      return r?.processing_status === 'processed' ? r : null;
    }, 60_000);
    expect(first.payload_storage).toBeNull();

    const page = await webC.api(`/api/events/${id}`);
    expect(page.status).toBe(200);
    const event = (await page.json()) as { raw_payload: { comment: { body: string } } };
    expect(event.raw_payload.comment.body.length).toBe(big.length);

    const replay = await webC.api(`/api/events/${id}/replay`, { method: 'POST' });
    expect(replay.status).toBeLessThan(300);
    await until('the worker processed the replay', async () => {
      const r = await processed();
      return r?.processing_status === 'processed' && r.updated_at !== first.updated_at ? r : null;
    }, 60_000);
  });
});
