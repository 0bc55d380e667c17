/**
 * The CI failure analyzer's public types.
 *
 * Glossary:
 * - failure lines: the lines of a failed build log that say why it failed, as 1-based inclusive
 *   ranges `[start, end]`; lines are split on `\r\n`, `\r` or `\n`, so a lone `\r` (progress output)
 *   starts a new line.
 * - signal: what made the analyzer decide: a tool's error format, an error word, the step that
 *   exited non-zero, a line absent from a passing log of the same job, or a history hint.
 * - code categories: the change under test broke the build (fix the code); platform categories: the
 *   runner, the network, a registry, credentials or the CI configuration did (rerun, ask, reconfigure).
 */

import type { LineHistory } from './line-history.js';

export type FailureCategory =
  | 'compilation'
  | 'test_failure'
  | 'lint_format'
  | 'type_check'
  | 'security_scan'
  | 'infrastructure'
  | 'network_timeout'
  | 'dependency_resolution'
  | 'credentials_permissions'
  | 'configuration'
  | 'flaky'
  | 'unknown';

export type RecommendedAction = 'rerun' | 'fix_code' | 'update_dependency' | 'fix_configuration' | 'contact_admin' | 'none';

/** A log as bytes (plain or gzipped, detected by magic bytes) or text, whole or streamed in chunks. */
export type LogInput = AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string> | Buffer | Uint8Array | string;

/** What a check run says about itself, when the log comes from a GitHub check run. */
export interface CheckOutput {
  title?: string | null;
  summary?: string | null;
  text?: string | null;
}

/** A check-run annotation as GitHub returns it. */
export interface CheckAnnotation {
  path: string;
  start_line: number;
  message: string;
  annotation_level: string;
}

/** What is known about earlier runs of the same check; only this can make a failure `flaky`. */
export interface FailureHistory {
  /** The same commit failed and then passed on a rerun. */
  sameShaPassedAfterFailure?: boolean;
  /** Share of recent runs of this check that failed, 0..1. */
  recentFailureRate?: number;
}

export interface AnalyzeInput {
  log: LogInput;
  /** A passing log of the same job; lines absent from it point at the failure. */
  passingLog?: LogInput;
  checkName?: string;
  checkOutput?: CheckOutput;
  annotations?: CheckAnnotation[];
  history?: FailureHistory;
  /**
   * This repository's (or job's) memory of its own failure lines, from earlier diagnoses and
   * maintainers' corrections (`buildLineHistory`); candidates matching it rank higher.
   */
  lineHistory?: LineHistory;
}

export interface LogAnalysis {
  /** 1-based inclusive line ranges that show why the build failed, in log order. */
  failureLines: Array<[number, number]>;
  category: FailureCategory;
  /** 0..1; below about 0.4 the category is `unknown`. */
  confidence: number;
  /** Which signal decided, e.g. "matched 'error: cannot find symbol' (javac) at line 812". */
  reason: string;
  /** Two or three sentences a developer can act on, quoting the key lines. */
  rootCause: string;
  recommendedAction: RecommendedAction;
  /** The failure lines (capped), ANSI escapes removed. */
  excerpt: Array<{ line: number; text: string }>;
  /** Reported lines that matched this repository's history of failure lines (ranked up by it). */
  historyLines: number[];
}

/** Anything that can explain a failed log: the rule-based analyzer today, a model-backed one later. */
export interface LogAnalyzer {
  analyze(input: AnalyzeInput): Promise<LogAnalysis>;
}

/** The action each category calls for. */
export const ACTION_FOR_CATEGORY: Readonly<Record<FailureCategory, RecommendedAction>> = {
  compilation: 'fix_code',
  test_failure: 'fix_code',
  lint_format: 'fix_code',
  type_check: 'fix_code',
  security_scan: 'fix_code',
  infrastructure: 'rerun',
  network_timeout: 'rerun',
  flaky: 'rerun',
  dependency_resolution: 'update_dependency',
  configuration: 'fix_configuration',
  credentials_permissions: 'contact_admin',
  unknown: 'none',
};
