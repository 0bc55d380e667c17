/**
 * Mirroring (src/automations/mirror): targets (other forges), the rules that pick repositories
 * for them, one row per mirrored repository and target with its sync status and lease, and the
 * sync log (every step of every sync, kept MIRROR_SYNC_LOG_DAYS).
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../open-database.js';
import { columnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  const trueValue = dialect === 'postgres' ? sql`true` : sql`1`;

  await db.schema
    .createTable('mirror_targets')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull()) // onedev, gitea, gitlab, git
    .addColumn('base_url', 'text', (c) => c.notNull()) // forge address; for `git`, a URL template
    .addColumn('namespace', 'text') // OneDev parent project path, Gitea org/user, GitLab namespace path
    .addColumn('username', 'text') // user name sent with the token over git (Basic auth)
    .addColumn('token', 'text') // encrypted, write-only
    .addColumn('visibility', 'text', (c) => c.notNull().defaultTo('same')) // same, private
    .addColumn('name_template', 'text', (c) => c.notNull().defaultTo('{name}'))
    .addColumn('push_backups', t.bool, (c) => c.notNull().defaultTo(t.falseValue))
    .addColumn('on_remove', 'text', (c) => c.notNull().defaultTo('keep')) // keep, archive, delete
    .addColumn('max_concurrency', 'integer')
    .addColumn('enabled', t.bool, (c) => c.notNull().defaultTo(trueValue))
    .addColumn('last_test_at', t.timestamp)
    .addColumn('last_test_ok', t.bool)
    .addColumn('last_test_message', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('mirror_rules')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('target_id', t.id, (c) => c.notNull().references('mirror_targets.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull()) // starred, installation, repositories, pattern
    .addColumn('users', 'text') // JSON array of GitHub logins (starred; empty = anyone)
    .addColumn('installation_id', t.bigint) // GitHub installation id (installation)
    .addColumn('repositories', 'text') // JSON array of owner/name (repositories)
    .addColumn('pattern', 'text') // glob over owner/name (pattern)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('mirror_rules_target').on('mirror_rules').column('target_id').execute();

  await db.schema
    .createTable('repo_mirrors')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('target_id', t.id, (c) => c.notNull().references('mirror_targets.id').onDelete('cascade'))
    .addColumn('repository_id', t.id, (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('target_path', 'text', (c) => c.notNull()) // where it lives on the target (namespace/name)
    .addColumn('target_repo_id', 'text') // the forge's own id, once created or found
    .addColumn('target_url', 'text') // git URL on the target (never with credentials)
    .addColumn('sources', 'text', (c) => c.notNull()) // JSON: why it is mirrored (rule:<id>, star:<id>:<login>, manual)
    .addColumn('is_active', t.bool, (c) => c.notNull().defaultTo(trueValue))
    .addColumn('stopped_reason', 'text')
    .addColumn('sync_status', 'text', (c) => c.notNull()) // pending, in_progress, completed, failed, permanent_failure
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('retry_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_retries', 'integer', (c) => c.notNull().defaultTo(3))
    .addColumn('next_retry_at', t.timestamp)
    .addColumn('due_at', t.timestamp) // when a runner should sync it (null: nothing to do)
    .addColumn('requested_seq', 'integer', (c) => c.notNull().defaultTo(0)) // bumped by every request
    .addColumn('synced_seq', 'integer', (c) => c.notNull().defaultTo(0)) // the request the last completed sync covered
    .addColumn('pending_since', t.timestamp) // first request not yet covered by a completed sync (lag)
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', t.timestamp)
    .addColumn('progress', 'text') // JSON {phase, percent} of the sync in progress
    .addColumn('last_sync_started_at', t.timestamp)
    .addColumn('last_synced_at', t.timestamp)
    .addColumn('last_duration_ms', 'integer')
    .addColumn('last_bytes', t.bigint)
    .addColumn('synced_sha', 'text') // default branch head on the target after the last sync
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('repo_mirrors_target_repository', ['target_id', 'repository_id'])
    .execute();
  await db.schema.createIndex('repo_mirrors_due').on('repo_mirrors').columns(['due_at']).execute();
  await db.schema.createIndex('repo_mirrors_repository').on('repo_mirrors').column('repository_id').execute();
  await db.schema.createIndex('repo_mirrors_lease').on('repo_mirrors').columns(['target_id', 'lease_expires_at']).execute();

  await db.schema
    .createTable('sync_logs')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('repo_mirror_id', t.id, (c) => c.notNull().references('repo_mirrors.id').onDelete('cascade'))
    .addColumn('sync_id', t.id) // groups the steps of one sync
    .addColumn('event', 'text', (c) => c.notNull()) // sync_started, clone_started, … sync_completed, sync_failed, retry_attempted
    .addColumn('message', 'text')
    .addColumn('duration_ms', 'integer')
    .addColumn('bytes_transferred', t.bigint)
    .addColumn('error_code', 'text')
    .addColumn('details', 'text') // JSON
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sync_logs_mirror').on('sync_logs').columns(['repo_mirror_id', 'id']).execute();
  await db.schema.createIndex('sync_logs_created').on('sync_logs').column('created_at').execute();
}
