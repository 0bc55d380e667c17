/**
 * Identity: people (GitHub and local accounts), their sessions and API tokens, two-factor recovery
 * codes, which installations each person may see, the GitHub App's own credentials (when created
 * by the setup wizard), sign-in rate limits, and missed-delivery recovery runs.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../open-database.js';
import { columnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);

  await db.schema
    .createTable('users')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('github_id', t.bigint, (c) => c.unique())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('name', 'text')
    .addColumn('avatar_url', 'text')
    .addColumn('password_hash', 'text')
    .addColumn('is_2fa_enabled', t.bool, (c) => c.notNull().defaultTo(t.falseValue))
    .addColumn('totp_secret', 'text') // encrypted
    .addColumn('totp_pending_secret', 'text') // encrypted; enrollment not yet confirmed
    .addColumn('totp_last_step', t.bigint) // the last accepted time step: a code is never accepted twice
    .addColumn('totp_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('totp_locked_until', t.timestamp)
    .addColumn('github_access_token', 'text') // encrypted
    .addColumn('is_admin', t.bool, (c) => c.notNull().defaultTo(t.falseValue))
    .addColumn('is_active', t.bool, (c) => c.notNull().defaultTo(dialect === 'postgres' ? sql`true` : sql`1`))
    .addColumn('telegram_chat_id', 'text')
    .addColumn('last_active_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('users_username_lower').on('users').unique().expression(sql`lower(username)`).execute();

  await db.schema
    .createTable('user_recovery_codes')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('used_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('user_recovery_codes_user').on('user_recovery_codes').column('user_id').execute();

  await db.schema
    .createTable('user_sessions')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('method', 'text', (c) => c.notNull()) // password, password+totp, recovery_code, github
    .addColumn('user_agent', 'text')
    .addColumn('ip', 'text')
    .addColumn('last_seen_at', t.timestamp, (c) => c.notNull())
    .addColumn('expires_at', t.timestamp, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('user_sessions_user').on('user_sessions').column('user_id').execute();
  await db.schema.createIndex('user_sessions_expires').on('user_sessions').column('expires_at').execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('token_hint', 'text', (c) => c.notNull()) // the first characters, to recognise it
    .addColumn('last_used_at', t.timestamp)
    .addColumn('expires_at', t.timestamp)
    .addColumn('revoked_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();

  // Which installations (by GitHub id) a person may see: learned at GitHub sign-in, or granted by an administrator.
  await db.schema
    .createTable('user_installations')
    .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('installation_github_id', t.bigint, (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull()) // github, admin
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('user_installations_pk', ['user_id', 'installation_github_id'])
    .execute();
  await db.schema.createIndex('user_installations_installation').on('user_installations').column('installation_github_id').execute();

  // The GitHub App created by the setup wizard (environment variables, when set, take precedence).
  await db.schema
    .createTable('app_credentials')
    .addColumn('id', 'text', (c) => c.primaryKey()) // 'default'
    .addColumn('app_id', t.bigint, (c) => c.notNull())
    .addColumn('slug', 'text')
    .addColumn('name', 'text')
    .addColumn('html_url', 'text')
    .addColumn('owner_login', 'text')
    .addColumn('client_id', 'text')
    .addColumn('client_secret', 'text') // encrypted
    .addColumn('webhook_secret', 'text') // encrypted
    .addColumn('private_key', 'text', (c) => c.notNull()) // encrypted
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  // Fixed-window counters shared by every process (sign-in and two-factor attempts).
  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('window_start', t.timestamp, (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('rate_limits_pk', ['key', 'window_start'])
    .execute();

  await db.schema
    .createTable('delivery_recovery_runs')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull()) // running, completed, failed
    .addColumn('trigger', 'text', (c) => c.notNull()) // schedule, manual, start
    .addColumn('scanned', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('missing', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('redelivered', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('newest_delivered_at', t.timestamp) // the high-water mark the next run scans back to
    .addColumn('error_message', 'text')
    .addColumn('started_at', t.timestamp, (c) => c.notNull())
    .addColumn('finished_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('delivery_recovery_runs_started').on('delivery_recovery_runs').column('started_at').execute();

  // One row per delivery (GUID) Switchyard asked GitHub to send again: never asked twice.
  await db.schema
    .createTable('delivery_redeliveries')
    .addColumn('guid', 'text', (c) => c.primaryKey())
    .addColumn('github_delivery_id', t.bigint, (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('action', 'text')
    .addColumn('delivered_at', t.timestamp)
    .addColumn('github_status', 'text')
    .addColumn('run_id', t.id, (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull()) // requested, failed
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('error_message', 'text')
    .addColumn('requested_at', t.timestamp, (c) => c.notNull())
    .execute();
}
