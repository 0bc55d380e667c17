/** The CI-triage slice's tables (migrations 0005_ci_triage and 0014_triage_learning), merged into the database schema type. */
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
  /** JSON: reported line numbers that matched the repository's history (0014), or null. */
  history_lines: JsonText | null;
  created_at: string;
  updated_at: string;
}

/** A maintainer's correction of a diagnosis (0014). */
export interface TriageCorrectionsTable {
  id: string;
  repository_id: string;
  check_run_github_id: number;
  check_name: string;
  verdict: 'lines' | 'not_this';
  /** JSON: [[start, end], …]; [] for not_this. */
  lines: JsonText;
  /** JSON: the failure lines the diagnosis had reported. */
  previous_lines: JsonText;
  /** Username of who corrected it ('operator' for the operator token). */
  author: string;
  /** How many lines the correction taught the repository's history. */
  learned_lines: number;
  created_at: string;
}

/** One line of a repository's (per job) memory of its failures (0014). */
export interface TriageLineHistoryTable {
  id: string;
  repository_id: string;
  check_name: string;
  check_run_github_id: number;
  source: 'confirmed' | 'diagnosis' | 'rejected';
  weight: number;
  line_text: string;
  created_at: string;
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
    triage_corrections: TriageCorrectionsTable;
    triage_line_history: TriageLineHistoryTable;
  }
}
