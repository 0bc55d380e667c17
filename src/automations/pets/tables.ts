/**
 * The pets slice's tables (migration 0006_pets), added to the shared Schema by module
 * augmentation; only this slice reads or writes them.
 *
 * Glossary:
 * - entity (pet): the creature of one repository, keyed by its GitHub repository id.
 * - type: robot (C, C++, Go, Rust), plant (Python), pet (JavaScript, TypeScript), golem (JVM
 *   languages, C#), blob (anything else); from the repository's language unless overridden.
 * - band: thriving ≥ 80, healthy ≥ 60, okay ≥ 40, poor ≥ 20, dying < 20 (from health).
 * - life state: alive; dying while health < 20; dead once health stayed at 0 for 7 days (or the
 *   repository was deleted). A dead pet takes no health changes until it is revived.
 * - generation: 1 at birth, + 1 at each revive.
 * - sync: bringing the pet up to date with its branch (fetch the bare cache, analyse what is new);
 *   requests bump `requested_seq`, a finished sync records the request it covered in `synced_seq`.
 * - backfill: analysing the whole history once, in slices, resuming from `backfill_cursor`.
 * - applied: what a commit did to health: `applied` (its delta, maybe clamped), `too_old` (older
 *   than PETS_HEALTH_WINDOW_DAYS), `dead` (the pet was dead), `merge` (merges move nothing).
 */
import type { Bool, JsonText } from '../../db/schema.js';

export type EntityType = 'robot' | 'plant' | 'pet' | 'golem' | 'blob';
export type Band = 'thriving' | 'healthy' | 'okay' | 'poor' | 'dying';
export type LifeState = 'alive' | 'dying' | 'dead';
export type SyncStatus = 'idle' | 'pending' | 'syncing' | 'failed';
export type BackfillStatus = 'pending' | 'running' | 'done' | 'failed' | 'empty';
export type HistoryKind = 'commit_analysis' | 'daily_decay' | 'manual_reset' | 'death' | 'revive';
export type Applied = 'applied' | 'too_old' | 'dead' | 'merge';
export type AnalysisSource = 'push' | 'backfill' | 'reanalyze';

export const ENTITY_TYPES: readonly EntityType[] = ['robot', 'plant', 'pet', 'golem', 'blob'];
export const BANDS: readonly Band[] = ['thriving', 'healthy', 'okay', 'poor', 'dying'];

export interface EntitiesTable {
  id: string;
  repository_id: string;
  github_repository_id: number;
  name: string;
  entity_type: EntityType;
  type_overridden: Bool;
  health: number;
  life_state: LifeState;
  generation: number;
  born_at: string;
  zero_since: string | null;
  death_date: string | null;
  death_cause: string | null;
  last_commit_at: string | null;
  last_decay_on: string | null;
  version: number;
  branch: string | null;
  decay_per_day: number | null;
  /** Encrypted (`entities.badge_secret`). */
  badge_secret: string | null;
  head_sha: string | null;
  requested_seq: number;
  synced_seq: number;
  lease_owner: string | null;
  lease_expires_at: string | null;
  sync_status: SyncStatus;
  sync_error: string | null;
  sync_failures: number;
  next_sync_at: string | null;
  last_synced_at: string | null;
  backfill_status: BackfillStatus;
  backfill_target: string | null;
  backfill_cursor: string | null;
  backfill_done: number;
  backfill_total: number | null;
  backfill_error: string | null;
  backfill_started_at: string | null;
  backfill_finished_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface CommitAnalysesTable {
  id: string;
  entity_id: string;
  repository_id: string;
  sha: string;
  parents: JsonText;
  is_merge: Bool;
  author_name: string;
  author_email: string;
  authored_at: string;
  committed_at: string;
  subject: string;
  files_changed: number;
  additions: number;
  deletions: number;
  overall_quality_score: number;
  health_delta: number;
  applied_delta: number;
  applied: Applied;
  analysis_json: JsonText;
  analyzer_version: string;
  source: AnalysisSource;
  orphaned: Bool;
  created_at: string;
  updated_at: string;
}

export interface HealthHistoryTable {
  id: string;
  entity_id: string;
  kind: HistoryKind;
  health_before: number;
  health_after: number;
  delta: number;
  life_state: LifeState;
  generation: number;
  commit_analysis_id: string | null;
  decay_day: string | null;
  reason: string;
  occurred_at: string;
  created_at: string;
}

declare module '../../db/schema.js' {
  interface Schema {
    entities: EntitiesTable;
    commit_analyses: CommitAnalysesTable;
    health_history: HealthHistoryTable;
  }
}
