/**
 * The mirror slice's tables (migration 0004_mirror), added to the shared Schema by module
 * augmentation so Kysely types every query on them; only this slice reads or writes them.
 *
 * Glossary:
 * - target: another forge (OneDev, Gitea/Forgejo, GitLab) or any git URL that copies go to.
 * - rule: which repositories a target receives (starred, a whole installation, a list, a pattern).
 * - mirror: one repository × one target (`repo_mirrors`), with its sync status and lease.
 * - source: one reason a mirror exists (`rule:<id>`, `star:<rule id>:<login>`, `manual`); a mirror
 *   whose last source goes stops syncing (its copy stays).
 * - request: anything that needs the target brought up to date bumps `requested_seq` and makes
 *   the mirror due; a completed sync records the `requested_seq` it started from in `synced_seq`,
 *   so requests that arrive during a sync are covered by one more sync (coalescing).
 * - lease: the runner that syncs a mirror holds `lease_owner` until `lease_expires_at`, renewing it
 *   while alive; another runner may take the mirror over only once the lease has expired.
 */
import type { Bool, JsonText } from '../../db/schema.js';

export type TargetKind = 'onedev' | 'gitea' | 'gitlab' | 'git';
export type SyncStatus = 'pending' | 'in_progress' | 'completed' | 'failed' | 'permanent_failure';
export type RuleKind = 'starred' | 'installation' | 'repositories' | 'pattern';

export interface MirrorTargetsTable {
  id: string;
  name: string;
  kind: TargetKind;
  base_url: string;
  namespace: string | null;
  username: string | null;
  /** Encrypted (`mirror_targets.token`). */
  token: string | null;
  visibility: 'same' | 'private';
  name_template: string;
  push_backups: Bool;
  on_remove: 'keep' | 'archive' | 'delete';
  max_concurrency: number | null;
  enabled: Bool;
  last_test_at: string | null;
  last_test_ok: Bool | null;
  last_test_message: string | null;
  created_at: string;
  updated_at: string;
}

export interface MirrorRulesTable {
  id: string;
  target_id: string;
  kind: RuleKind;
  users: JsonText | null;
  installation_id: number | null;
  repositories: JsonText | null;
  pattern: string | null;
  created_at: string;
  updated_at: string;
}

export interface RepoMirrorsTable {
  id: string;
  target_id: string;
  repository_id: string;
  target_path: string;
  target_repo_id: string | null;
  target_url: string | null;
  sources: JsonText;
  is_active: Bool;
  stopped_reason: string | null;
  sync_status: SyncStatus;
  error_code: string | null;
  error_message: string | null;
  retry_count: number;
  max_retries: number;
  next_retry_at: string | null;
  due_at: string | null;
  requested_seq: number;
  synced_seq: number;
  pending_since: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  progress: JsonText | null;
  last_sync_started_at: string | null;
  last_synced_at: string | null;
  last_duration_ms: number | null;
  last_bytes: number | null;
  synced_sha: string | null;
  created_at: string;
  updated_at: string;
}

export interface SyncLogsTable {
  id: string;
  repo_mirror_id: string;
  sync_id: string | null;
  event: string;
  message: string | null;
  duration_ms: number | null;
  bytes_transferred: number | null;
  error_code: string | null;
  details: JsonText | null;
  created_at: string;
}

declare module '../../db/schema.js' {
  interface Schema {
    mirror_targets: MirrorTargetsTable;
    mirror_rules: MirrorRulesTable;
    repo_mirrors: RepoMirrorsTable;
    sync_logs: SyncLogsTable;
  }
}
