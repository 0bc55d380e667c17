/**
 * The delivery runner on both databases: a row leased by another worker is sent once that lease
 * ends (the runner wakes by itself when the lease does, not at its one-minute idle), a 429's retry waits for its time, and
 * stop() returns at once while the runner sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeTelegram, tooManyRequests, type FakeTelegram } from '../../test/support/fake-telegram/index.js';
import { createTestDatabase, dialects, type TestDatabase } from '../../test/support/databases.js';
import { recordSecret } from '../../test/support/secret-ledger.js';
import { until } from '../../test/support/wait.js';
import { newId, nowIso } from '../db/index.js';
import { createLogger } from '../log/index.js';
import { createDeliveryRunner, type DeliveryRunner } from './deliver.js';
import { insertDeliveries, insertNotification, linkChannel } from './repo.js';
import { createTelegramClient } from './telegram.js';

describe.each(dialects)('delivery runner (%s)', (dialect) => {
  let t: TestDatabase;
  let tg: FakeTelegram;
  let runner: DeliveryRunner;
  const userId = newId();

  const deliver = async (title: string, lease?: Date) => {
    const id = await t.db.kysely.transaction().execute(async (tx) => {
      const n = await insertNotification(tx, { installationId: 1, repositoryId: null, kind: 'k', title, body: 'b', link: null, dedupeKey: title });
      await insertDeliveries(tx, n!, [{ userId, channel: 'telegram' }]);
      return n!;
    });
    if (lease) await t.db.kysely.updateTable('notification_deliveries').set({ lease_expires_at: lease.toISOString() }).where('notification_id', '=', id).execute();
  };

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    tg = await startFakeTelegram();
    recordSecret(tg.token);
    const now = nowIso();
    await t.db.kysely.insertInto('users').values({ id: userId, username: 'ann', is_admin: false, is_active: true, is_2fa_enabled: false, totp_failures: 0, created_at: now, updated_at: now } as never).execute();
    await linkChannel(t.db.kysely, { userId, channel: 'telegram', address: '777', label: null });
    const client = createTelegramClient(tg.token, tg.apiRoot);
    runner = createDeliveryRunner({ db: t.db, log: createLogger('silent'), config: { maxAttempts: 3, retryBaseMs: 100 }, publicUrl: 'https://x.test', telegram: async () => client, email: null });
    runner.start();
  });
  afterAll(async () => {
    await runner?.stop();
    await tg?.close();
    await t?.drop();
  });

  it('sends a row leased by another worker once that lease ends, waking by itself', async () => {
    const leaseEnd = new Date(Date.now() + 1500);
    await deliver('leased elsewhere', leaseEnd);
    // notify() wakes the runner once; the row is leased, so the runner must come back by itself.
    runner.wake();
    const sent = await until('the message after the lease', async () => tg.sentTo(777).find((m) => m.text.includes('leased elsewhere')), 15_000);
    expect(sent.at).toBeGreaterThanOrEqual(leaseEnd.getTime());
    // Sent once, after the lease (the other worker's attempt never finished).
    expect(tg.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(1);
  });

  it('a 429 is retried after retry_after on its own timer', async () => {
    tg.failNext('sendMessage', tooManyRequests(1));
    await deliver('flooded');
    runner.wake();
    const sent = await until('the message after the wait', async () => tg.sentTo(777).find((m) => m.text.includes('flooded')), 15_000);
    const first = tg.calls.filter((c) => c.method === 'sendMessage').at(-2)!;
    expect(sent.at - first.at).toBeGreaterThanOrEqual(1000);
  });

  it('stop() returns at once while the runner sleeps', async () => {
    const started = Date.now();
    await runner.stop();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
