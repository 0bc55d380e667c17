/**
 * CI triage learns each repository: maintainers' corrections of a diagnosis (`triage_corrections`)
 * and the repository's memory of its own failure lines per job (`triage_line_history`: lines that
 * were confirmed as the failure, lines a diagnosis found absent from the passing run of the same
 * job, lines marked "not this"), read when the repository's next failure is diagnosed. Which
 * reported lines matched that history is kept with the diagnosis (`analysis_results.history_lines`).
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../open-database.js';
import { columnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema.alterTable('analysis_results').addColumn('history_lines', t.json).execute();

  await db.schema
    .createTable('triage_corrections')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('repository_id', t.id, (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('check_run_github_id', t.bigint, (c) => c.notNull())
    .addColumn('check_name', 'text', (c) => c.notNull())
    .addColumn('verdict', 'text', (c) => c.notNull()) // lines, not_this
    .addColumn('lines', t.json, (c) => c.notNull()) // [[start, end], …]; [] for not_this
    .addColumn('previous_lines', t.json, (c) => c.notNull()) // what the diagnosis had reported
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('learned_lines', 'integer', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('triage_corrections_check').on('triage_corrections').columns(['check_run_github_id', 'id']).execute();

  await db.schema
    .createTable('triage_line_history')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('repository_id', t.id, (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('check_name', 'text', (c) => c.notNull())
    .addColumn('check_run_github_id', t.bigint, (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull()) // confirmed, diagnosis, rejected
    .addColumn('weight', 'real', (c) => c.notNull())
    .addColumn('line_text', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  // A job's history, newest first; and one check run's rows (replaced by a new correction).
  await db.schema.createIndex('triage_line_history_job').on('triage_line_history').columns(['repository_id', 'check_name', 'id']).execute();
  await db.schema.createIndex('triage_line_history_run').on('triage_line_history').columns(['check_run_github_id', 'source']).execute();
}
