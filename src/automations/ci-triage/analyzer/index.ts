/**
 * The offline CI failure analyzer: given a failed build log (and optionally a passing log of the
 * same job), it finds the failure lines, classifies the failure and says what to do.
 *
 * `createRuleAnalyzer()` is the rule-based implementation; anything implementing `LogAnalyzer` (a
 * model-backed analyzer, say) can stand in for it.
 */
export * from './types.js';
export { createRuleAnalyzer, type RuleAnalyzerOptions } from './rule-analyzer.js';
export { digestLog, type DigestOptions, type KeptLine, type LogDigest, type StepBoundary } from './log-digest.js';
export { selectFailureLines, toRanges, type FailureSelection } from './failure-lines.js';
export { buildPassingFilter, linesAbsentFromPassing, type PassingLogFilter } from './passing-diff.js';
export { classifyFailure, MIN_CONFIDENCE, type Classification } from './classify.js';
export { describeRootCause } from './root-cause.js';
export { forEachLine, splitLines, isGzip, LineSplitter } from './split-lines.js';
export { cleanLine, lineShape, normaliseLine, stripAnsi, stripLogPrefix } from './normalise-line.js';
export { buildLineHistory, historyShapeOf, type LineHistory, type LineHistoryEntry } from './line-history.js';
export { lineSignal, type LineSignal, type LineKind } from './line-signals.js';
/** Internals the benchmark uses to re-fit and cross-validate the ranking weights. */
export { collectCandidates, type Candidate } from './candidate-blocks.js';
export { CANDIDATE_WEIGHTS, FIT, HISTORY_WEIGHTS, PRIOR_WEIGHTS, scoreCandidate } from './rank-candidates.js';
/** Measuring the named category against hand-checked labels, and the shared data set's held-out split. */
export { categoryAccuracy, isHeldOutProject, LABEL_CATEGORIES, LABEL_RULES, parseCategoryLabels, projectOfLog, type CategoryLabel, type CategoryScore } from './category-accuracy.js';
