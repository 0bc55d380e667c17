/**
 * Numbered, forward-only migrations. Each runs in its own transaction and is recorded in
 * `kysely_migration`; Kysely's Migrator refuses to run when the recorded ones are out of order
 * ("corrupted migrations") and takes a lock so concurrent processes migrate once.
 */
import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { Database } from './open-database.js';
import * as m0001 from './migrations/0001_core.js';
import * as m0002 from './migrations/0002_jobs_claim_index.js';
import * as m0003 from './migrations/0003_identity.js';
import * as m0004 from './migrations/0004_mirror.js';
import * as m0005 from './migrations/0005_ci_triage.js';
import * as m0006 from './migrations/0006_pets.js';
import * as m0007 from './migrations/0007_llm.js';
import * as m0008 from './migrations/0008_agents.js';
import * as m0009 from './migrations/0009_notify_channels.js';
import * as m0010 from './migrations/0010_receipt_counted.js';
import * as m0011 from './migrations/0011_status_comment_claim.js';
import * as m0012 from './migrations/0012_setup_code.js';
import * as m0013 from './migrations/0013_access_follows_github.js';
import * as m0014 from './migrations/0014_triage_learning.js';
import * as m0015 from './migrations/0015_probot_apps.js';
import * as m0016 from './migrations/0016_event_filter_indexes.js';
import * as m0017 from './migrations/0017_probot_ops.js';

const MIGRATIONS = {
  '0001_core': m0001,
  '0002_jobs_claim_index': m0002,
  '0003_identity': m0003,
  '0004_mirror': m0004,
  '0005_ci_triage': m0005,
  '0006_pets': m0006,
  '0007_llm': m0007,
  '0008_agents': m0008,
  '0009_notify_channels': m0009,
  '0010_receipt_counted': m0010,
  '0011_status_comment_claim': m0011,
  '0012_setup_code': m0012,
  '0013_access_follows_github': m0013,
  '0014_triage_learning': m0014,
  '0015_probot_apps': m0015,
  '0016_event_filter_indexes': m0016,
  '0017_probot_ops': m0017,
} as const;

/** Names of every migration this build knows, in order. */
export const MIGRATION_NAMES = Object.keys(MIGRATIONS);

function provider(db: Database): MigrationProvider {
  return {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, mod] of Object.entries(MIGRATIONS)) {
        out[name] = { up: (k) => mod.up(k, db.dialect) };
      }
      return out;
    },
  };
}

function migrator(db: Database): Migrator {
  return new Migrator({ db: db.kysely, provider: provider(db) });
}

export class MigrationFailed extends Error {
  readonly code = 'MIGRATION_FAILED';
}

/** Brings the schema up to date; returns the names of the migrations it applied. */
export async function migrateToLatest(db: Database): Promise<string[]> {
  const { error, results }: MigrationResultSet = await migrator(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new MigrationFailed(`Migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Migrations this build knows that the database has not applied yet. */
export async function pendingMigrations(db: Database): Promise<string[]> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => !m.executedAt).map((m) => m.name);
}
