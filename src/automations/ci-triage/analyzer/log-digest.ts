/**
 * One streaming pass over a build log that keeps only what the analysis needs, in bounded memory:
 * - the lines around every line that reads as a failure (a few before, more after);
 * - the last lines of the log (failures cluster before the end);
 * - where each CI step starts and where the first one exits non-zero;
 * - a fixed-size count sketch of normalised lines (how often a line's shape repeats in the log);
 * - with a passing log, whether each kept line's shape is absent from it.
 *
 * Glossary:
 * - kept line: a line held in the digest, with its clean text and its signal;
 * - run: consecutive kept lines; runs are what the selector can choose from;
 * - failing step: the CI step (Travis command, GitHub Actions step, Jenkins build step) that
 *   failed first: `[start, end]` lines.
 */
import { lineSignal, MATCH_LENGTH, type LineSignal } from './line-signals.js';
import { cleanLine, lineShape } from './normalise-line.js';
import type { LineHistory } from './line-history.js';
import type { PassingLogFilter } from './passing-diff.js';
import { DEFAULT_MAX_LINE_LENGTH, forEachLine } from './split-lines.js';
import type { LogInput } from './types.js';

export interface KeptLine {
  /** 1-based line number. */
  n: number;
  /** ANSI escapes and CI timestamp removed, capped. */
  text: string;
  signal: LineSignal;
  /** Hash of the normalised line (see `lineShape`), or `NO_SHAPE` for lines that cannot anchor a failure. */
  shape: number;
  /** With a passing log: this line's shape does not occur in it. */
  novel: boolean;
  /** Leading whitespace width (tab = 4). */
  indent: number;
}

export interface StepBoundary {
  /** Line that starts the step (`$ cmd`, `##[group]Run …`), or null when not seen. */
  start: number | null;
  /** The command that started the step (without `$ ` / `##[group]Run `), or '' when not seen. */
  command: string;
  /** Line that reports the non-zero exit. */
  end: number;
  exitCode: number | null;
  /** The marker line's text. */
  text: string;
}

export interface LogDigest {
  lineCount: number;
  /** Kept lines in log order. */
  lines: KeptLine[];
  /** Failed steps in log order (at most a few). */
  failedSteps: StepBoundary[];
  /** Line of the last step start seen (the step still running when the log ended). */
  lastStepStart: number | null;
  /** Its command. */
  lastStepCommand: string;
  /** GitHub Actions' `Post job cleanup.` after the last step, when present: the steps ended there. */
  postJobLine: number | null;
  /** How many failure-looking lines of the log share this shape (at least 1). */
  shapeCount(shape: number): number;
  /** Whether a passing log was compared. */
  comparedWithPassing: boolean;
  /** Lines of the failing log whose shape is absent from the passing log (all of them, not only kept ones). */
  novelCount: number;
  /** This repository's history weight of a line's shape (see `line-history.ts`); 0 without a history. */
  historyWeight(shape: number): number;
}

export interface DigestOptions {
  /** Lines kept before a failure-looking line. Default 40. */
  before?: number;
  /** Lines kept after a failure-looking line. Default 120. */
  after?: number;
  /** Lines kept at the end of the log. Default 1500. */
  tail?: number;
  /** Most lines kept in all. Default 20,000. */
  maxKept?: number;
  /** Characters kept of a line (the rules read no further). Default 600. */
  maxLineLength?: number;
  /** Lines whose shape occurs in a passing log of the same job. */
  passing?: PassingLogFilter;
  /** The repository's memory of its own failure lines: lines matching it are kept and can anchor a candidate. */
  history?: LineHistory;
}

/** `KeptLine.shape` of a line whose shape was not computed (it cannot anchor a failure). */
export const NO_SHAPE = -1;

/** Longest run of kept lines before a new one starts (the unit of eviction). */
const RUN_CHUNK = 1000;

/** A line at least this strong keeps its surroundings. */
const KEEP_SCORE = 2;

/** Count-min sketch of line shapes: fixed memory however long the log. */
class ShapeCounter {
  private readonly width = 1 << 16;
  private readonly rows = [new Uint32Array(this.width), new Uint32Array(this.width), new Uint32Array(this.width)];

  add(h: number): void {
    for (let r = 0; r < this.rows.length; r++) {
      const idx = this.slot(h, r);
      const row = this.rows[r]!;
      row[idx] = row[idx]! + 1;
    }
  }

  count(h: number): number {
    let min = Infinity;
    for (let r = 0; r < this.rows.length; r++) min = Math.min(min, this.rows[r]![this.slot(h, r)]!);
    return min === Infinity ? 0 : min;
  }

  private slot(h: number, r: number): number {
    const mixed = Math.imul(h ^ (r * 0x9e3779b9), 0x85ebca6b) >>> 0;
    return (mixed ^ (mixed >>> 15)) & (this.width - 1);
  }
}

/** The last `size` lines seen, in parallel arrays (no object per line until one is kept). */
class LineRing {
  private readonly ns: Float64Array;
  private readonly texts: string[];
  private readonly signals: LineSignal[];
  private readonly shapes: Float64Array;
  private readonly novels: Uint8Array;

  constructor(private readonly size: number) {
    this.ns = new Float64Array(size);
    this.texts = new Array<string>(size);
    this.signals = new Array<LineSignal>(size);
    this.shapes = new Float64Array(size);
    this.novels = new Uint8Array(size);
  }

  set(n: number, text: string, signal: LineSignal, shape: number, novel: boolean): void {
    if (this.size === 0) return;
    const i = n % this.size;
    this.ns[i] = n;
    this.texts[i] = text;
    this.signals[i] = signal;
    this.shapes[i] = shape;
    this.novels[i] = novel ? 1 : 0;
  }

  /** Line `n` as a kept line, or null when it has left the ring. */
  get(n: number): KeptLine | null {
    if (this.size === 0 || n < 1) return null;
    const i = n % this.size;
    if (this.ns[i] !== n) return null;
    const text = this.texts[i]!;
    return { n, text, signal: this.signals[i]!, shape: this.shapes[i]!, novel: this.novels[i] === 1, indent: indentOf(text) };
  }
}

function indentOf(s: string): number {
  let w = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32) w++;
    else if (c === 9) w += 4;
    else break;
  }
  return w;
}

/** `$ cmd` (Travis, GitLab), `##[group]Run cmd` and `Post job cleanup.` (GitHub Actions), `[Pipeline] sh` (Jenkins). */
const POST_JOB = 'Post job cleanup.';

export function isStepStart(clean: string): boolean {
  return clean.startsWith('$ ') || clean.startsWith('##[group]Run ') || clean.startsWith('[Pipeline] sh') || clean.startsWith('[Pipeline] stage') || clean.startsWith(POST_JOB);
}

/** The command a step-start line runs. */
function stepCommand(clean: string): string {
  const cmd = clean.startsWith('$ ') ? clean.slice(2) : clean.startsWith('##[group]Run ') ? clean.slice(13) : '';
  return cmd.trim().slice(0, 200);
}

const TRAVIS_EXIT = /^(?:The command "[^]*)?" (?:failed and )?exited with (\d+)/;
const TRAVIS_RETRIES = /^The command "[^]*" failed \d+ times/;
const GHA_EXIT = /^(?:##\[error\])?(?:Error: )?Process completed with exit code (\d+)/;
const JENKINS_EXIT = /^Build step '[^']*' marked build as failure|^ERROR: script returned exit code (\d+)|^ERROR: Job failed: exit (?:code|status) (\d+)/;

/** The exit code a step-end marker reports: a number, null for "failed" without a code, or undefined when not a marker. */
function stepExit(clean: string): number | null | undefined {
  const c = clean.charCodeAt(0);
  // T(he command), "(multi-line command end), #(#[error]), E(rror:/RROR:), B(uild step), P(rocess completed)
  if (c !== 84 && c !== 34 && c !== 35 && c !== 69 && c !== 66 && c !== 80) return undefined;
  let m = TRAVIS_EXIT.exec(clean);
  if (m) return Number(m[1]);
  if (TRAVIS_RETRIES.test(clean)) return null;
  m = GHA_EXIT.exec(clean);
  if (m) return Number(m[1]);
  m = JENKINS_EXIT.exec(clean);
  if (m) return m[1] ? Number(m[1]) : m[2] ? Number(m[2]) : null;
  return undefined;
}

/** Reads the whole log once and returns its digest. */
export async function digestLog(input: LogInput, options: DigestOptions = {}): Promise<LogDigest> {
  const before = options.before ?? 40;
  const after = options.after ?? 120;
  const tailSize = options.tail ?? 1500;
  const maxKept = options.maxKept ?? 20_000;
  const maxLineLength = options.maxLineLength ?? MATCH_LENGTH;
  const passing = options.passing;
  const history = options.history && options.history.size > 0 ? options.history : undefined;

  const counter = new ShapeCounter();
  // Runs of kept lines, oldest first; the current run is the last one.
  const runs: Array<{ lines: KeptLine[]; peak: number }> = [];
  let keptTotal = 0;
  let lastKeptN = 0;
  // The few lines before the current one, not yet kept, and the last lines of the log.
  const ring = new LineRing(before);
  const tail = new LineRing(tailSize);
  let n = 0;
  let keepAfter = 0;
  const failedSteps: StepBoundary[] = [];
  let lastStepStart: number | null = null;
  let lastStepCommand = '';
  let postJobLine: number | null = null;
  let novelCount = 0;

  const keep = (k: KeptLine) => {
    if (k.n <= lastKeptN) return;
    let run = runs[runs.length - 1];
    // A new run after a gap, and every RUN_CHUNK lines, so eviction can drop parts of a long stretch.
    if (!run || lastKeptN !== k.n - 1 || run.lines.length >= RUN_CHUNK) {
      run = { lines: [], peak: 0 };
      runs.push(run);
    }
    run.lines.push(k);
    if (k.signal.score > run.peak) run.peak = k.signal.score;
    lastKeptN = k.n;
    keptTotal++;
    if (keptTotal > maxKept) evict();
  };

  // Drops the weakest runs until well under the budget; among equally weak runs the later ones go,
  // so the first failures of a long stretch stay (the current run always stays).
  const evict = () => {
    const target = Math.floor(maxKept * 0.8);
    while (keptTotal > target && runs.length > 1) {
      let worst = 0;
      for (let i = 1; i < runs.length - 1; i++) if (runs[i]!.peak <= runs[worst]!.peak) worst = i;
      const [gone] = runs.splice(worst, 1);
      keptTotal -= gone!.lines.length;
    }
  };

  await forEachLine(
    input,
    (raw) => {
      n++;
      const clean = cleanLine(raw);
      const signal = lineSignal(clean);
      // Shapes are counted for lines that can anchor a failure (and all lines when diffing).
      let shape = NO_SHAPE;
      let novel = false;
      if (passing) {
        shape = lineShape(clean);
        novel = !passing.has(shape) && clean.trim().length > 0;
        if (novel) novelCount++;
      } else if (signal.score > 0 || history) shape = lineShape(clean);
      const known = history && shape !== NO_SHAPE ? history.weightOf(shape) : 0;
      if (shape !== NO_SHAPE && signal.score > 0) counter.add(shape);
      const text = clean.length > maxLineLength ? clean.slice(0, maxLineLength) : clean;

      if (isStepStart(clean)) {
        if (clean.startsWith(POST_JOB)) {
          if (postJobLine === null) postJobLine = n;
        } else {
          lastStepStart = n;
          lastStepCommand = stepCommand(clean);
          postJobLine = null;
        }
      }
      const exit = stepExit(clean);
      if (exit !== undefined && exit !== 0 && failedSteps.length < 8) {
        failedSteps.push({ start: lastStepStart, command: lastStepCommand, end: n, exitCode: exit, text: text.slice(0, 200) });
      }

      const hot = signal.score >= KEEP_SCORE || exit !== undefined || (novel && signal.kind !== 'plain') || (novel && signal.score > 0) || known > 0;
      if (hot) {
        for (let i = Math.min(before, n - 1 - lastKeptN); i >= 1; i--) {
          const p = ring.get(n - i);
          if (p) keep(p);
        }
        keep({ n, text, signal, shape, novel, indent: indentOf(text) });
        keepAfter = after;
      } else if (keepAfter > 0) {
        keep({ n, text, signal, shape, novel, indent: indentOf(text) });
        keepAfter--;
      }
      ring.set(n, text, signal, shape, novel);
      tail.set(n, text, signal, shape, novel);
    },
    DEFAULT_MAX_LINE_LENGTH,
  );

  // Add the tail, in order, merging with what is already kept.
  const tailLines: KeptLine[] = [];
  for (let i = Math.max(1, n - tailSize + 1); i <= n; i++) {
    const t = tail.get(i);
    if (t) tailLines.push(t);
  }
  const kept: KeptLine[] = [];
  for (const r of runs) for (const l of r.lines) kept.push(l);
  const merged: KeptLine[] = [];
  let a = 0;
  let b = 0;
  while (a < kept.length || b < tailLines.length) {
    const x = kept[a];
    const y = tailLines[b];
    if (x && (!y || x.n < y.n)) {
      merged.push(x);
      a++;
    } else if (y && (!x || y.n < x.n)) {
      merged.push(y);
      b++;
    } else {
      merged.push(x!);
      a++;
      b++;
    }
  }

  return {
    lineCount: n,
    lines: merged,
    failedSteps,
    lastStepStart,
    lastStepCommand,
    postJobLine,
    shapeCount: (shape) => (shape === NO_SHAPE ? 1 : Math.max(1, counter.count(shape))),
    comparedWithPassing: Boolean(passing),
    novelCount,
    historyWeight: (shape) => (history && shape !== NO_SHAPE ? history.weightOf(shape) : 0),
  };
}
