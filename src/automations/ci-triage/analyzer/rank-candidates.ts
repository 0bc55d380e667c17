/**
 * How candidate failure blocks are ranked: a linear score over their generic features (see
 * `candidate-blocks.ts`); the best-scoring candidate is reported.
 *
 * The weights were fitted on the labelled LogChunks build logs (a softmax over each log's candidates,
 * the target share of a candidate being its F1 against the labelled lines), starting from and
 * regularised towards hand-set weights. `node bench/triage.mjs --cv` repeats the fit leaving each
 * repository out in turn and reports the held-out F1. No feature refers to a project.
 */

/**
 * The hand-set weights the fit starts from and is pulled towards (L2 towards these, not towards 0),
 * so a feature the data says little about keeps its hand-set meaning.
 */
export const PRIOR_WEIGHTS: Readonly<Record<string, number>> = {
  anchor: 0.3,
  relMax: 2,
  sum: 0.2,
  generic: -0.5,
  warning: -0.5,
  header: 1,
  detail: 0.5,
  blank: 0,
  len: 0.3,
  in: 1.5,
  before: -0.5,
  after: -0.7,
  relpos: -0.3,
  distEnd: 0,
  firstStrong: 0.7,
  lastStrong: -0.3,
  nextSummary: 0.8,
  prevList: 0.6,
  passNear: -0.1,
  repeat: -0.2,
  indented: 0,
  line: -0.3,
  paragraph: -0.3,
  section: 0.3,
  siblings: 0,
  list: 0.3,
  tail: 0.3,
  marker: 0,
  fallbackVsMax: -1,
  ruleRank: -0.5,
};

/** How the shipped weights were fitted (bench/triage.mjs --cv repeats it, leaving each repository out). */
export const FIT = { l2TowardsPrior: 0.25, learningRate: 0.3, iterations: 400 } as const;

/**
 * Feature weights; a feature without a weight counts 0. Fitted (see `FIT`) on the DEVELOPMENT
 * repositories only — the LogChunks repositories not held out by `bench/triage.mjs` (held out:
 * sha256(repository name), first 8 hex digits, divisible by 3) — so the held-out figure it reports
 * is an honest estimate for repositories never seen (`node bench/triage.mjs --cv --print-weights`).
 */
export const CANDIDATE_WEIGHTS: Readonly<Record<string, number>> = {
  anchor: 0.11,
  relMax: 1.89,
  sum: 0.07,
  generic: -0.6,
  warning: -0.51,
  header: 1.07,
  detail: 0.58,
  blank: 0.02,
  len: 0.19,
  in: 1.45,
  before: -0.5,
  after: -0.65,
  relpos: -0.28,
  distEnd: -0.23,
  firstStrong: 0.65,
  lastStrong: -0.44,
  nextSummary: 0.74,
  prevList: 0.69,
  passNear: -0.08,
  repeat: -0.11,
  indented: -0.01,
  line: -0.31,
  paragraph: -0.39,
  section: 0.29,
  siblings: -0.01,
  list: 0.34,
  tail: 0.39,
  marker: 0,
  fallbackVsMax: -0.95,
  ruleRank: -0.66,
};

/**
 * Weights of the per-repository history features (`line-history.ts`), hand-set and checked by
 * replaying the development repositories' logs in order (`node bench/triage.mjs --learn`); not
 * part of the fit (the day-one logs have no history).
 */
export const HISTORY_WEIGHTS: Readonly<Record<string, number>> = { history: 3, historyAnchor: 1, historyLines: 1, rejected: -3 };

/** The ranking score of one candidate. */
export function scoreCandidate(features: Record<string, number>, weights: Readonly<Record<string, number>> = CANDIDATE_WEIGHTS): number {
  let s = 0;
  for (const k in features) s += (weights[k] ?? HISTORY_WEIGHTS[k] ?? 0) * features[k]!;
  return s;
}
