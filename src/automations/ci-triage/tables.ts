/** The CI-triage slice's tables (migration 0005_ci_triage), merged into the database schema type. */
import type { Bool, JsonText } from '../../db/schema.js';

export interface AnalysisResultsTable {
  id: string;
  repository_id: string;
  check_run_github_id: number;
  pull_request_id: string | null;
  check_name: string;
  head_sha: string;
  conclusion: string | null;
  status: 'analyzed' | 'failed';
  category: string;
  confidence: number;
  reason: string;
  root_cause: string;
  recommended_action: string;
  /** JSON: [[start, end], …], 1-based inclusive. */
  failure_lines: JsonText;
  /** JSON: [{ line, text }, …]. */
  excerpt: JsonText;
  /** JSON: which evidence was read (output, annotations, log, passing log). */
  evidence: JsonText;
  log_path: string | null;
  log_bytes: number | null;
  log_truncated: Bool;
  analyzer: string;
  error_message: string | null;
  created_at: string;
  updated_at: string;
}

export interface FixAttemptsTable {
  id: string;
  repository_id: string;
  pull_request_id: string | null;
  check_name: string;
  head_sha: string;
  fix_strategy: 'rerun';
  trigger_check_run_github_id: number;
  workflow_run_github_id: number | null;
  category: string;
  status: 'requested' | 'succeeded' | 'failed' | 'error';
  outcome_check_run_github_id: number | null;
  error_message: string | null;
  completed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ReviewsTable {
  id: string;
  repository_id: string;
  pull_request_id: string;
  reviewer_type: 'triage';
  status: 'posted' | 'resolved' | 'failed';
  decision: 'failing' | 'passing' | null;
  feedback: string | null;
  github_comment_id: number | null;
  github_check_run_id: number | null;
  head_sha: string | null;
  error_message: string | null;
  created_at: string;
  updated_at: string;
}

declare module '../../db/schema.js' {
  interface RepositoriesTable {
    /** JSON: per-repository settings (see src/automations/ci-triage/triage-config.ts). */
    config_override: JsonText | null;
    /** When the repository is next polled (null: as soon as the poller runs). */
    next_poll_at: string | null;
  }
  interface Schema {
    analysis_results: AnalysisResultsTable;
    fix_attempts: FixAttemptsTable;
    reviews: ReviewsTable;
  }
}
