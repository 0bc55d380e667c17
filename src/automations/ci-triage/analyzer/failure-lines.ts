/**
 * Picks the lines of a failed build log that say why it failed.
 *
 * Without a passing log: the digest's candidate blocks (see `candidate-blocks.ts`) are ranked by a
 * linear score over generic features and the best one is reported; failures are printed inside the
 * step that failed first, usually as one message with its header and details.
 *
 * With a passing log of the same job: every cluster of lines the passing run did not print that
 * contains an error is reported, bridged over blank lines and stack frames both runs share.
 */
import { collectCandidates, focusOf, isBlank, type Candidate, type Focus } from './candidate-blocks.js';
import { isStepStart, type KeptLine, type LogDigest } from './log-digest.js';
import { scoreCandidate } from './rank-candidates.js';

export interface FailureBlock {
  /** Indexes into `digest.lines`, inclusive. */
  from: number;
  to: number;
  /** The line that anchored the block. */
  anchor: KeptLine;
  score: number;
}

export interface FailureSelection {
  ranges: Array<[number, number]>;
  /** The reported blocks, best first. */
  blocks: FailureBlock[];
  /** The focus step, when one was found. */
  focus: Focus;
}

function placeWeight(l: KeptLine, focus: Focus): number {
  if (!focus) return 1;
  if (l.n > focus.end) return 0.25;
  if (l.n < focus.start) return 0.4;
  return 1;
}

/** Largest gap of lines present in the passing log bridged inside one cluster of new lines. */
const NOVEL_GAP = 3;

/**
 * With a passing log: every cluster of lines the passing run did not print that contains an error,
 * bridged over blank lines and stack frames the two runs share.
 */
function selectWithPassing(d: LogDigest, focus: Focus): FailureSelection | null {
  const lines = d.lines;
  const clusters: Array<{ from: number; to: number; peak: number; anchor: KeptLine }> = [];
  let cur: { from: number; to: number; peak: number; anchor: KeptLine } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (!l.novel) continue;
    if (cur) {
      const prev = lines[cur.to]!;
      let stepBetween = false;
      for (let k = cur.to + 1; k <= i; k++) if (isStepStart(lines[k]!.text)) stepBetween = true;
      let bridge = !stepBetween && l.n - prev.n - 1 <= NOVEL_GAP && i - cur.to === l.n - prev.n;
      if (!bridge && !stepBetween && i - cur.to === l.n - prev.n) {
        // A long run of shared stack frames between two new lines still belongs to one trace.
        bridge = true;
        for (let k = cur.to + 1; k < i; k++) {
          const g = lines[k]!;
          if (!(isBlank(g) || g.signal.kind === 'detail')) {
            bridge = false;
            break;
          }
        }
      }
      if (bridge) {
        cur.to = i;
      } else {
        clusters.push(cur);
        cur = null;
      }
    }
    if (!cur) cur = { from: i, to: i, peak: 0, anchor: l };
    const s = l.signal.kind === 'error' || l.signal.kind === 'header' ? l.signal.score * placeWeight(l, focus) : 0;
    if (s > cur.peak) {
      cur.peak = s;
      cur.anchor = l;
    }
  }
  if (cur) clusters.push(cur);
  const errorClusters = clusters.filter((c) => c.peak >= 2.5);
  if (errorClusters.length === 0) return null;
  const out: KeptLine[] = [];
  const telling = (l: KeptLine) => l.signal.kind === 'error' || l.signal.kind === 'header' || l.signal.kind === 'detail' || (l.signal.kind === 'summary' && l.signal.score >= 1);
  for (const c of errorClusters) {
    // Trim plain new lines (downloads, progress) off both ends of the cluster.
    while (c.from < c.to && !telling(lines[c.from]!)) c.from++;
    while (c.to > c.from && !telling(lines[c.to]!)) c.to--;
    for (let i = c.from; i <= c.to; i++) {
      const l = lines[i]!;
      if (l.novel || isBlank(l) || l.signal.kind === 'detail') out.push(l);
    }
  }
  const blocks = errorClusters
    .map((c) => ({ from: c.from, to: c.to, anchor: c.anchor, score: c.peak }))
    .sort((a, b) => b.score - a.score || a.from - b.from);
  return { ranges: toRanges(out), blocks, focus };
}

/** Chooses the failure lines from a digest. */
export function selectFailureLines(d: LogDigest): FailureSelection {
  const focus = focusOf(d);
  if (d.comparedWithPassing) {
    const withPassing = selectWithPassing(d, focus);
    if (withPassing) return withPassing;
  }
  let chosen: Candidate | null = null;
  let best = -Infinity;
  for (const c of collectCandidates(d)) {
    const s = scoreCandidate(c.features);
    if (s > best) {
      best = s;
      chosen = c;
    }
  }
  if (!chosen) return { ranges: [], blocks: [], focus };
  const block: FailureBlock = { from: chosen.from, to: chosen.to, anchor: chosen.anchor, score: best };
  return { ranges: toRanges(d.lines.slice(chosen.from, chosen.to + 1)), blocks: [block], focus };
}

/** Consecutive line numbers of kept lines as ranges. */
export function toRanges(lines: KeptLine[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const l of lines) {
    const last = out[out.length - 1];
    if (last && last[1] === l.n - 1) last[1] = l.n;
    else out.push([l.n, l.n]);
  }
  return out;
}
