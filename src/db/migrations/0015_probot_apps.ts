/**
 * Hosted Probot apps (src/automations/probot-apps): one row per app and delivery in
 * `probot_app_runs` — its status, attempts, timing, last error and the lines the app logged — so a
 * delivery runs each app once (the row says it succeeded), failures retry or die visibly, and a
 * replay bumps `run_seq` to run it again.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../open-database.js';
import { columnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('probot_app_runs')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('receipt_id', t.id, (c) => c.notNull().references('event_receipts.id').onDelete('cascade'))
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('action', 'text')
    .addColumn('installation_id', t.bigint)
    .addColumn('status', 'text', (c) => c.notNull()) // queued, running, succeeded, retrying, failed, dead
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('run_seq', 'integer', (c) => c.notNull().defaultTo(0)) // bumped by each replay
    .addColumn('started_at', t.timestamp)
    .addColumn('finished_at', t.timestamp)
    .addColumn('duration_ms', 'integer')
    .addColumn('next_attempt_at', t.timestamp)
    .addColumn('error', 'text')
    .addColumn('log_lines', t.json) // JSON array of the app's pino lines for the last attempt
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('probot_app_runs_app_receipt', ['app', 'receipt_id'])
    .execute();
  await sql`create index probot_app_runs_app_created on probot_app_runs (app, created_at desc, id desc)`.execute(db);
  await sql`create index probot_app_runs_receipt on probot_app_runs (receipt_id)`.execute(db);
}
