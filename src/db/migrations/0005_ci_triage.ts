/**
 * CI triage: per-repository polling state and configuration, the diagnosis of every failed check
 * run (analysis_results), automatic fixes tried (fix_attempts), and the comments or check runs
 * posted about them (reviews).
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../open-database.js';
import { columnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);

  await db.schema.alterTable('repositories').addColumn('config_override', t.json).execute();
  await db.schema.alterTable('repositories').addColumn('next_poll_at', t.timestamp).execute();
  // "Which repositories are due": active ones by when they are next due.
  await db.schema.createIndex('repositories_poll_due').on('repositories').columns(['status', 'next_poll_at']).execute();
  // Check runs of one name on one commit (re-runs, flakiness).
  await db.schema.createIndex('check_runs_repo_name_sha').on('check_runs').columns(['repository_id', 'name', 'head_sha']).execute();
  // Failing checks across repositories, newest first.
  await db.schema.createIndex('check_runs_conclusion').on('check_runs').columns(['conclusion', 'completed_at']).execute();

  await db.schema
    .createTable('analysis_results')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('repository_id', t.id, (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('check_run_github_id', t.bigint, (c) => c.notNull().unique())
    .addColumn('pull_request_id', t.id, (c) => c.references('pull_requests.id').onDelete('set null'))
    .addColumn('check_name', 'text', (c) => c.notNull())
    .addColumn('head_sha', 'text', (c) => c.notNull())
    .addColumn('conclusion', 'text')
    .addColumn('status', 'text', (c) => c.notNull()) // analyzed, failed
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('confidence', 'real', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('root_cause', 'text', (c) => c.notNull())
    .addColumn('recommended_action', 'text', (c) => c.notNull())
    .addColumn('failure_lines', t.json, (c) => c.notNull())
    .addColumn('excerpt', t.json, (c) => c.notNull())
    .addColumn('evidence', t.json, (c) => c.notNull()) // which sources were read: output, annotations, log, passing log
    .addColumn('log_path', 'text') // compressed copy under the data dir
    .addColumn('log_bytes', t.bigint)
    .addColumn('log_truncated', t.bool, (c) => c.notNull().defaultTo(t.falseValue))
    .addColumn('analyzer', 'text', (c) => c.notNull())
    .addColumn('error_message', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('analysis_results_repo').on('analysis_results').columns(['repository_id', 'id']).execute();
  await db.schema.createIndex('analysis_results_pr').on('analysis_results').column('pull_request_id').execute();

  await db.schema
    .createTable('fix_attempts')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('repository_id', t.id, (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('pull_request_id', t.id, (c) => c.references('pull_requests.id').onDelete('set null'))
    .addColumn('check_name', 'text', (c) => c.notNull())
    .addColumn('head_sha', 'text', (c) => c.notNull())
    .addColumn('fix_strategy', 'text', (c) => c.notNull()) // rerun
    .addColumn('trigger_check_run_github_id', t.bigint, (c) => c.notNull())
    .addColumn('workflow_run_github_id', t.bigint)
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // requested, succeeded, failed, error
    .addColumn('outcome_check_run_github_id', t.bigint)
    .addColumn('error_message', 'text')
    .addColumn('completed_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('fix_attempts_once', ['repository_id', 'head_sha', 'check_name', 'fix_strategy'])
    .execute();
  await db.schema.createIndex('fix_attempts_repo').on('fix_attempts').columns(['repository_id', 'id']).execute();

  await db.schema
    .createTable('reviews')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('repository_id', t.id, (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('pull_request_id', t.id, (c) => c.notNull().references('pull_requests.id').onDelete('cascade'))
    .addColumn('reviewer_type', 'text', (c) => c.notNull()) // triage
    .addColumn('status', 'text', (c) => c.notNull()) // pending, posted, resolved, failed
    .addColumn('decision', 'text') // failing, passing
    .addColumn('feedback', 'text') // the body posted
    .addColumn('github_comment_id', t.bigint)
    .addColumn('github_check_run_id', t.bigint)
    .addColumn('head_sha', 'text')
    .addColumn('error_message', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('reviews_one_per_pr', ['pull_request_id', 'reviewer_type'])
    .execute();

  await db.schema
    .createTable('notifications')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('installation_id', t.bigint) // who may see it: users of this installation (null = administrators)
    .addColumn('repository_id', t.id, (c) => c.references('repositories.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('link', 'text')
    .addColumn('dedupe_key', 'text', (c) => c.unique())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notifications_installation').on('notifications').columns(['installation_id', 'id']).execute();
  await db.schema
    .createTable('notification_reads')
    .addColumn('notification_id', t.id, (c) => c.notNull().references('notifications.id').onDelete('cascade'))
    .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('read_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('notification_reads_pk', ['notification_id', 'user_id'])
    .execute();
}
