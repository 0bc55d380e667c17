/**
 * The analyser's words.
 *
 * - component: one aspect of a commit that is scored (complexity, tests, docs, hygiene, secrets,
 *   size, …); each gives integer `points` and a one-line `reason`.
 * - health_delta: the sum of the components' points, clamped to −20..+20 (merges: 0).
 * - overall_quality_score: 0–100, continuous; 50 is a neutral commit.
 * - finding: one located observation (a secret, a conflict marker, a debug leftover …); secrets are
 *   only ever described by rule id, file, line and a redacted preview.
 * - note: what the analyser did not parse and why (huge, binary, vendored, invalid UTF-8 …).
 */

/** One component's contribution to a commit's health_delta. */
export interface ComponentScore {
  points: number;
  reason: string;
}

/** A located observation; `preview` is always redacted. */
export interface Finding {
  component: string;
  rule: string;
  file: string;
  line: number | null;
  message: string;
  /** Redacted: never the secret itself. */
  preview?: string;
}

/** The analysis of one commit. */
export interface CommitAnalysis {
  sha: string;
  parents: string[];
  isMerge: boolean;
  authorName: string;
  authorEmail: string;
  /** ISO 8601, UTC. */
  authoredAt: string;
  /** ISO 8601, UTC. */
  committedAt: string;
  subject: string;
  filesChanged: number;
  additions: number;
  deletions: number;
  overall_quality_score: number;
  health_delta: number;
  /** complexity, tests, docs, hygiene, secrets, size, … */
  breakdown: Record<string, ComponentScore>;
  findings: Finding[];
  /** e.g. "src/big.json: 12,000 changed lines, counted not parsed". */
  notes: string[];
  /** The raw figures the components were computed from (lines, decision points, history …). */
  metrics?: Record<string, number>;
  analyzerVersion: string;
}

/** Where and what to analyse. */
export interface AnalyzeOptions {
  /** A git directory (bare or a `.git`). */
  gitDir: string;
  /** 'A..B', a single sha, or undefined = the whole history of HEAD. */
  range?: string;
  /** The git executable (default `git`). */
  git?: string;
  /** Extra environment for git (e.g. credentials through GIT_CONFIG_*), never argv. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}
