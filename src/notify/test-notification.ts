/** A test notice for one person (the account page's button and `switchyard notify test`). */
import type { Database } from '../db/index.js';
import { newId, nowIso } from '../db/index.js';
import { insertDeliveries, insertNotification, listChannels, type Channel } from './repo.js';
import { wakeRunners } from './wake.js';

/**
 * Records a notification meant for one person (kind `notify.test`, seen in-app by administrators
 * like any notice without an installation) and a delivery on each of their linked channels (or
 * the one named), whatever their preferences; returns the notification and how many deliveries it made.
 */
export async function sendTestNotification(db: Database, p: { userId: string; username: string; channel?: Channel }): Promise<{ notificationId: string; deliveries: number }> {
  const linked = (await listChannels(db, p.userId)).filter((c) => !p.channel || c.channel === p.channel);
  const recorded = await db.kysely.transaction().execute(async (tx) => {
    const id = await insertNotification(tx, {
      installationId: null,
      repositoryId: null,
      kind: 'notify.test',
      title: `Test notification for ${p.username}`,
      body: `Sent at ${nowIso()} to check this channel. Nothing to do.`,
      link: '/account',
      dedupeKey: `notify.test:${newId()}`,
    });
    if (!id) throw new Error('a test notification key was used twice');
    return { notificationId: id, deliveries: await insertDeliveries(tx, id, linked.map((c) => ({ userId: p.userId, channel: c.channel }))) };
  });
  if (recorded.deliveries > 0) wakeRunners(db);
  return recorded;
}
