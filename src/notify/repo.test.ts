/** Delivery claims on both databases: exclusive between workers, and taken over once a lease expires. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects, type TestDatabase } from '../../test/support/databases.js';
import { newId, nowIso } from '../db/index.js';
import { claimDue, insertDeliveries, insertNotification, recordOutcome } from './repo.js';

describe.each(dialects)('delivery claims (%s)', (dialect) => {
  let t: TestDatabase;
  const users: string[] = [];
  let notificationId: string;

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    const now = nowIso();
    for (let i = 0; i < 30; i++) {
      const id = newId();
      users.push(id);
      await t.db.kysely.insertInto('users').values({ id, username: `u${i}`, is_admin: false, is_active: true, is_2fa_enabled: false, totp_failures: 0, created_at: now, updated_at: now } as never).execute();
    }
    notificationId = (await t.db.kysely.transaction().execute(async (tx) => {
      const id = await insertNotification(tx, { installationId: 1, repositoryId: null, kind: 'k', title: 't', body: 'b', link: null, dedupeKey: 'claims' });
      await insertDeliveries(tx, id!, users.map((userId) => ({ userId, channel: 'email' as const })));
      return id;
    }))!;
  });
  afterAll(async () => t?.drop());

  it('two workers claiming at once never get the same delivery; a leased one waits for its lease', async () => {
    // Three workers claim round after round until nothing is left: nobody gets a row twice.
    const all: string[] = [];
    for (let round = 0; round < 10; round++) {
      const got = (await Promise.all([claimDue(t.db, 20, 60_000), claimDue(t.db, 20, 60_000), claimDue(t.db, 20, 60_000)])).flat();
      all.push(...got);
      if (got.length === 0) break;
    }
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(30);
    expect(await claimDue(t.db, 20, 60_000)).toEqual([]);
  });

  it('a delivery whose lease expired (its process died) is claimed again; a sent one never is', async () => {
    await t.db.kysely.updateTable('notification_deliveries').set({ lease_expires_at: new Date(Date.now() - 1000).toISOString() }).where('notification_id', '=', notificationId).execute();
    const again = await claimDue(t.db, 50, 60_000);
    expect(again).toHaveLength(30);
    const n = { id: notificationId, kind: 'k', title: 't', body: 'b', link: null };
    for (const id of again.slice(0, 10)) await recordOutcome(t.db, { id, channel: 'email', notification: n }, { status: 'sent' });
    await t.db.kysely.updateTable('notification_deliveries').set({ lease_expires_at: new Date(Date.now() - 1000).toISOString() }).where('notification_id', '=', notificationId).execute();
    expect((await claimDue(t.db, 50, 60_000)).sort()).toEqual(again.slice(10).sort());
    const sent = await t.db.kysely.selectFrom('notifications').select('sent_email').where('id', '=', notificationId).executeTakeFirstOrThrow();
    expect(Boolean(sent.sent_email)).toBe(true);
  });
});
