/**
 * Group commit on PostgreSQL: concurrent deliveries share transactions (the rows a transaction
 * inserts carry its id in `xmin`), each is stored once with one processing job, a delivery id sent
 * twice is one receipt whichever batch it lands in, and a delivery the database refuses fails alone.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../test/support/databases.js';
import { nowIso } from '../db/index.js';
import { createPgBossQueue, type Queue } from '../jobs/index.js';
import { createLogger } from '../log/index.js';
import { extractReceiptFields } from './extract-receipt-fields.js';
import { createPostgresReceiptStore } from './postgres-receipt-store.js';
import type { IncomingDelivery } from './receipt-rows.js';

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

function delivery(repo: number, deliveryId = randomUUID()): IncomingDelivery {
  const payload = { action: 'opened', issue: { id: repo * 10, number: 1 }, repository: { id: 7000 + repo, name: `r${repo}`, full_name: `o/r${repo}`, private: false, owner: { login: 'o' } }, installation: { id: 5 } };
  return { deliveryId, eventType: 'issues', headers: {}, body: Buffer.from(JSON.stringify(payload)), fields: extractReceiptFields('issues', payload), receivedAt: nowIso() };
}

describe.runIf(postgresAvailable)('PostgreSQL receipt store (group commit)', () => {
  let t: TestDatabase;
  let queue: Queue;
  const store = () => createPostgresReceiptStore({ db: t.db, queue, maxRetries: 5 });
  const jobsOf = async (ids: string[]) =>
    Number((await sql<{ n: string }>`select count(*) as n from pgboss.job where name = 'webhooks.process-receipt' and data->>'receiptId' = any(${ids})`.execute(t.db.kysely)).rows[0]!.n);

  beforeAll(async () => {
    t = await createTestDatabase('postgres');
    queue = createPgBossQueue({ db: t.db, log, concurrency: 1, leaseSeconds: 300, retryBaseMs: 1000, poolSize: 2 });
    await queue.start({ work: false, schedule: false });
  }, 120_000);
  afterAll(async () => {
    await queue?.stop();
    await t?.drop();
  });

  it('writes concurrent deliveries in shared transactions, each once, with one job each', async () => {
    const s = store();
    const sent = Array.from({ length: 120 }, (_, i) => delivery(i % 6));
    const results = await Promise.all(sent.map((d) => s.store(d)));
    expect(results.every((r) => r.status === 'received')).toBe(true);
    const ids = results.map((r) => r.id!);
    const rows = await sql<{ id: string; tx: string; repository_id: string | null }>`select id, xmin::text as tx, repository_id from event_receipts where id = any(${ids})`.execute(t.db.kysely);
    expect(rows.rows).toHaveLength(120);
    // One transaction per delivery would give 120 transactions.
    expect(new Set(rows.rows.map((r) => r.tx)).size).toBeLessThan(30);
    expect(rows.rows.every((r) => r.repository_id !== null)).toBe(true);
    const repos = await t.db.kysely.selectFrom('repositories').select('github_id').where('github_id', '>=', 7000).where('github_id', '<', 7006).execute();
    expect(repos).toHaveLength(6);
    expect(await jobsOf(ids)).toBe(120);
    const payloads = await t.db.kysely.selectFrom('event_payloads').select(['receipt_id', 'body']).where('receipt_id', 'in', ids).execute();
    expect(payloads).toHaveLength(120);
    const byId = new Map(payloads.map((p) => [p.receipt_id, Buffer.from(p.body)]));
    sent.forEach((d, i) => expect(byId.get(ids[i]!)?.equals(d.body)).toBe(true));
  });

  it('stores a delivery id sent many times at once, from two stores (two processes), once', async () => {
    const a = store();
    const b = store();
    const id = randomUUID();
    const others = Array.from({ length: 40 }, () => delivery(1));
    const results = await Promise.all([...others.map((d, i) => (i % 2 ? a : b).store(d)), ...Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).store(delivery(2, id)))]);
    const same = results.slice(40);
    const received = same.filter((r) => r.status === 'received');
    expect(received).toHaveLength(1);
    expect(same.every((r) => r.id === received[0]!.id)).toBe(true);
    expect(results.slice(0, 40).every((r) => r.status === 'received')).toBe(true);
    expect(await t.db.kysely.selectFrom('event_receipts').select('id').where('delivery_id', '=', id).execute()).toHaveLength(1);
    expect(await jobsOf([received[0]!.id!])).toBe(1);
  });

  it('fails only the delivery the database refuses; its neighbours in the batch are stored', async () => {
    const s = store();
    const good = Array.from({ length: 30 }, () => delivery(3));
    const bad = delivery(3);
    bad.fields = { ...bad.fields, installationId: Number.POSITIVE_INFINITY }; // not a bigint
    const settled = await Promise.allSettled([...good.slice(0, 15), bad, ...good.slice(15)].map((d) => s.store(d)));
    expect(settled[15]!.status).toBe('rejected');
    const ok = settled.filter((r, i) => i !== 15);
    expect(ok.every((r) => r.status === 'fulfilled' && r.value.status === 'received')).toBe(true);
    const ids = ok.map((r) => (r as PromiseFulfilledResult<{ id: string }>).value.id);
    expect(await t.db.kysely.selectFrom('event_receipts').select('id').where('id', 'in', ids).execute()).toHaveLength(30);
    expect(await jobsOf(ids)).toBe(30);
    expect(await t.db.kysely.selectFrom('event_receipts').select('id').where('delivery_id', '=', bad.deliveryId).execute()).toHaveLength(0);
  });
});
