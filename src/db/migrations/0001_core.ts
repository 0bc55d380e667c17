/** The core schema: the event log, GitHub state, and the embedded job queue. */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../open-database.js';
import { columnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);

  await db.schema
    .createTable('repositories')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('github_id', t.bigint, (c) => c.notNull().unique())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('full_name', 'text', (c) => c.notNull())
    .addColumn('installation_id', t.bigint)
    .addColumn('default_branch', 'text')
    .addColumn('language', 'text')
    .addColumn('description', 'text')
    .addColumn('html_url', 'text')
    .addColumn('is_private', t.bool, (c) => c.notNull().defaultTo(t.falseValue))
    .addColumn('is_archived', t.bool, (c) => c.notNull().defaultTo(t.falseValue))
    .addColumn('is_fork', t.bool, (c) => c.notNull().defaultTo(t.falseValue))
    .addColumn('is_deleted', t.bool, (c) => c.notNull().defaultTo(t.falseValue))
    .addColumn('size_kb', t.bigint)
    .addColumn('stargazers_count', t.bigint)
    .addColumn('watchers_count', t.bigint)
    .addColumn('last_event_at', t.timestamp)
    .addColumn('event_count', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('failure_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_polled_at', t.timestamp)
    .addColumn('last_commit_sha', 'text')
    .addColumn('pushed_at', t.timestamp)
    .addColumn('github_updated_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('repositories_full_name').on('repositories').column('full_name').execute();
  await db.schema.createIndex('repositories_installation').on('repositories').column('installation_id').execute();

  await db.schema
    .createTable('installations')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('github_id', t.bigint, (c) => c.notNull().unique())
    .addColumn('account_login', 'text')
    .addColumn('account_id', t.bigint)
    .addColumn('account_type', 'text')
    .addColumn('target_type', 'text')
    .addColumn('repository_selection', 'text')
    .addColumn('permissions', t.json, (c) => c.notNull())
    .addColumn('events', t.json, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('suspended_at', t.timestamp)
    .addColumn('deleted_at', t.timestamp)
    .addColumn('github_updated_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('installation_repositories')
    .addColumn('installation_id', t.id, (c) => c.notNull().references('installations.id').onDelete('cascade'))
    .addColumn('repository_id', t.id, (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('installation_repositories_pk', ['installation_id', 'repository_id'])
    .execute();
  await db.schema.createIndex('installation_repositories_repo').on('installation_repositories').column('repository_id').execute();

  await db.schema
    .createTable('event_receipts')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('delivery_id', 'text', (c) => c.notNull().unique())
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('github'))
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('event_action', 'text')
    .addColumn('installation_id', t.bigint)
    .addColumn('repository_id', t.id, (c) => c.references('repositories.id').onDelete('set null'))
    .addColumn('actor', 'text')
    .addColumn('target_object_ids', t.json, (c) => c.notNull())
    .addColumn('github_timestamp', t.timestamp)
    .addColumn('received_at', t.timestamp, (c) => c.notNull())
    .addColumn('headers', t.json, (c) => c.notNull())
    .addColumn('payload_storage', 'text')
    .addColumn('payload_size', 'integer', (c) => c.notNull())
    .addColumn('processing_status', 'text', (c) => c.notNull())
    .addColumn('retry_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_retries', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', t.timestamp)
    .addColumn('processed_at', t.timestamp)
    .addColumn('error_message', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  // The raw body bytes, apart from the receipt: status updates then rewrite a small row, not 21 KB.
  await db.schema
    .createTable('event_payloads')
    .addColumn('receipt_id', t.id, (c) => c.primaryKey().references('event_receipts.id').onDelete('cascade'))
    .addColumn('body', t.bytes, (c) => c.notNull())
    .execute();
  // Keyset pages order by id (UUIDv7, time-ordered); each filter has an index ending in id.
  await db.schema.createIndex('event_receipts_repo_id').on('event_receipts').columns(['repository_id', 'id']).execute();
  await db.schema.createIndex('event_receipts_type_id').on('event_receipts').columns(['event_type', 'id']).execute();
  await db.schema.createIndex('event_receipts_type_action_id').on('event_receipts').columns(['event_type', 'event_action', 'id']).execute();
  await db.schema.createIndex('event_receipts_action_id').on('event_receipts').columns(['event_action', 'id']).execute();
  await db.schema.createIndex('event_receipts_status_id').on('event_receipts').columns(['processing_status', 'id']).execute();
  await db.schema.createIndex('event_receipts_installation_id').on('event_receipts').columns(['installation_id', 'id']).execute();

  await db.schema
    .createTable('pull_requests')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('repository_id', t.id, (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('github_id', t.bigint, (c) => c.notNull())
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('is_draft', t.bool, (c) => c.notNull().defaultTo(t.falseValue))
    .addColumn('author', 'text')
    .addColumn('head_sha', 'text')
    .addColumn('head_ref', 'text')
    .addColumn('base_ref', 'text')
    .addColumn('html_url', 'text')
    .addColumn('merged_at', t.timestamp)
    .addColumn('closed_at', t.timestamp)
    .addColumn('github_created_at', t.timestamp)
    .addColumn('github_updated_at', t.timestamp)
    .addColumn('last_checked_at', t.timestamp)
    // Latest run per check name on the head commit that failed; kept by the projection.
    .addColumn('failing_checks', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('pull_requests_repo_number', ['repository_id', 'number'])
    .execute();
  // Covers a repository's open pull request count and failing check sum.
  await db.schema.createIndex('pull_requests_repo_state').on('pull_requests').columns(['repository_id', 'state', 'failing_checks']).execute();
  await db.schema.createIndex('pull_requests_head_sha').on('pull_requests').columns(['repository_id', 'head_sha']).execute();

  await db.schema
    .createTable('pr_state_history')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('pull_request_id', t.id, (c) => c.notNull().references('pull_requests.id').onDelete('cascade'))
    .addColumn('from_state', 'text')
    .addColumn('to_state', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('delivery_id', 'text')
    .addColumn('actor', 'text')
    .addColumn('occurred_at', t.timestamp, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('pr_state_history_pr').on('pr_state_history').columns(['pull_request_id', 'occurred_at']).execute();

  await db.schema
    .createTable('check_suites')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('repository_id', t.id, (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('github_id', t.bigint, (c) => c.notNull().unique())
    .addColumn('head_sha', 'text', (c) => c.notNull())
    .addColumn('head_branch', 'text')
    .addColumn('status', 'text')
    .addColumn('conclusion', 'text')
    .addColumn('app_slug', 'text')
    .addColumn('github_updated_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('check_runs')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('repository_id', t.id, (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('github_id', t.bigint, (c) => c.notNull().unique())
    .addColumn('check_suite_github_id', t.bigint)
    .addColumn('pull_request_id', t.id, (c) => c.references('pull_requests.id').onDelete('set null'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('head_sha', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('conclusion', 'text')
    .addColumn('started_at', t.timestamp)
    .addColumn('completed_at', t.timestamp)
    .addColumn('details_url', 'text')
    .addColumn('html_url', 'text')
    .addColumn('app_slug', 'text')
    .addColumn('output_title', 'text')
    .addColumn('output_summary', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('check_runs_pr').on('check_runs').columns(['pull_request_id', 'id']).execute();
  await db.schema.createIndex('check_runs_repo_sha').on('check_runs').columns(['repository_id', 'head_sha']).execute();

  await db.schema
    .createTable('workflow_runs')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('repository_id', t.id, (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('github_id', t.bigint, (c) => c.notNull().unique())
    .addColumn('workflow_id', t.bigint)
    .addColumn('name', 'text')
    .addColumn('head_sha', 'text', (c) => c.notNull())
    .addColumn('head_branch', 'text')
    .addColumn('event', 'text')
    .addColumn('status', 'text')
    .addColumn('conclusion', 'text')
    .addColumn('run_number', 'integer')
    .addColumn('run_attempt', 'integer')
    .addColumn('html_url', 'text')
    .addColumn('github_created_at', t.timestamp)
    .addColumn('github_updated_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('workflow_runs_repo_sha').on('workflow_runs').columns(['repository_id', 'head_sha']).execute();

  await db.schema
    .createTable('workflow_jobs')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('repository_id', t.id, (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('github_id', t.bigint, (c) => c.notNull().unique())
    .addColumn('run_github_id', t.bigint, (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('head_sha', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('conclusion', 'text')
    .addColumn('started_at', t.timestamp)
    .addColumn('completed_at', t.timestamp)
    .addColumn('runner_name', 'text')
    .addColumn('labels', t.json, (c) => c.notNull())
    .addColumn('html_url', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('workflow_jobs_run').on('workflow_jobs').column('run_github_id').execute();

  await db.schema
    .createTable('github_issues')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('repository_id', t.id, (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('github_id', t.bigint, (c) => c.notNull())
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('author', 'text')
    .addColumn('labels', t.json, (c) => c.notNull())
    .addColumn('assignees', t.json, (c) => c.notNull())
    .addColumn('comments', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('html_url', 'text')
    .addColumn('closed_at', t.timestamp)
    .addColumn('github_created_at', t.timestamp)
    .addColumn('github_updated_at', t.timestamp)
    .addColumn('is_deleted', t.bool, (c) => c.notNull().defaultTo(t.falseValue))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('github_issues_repo_number', ['repository_id', 'number'])
    .execute();
  await db.schema.createIndex('github_issues_repo_state').on('github_issues').columns(['repository_id', 'state', 'id']).execute();

  await db.schema
    .createTable('schedule_runs')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('last_slot', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  if (dialect === 'sqlite') {
    // The embedded queue; on PostgreSQL jobs live in pg-boss's own schema.
    await db.schema
      .createTable('jobs')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('payload', t.json, (c) => c.notNull())
      .addColumn('key', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('run_at', t.timestamp, (c) => c.notNull())
      .addColumn('locked_by', 'text')
      .addColumn('locked_until', t.timestamp)
      .addColumn('last_error', 'text')
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addColumn('updated_at', t.timestamp, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('jobs_due').on('jobs').columns(['state', 'run_at']).execute();
    // One pending job per key: a key de-duplicates while its job waits or runs.
    await sql`create unique index jobs_key_pending on jobs (key) where key is not null and state in ('queued', 'running', 'retry')`.execute(db);
  }
}
