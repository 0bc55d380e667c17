/**
 * Fan-out: one notification becomes one in-app row plus one pending delivery per person who may
 * see it and channel they linked and left on for its kind, all in one transaction. The dedupe key
 * makes the whole thing happen once: a second call with the same key inserts nothing.
 */
import type { Database } from '../db/index.js';
import { channelRecipients, insertDeliveries, insertNotification, type Channel, type NewNotificationRow } from './repo.js';

/** Records the notification and its deliveries; returns how many deliveries (null: a duplicate key). */
export async function recordNotification(db: Database, n: NewNotificationRow): Promise<{ id: string; deliveries: number } | null> {
  return db.kysely.transaction().execute(async (tx) => {
    const id = await insertNotification(tx, n);
    if (!id) return null;
    const recipients = await channelRecipients(tx, n.installationId);
    const targets: Array<{ userId: string; channel: Channel }> = recipients
      .filter((r) => r.enabled && (r.kinds === null || r.kinds.includes(n.kind)))
      .map((r) => ({ userId: r.userId, channel: r.channel }));
    const deliveries = await insertDeliveries(tx, id, targets);
    return { id, deliveries };
  });
}
