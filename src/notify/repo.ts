/**
 * The notify slice's queries (notifications, channels, link codes, preferences, deliveries,
 * settings). Domain code never sees the dialect: ids, times and booleans are normalised here.
 *
 * Recipients are read from the identity slice's `users` and `user_installations` (the same rule as
 * the scoped notification list: the people granted the installation; administrators for notices
 * that belong to no installation).
 */
import type { Executor } from '../db/index.js';
import { newId, nowIso, parseJson, toBool } from '../db/index.js';
import type { Database } from '../db/index.js';
import type { DeliveryStatus, NotificationDeliveriesTable } from './tables.js';
import './tables.js';

export type Channel = 'telegram' | 'email';
export const CHANNELS: readonly Channel[] = ['telegram', 'email'];

export interface NewNotificationRow {
  installationId: number | null;
  repositoryId: string | null;
  kind: string;
  title: string;
  body: string;
  link: string | null;
  dedupeKey: string | null;
}

/** Inserts the notification (once per dedupe key); returns its id, or null when the key was already used. */
export async function insertNotification(tx: Executor, n: NewNotificationRow): Promise<string | null> {
  const id = newId();
  const inserted = await tx
    .insertInto('notifications')
    .values({
      id,
      installation_id: n.installationId,
      repository_id: n.repositoryId,
      kind: n.kind,
      title: n.title,
      body: n.body,
      link: n.link,
      dedupe_key: n.dedupeKey,
      created_at: nowIso(),
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0 ? id : null;
}

export interface ChannelRecipient {
  userId: string;
  channel: Channel;
  /** From the person's preferences: null = on for every kind (the default), [] = off. */
  enabled: boolean;
  kinds: string[] | null;
}

/** Linked channels of the people who may see a notification of this installation (null: administrators). */
export async function channelRecipients(tx: Executor, installationId: number | null): Promise<ChannelRecipient[]> {
  let q = tx
    .selectFrom('users as u')
    .innerJoin('notification_channels as c', 'c.user_id', 'u.id')
    .leftJoin('notification_preferences as p', (j) => j.onRef('p.user_id', '=', 'u.id').onRef('p.channel', '=', 'c.channel'))
    .select(['u.id as user_id', 'c.channel', 'p.enabled', 'p.kinds'])
    .where('u.is_active', '=', true);
  if (installationId === null) q = q.where('u.is_admin', '=', true);
  else q = q.where((eb) => eb.exists(eb.selectFrom('user_installations as ui').select('ui.user_id').whereRef('ui.user_id', '=', 'u.id').where('ui.installation_github_id', '=', installationId)));
  const rows = await q.execute();
  return rows.map((r) => ({ userId: r.user_id, channel: r.channel, enabled: r.enabled === null ? true : toBool(r.enabled), kinds: r.kinds === null ? null : parseJson<string[] | null>(r.kinds, null) }));
}

/** One pending delivery per person and channel (a row that exists already stays as it is). */
export async function insertDeliveries(tx: Executor, notificationId: string, targets: Array<{ userId: string; channel: Channel }>): Promise<number> {
  if (targets.length === 0) return 0;
  const now = nowIso();
  const result = await tx
    .insertInto('notification_deliveries')
    .values(targets.map((t) => ({ id: newId(), notification_id: notificationId, user_id: t.userId, channel: t.channel, status: 'pending' as const, attempts: 0, last_error: null, next_attempt_at: now, lease_expires_at: null, sent_at: null, created_at: now, updated_at: now })))
    .onConflict((oc) => oc.columns(['notification_id', 'user_id', 'channel']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

// ─── channels and link codes ────────────────────────────────────────────────

export interface LinkedChannel {
  channel: Channel;
  address: string;
  label: string | null;
  verifiedAt: string;
}

export async function listChannels(db: Database, userId: string): Promise<LinkedChannel[]> {
  const rows = await db.kysely.selectFrom('notification_channels').select(['channel', 'address', 'label', 'verified_at']).where('user_id', '=', userId).execute();
  return rows.map((r) => ({ channel: r.channel, address: r.address, label: r.label, verifiedAt: r.verified_at }));
}

export async function channelAddress(db: Database, userId: string, channel: Channel): Promise<string | null> {
  const row = await db.kysely.selectFrom('notification_channels').select('address').where('user_id', '=', userId).where('channel', '=', channel).executeTakeFirst();
  return row?.address ?? null;
}

/** Links (or re-links) a verified destination to a person; a Telegram chat linked to someone else moves. */
export async function linkChannel(tx: Executor, p: { userId: string; channel: Channel; address: string; label: string | null }): Promise<void> {
  const now = nowIso();
  if (p.channel === 'telegram') {
    await tx.deleteFrom('notification_channels').where('channel', '=', 'telegram').where('address', '=', p.address).where('user_id', '!=', p.userId).execute();
  }
  await tx
    .insertInto('notification_channels')
    .values({ user_id: p.userId, channel: p.channel, address: p.address, label: p.label, verified_at: now, created_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['user_id', 'channel']).doUpdateSet({ address: p.address, label: p.label, verified_at: now, updated_at: now }))
    .execute();
}

/** Removes a person's channel (only while it still points at `address`, when given); true when one was removed. */
export async function unlinkChannel(db: Database, userId: string, channel: Channel, address?: string): Promise<boolean> {
  let q = db.kysely.deleteFrom('notification_channels').where('user_id', '=', userId).where('channel', '=', channel);
  if (address !== undefined) q = q.where('address', '=', address);
  const r = await q.executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Stores a new code's hash, replacing the person's unused codes for that channel. */
export async function insertLinkCode(db: Database, p: { userId: string; channel: Channel; codeHash: string; address: string | null; expiresAt: string }): Promise<void> {
  await db.kysely.transaction().execute(async (tx) => {
    await tx.deleteFrom('notification_link_codes').where('user_id', '=', p.userId).where('channel', '=', p.channel).where('used_at', 'is', null).execute();
    await tx.insertInto('notification_link_codes').values({ code_hash: p.codeHash, user_id: p.userId, channel: p.channel, address: p.address, failures: 0, expires_at: p.expiresAt, used_at: null, created_at: nowIso() }).execute();
  });
}

/**
 * Uses a code once: marks it used (only if unused and unexpired) in the caller's transaction and
 * returns whose it was. A second use, or an expired code, returns null.
 */
export async function useLinkCode(tx: Executor, p: { codeHash: string; channel: Channel; userId?: string }): Promise<{ userId: string; address: string | null } | null> {
  const now = nowIso();
  let q = tx.updateTable('notification_link_codes').set({ used_at: now }).where('code_hash', '=', p.codeHash).where('channel', '=', p.channel).where('used_at', 'is', null).where('expires_at', '>', now);
  if (p.userId) q = q.where('user_id', '=', p.userId);
  const updated = await q.executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) return null;
  const row = await tx.selectFrom('notification_link_codes').select(['user_id', 'address']).where('code_hash', '=', p.codeHash).executeTakeFirstOrThrow();
  return { userId: row.user_id, address: row.address };
}

/** Counts a wrong code against the person's pending email code; the fifth failure spends it. */
export async function recordCodeFailure(db: Database, userId: string, channel: Channel, maxFailures = 5): Promise<void> {
  const now = nowIso();
  await db.kysely.updateTable('notification_link_codes').set((eb) => ({ failures: eb('failures', '+', 1) })).where('user_id', '=', userId).where('channel', '=', channel).where('used_at', 'is', null).execute();
  await db.kysely.updateTable('notification_link_codes').set({ used_at: now }).where('user_id', '=', userId).where('channel', '=', channel).where('used_at', 'is', null).where('failures', '>=', maxFailures).execute();
}

/** The address a person's unused, unexpired email code is for (null when none). */
export async function pendingEmail(db: Database, userId: string): Promise<{ address: string; expiresAt: string } | null> {
  const row = await db.kysely
    .selectFrom('notification_link_codes')
    .select(['address', 'expires_at'])
    .where('user_id', '=', userId)
    .where('channel', '=', 'email')
    .where('used_at', 'is', null)
    .where('expires_at', '>', nowIso())
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  return row?.address ? { address: row.address, expiresAt: row.expires_at } : null;
}

// ─── preferences ────────────────────────────────────────────────────────────

export interface Preference {
  channel: Channel;
  enabled: boolean;
  kinds: string[] | null;
}

export async function getPreferences(db: Database, userId: string): Promise<Preference[]> {
  const rows = await db.kysely.selectFrom('notification_preferences').select(['channel', 'enabled', 'kinds']).where('user_id', '=', userId).execute();
  return CHANNELS.map((channel) => {
    const r = rows.find((x) => x.channel === channel);
    return { channel, enabled: r ? toBool(r.enabled) : true, kinds: r?.kinds ? parseJson<string[] | null>(r.kinds, null) : null };
  });
}

export async function setPreference(db: Database, userId: string, p: Preference): Promise<void> {
  const now = nowIso();
  const kinds = p.kinds === null ? null : JSON.stringify(p.kinds);
  await db.kysely
    .insertInto('notification_preferences')
    .values({ user_id: userId, channel: p.channel, enabled: p.enabled, kinds, updated_at: now })
    .onConflict((oc) => oc.columns(['user_id', 'channel']).doUpdateSet({ enabled: p.enabled, kinds, updated_at: now }))
    .execute();
}

// ─── deliveries ─────────────────────────────────────────────────────────────

/**
 * Claims up to `limit` due deliveries for this process: each is leased by a conditional update, so
 * two workers never send the same row at once (a process that dies mid-send leaves a lease that
 * expires, and the row is sent again).
 */
export async function claimDue(db: Database, limit: number, leaseMs: number): Promise<string[]> {
  const now = nowIso();
  const candidates = await db.kysely
    .selectFrom('notification_deliveries')
    .select('id')
    .where('status', 'in', ['pending', 'failed'])
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
  if (candidates.length === 0) return [];
  // One conditional update for the batch: a row another worker leased meanwhile is not returned.
  const lease = new Date(Date.now() + leaseMs).toISOString();
  const claimed = await db.kysely
    .updateTable('notification_deliveries')
    .set({ lease_expires_at: lease })
    .where('id', 'in', candidates.map((c) => c.id))
    .where('status', 'in', ['pending', 'failed'])
    .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
    .returning('id')
    .execute();
  return claimed.map((r) => r.id);
}

/**
 * When this process should look again (null: nothing waits): the next pending or failed delivery
 * due, or, for one leased by another worker now, when that lease ends.
 */
export async function nextDueAt(db: Database): Promise<string | null> {
  const now = nowIso();
  const [free, leased] = await Promise.all([
    db.kysely
      .selectFrom('notification_deliveries')
      .select((eb) => eb.fn.min('next_attempt_at').as('at'))
      .where('status', 'in', ['pending', 'failed'])
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
      .executeTakeFirst(),
    db.kysely
      .selectFrom('notification_deliveries')
      .select((eb) => eb.fn.min('lease_expires_at').as('at'))
      .where('status', 'in', ['pending', 'failed'])
      .where('lease_expires_at', '>=', now)
      .executeTakeFirst(),
  ]);
  const times = [free?.at, leased?.at].filter((t): t is string => typeof t === 'string').map((t) => Date.parse(t));
  return times.length === 0 ? null : new Date(Math.min(...times)).toISOString();
}

export interface DeliveryWork {
  id: string;
  userId: string;
  channel: Channel;
  attempts: number;
  notification: { id: string; kind: string; title: string; body: string; link: string | null };
  /** The person's verified destination now (null: unlinked since). */
  address: string | null;
  /** False once the person's account was deactivated. */
  active: boolean;
}

export async function loadDelivery(db: Database, id: string): Promise<DeliveryWork | null> {
  const row = await db.kysely
    .selectFrom('notification_deliveries as d')
    .innerJoin('notifications as n', 'n.id', 'd.notification_id')
    .innerJoin('users as u', 'u.id', 'd.user_id')
    .leftJoin('notification_channels as c', (j) => j.onRef('c.user_id', '=', 'd.user_id').onRef('c.channel', '=', 'd.channel'))
    .select(['d.id', 'd.user_id', 'd.channel', 'd.attempts', 'n.id as notification_id', 'n.kind', 'n.title', 'n.body', 'n.link', 'c.address', 'u.is_active'])
    .where('d.id', '=', id)
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    userId: row.user_id,
    channel: row.channel,
    attempts: row.attempts,
    notification: { id: row.notification_id, kind: row.kind, title: row.title, body: row.body, link: row.link },
    address: row.address,
    active: toBool(row.is_active),
  };
}

/** Records a send: sent (and the notification's channel mark), a retry at `nextAt`, or dead. */
export async function recordOutcome(
  db: Database,
  d: Pick<DeliveryWork, 'id' | 'channel' | 'notification'>,
  o: { status: 'sent' } | { status: 'failed'; error: string; nextAt: Date; countsAsAttempt: boolean } | { status: 'dead'; error: string },
): Promise<void> {
  const now = nowIso();
  await db.kysely.transaction().execute(async (tx) => {
    const base = tx.updateTable('notification_deliveries').where('id', '=', d.id);
    if (o.status === 'sent') {
      await base.set((eb) => ({ status: 'sent' as const, attempts: eb('attempts', '+', 1), sent_at: now, last_error: null, next_attempt_at: null, lease_expires_at: null, updated_at: now })).execute();
      await tx
        .updateTable('notifications')
        .set(d.channel === 'telegram' ? { sent_telegram: true } : { sent_email: true })
        .where('id', '=', d.notification.id)
        .execute();
    } else if (o.status === 'failed') {
      await base
        .set((eb) => ({ status: 'failed' as const, attempts: o.countsAsAttempt ? eb('attempts', '+', 1) : eb.ref('attempts'), last_error: o.error, next_attempt_at: o.nextAt.toISOString(), lease_expires_at: null, updated_at: now }))
        .execute();
    } else {
      await base.set((eb) => ({ status: 'dead' as const, attempts: eb('attempts', '+', 1), last_error: o.error, next_attempt_at: null, lease_expires_at: null, updated_at: now })).execute();
    }
  });
}

export interface DeliveryListItem {
  id: string;
  notification_id: string;
  user_id: string;
  username: string;
  channel: Channel;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  sent_at: string | null;
  title: string;
  kind: string;
  created_at: string;
}

/** Deliveries newest first: one person's, or everyone's (administrators). */
export async function listDeliveries(db: Database, p: { userId: string | null; status?: DeliveryStatus; before?: string; limit: number }): Promise<DeliveryListItem[]> {
  let q = db.kysely
    .selectFrom('notification_deliveries as d')
    .innerJoin('notifications as n', 'n.id', 'd.notification_id')
    .innerJoin('users as u', 'u.id', 'd.user_id')
    .select(['d.id', 'd.notification_id', 'd.user_id', 'u.username', 'd.channel', 'd.status', 'd.attempts', 'd.last_error', 'd.next_attempt_at', 'd.sent_at', 'n.title', 'n.kind', 'd.created_at'])
    .orderBy('d.id', 'desc')
    .limit(p.limit);
  if (p.userId) q = q.where('d.user_id', '=', p.userId);
  if (p.status) q = q.where('d.status', '=', p.status);
  if (p.before) q = q.where('d.id', '<', p.before);
  return q.execute();
}

/** Puts a dead delivery back to pending with a fresh attempt budget; false when it is not dead. */
export async function retryDeadDelivery(db: Database, id: string): Promise<'retried' | 'not_dead' | 'missing'> {
  const now = nowIso();
  const r = await db.kysely
    .updateTable('notification_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: now, lease_expires_at: null, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'dead')
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 1) return 'retried';
  const exists = await db.kysely.selectFrom('notification_deliveries').select('id').where('id', '=', id).executeTakeFirst();
  return exists ? 'not_dead' : 'missing';
}

export type DeliveryRow = NotificationDeliveriesTable;

// ─── settings ───────────────────────────────────────────────────────────────

export async function getSetting(db: Database, name: string): Promise<string | null> {
  const row = await db.kysely.selectFrom('notification_settings').select('value').where('name', '=', name).executeTakeFirst();
  return row?.value ?? null;
}

export async function putSetting(db: Database, name: string, value: string | null): Promise<void> {
  if (value === null) {
    await db.kysely.deleteFrom('notification_settings').where('name', '=', name).execute();
    return;
  }
  const now = nowIso();
  await db.kysely
    .insertInto('notification_settings')
    .values({ name, value, updated_at: now })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value, updated_at: now }))
    .execute();
}

/** A user's login and admin flag (for the CLI and messages). */
export async function findUser(db: Database, username: string): Promise<{ id: string; username: string } | null> {
  const row = await db.kysely.selectFrom('users').select(['id', 'username']).where((eb) => eb(eb.fn('lower', ['username']), '=', username.toLowerCase())).executeTakeFirst();
  return row ?? null;
}

/** Unlinks a Telegram chat from whoever linked it; true when it was linked. */
export async function unlinkTelegramChat(db: Database, chatId: string): Promise<boolean> {
  const r = await db.kysely.deleteFrom('notification_channels').where('channel', '=', 'telegram').where('address', '=', chatId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** The deliveries of one notification, with whom they are for. */
export async function deliveriesOf(db: Database, notificationId: string): Promise<Array<{ username: string; channel: Channel; status: DeliveryStatus; attempts: number; last_error: string | null }>> {
  return db.kysely
    .selectFrom('notification_deliveries as d')
    .innerJoin('users as u', 'u.id', 'd.user_id')
    .select(['u.username', 'd.channel', 'd.status', 'd.attempts', 'd.last_error'])
    .where('d.notification_id', '=', notificationId)
    .orderBy('u.username')
    .orderBy('d.channel')
    .execute();
}

/** Active administrators (who hear about what belongs to no installation). */
export async function administrators(db: Database): Promise<Array<{ id: string; username: string }>> {
  return db.kysely.selectFrom('users').select(['id', 'username']).where('is_admin', '=', true).where('is_active', '=', true).orderBy('username').execute();
}

/** Deletes link codes that expired (or were used) more than a day ago; returns how many. */
export async function purgeLinkCodes(db: Database): Promise<number> {
  const dayAgo = new Date(Date.now() - 86_400_000).toISOString();
  const r = await db.kysely
    .deleteFrom('notification_link_codes')
    .where((eb) => eb.or([eb('expires_at', '<', dayAgo), eb('used_at', '<', dayAgo)]))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
