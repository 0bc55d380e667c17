/**
 * Writes the root cause a developer reads: what failed and where, the key lines quoted, and what to
 * do next; two or three sentences.
 */
import type { FailureCategory, RecommendedAction } from './types.js';

export interface RootCauseInput {
  category: FailureCategory;
  action: RecommendedAction;
  /** The failing step's command, or ''. */
  stepCommand: string;
  exitCode: number | null;
  /** The most telling failure lines, best first (quoted as given). */
  keyLines: Array<{ line: number; text: string }>;
}

const WHAT: Record<FailureCategory, string> = {
  compilation: 'The build failed to compile',
  test_failure: 'Tests failed',
  lint_format: 'A lint or formatting check failed',
  type_check: 'The type check failed',
  security_scan: 'A security scan reported problems',
  infrastructure: 'The CI runner failed (resources or the runner itself, not the code)',
  network_timeout: 'A network request failed or timed out',
  dependency_resolution: 'Dependencies could not be resolved or installed',
  credentials_permissions: 'Access was denied: credentials or permissions are missing or wrong',
  configuration: 'The CI or build configuration is wrong',
  flaky: 'The check failed intermittently (the same commit also passed)',
  unknown: 'The build failed',
};

const NEXT: Record<FailureCategory, string> = {
  compilation: 'Fix the compile error at the quoted location and push again.',
  test_failure: 'Fix the failing test or the code it exercises, then push again.',
  lint_format: 'Run the linter or formatter locally, apply its fixes and push again.',
  type_check: 'Fix the reported type errors and push again.',
  security_scan: 'Upgrade or replace the affected dependency, or fix the flagged code.',
  infrastructure: 'Rerun the job; if it keeps failing, give it more memory or disk, or ask an administrator to check the runners.',
  network_timeout: 'Rerun the job; if it keeps failing, check the remote service or add retries.',
  dependency_resolution: 'Check the dependency versions and lock file (pin or update the package), then run again.',
  credentials_permissions: 'Ask an administrator to check the secrets, tokens and permissions this job uses.',
  configuration: 'Fix the CI configuration or the build setup the quoted line points at.',
  flaky: 'Rerun the job, and consider quarantining or fixing the flaky test.',
  unknown: 'Read the quoted lines and the end of the failing step; no known failure pattern matched.',
};

function quote(text: string, max = 160): string {
  const t = text.trim().replace(/\s+/g, ' ');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** Two or three sentences: what failed (and in which step), the key lines quoted, what to do. */
export function describeRootCause(input: RootCauseInput): string {
  const { category, stepCommand, exitCode, keyLines } = input;
  let first = WHAT[category];
  if (stepCommand) first += ` in the step \`${quote(stepCommand, 80)}\``;
  if (exitCode !== null && exitCode !== undefined) first += ` (exit code ${exitCode})`;
  first += '.';
  const quoted = keyLines
    .filter((k) => k.text.trim().length > 0)
    .slice(0, 2)
    .map((k) => `"${quote(k.text)}" (line ${k.line})`);
  const second = quoted.length > 0 ? `The log says ${quoted.join(' and ')}.` : 'No line of the log reads as the failure message.';
  return `${first} ${second} ${NEXT[category]}`;
}
