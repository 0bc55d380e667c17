/**
 * The pets commit analyser: pure of the database, real git as a child process.
 * `analyzeCommits` streams one `CommitAnalysis` per commit of a range, oldest first.
 */
export type { AnalyzeOptions, CommitAnalysis, ComponentScore, Finding } from './types.js';
export { ANALYZER_VERSION } from './version.js';
export { analyzeCommits } from './analyze-commits.js';
export { AnalyzerGitFailed, InvalidRange } from './errors.js';
