/**
 * Candidate failure blocks of a digested log and the generic features they are ranked by.
 *
 * Glossary:
 * - focus: the CI step that failed first (`[start, end]` lines), or the last step when no step
 *   reports a non-zero exit;
 * - anchor: a line that reads as a failure (signal score ≥ 2 after discounts);
 * - extent: how a candidate grows from its anchor: the line alone, the message block (header above,
 *   details below), a banner section (`____ test ____` up to the next banner), the list under a
 *   "Failures:" heading, the last lines of the failing step, or the step's exit marker.
 *
 * Features are about form and place only (how strong the wording is, whether there is a header and
 * details, where the block sits in the failing step, whether a summary follows it, how often its
 * shape repeats); nothing names a project, a file or a test.
 */
import { bannerStyle } from './line-signals.js';
import type { KeptLine, LogDigest } from './log-digest.js';

export type Focus = { start: number; end: number } | null;

export type CandidateSource = 'line' | 'block' | 'paragraph' | 'section' | 'siblings' | 'list' | 'tail' | 'marker' | 'history';

/** A block the selector may report, with the features it is ranked by. */
export interface Candidate {
  /** Indexes into `digest.lines`, inclusive. */
  from: number;
  to: number;
  anchor: KeptLine;
  source: CandidateSource;
  features: Record<string, number>;
}

/** Largest block reported (lines). */
export const MAX_BLOCK = 200;
/** Largest header section or run of sibling blocks (lines). */
const MAX_SECTION = 600;

/** Lines at least this strong (after discounts) anchor a candidate. */
const ANCHOR_MIN = 2;

const LIST_RULE = 'list of failures';

export function isBlank(l: KeptLine): boolean {
  return l.text.trim().length === 0;
}

/** The step that failed first, else the last step, else nothing. */
export function focusOf(d: LogDigest): Focus {
  const f = d.failedSteps[0];
  if (f) return { start: f.start ?? 1, end: f.end };
  if (d.lastStepStart !== null) return { start: d.lastStepStart, end: d.postJobLine !== null ? d.postJobLine - 1 : d.lineCount };
  return null;
}

function inFocus(l: KeptLine, focus: Focus): boolean {
  return !focus || (l.n >= focus.start && l.n <= focus.end);
}

/** The weight of a line as a failure anchor: its signal, discounted when its shape repeats a lot. */
export function anchorScore(d: LogDigest, l: KeptLine): number {
  const s = l.signal;
  if (s.kind !== 'error' && s.kind !== 'header') return 0;
  let score = s.score;
  const count = d.shapeCount(l.shape);
  if (count > 5) score /= 1 + Math.log2(count / 5) * 0.25;
  return score;
}

/**
 * Indentation after a leading tag such as `[info] ` or `[error] ` (sbt, Maven and test runners
 * prefix every line with one), so nesting under the tag still shows.
 */
export function innerIndent(l: KeptLine): number {
  const t = l.text;
  let i = 0;
  while (i < t.length && (t[i] === ' ' || t[i] === '\t')) i++;
  if (t[i] === '[') {
    const close = t.indexOf('] ', i);
    if (close > i && close - i <= 12) {
      let j = close + 2;
      let w = 0;
      while (j < t.length && (t[j] === ' ' || t[j] === '\t')) {
        w += t[j] === '\t' ? 4 : 1;
        j++;
      }
      return w;
    }
  }
  return l.indent;
}

/** Whether `next` carries on the message that `base` starts (`first`: it is the first line after it). */
function continues(next: KeptLine, base: KeptLine, first = false): boolean {
  const s = next.signal;
  // Under a test's header, a line nested deeper is its output whatever it says ("Error: no errors").
  if (s.kind === 'pass' && base.signal.kind === 'header' && !first && innerIndent(next) > innerIndent(base) + 2) return true;
  if (s.kind === 'pass' || s.kind === 'summary') return false;
  if (s.kind === 'detail') return true;
  if (s.kind === 'header') return false;
  const deeper = innerIndent(next) > innerIndent(base);
  // A test's header owns the line under it, and then the lines nested deeper than it.
  if (base.signal.kind === 'header') return first || deeper || (s.kind === 'error' && s.score >= 3);
  if (deeper || next.indent > base.indent) return true;
  return s.kind === 'error' && s.score >= 2;
}

/** `-----` or `=====` alone on a line: a rule between a header and its details. */
function isRuleLine(l: KeptLine): boolean {
  const t = l.text.trim();
  if (t.length < 10) return false;
  const c = t[0];
  if (c !== '-' && c !== '=' && c !== '_' && c !== '~') return false;
  for (let i = 1; i < t.length; i++) if (t[i] !== c) return false;
  return true;
}

/** A caret line under quoted source (`    ^~~~`, `  |     ^`). */
function isCaretLine(l: KeptLine): boolean {
  const t = l.text.trim();
  return t.length > 0 && (t[0] === '^' || ((t[0] === '|' || /^\d+ \|/.test(t)) && t.includes('^')));
}

/** Grows an anchor into the message it belongs to: a header just above, details and findings below. */
export function expandBlock(lines: KeptLine[], idx: number): { from: number; to: number } {
  const base = lines[idx]!;
  let from = idx;
  let to = idx;
  const contiguous = (j: number) => j < lines.length && lines[j]!.n === lines[j - 1]!.n + 1;
  for (let j = idx + 1; j < lines.length && j - from < MAX_BLOCK; j++) {
    if (!contiguous(j)) break;
    const l = lines[j]!;
    if (isBlank(l)) {
      // Up to two blank lines inside a message (Travis often doubles line breaks).
      let k = j + 1;
      while (k < lines.length && k - j < 3 && isBlank(lines[k]!) && contiguous(k)) k++;
      const after = lines[k];
      if (!after || !contiguous(k) || isBlank(after) || !continues(after, base) || (base.signal.kind === 'header' && after.indent === 0 && after.signal.kind !== 'detail' && after.signal.kind !== 'error')) break;
      j = k;
      to = k;
      continue;
    }
    if (continues(l, base, j === idx + 1)) {
      to = j;
      continue;
    }
    // A rule line under a header, or a quoted source line followed by its caret.
    if (isRuleLine(l) && contiguous(j + 1) && lines[j + 1] && !isBlank(lines[j + 1]!)) {
      to = j;
      continue;
    }
    const next = lines[j + 1];
    if (next && contiguous(j + 1) && isCaretLine(next) && l.signal.kind !== 'summary' && l.signal.kind !== 'pass') {
      to = j + 1;
      j++;
      continue;
    }
    break;
  }
  for (let j = idx - 1; j >= 0 && idx - j <= 3; j--) {
    const l = lines[j]!;
    if (l.n !== lines[j + 1]!.n - 1) break;
    if (isBlank(l)) {
      if (base.signal.kind === 'header') break;
      continue;
    }
    const parent = l.indent < base.indent && l.signal.kind !== 'summary' && l.signal.kind !== 'pass' && (l.text.trimEnd().endsWith(':') || l.signal.score > 0);
    if (l.signal.kind === 'header' || parent) {
      from = j;
      if (l.signal.kind === 'header') break;
    } else if (l.signal.kind === 'error' && l.signal.score >= 2) {
      from = j;
    } else break;
  }
  while (from < to && isBlank(lines[from]!)) from++;
  while (to > from && isBlank(lines[to]!)) to--;
  return { from, to };
}

/**
 * A header's section: from the header to the line before the next header of the same rule, the next
 * banner of its style, a `=====` rule line, a summary, a pass line or a step marker.
 */
function sectionBlock(lines: KeptLine[], idx: number): { from: number; to: number } {
  const head = lines[idx]!;
  const style = bannerStyle(head.text);
  // A header (not a banner) whose first line below is nested deeper owns only the nested lines (a
  // test runner's `- name *** FAILED ***` or `[-] name` above indented details): the section ends
  // where the indentation comes back to the header's.
  const headIndent = innerIndent(head);
  let firstBody = idx + 1;
  while (firstBody < lines.length && isBlank(lines[firstBody]!)) firstBody++;
  const nested = style === null && firstBody < lines.length && innerIndent(lines[firstBody]!) > headIndent;
  let to = idx;
  for (let j = idx + 1; j < lines.length && j - idx < MAX_SECTION; j++) {
    const l = lines[j]!;
    if (l.n !== lines[j - 1]!.n + 1) break;
    if (nested && !isBlank(l) && innerIndent(l) <= headIndent) break;
    // Three blank lines in a row end a section (one or two occur inside a message).
    if (isBlank(l) && j >= idx + 3 && isBlank(lines[j - 1]!) && isBlank(lines[j - 2]!)) break;
    const b = bannerStyle(l.text);
    if (b !== null && (b === style || b === '=')) break;
    if (isRuleLine(l) && l.text.trim()[0] === '=') break;
    if (l.signal.kind === 'summary' || l.signal.kind === 'pass' || isStepMarker(l)) break;
    if (l.signal.kind === 'header' && l.signal.rule === head.signal.rule) break;
    if (!isBlank(l)) to = j;
  }
  return { from: idx, to };
}

function isStepMarker(l: KeptLine): boolean {
  const t = l.text;
  return t.startsWith('travis_') || t.startsWith('$ ') || t.startsWith('##[');
}

/** The lines under a "Failures:" style heading, up to a blank gap, a summary or a pass line. */
function listBlock(lines: KeptLine[], headerIdx: number): { from: number; to: number } | null {
  let i = headerIdx + 1;
  while (i < lines.length && isBlank(lines[i]!)) i++;
  if (i >= lines.length || lines[i]!.n !== lines[headerIdx]!.n + (i - headerIdx)) return null;
  const from = i;
  let to = i;
  for (let j = i + 1; j < lines.length && j - from < MAX_BLOCK; j++) {
    const l = lines[j]!;
    if (l.n !== lines[j - 1]!.n + 1) break;
    if (l.signal.kind === 'summary' || l.signal.kind === 'pass') break;
    if (isBlank(l)) {
      const next = lines[j + 1];
      if (!next || next.n !== l.n + 1 || isBlank(next) || (next.indent === 0 && next.signal.kind !== 'header' && next.signal.score < 2)) break;
      continue;
    }
    to = j;
  }
  return { from, to };
}

function isStepNoise(l: KeptLine): boolean {
  const t = l.text;
  return t.trim().length === 0 || t.startsWith('travis_') || t.startsWith('$ ') || t.startsWith('##[group]') || t.startsWith('##[endgroup]');
}

/** The last few lines the failing step printed before its exit marker (the command echo excluded). */
function stepTail(lines: KeptLine[], focus: Focus): { from: number; to: number } | null {
  if (!focus) return null;
  const end = lines.findIndex((l) => l.n === focus.end);
  if (end < 0) return null;
  let to = -1;
  for (let i = end - 1; i >= 0 && lines[i]!.n > focus.start; i--) {
    if (isStepNoise(lines[i]!)) continue;
    to = i;
    break;
  }
  if (to < 0) return null;
  let from = to;
  while (from - 1 >= 0 && to - from < 2) {
    const l = lines[from - 1]!;
    if (l.n !== lines[from]!.n - 1 || l.n <= focus.start || isStepNoise(l)) break;
    from--;
  }
  return { from, to };
}

/** Most lines a paragraph candidate reaches below its anchor, and above it. */
const PARAGRAPH_DOWN = 30;
const PARAGRAPH_UP = 3;

/**
 * The anchor's paragraph: the unbroken lines around it up to a blank line, a step marker or a pass
 * line. Tools often print a message's reason or hint unindented under it (`Reason: …`,
 * `Expecting 'X', got 'Y'`, `This could be due to …`), which the message block does not take.
 */
function paragraphBlock(lines: KeptLine[], idx: number): { from: number; to: number } {
  const stop = (l: KeptLine) => isStepNoise(l) || l.signal.kind === 'pass';
  let from = idx;
  while (from - 1 >= 0 && idx - from < PARAGRAPH_UP) {
    const l = lines[from - 1]!;
    if (l.n !== lines[from]!.n - 1 || stop(l) || l.signal.kind === 'summary') break;
    from--;
  }
  let to = idx;
  while (to + 1 < lines.length && to - idx < PARAGRAPH_DOWN) {
    const l = lines[to + 1]!;
    if (l.n !== lines[to]!.n + 1 || stop(l)) break;
    to++;
    if (l.signal.kind === 'summary') break;
  }
  return { from, to };
}

interface RawCandidate {
  from: number;
  to: number;
  anchorIdx: number;
  source: CandidateSource;
}

/** Every block worth considering, in log order, with its features. */
export function collectCandidates(d: LogDigest): Candidate[] {
  const focus = focusOf(d);
  const lines = d.lines;
  const raw: RawCandidate[] = [];
  const seen = new Set<string>();
  const add = (r: RawCandidate) => {
    const key = `${r.from}:${r.to}`;
    if (seen.has(key) || r.from > r.to) return;
    seen.add(key);
    raw.push(r);
  };
  let covered = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.signal.rule === LIST_RULE) {
      const b = listBlock(lines, i);
      if (b) add({ ...b, anchorIdx: b.from, source: 'list' });
    }
    if (i <= covered) continue;
    if (anchorScore(d, l) < ANCHOR_MIN && !(d.historyWeight(l.shape) > 0)) continue;
    const b = expandBlock(lines, i);
    add({ ...b, anchorIdx: i, source: 'block' });
    if (b.from !== i || b.to !== i) add({ from: i, to: i, anchorIdx: i, source: 'line' });
    add({ ...paragraphBlock(lines, i), anchorIdx: i, source: 'paragraph' });
    if (l.signal.kind === 'header') add({ ...sectionBlock(lines, i), anchorIdx: i, source: 'section' });
    covered = b.to;
  }
  // Runs of sibling failures: consecutive blocks anchored by the same rule, apart by blank lines only.
  const blocks = raw.filter((r) => r.source === 'block' || r.source === 'section');
  for (let a = 0; a < blocks.length; a++) {
    const first = blocks[a]!;
    const rule = lines[first.anchorIdx]!.signal.rule;
    let last = first;
    let count = 1;
    for (let b = a + 1; b < blocks.length; b++) {
      const next = blocks[b]!;
      if (next.from <= last.to) {
        if (next.to > last.to && lines[next.anchorIdx]!.signal.rule === rule) last = next;
        continue;
      }
      if (lines[next.anchorIdx]!.signal.rule !== rule || lines[next.from]!.n - lines[last.to]!.n > 3) break;
      let gapOk = true;
      for (let k = last.to + 1; k < next.from; k++) if (!isBlank(lines[k]!)) gapOk = false;
      if (!gapOk || lines[next.to]!.n - lines[first.from]!.n >= MAX_SECTION) break;
      last = next;
      count++;
    }
    if (count > 1) add({ from: first.from, to: last.to, anchorIdx: first.anchorIdx, source: 'siblings' });
  }
  // Runs of lines this repository's history knows as failure lines (at most one unknown line between).
  for (let i = 0; i < lines.length; i++) {
    if (!(d.historyWeight(lines[i]!.shape) > 0)) continue;
    let j = i;
    for (let k = i + 1; k < lines.length && lines[k]!.n - lines[j]!.n <= 2 && k - j <= 2 && lines[k]!.n - lines[i]!.n < MAX_BLOCK; k++) {
      if (d.historyWeight(lines[k]!.shape) > 0) j = k;
    }
    add({ from: i, to: j, anchorIdx: i, source: 'history' });
    i = j;
  }
  const tail = stepTail(lines, focus);
  if (tail) add({ ...tail, anchorIdx: tail.to, source: 'tail' });
  const markerIdx = focus && d.failedSteps.length > 0 ? lines.findIndex((l) => l.n === focus.end) : -1;
  if (markerIdx >= 0) add({ from: markerIdx, to: markerIdx, anchorIdx: markerIdx, source: 'marker' });

  const summaryNs: number[] = [];
  for (const l of lines) if (l.signal.kind === 'summary' && l.signal.score >= 0.8) summaryNs.push(l.n);
  let focusMax = 0;
  let firstStrong = -1;
  let lastStrong = -1;
  // How many failures of the same kind the focus step printed before each anchor.
  const ruleSeen = new Map<string | null, number>();
  const ruleRank = new Map<number, number>();
  for (const r of raw) {
    if (r.source !== 'block') continue;
    const a = lines[r.anchorIdx]!;
    if (!inFocus(a, focus)) continue;
    const seenBefore = ruleSeen.get(a.signal.rule) ?? 0;
    ruleRank.set(r.anchorIdx, seenBefore);
    ruleSeen.set(a.signal.rule, seenBefore + 1);
    const s = anchorScore(d, a);
    if (s > focusMax) focusMax = s;
    if (s >= 4) {
      if (firstStrong < 0) firstStrong = r.anchorIdx;
      lastStrong = r.anchorIdx;
    }
  }

  return raw.map((r) => {
    const anchor = lines[r.anchorIdx]!;
    const first = lines[r.from]!;
    const last = lines[r.to]!;
    let header = 0;
    let detail = 0;
    let sum = 0;
    let blank = 0;
    let known = 0;
    let knownLines = 0;
    let rejected = 0;
    for (let i = r.from; i <= r.to; i++) {
      const l = lines[i]!;
      const w = d.historyWeight(l.shape);
      if (w > 0) {
        known += w;
        knownLines++;
      }
      else if (w < 0) rejected -= w;
      if (l.signal.kind === 'header') header = 1;
      if (l.signal.kind === 'detail') detail++;
      if (isBlank(l)) blank++;
      sum += anchorScore(d, l);
    }
    const len = last.n - first.n + 1;
    const place = !focus ? 'in' : anchor.n > focus.end ? 'after' : anchor.n < focus.start ? 'before' : 'in';
    const span = focus ? Math.max(1, focus.end - focus.start) : Math.max(1, d.lineCount);
    const relpos = focus ? Math.min(1, Math.max(0, (anchor.n - focus.start) / span)) : anchor.n / span;
    const distEnd = focus ? Math.max(0, focus.end - last.n) : d.lineCount - last.n;
    const nextSummary = summaryNs.find((n) => n > last.n);
    let prevList = 0;
    for (let i = Math.max(0, r.from - 6); i < r.from; i++) {
      const l = lines[i]!;
      if (l.signal.rule === LIST_RULE || (l.signal.kind === 'summary' && /FAILURES|failing|Failures|failures/.test(l.text))) prevList = 1;
    }
    let passNear = 0;
    for (let i = Math.max(0, r.from - 10); i <= Math.min(lines.length - 1, r.to + 10); i++) if (lines[i]!.signal.kind === 'pass') passNear++;
    const a = anchorScore(d, anchor);
    const fallback = r.source === 'tail' || r.source === 'marker';
    const features: Record<string, number> = {
      anchor: a,
      relMax: focusMax > 0 && place === 'in' ? Math.min(1.5, a / focusMax) : 0,
      sum: Math.log2(1 + sum),
      generic: anchor.signal.generic ? 1 : 0,
      warning: anchor.signal.rule && /warn/i.test(anchor.signal.rule) ? 1 : 0,
      header,
      detail: detail / len,
      blank: blank / len,
      len: Math.log2(1 + len),
      in: place === 'in' ? 1 : 0,
      before: place === 'before' ? 1 : 0,
      after: place === 'after' ? 1 : 0,
      relpos,
      distEnd: Math.log2(1 + distEnd),
      firstStrong: r.anchorIdx === firstStrong ? 1 : 0,
      lastStrong: r.anchorIdx === lastStrong ? 1 : 0,
      nextSummary: nextSummary !== undefined && nextSummary - last.n <= 15 ? 1 : 0,
      prevList,
      passNear: Math.log2(1 + passNear),
      repeat: Math.log2(Math.max(1, d.shapeCount(anchor.shape))),
      indented: anchor.indent > 0 ? 1 : 0,
      line: r.source === 'line' ? 1 : 0,
      paragraph: r.source === 'paragraph' ? 1 : 0,
      section: r.source === 'section' ? 1 : 0,
      siblings: r.source === 'siblings' ? 1 : 0,
      list: r.source === 'list' ? 1 : 0,
      tail: r.source === 'tail' ? 1 : 0,
      marker: r.source === 'marker' ? 1 : 0,
      fallbackVsMax: fallback ? focusMax / 5 : 0,
      ruleRank: Math.log2(1 + (ruleRank.get(r.anchorIdx) ?? 0)),
      // This repository's history (0 without one; see line-history.ts).
      history: known / Math.max(1, len - blank),
      historyAnchor: Math.max(0, d.historyWeight(anchor.shape)),
      historyLines: Math.log2(1 + knownLines),
      rejected: rejected / Math.max(1, len - blank),
    };
    return { from: r.from, to: r.to, anchor, source: r.source, features };
  });
}
