/**
 * Batch processing of receipts (webhooks/sqlite-receipt-processing.ts, postgres-receipt-processing.ts):
 * the receipts whose jobs run together share one transaction; a failing one is rolled back alone and
 * scheduled for a retry while the rest commit; processing a receipt again, or from two workers at
 * once, changes nothing. The processors are driven directly (the app runs without a worker, so no
 * job processes the receipts behind the test's back).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/index.js';
import { createPostgresReceiptProcessor } from '../src/webhooks/postgres-receipt-processing.js';
import { createSqliteReceiptProcessor } from '../src/webhooks/sqlite-receipt-processing.js';
import type { ProcessDeps } from '../src/webhooks/process-receipt.js';
import { dialects } from './support/databases.js';
import { startTestApp, type TestApp } from './support/app.js';
import { deliveryHeaders } from './support/sign.js';
import { pullRequest } from './support/payloads.js';

describe.each(dialects)('receipt batch processing (%s)', (dialect) => {
  let t: TestApp;
  let deps: ProcessDeps;
  /** Projector calls per pull request number, and (PostgreSQL) the transaction each ran in. */
  const calls = new Map<number, number>();
  const txids = new Map<number, string>();
  let poison: number | null = null;
  /** The next projection of this pull request loses a (simulated) deadlock, as PostgreSQL reports one. */
  let deadlockOnce: number | null = null;
  const processor = () => (dialect === 'postgres' ? createPostgresReceiptProcessor(deps) : createSqliteReceiptProcessor(deps));

  const deliver = async (numbers: number[]): Promise<string[]> => {
    const deliveryIds = await Promise.all(
      numbers.map(async (n) => {
        const id = randomUUID();
        const body = JSON.stringify(pullRequest('opened', { number: n, updatedAt: '2026-03-01T00:00:00Z' }));
        const res = await fetch(`${t.url}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders('pull_request', body, id), body });
        expect(res.status).toBe(202);
        return id;
      }),
    );
    const rows = await t.app.db.kysely.selectFrom('event_receipts').select(['id', 'delivery_id']).where('delivery_id', 'in', deliveryIds).execute();
    const byDelivery = new Map(rows.map((r) => [r.delivery_id, r.id]));
    return deliveryIds.map((d) => byDelivery.get(d)!);
  };
  const receipts = (ids: string[]) =>
    t.app.db.kysely.selectFrom('event_receipts').select(['id', 'processing_status', 'retry_count', 'error_message', 'next_attempt_at', 'processed_at']).where('id', 'in', ids).execute();
  const eventCount = async () => Number((await t.app.db.kysely.selectFrom('repositories').select('event_count').where('full_name', '=', 'acme/widgets').executeTakeFirstOrThrow()).event_count);
  const prNumbers = async (from: number, to: number) =>
    (await t.app.db.kysely.selectFrom('pull_requests').select('number').where('number', '>=', from).where('number', '<', to).orderBy('number').execute()).map((p) => p.number);

  beforeAll(async () => {
    t = await startTestApp(dialect, { RECEIPT_MAX_RETRIES: '3', RETRY_BASE_MS: '20' }, { web: true, worker: false, scheduler: false });
    deps = {
      db: t.app.db,
      queue: t.app.queue,
      registry: t.app.registry,
      payloads: t.app.webhooks.payloads,
      metrics: t.app.metrics,
      log: createLogger('silent'),
      retryBaseMs: 20,
      secrets: [],
    };
    t.app.registry.project('test.batch', 'pull_request', async (ctx, tx) => {
      const n = Number((ctx.payload.pull_request as { number: number }).number);
      calls.set(n, (calls.get(n) ?? 0) + 1);
      if (dialect === 'postgres') txids.set(n, (await sql<{ t: string }>`select txid_current()::text as t`.execute(tx)).rows[0]!.t);
      if (n === poison) throw new Error(`pull request ${n} is poison`);
      if (n === deadlockOnce) {
        deadlockOnce = null;
        throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      }
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('processes the receipts that run together in one transaction, rolls back only the failing one and schedules its retry', async () => {
    const numbers = Array.from({ length: 12 }, (_, i) => 700 + i);
    const ids = await deliver(numbers);
    const countBefore = await eventCount();
    poison = 705;
    // One processor (one worker), every job at once: one batch.
    const p = processor();
    await Promise.all(ids.map((id) => p.process(id)));

    // The poison receipt's writes were rolled back with it; every other one committed.
    expect(await prNumbers(700, 800)).toEqual(numbers.filter((n) => n !== 705));
    const rows = new Map((await receipts(ids)).map((r) => [r.id, r]));
    numbers.forEach((n, i) => {
      const r = rows.get(ids[i]!)!;
      if (n === 705) expect(r).toMatchObject({ processing_status: 'failed', retry_count: 1, error_message: 'pull request 705 is poison' });
      else expect(r).toMatchObject({ processing_status: 'processed', retry_count: 0, error_message: null });
    });
    expect(rows.get(ids[5]!)!.next_attempt_at).not.toBeNull();
    // Each receipt's projector ran once (the good ones were not run again because of the bad one).
    for (const n of numbers) expect(calls.get(n)).toBe(1);
    if (dialect === 'postgres') {
      // One transaction for the batch (a savepoint each), not one per receipt.
      expect(new Set(numbers.map((n) => txids.get(n))).size).toBe(1);
    }
    // Counted once each on their repository (SQLite counts at ingestion, PostgreSQL when processed).
    expect(await eventCount()).toBe(countBefore + (dialect === 'postgres' ? 11 : 0));

    // The retry (the poison gone) processes it; the others are untouched.
    poison = null;
    const processedAt = new Map((await receipts(ids)).map((r) => [r.id, r.processed_at]));
    const again = processor();
    await Promise.all(ids.map((id) => again.process(id)));
    expect(await prNumbers(700, 800)).toEqual(numbers);
    for (const n of numbers) expect(calls.get(n)).toBe(n === 705 ? 2 : 1);
    for (const r of await receipts(ids)) {
      expect(r.processing_status).toBe('processed');
      if (r.id !== ids[5]) expect(r.processed_at).toBe(processedAt.get(r.id));
    }
    expect(await eventCount()).toBe(countBefore + (dialect === 'postgres' ? 12 : 0));
  });

  it('processing a receipt twice, or from two workers at once, changes nothing', async () => {
    const numbers = Array.from({ length: 10 }, (_, i) => 800 + i);
    const ids = await deliver(numbers);
    const countBefore = await eventCount();
    // Two processors (two workers) take the same receipts at once, and each job twice.
    const a = processor();
    const b = processor();
    await Promise.all([...ids, ...ids].flatMap((id) => [a.process(id), b.process(id)]));
    for (const n of numbers) expect(calls.get(n)).toBe(1);
    const after = await receipts(ids);
    expect(after.every((r) => r.processing_status === 'processed')).toBe(true);
    const countAfter = await eventCount();
    expect(countAfter).toBe(countBefore + (dialect === 'postgres' ? 10 : 0));

    // A replayed job long after: nothing runs, nothing changes.
    const late = processor();
    await Promise.all(ids.map((id) => late.process(id)));
    for (const n of numbers) expect(calls.get(n)).toBe(1);
    expect(await eventCount()).toBe(countAfter);
    expect(await receipts(ids)).toEqual(after);
    expect(await prNumbers(800, 900)).toEqual(numbers);
  });

  it.runIf(dialect === 'postgres')('processes a receipt that lost a deadlock again at once, alone, instead of scheduling a retry', async () => {
    const numbers = [950, 951, 952, 953];
    const ids = await deliver(numbers);
    deadlockOnce = 952;
    const p = processor();
    await Promise.all(ids.map((id) => p.process(id)));
    for (const r of await receipts(ids)) {
      expect(r.processing_status).toBe('processed');
      expect(r.retry_count).toBe(0);
      expect(r.error_message).toBeNull();
    }
    expect(calls.get(952)).toBe(2);
    for (const n of [950, 951, 953]) expect(calls.get(n)).toBe(1);
    expect(await prNumbers(950, 960)).toEqual(numbers);
  });
});
