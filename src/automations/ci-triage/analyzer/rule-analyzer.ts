/**
 * The rule-based log analyzer: no model, no network, one streaming pass over the log (and one over
 * a passing log when given), bounded memory whatever the log's size.
 *
 * ### Examples
 * ```ts
 * const analyzer = createRuleAnalyzer();
 * const result = await analyzer.analyze({ log: fs.createReadStream('build.log.gz') });
 * result.failureLines; // [[812, 815]]
 * result.category;     // 'compilation'
 * ```
 */
import { classifyFailure, stepCommandOf } from './classify.js';
import { selectFailureLines, type FailureSelection } from './failure-lines.js';
import { digestLog, type DigestOptions, type KeptLine, type LogDigest } from './log-digest.js';
import { bannerStyle } from './line-signals.js';
import { buildPassingFilter } from './passing-diff.js';
import { describeRootCause } from './root-cause.js';
import { ACTION_FOR_CATEGORY, type AnalyzeInput, type LogAnalysis, type LogAnalyzer } from './types.js';

export interface RuleAnalyzerOptions {
  /** How much of the log the digest keeps (see `DigestOptions`; defaults suit logs up to hundreds of MB). */
  digest?: Omit<DigestOptions, 'passing'>;
  /** Most lines returned in `excerpt`. Default 60. */
  maxExcerptLines?: number;
  /** Characters kept of each excerpt line. Default 400. */
  maxExcerptLineLength?: number;
}

function keyLinesOf(d: LogDigest, sel: FailureSelection): Array<{ line: number; text: string }> {
  const block = sel.blocks[0];
  if (!block) {
    const first = sel.ranges[0];
    const l = first ? d.lines.find((k) => k.n === first[0]) : undefined;
    return l ? [{ line: l.n, text: l.text }] : [];
  }
  const out: KeptLine[] = [block.anchor];
  let second: KeptLine | null = null;
  for (let i = block.from; i <= block.to; i++) {
    const l = d.lines[i]!;
    if (l === block.anchor || (l.signal.kind !== 'error' && l.signal.kind !== 'header')) continue;
    if (!second || l.signal.score > second.signal.score) second = l;
  }
  if (second && second.signal.score >= 3) out.push(second);
  out.sort((a, b) => a.n - b.n);
  return out.map((l) => ({ line: l.n, text: bannerTitle(l.text) }));
}

/** `____ test_readme ____` → `test_readme`; other lines unchanged. */
function bannerTitle(text: string): string {
  const style = bannerStyle(text);
  if (!style) return text;
  const t = text.trim();
  let a = 0;
  let b = t.length;
  while (a < b && t[a] === style) a++;
  while (b > a && t[b - 1] === style) b--;
  return t.slice(a, b).trim();
}

/** Creates the rule-based analyzer. */
export function createRuleAnalyzer(options: RuleAnalyzerOptions = {}): LogAnalyzer {
  const maxExcerpt = options.maxExcerptLines ?? 60;
  const maxExcerptLen = options.maxExcerptLineLength ?? 400;
  return {
    async analyze(input: AnalyzeInput): Promise<LogAnalysis> {
      const passing = input.passingLog !== undefined ? await buildPassingFilter(input.passingLog) : undefined;
      const digest = await digestLog(input.log, { ...options.digest, passing, history: input.lineHistory });
      const selection = selectFailureLines(digest);
      const c = classifyFailure({
        digest,
        selection,
        checkName: input.checkName,
        checkOutput: input.checkOutput,
        annotations: input.annotations,
        history: input.history,
      });
      const action = ACTION_FOR_CATEGORY[c.category];
      const keyLines = keyLinesOf(digest, selection);
      if (c.decidingLine && !keyLines.some((k) => k.line === c.decidingLine!.line) && keyLines.length < 2) keyLines.push(c.decidingLine);
      const step = digest.failedSteps[0];
      const rootCause = describeRootCause({
        category: c.category,
        action,
        stepCommand: stepCommandOf(digest, selection.focus),
        exitCode: step?.exitCode ?? null,
        keyLines,
      });
      const byNumber = new Map<number, string>();
      const historyLines: number[] = [];
      const reported = (n: number) => selection.ranges.some(([a, b]) => a <= n && n <= b);
      for (const l of digest.lines) {
        byNumber.set(l.n, l.text);
        if (digest.historyWeight(l.shape) > 0 && reported(l.n)) historyLines.push(l.n);
      }
      const excerpt: Array<{ line: number; text: string }> = [];
      for (const [a, b] of selection.ranges) {
        for (let n = a; n <= b && excerpt.length < maxExcerpt; n++) {
          const text = byNumber.get(n) ?? '';
          excerpt.push({ line: n, text: text.length > maxExcerptLen ? `${text.slice(0, maxExcerptLen - 1)}…` : text });
        }
      }
      return {
        failureLines: selection.ranges,
        category: c.category,
        confidence: c.confidence,
        reason: c.reason,
        rootCause,
        recommendedAction: action,
        excerpt,
        historyLines,
      };
    },
  };
}
