/**
 * A repository's (or one job's) memory of its own failures: the shapes of lines that were the
 * failure before (confirmed by a maintainer, or new relative to a passing run of the same job) and
 * of lines a maintainer said were not the failure. The ranking reads it to prefer candidates whose
 * lines match what failed before in this repository; it has no effect on any other repository
 * because each analysis is given only its own repository's history.
 *
 * Glossary:
 * - shape: `lineShape` of a cleaned line (numbers, hashes, temp names replaced), so the same error
 *   on another line number or in another file still matches;
 * - weight: > 0 for lines that were the failure (the more often, the higher, capped), < 0 for lines
 *   marked "not this".
 */
import { cleanLine, lineShape } from './normalise-line.js';

export interface LineHistoryEntry {
  /** The line's text (raw or cleaned; it is cleaned and shaped here). */
  text: string;
  /** +1 a confirmed failure line, +0.5 a line a diagnosis reported that the passing run lacked, −1 "not this". */
  weight: number;
}

export interface LineHistory {
  /** The summed weight of lines of this shape, clamped to [−1, 1]; 0 when unknown. */
  weightOf(shape: number): number;
  readonly size: number;
}

/** Lines shorter than this (after trimming) carry too little to recognise (`}`, `Error`, blank). */
const MIN_CHARS = 8;

/** Builds a history from entries; lines too short to recognise are skipped. */
export function buildLineHistory(entries: Iterable<LineHistoryEntry>): LineHistory {
  const map = new Map<number, number>();
  for (const e of entries) {
    const clean = cleanLine(e.text);
    if (clean.trim().length < MIN_CHARS) continue;
    const s = lineShape(clean);
    map.set(s, (map.get(s) ?? 0) + e.weight);
  }
  return {
    size: map.size,
    weightOf(shape: number): number {
      const w = map.get(shape);
      return w === undefined ? 0 : Math.max(-1, Math.min(1, w));
    },
  };
}

/** The shape key a history stores for a line (for callers that persist shapes, not texts). */
export function historyShapeOf(text: string): number {
  return lineShape(cleanLine(text));
}
