/**
 * Repository pets (src/automations/pets): one creature per repository (`entities`, keyed by the
 * GitHub repository id so renames and transfers keep it), the analysis of every commit of its
 * branch (`commit_analyses`, one row per repository and sha), and every change of its health
 * (`health_history`). The entity row also carries its settings, the state of the sync that
 * follows pushes (lease, requested/synced sequence, fetch errors) and of the history backfill
 * (target, cursor, counts), so both resume after a crash.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../open-database.js';
import { columnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);

  // Badges and pages find a repository by owner/name whatever its case.
  await sql`create index repositories_full_name_lower on repositories (lower(full_name))`.execute(db);

  await db.schema
    .createTable('entities')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('repository_id', t.id, (c) => c.notNull().unique().references('repositories.id').onDelete('cascade'))
    .addColumn('github_repository_id', t.bigint, (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull()) // robot, plant, pet, golem, blob
    .addColumn('type_overridden', t.bool, (c) => c.notNull().defaultTo(t.falseValue))
    .addColumn('health', 'integer', (c) => c.notNull().defaultTo(100)) // 0–100
    .addColumn('life_state', 'text', (c) => c.notNull().defaultTo('alive')) // alive, dying, dead
    .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('born_at', t.timestamp, (c) => c.notNull()) // created, or revived
    .addColumn('zero_since', t.timestamp) // health has been 0 since (death after 7 days)
    .addColumn('death_date', t.timestamp)
    .addColumn('death_cause', 'text')
    .addColumn('last_commit_at', t.timestamp) // newest analysed commit on the branch (committer date)
    .addColumn('last_decay_on', 'text') // YYYY-MM-DD: the last day decay was applied for
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1)) // bumped by every change the creature or badge shows (ETag)
    // settings
    .addColumn('branch', 'text') // analysed branch; null = the repository's default branch
    .addColumn('decay_per_day', 'integer') // null = PETS_DECAY_PER_DAY
    .addColumn('badge_secret', 'text') // encrypted; set = private repositories serve images at a secret URL
    // following pushes
    .addColumn('head_sha', 'text') // branch tip the last sync analysed up to
    .addColumn('requested_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('synced_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', t.timestamp)
    .addColumn('sync_status', 'text', (c) => c.notNull().defaultTo('idle')) // idle, pending, syncing, failed
    .addColumn('sync_error', 'text')
    .addColumn('sync_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_sync_at', t.timestamp)
    .addColumn('last_synced_at', t.timestamp)
    // history backfill
    .addColumn('backfill_status', 'text', (c) => c.notNull().defaultTo('pending')) // pending, running, done, failed, empty
    .addColumn('backfill_target', 'text') // the tip whose history is backfilled
    .addColumn('backfill_cursor', 'text') // the last commit analysed (resume from here)
    .addColumn('backfill_done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('backfill_total', 'integer')
    .addColumn('backfill_error', 'text')
    .addColumn('backfill_started_at', t.timestamp)
    .addColumn('backfill_finished_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  // Decay sweeps alive pets; the dashboard lists by health.
  await db.schema.createIndex('entities_state').on('entities').columns(['life_state', 'id']).execute();

  await db.schema
    .createTable('commit_analyses')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('entity_id', t.id, (c) => c.notNull().references('entities.id').onDelete('cascade'))
    .addColumn('repository_id', t.id, (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('sha', 'text', (c) => c.notNull())
    .addColumn('parents', t.json, (c) => c.notNull()) // JSON array of shas
    .addColumn('is_merge', t.bool, (c) => c.notNull().defaultTo(t.falseValue))
    .addColumn('author_name', 'text', (c) => c.notNull())
    .addColumn('author_email', 'text', (c) => c.notNull())
    .addColumn('authored_at', t.timestamp, (c) => c.notNull())
    .addColumn('committed_at', t.timestamp, (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('files_changed', 'integer', (c) => c.notNull())
    .addColumn('additions', 'integer', (c) => c.notNull())
    .addColumn('deletions', 'integer', (c) => c.notNull())
    .addColumn('overall_quality_score', 'real', (c) => c.notNull())
    .addColumn('health_delta', 'integer', (c) => c.notNull()) // what the analyser said (−20..+20)
    .addColumn('applied_delta', 'integer', (c) => c.notNull().defaultTo(0)) // what it moved (0: too old, dead pet, clamped)
    .addColumn('applied', 'text', (c) => c.notNull()) // applied, too_old, dead, merge
    .addColumn('analysis_json', t.json, (c) => c.notNull()) // {analyzer_version, breakdown, findings, notes}
    .addColumn('analyzer_version', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull()) // push, backfill, reanalyze
    .addColumn('orphaned', t.bool, (c) => c.notNull().defaultTo(t.falseValue)) // left the branch (force push)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('commit_analyses_repo_sha', ['repository_id', 'sha'])
    .execute();
  // Commits of a pet, newest first (keyset on committed_at, id).
  await db.schema.createIndex('commit_analyses_entity_time').on('commit_analyses').columns(['entity_id', 'committed_at', 'id']).execute();

  await db.schema
    .createTable('health_history')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('entity_id', t.id, (c) => c.notNull().references('entities.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull()) // commit_analysis, daily_decay, manual_reset, death, revive
    .addColumn('health_before', 'integer', (c) => c.notNull())
    .addColumn('health_after', 'integer', (c) => c.notNull())
    .addColumn('delta', 'integer', (c) => c.notNull())
    .addColumn('life_state', 'text', (c) => c.notNull()) // after the change
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('commit_analysis_id', t.id, (c) => c.references('commit_analyses.id').onDelete('set null'))
    .addColumn('decay_day', 'text') // YYYY-MM-DD for daily_decay: one row per pet and day
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('occurred_at', t.timestamp, (c) => c.notNull()) // a commit's committer date, else when it happened
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('health_history_decay_once', ['entity_id', 'decay_day'])
    .execute();
  await db.schema.createIndex('health_history_entity_time').on('health_history').columns(['entity_id', 'occurred_at', 'id']).execute();
}
