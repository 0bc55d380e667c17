import type { AnalyzeOptions, CommitAnalysis } from './types.js';

/** Commits of the range, oldest first, one analysis each, streamed (bounded memory). */
export async function* analyzeCommits(opts: AnalyzeOptions): AsyncIterable<CommitAnalysis> {
  void opts;
  yield* [];
}
