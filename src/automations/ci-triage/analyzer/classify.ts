/**
 * Decides the failure category from the evidence the analysis gathered, and says which signal
 * decided.
 *
 * Evidence, strongest first:
 * - history: the same commit passed on a rerun → `flaky` (only history can say so);
 * - the reported failure lines: each line's rule points at a category with some certainty;
 * - the failing step: other failure-looking lines in it, and its command (`$ npm run lint`,
 *   `##[group]Run cargo test`);
 * - the check run: its name, title, summary, text and annotations.
 * A category wins only with enough weight and a clear margin; otherwise the answer is `unknown`, so
 * the analyzer never makes a confident guess.
 */
import type { FailureSelection } from './failure-lines.js';
import { lineSignal } from './line-signals.js';
import type { KeptLine, LogDigest } from './log-digest.js';
import { cleanLine } from './normalise-line.js';
import type { CheckAnnotation, CheckOutput, FailureCategory, FailureHistory } from './types.js';

export interface Classification {
  category: FailureCategory;
  confidence: number;
  reason: string;
  /** The line that decided, when one did. */
  decidingLine: { line: number; text: string } | null;
}

export interface ClassifyInput {
  digest: LogDigest;
  selection: FailureSelection;
  checkName?: string;
  checkOutput?: CheckOutput;
  annotations?: CheckAnnotation[];
  history?: FailureHistory;
}

/** Below this confidence the category is reported as `unknown`. */
export const MIN_CONFIDENCE = 0.4;

/** Words in a step command or check name that say what kind of work failed. */
const COMMAND_HINTS: Array<{ re: RegExp; category: FailureCategory; label: string; weight: number }> = [
  { re: /\b(?:eslint|tslint|stylelint|rubocop|flake8|pylint|pycodestyle|ruff|black|isort|prettier|gofmt|goimports|golangci-lint|golint|checkstyle|spotless|ktlint|detekt|swiftlint|shellcheck|markdownlint|clang-format|clang-tidy|rustfmt|clippy|perlcritic|phpcs|hadolint|yamllint|awesome_bot|html-?proofer|markdown-link-check|link-?check\w*|verify-docs|check-docs|lint|format|fmt|style)\b/i, category: 'lint_format', label: 'lint', weight: 2 },
  { re: /\b(?:tsc|mypy|pyright|flow|typecheck|type-check|check-types|types)\b/i, category: 'type_check', label: 'type check', weight: 2 },
  { re: /\b(?:audit|snyk|trivy|grype|bandit|gosec|semgrep|codeql|dependency-check|safety|security|vuln\w*)\b/i, category: 'security_scan', label: 'security scan', weight: 2 },
  { re: /\b(?:test|tests|spec|specs|pytest|jest|mocha|karma|rspec|minitest|phpunit|ctest|go test|cargo test|unittest|nosetests|tox|check)\b/i, category: 'test_failure', label: 'tests', weight: 1.5 },
  { re: /\b(?:install|restore|bundle install|npm ci|yarn install|pip install|composer install|dependencies|deps|resolve)\b/i, category: 'dependency_resolution', label: 'dependency install', weight: 1.5 },
  { re: /\b(?:build|compile|make|cmake|gradle assemble|mvn compile|cargo build|go build|javac|gcc|clang|msbuild|xcodebuild)\b/i, category: 'compilation', label: 'build', weight: 0.8 },
];

const PLATFORM: ReadonlySet<FailureCategory> = new Set(['infrastructure', 'network_timeout', 'credentials_permissions']);

/** File extensions whose `file:line: error:` messages come from a type checker, not a compiler. */
const TYPE_CHECKED = /\.(?:py|pyi|ts|tsx|mts|cts|js|jsx|mjs|cjs)(?=[:(])/;

/** `path/file.ext:line[:col]:` at the start of a line, and the extension. */
const LOCATED = /^\s*[\w./\\-]*\.([A-Za-z]\w{0,5}):\d+(?::\d+)?:/;
const COMPILED = new Set(['c', 'h', 'cc', 'cpp', 'cxx', 'hpp', 'hh', 'm', 'mm', 'go', 'rs', 'java', 'kt', 'kts', 'scala', 'swift', 'cs', 'fs', 'hs', 'erl', 'hrl', 'ml', 'zig', 'd', 'nim', 'cr', 'ex', 'exs', 'elm', 'purs']);
const TYPED_SCRIPT = new Set(['ts', 'tsx', 'mts', 'cts']);
const DOCS = new Set(['md', 'markdown', 'rst', 'txt', 'adoc', 'org', 'tex']);

/** The category a located message (`src/x.go:3:1: …`) without a tool's wording points at, from the file type. */
function categoryOfLocation(text: string, score: number): { category: FailureCategory; weight: number } | null {
  const m = LOCATED.exec(text);
  if (!m || score < 2) return null;
  const ext = m[1]!.toLowerCase();
  if (COMPILED.has(ext)) return { category: 'compilation', weight: 0.55 * score };
  if (TYPED_SCRIPT.has(ext)) return { category: 'type_check', weight: 0.5 * score };
  if (DOCS.has(ext)) return { category: 'lint_format', weight: 0.5 * score };
  return null;
}

function categoryOfLine(l: { text: string; signal: KeptLine['signal'] }): { category: FailureCategory; weight: number } | null {
  const s = l.signal;
  if (!s.category) return s.kind === 'error' ? categoryOfLocation(l.text, s.score) : null;
  let category = s.category;
  if (category === 'compilation' && TYPE_CHECKED.test(l.text) && /\berror\b/.test(l.text)) category = 'type_check';
  return { category, weight: s.categoryWeight * Math.max(1, s.score) };
}

interface Vote {
  weight: number;
  best: { weight: number; line: number; text: string; rule: string } | null;
}

/** Classifies a failure from its digest, selected lines and whatever the check run says. */
export function classifyFailure(input: ClassifyInput): Classification {
  const { digest, selection, history } = input;
  const votes = new Map<FailureCategory, Vote>();
  const vote = (category: FailureCategory, weight: number, line: number, text: string, rule: string) => {
    const v = votes.get(category) ?? { weight: 0, best: null };
    v.weight += weight;
    if (!v.best || weight > v.best.weight) v.best = { weight, line, text, rule };
    votes.set(category, v);
  };

  // 1. The reported failure lines count in full; other failure-looking lines of the failing step count
  // by their strongest line and (slowly) by how many there are, so 5,000 warnings do not outvote an error.
  const chosen = new Set<number>();
  for (const [a, b] of selection.ranges) for (let n = a; n <= b; n++) chosen.add(n);
  const focus = selection.focus;
  const around = new Map<FailureCategory, { max: number; count: number; line: KeptLine }>();
  for (const l of digest.lines) {
    const c = categoryOfLine(l);
    if (!c) continue;
    if (chosen.has(l.n)) {
      vote(c.category, c.weight * 3, l.n, l.text, l.signal.rule ?? 'rule');
      continue;
    }
    const inFocus = focus !== null && l.n >= focus.start && l.n <= focus.end;
    let w: number;
    if (inFocus && l.signal.score >= 2) w = PLATFORM.has(c.category) && c.weight >= 4 ? 1.5 : 0.6;
    else if (l.signal.score >= 4.5 && PLATFORM.has(c.category)) w = 0.15;
    else continue;
    const a = around.get(c.category);
    if (!a) around.set(c.category, { max: c.weight * w, count: 1, line: l });
    else {
      a.count++;
      if (c.weight * w > a.max) {
        a.max = c.weight * w;
        a.line = l;
      }
    }
  }
  for (const [category, a] of around) vote(category, a.max * (1 + 0.25 * Math.log2(a.count)), a.line.n, a.line.text, a.line.signal.rule ?? 'rule');

  // 2. The failing step's command and the check's name.
  const stepCommand = stepCommandOf(digest, focus);
  for (const [text, scale, what] of [
    [stepCommand, 1, 'step command'],
    [input.checkName ?? '', 0.75, 'check name'],
  ] as Array<[string, number, string]>) {
    if (!text) continue;
    const hint = COMMAND_HINTS.find((h) => h.re.test(text));
    if (hint) vote(hint.category, hint.weight * scale, 0, text, `${what} '${text.slice(0, 80)}' looks like ${hint.label}`);
  }

  // 3. What the check run reports about itself.
  const extra: string[] = [];
  const out = input.checkOutput;
  if (out) for (const part of [out.title, out.summary, out.text]) if (part) extra.push(...part.split(/\r\n|\r|\n/).slice(0, 200));
  for (const a of input.annotations ?? []) if (a.annotation_level === 'failure' || a.annotation_level === 'warning') extra.push(`${a.path}:${a.start_line}: ${a.message.split(/\r?\n/)[0] ?? ''}`);
  for (const raw of extra) {
    const text = cleanLine(raw);
    const signal = lineSignal(text);
    const c = categoryOfLine({ text, signal });
    if (c) vote(c.category, c.weight * 1.5, 0, text, `check run output: ${signal.rule ?? 'rule'}`);
  }

  const ranked = [...votes.entries()].sort((a, b) => b[1].weight - a[1].weight);
  const top = ranked[0];
  const total = ranked.reduce((s, [, v]) => s + v.weight, 0);

  // 4. History can only make it flaky.
  if (history?.sameShaPassedAfterFailure) {
    return {
      category: 'flaky',
      confidence: 0.9,
      reason: 'the same commit passed when the check was run again',
      decidingLine: top?.[1].best && top[1].best.line > 0 ? { line: top[1].best.line, text: top[1].best.text } : null,
    };
  }
  const rate = history?.recentFailureRate;
  const intermittent = rate !== undefined && rate >= 0.2 && rate <= 0.8;

  if (!top || selection.ranges.length === 0) {
    if (intermittent) return { category: 'flaky', confidence: 0.5, reason: `no known failure pattern and the check failed ${(rate * 100).toFixed(0)}% of recent runs`, decidingLine: null };
    const why = selection.ranges.length === 0 ? 'no line in the log reads as a failure' : 'the failure lines match no known failure pattern';
    return { category: 'unknown', confidence: 0.1, reason: why, decidingLine: null };
  }
  const [category, v] = top;
  const share = v.weight / total;
  const strength = Math.min(1, v.weight / 6);
  let confidence = Math.round(Math.min(0.95, share * (0.3 + 0.65 * strength)) * 100) / 100;
  const best = v.best!;
  const where = best.line > 0 ? ` at line ${best.line}` : '';
  let reason = best.line > 0 ? `matched ${best.rule}${where}: "${truncate(best.text.trim(), 120)}"` : best.rule;

  if (intermittent && (category === 'test_failure' || category === 'network_timeout' || category === 'infrastructure' || confidence < MIN_CONFIDENCE)) {
    return { category: 'flaky', confidence: 0.6, reason: `${reason}; the check failed ${(rate * 100).toFixed(0)}% of recent runs`, decidingLine: best.line > 0 ? { line: best.line, text: best.text } : null };
  }
  if (confidence < MIN_CONFIDENCE) {
    reason = `not sure: the strongest signal was ${reason} (${category}, confidence ${confidence.toFixed(2)})`;
    return { category: 'unknown', confidence, reason, decidingLine: best.line > 0 ? { line: best.line, text: best.text } : null };
  }
  confidence = Math.max(confidence, MIN_CONFIDENCE);
  return { category, confidence, reason, decidingLine: best.line > 0 ? { line: best.line, text: best.text } : null };
}

/** The command of the failing step (`$ npm test`, `##[group]Run make`), or ''. */
export function stepCommandOf(d: LogDigest, focus: { start: number; end: number } | null): string {
  if (!focus) return '';
  const step = d.failedSteps[0];
  if (step) {
    if (step.command) return step.command;
    const m = /^The command "(.*)" /.exec(step.text);
    return m ? m[1]! : '';
  }
  return d.lastStepCommand;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
