/**
 * Table types as the domain sees them, identical on both dialects: ids are UUID strings (v7,
 * time-ordered), timestamps are ISO-8601 UTC strings, JSON columns are JSON text, booleans are
 * booleans, byte columns are Buffers. The data layer (src/db/open-database.ts) makes both drivers
 * answer in these shapes.
 */
import type { ColumnType } from 'kysely';

/** JSON stored as text; written as a string, read as a string. */
export type JsonText = string;
/** A boolean column: SQLite stores 0/1, the driver wrapper reads it back as 0/1 (use `toBool`). */
export type Bool = ColumnType<boolean | number, boolean | undefined, boolean>;

export interface EventReceiptsTable {
  id: string;
  delivery_id: string;
  source: string;
  event_type: string;
  event_action: string | null;
  installation_id: number | null;
  repository_id: string | null;
  actor: string | null;
  target_object_ids: JsonText;
  github_timestamp: string | null;
  received_at: string;
  headers: JsonText;
  payload_storage: string | null;
  payload_size: number;
  processing_status: 'received' | 'processing' | 'processed' | 'failed' | 'dead';
  retry_count: number;
  max_retries: number;
  next_attempt_at: string | null;
  processed_at: string | null;
  error_message: string | null;
  /** Added to its repository's event_count (migration 0010; SQLite counts at ingest, PostgreSQL at processing). */
  counted: Bool;
  created_at: string;
  updated_at: string;
}

/** Raw delivery bodies stored inline (up to PAYLOAD_INLINE_LIMIT), one row per receipt. */
export interface EventPayloadsTable {
  receipt_id: string;
  body: Buffer;
}

export interface InstallationsTable {
  id: string;
  github_id: number;
  account_login: string | null;
  account_id: number | null;
  account_type: string | null;
  target_type: string | null;
  repository_selection: string | null;
  permissions: JsonText;
  events: JsonText;
  status: 'active' | 'suspended' | 'deleted';
  suspended_at: string | null;
  deleted_at: string | null;
  github_updated_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface InstallationRepositoriesTable {
  installation_id: string;
  repository_id: string;
  created_at: string;
}

export interface RepositoriesTable {
  id: string;
  github_id: number;
  owner: string;
  name: string;
  full_name: string;
  installation_id: number | null;
  default_branch: string | null;
  language: string | null;
  description: string | null;
  html_url: string | null;
  is_private: Bool;
  is_archived: Bool;
  is_fork: Bool;
  is_deleted: Bool;
  size_kb: number | null;
  stargazers_count: number | null;
  watchers_count: number | null;
  last_event_at: string | null;
  event_count: number;
  status: 'active' | 'suspended' | 'error';
  failure_count: number;
  last_polled_at: string | null;
  last_commit_sha: string | null;
  pushed_at: string | null;
  github_updated_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface PullRequestsTable {
  id: string;
  repository_id: string;
  github_id: number;
  number: number;
  title: string;
  state: 'open' | 'closed' | 'merged';
  is_draft: Bool;
  author: string | null;
  head_sha: string | null;
  head_ref: string | null;
  base_ref: string | null;
  html_url: string | null;
  merged_at: string | null;
  closed_at: string | null;
  github_created_at: string | null;
  github_updated_at: string | null;
  last_checked_at: string | null;
  failing_checks: ColumnType<number, number | undefined, number>;
  created_at: string;
  updated_at: string;
}

export interface PrStateHistoryTable {
  id: string;
  pull_request_id: string;
  from_state: string | null;
  to_state: string;
  trigger: string;
  delivery_id: string | null;
  actor: string | null;
  occurred_at: string;
  created_at: string;
}

export interface CheckSuitesTable {
  id: string;
  repository_id: string;
  github_id: number;
  head_sha: string;
  head_branch: string | null;
  status: string | null;
  conclusion: string | null;
  app_slug: string | null;
  github_updated_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface CheckRunsTable {
  id: string;
  repository_id: string;
  github_id: number;
  check_suite_github_id: number | null;
  pull_request_id: string | null;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
  details_url: string | null;
  html_url: string | null;
  app_slug: string | null;
  output_title: string | null;
  output_summary: string | null;
  created_at: string;
  updated_at: string;
}

export interface WorkflowRunsTable {
  id: string;
  repository_id: string;
  github_id: number;
  workflow_id: number | null;
  name: string | null;
  head_sha: string;
  head_branch: string | null;
  event: string | null;
  status: string | null;
  conclusion: string | null;
  run_number: number | null;
  run_attempt: number | null;
  html_url: string | null;
  github_created_at: string | null;
  github_updated_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface WorkflowJobsTable {
  id: string;
  repository_id: string;
  github_id: number;
  run_github_id: number;
  name: string;
  head_sha: string | null;
  status: string;
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
  runner_name: string | null;
  labels: JsonText;
  html_url: string | null;
  created_at: string;
  updated_at: string;
}

export interface GithubIssuesTable {
  id: string;
  repository_id: string;
  github_id: number;
  number: number;
  title: string;
  state: 'open' | 'closed';
  author: string | null;
  labels: JsonText;
  assignees: JsonText;
  comments: number;
  html_url: string | null;
  closed_at: string | null;
  github_created_at: string | null;
  github_updated_at: string | null;
  is_deleted: Bool;
  created_at: string;
  updated_at: string;
}

/** The embedded (SQLite) job queue; PostgreSQL uses pg-boss's own schema instead. */
export interface JobsTable {
  id: string;
  name: string;
  payload: JsonText;
  key: string | null;
  state: 'queued' | 'running' | 'retry' | 'dead';
  attempts: number;
  max_attempts: number;
  run_at: string;
  locked_by: string | null;
  locked_until: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

/** Last run of each scheduled (cron) job, so a schedule fires once per slot. */
export interface ScheduleRunsTable {
  name: string;
  last_slot: string;
  updated_at: string;
}

export interface UsersTable {
  id: string;
  github_id: number | null;
  username: string;
  email: string | null;
  name: string | null;
  avatar_url: string | null;
  password_hash: string | null;
  is_2fa_enabled: Bool;
  /** Encrypted (src/identity/secret-box.ts). */
  totp_secret: string | null;
  /** Encrypted; an enrollment not yet confirmed with a first code. */
  totp_pending_secret: string | null;
  totp_last_step: number | null;
  totp_failures: number;
  totp_locked_until: string | null;
  /** Encrypted. */
  github_access_token: string | null;
  /** Encrypted; GitHub App user tokens expire (8 h) and are renewed with this (valid 6 months). Migration 0013. */
  github_refresh_token: string | null;
  /** When github_access_token expires (null: never, or not known). */
  github_token_expires_at: string | null;
  /** When the installations this person may see were last confirmed with GitHub (sign-in or re-check). */
  access_checked_at: string | null;
  is_admin: Bool;
  is_active: Bool;
  telegram_chat_id: string | null;
  last_active_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface UserRecoveryCodesTable {
  id: string;
  user_id: string;
  code_hash: string;
  used_at: string | null;
  created_at: string;
}

export interface UserSessionsTable {
  id: string;
  user_id: string;
  token_hash: string;
  method: string;
  user_agent: string | null;
  ip: string | null;
  last_seen_at: string;
  expires_at: string;
  created_at: string;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  token_hint: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

export interface UserInstallationsTable {
  user_id: string;
  installation_github_id: number;
  source: 'github' | 'admin';
  created_at: string;
}

export interface AppCredentialsTable {
  id: string;
  app_id: number;
  slug: string | null;
  name: string | null;
  html_url: string | null;
  owner_login: string | null;
  client_id: string | null;
  /** Encrypted. */
  client_secret: string | null;
  /** Encrypted. */
  webhook_secret: string | null;
  /** Encrypted. */
  private_key: string;
  created_at: string;
  updated_at: string;
}

/** Until when GitHub asked every process to stop calling one bucket (migration 0017). */
export interface GithubRateLimitsTable {
  /** `installation:<id>` or `app:<id>`. */
  bucket: string;
  limited_until: string;
  reason: string;
  updated_at: string;
}

export interface RateLimitsTable {
  key: string;
  window_start: string;
  count: number;
}

/** The one-time setup code of a server with no administrator: only its keyed hash (migration 0012). */
export interface SetupCodesTable {
  id: string;
  code_hash: string;
  issued_by: string;
  created_at: string;
}

export interface DeliveryRecoveryRunsTable {
  id: string;
  status: 'running' | 'completed' | 'failed';
  trigger: string;
  scanned: number;
  missing: number;
  redelivered: number;
  newest_delivered_at: string | null;
  error_message: string | null;
  started_at: string;
  finished_at: string | null;
  created_at: string;
}

export interface DeliveryRedeliveriesTable {
  guid: string;
  github_delivery_id: number;
  event: string;
  action: string | null;
  delivered_at: string | null;
  github_status: string | null;
  run_id: string;
  outcome: 'requested' | 'failed';
  attempts: number;
  error_message: string | null;
  requested_at: string;
}

export interface Schema {
  users: UsersTable;
  user_recovery_codes: UserRecoveryCodesTable;
  user_sessions: UserSessionsTable;
  api_tokens: ApiTokensTable;
  user_installations: UserInstallationsTable;
  app_credentials: AppCredentialsTable;
  rate_limits: RateLimitsTable;
  github_rate_limits: GithubRateLimitsTable;
  setup_codes: SetupCodesTable;
  delivery_recovery_runs: DeliveryRecoveryRunsTable;
  delivery_redeliveries: DeliveryRedeliveriesTable;
  event_receipts: EventReceiptsTable;
  event_payloads: EventPayloadsTable;
  installations: InstallationsTable;
  installation_repositories: InstallationRepositoriesTable;
  repositories: RepositoriesTable;
  pull_requests: PullRequestsTable;
  pr_state_history: PrStateHistoryTable;
  check_suites: CheckSuitesTable;
  check_runs: CheckRunsTable;
  workflow_runs: WorkflowRunsTable;
  workflow_jobs: WorkflowJobsTable;
  github_issues: GithubIssuesTable;
  jobs: JobsTable;
  schedule_runs: ScheduleRunsTable;
}
