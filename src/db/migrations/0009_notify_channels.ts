/**
 * Notify channels: Telegram chats and email addresses linked by each person (verified by a one-time
 * code), their preferences per channel, one delivery row per notification, person and channel, the
 * slice's settings (the bot token, encrypted) and the `sent_telegram`/`sent_email` marks on
 * notifications.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../open-database.js';
import { columnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);

  await db.schema.alterTable('notifications').addColumn('sent_telegram', t.bool, (c) => c.notNull().defaultTo(t.falseValue)).execute();
  await db.schema.alterTable('notifications').addColumn('sent_email', t.bool, (c) => c.notNull().defaultTo(t.falseValue)).execute();

  // One verified destination per person and channel: a Telegram chat id or an email address.
  await db.schema
    .createTable('notification_channels')
    .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('channel', 'text', (c) => c.notNull()) // telegram, email
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('label', 'text') // the Telegram user name, shown on the account page
    .addColumn('verified_at', t.timestamp, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('notification_channels_pk', ['user_id', 'channel'])
    .execute();
  // A Telegram chat belongs to one person at a time.
  await db.schema.createIndex('notification_channels_address').on('notification_channels').columns(['channel', 'address']).unique().execute();

  // One-time codes: `/start <code>` for Telegram, the verification code for an email address. Only a hash is kept.
  await db.schema
    .createTable('notification_link_codes')
    .addColumn('code_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('address', 'text') // the email address being verified
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expires_at', t.timestamp, (c) => c.notNull())
    .addColumn('used_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notification_link_codes_user').on('notification_link_codes').columns(['user_id', 'channel']).execute();

  // Per person and channel: on or off, and which kinds (null: every kind).
  await db.schema
    .createTable('notification_preferences')
    .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('enabled', t.bool, (c) => c.notNull())
    .addColumn('kinds', t.json)
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('notification_preferences_pk', ['user_id', 'channel'])
    .execute();

  await db.schema
    .createTable('notification_deliveries')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('notification_id', t.id, (c) => c.notNull().references('notifications.id').onDelete('cascade'))
    .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // pending, sent, failed, dead
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('next_attempt_at', t.timestamp)
    .addColumn('lease_expires_at', t.timestamp)
    .addColumn('sent_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('notification_deliveries_once', ['notification_id', 'user_id', 'channel'])
    .execute();
  // "What is due": pending and failed rows by when they are next due.
  await db.schema.createIndex('notification_deliveries_due').on('notification_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('notification_deliveries_user').on('notification_deliveries').columns(['user_id', 'id']).execute();

  // The slice's settings an administrator sets in the dashboard (values encrypted where secret).
  await db.schema
    .createTable('notification_settings')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
}
