/**
 * How CI triage learns each repository (per job): what its failures looked like before and what its
 * maintainers said about our diagnoses. Stored in `triage_line_history` and `triage_corrections`
 * (migration 0014) and read into the analyzer's `lineHistory` for the repository's next diagnosis;
 * nothing here is shared between repositories.
 *
 * Where the history comes from:
 * - a diagnosis made with a passing log of the same job: its reported lines were new relative to
 *   that passing run (weight 0.5, source `diagnosis`);
 * - a correction selecting the lines that really are the failure: those lines (weight 1, `confirmed`)
 *   and the reported lines that were not selected (weight −1, `rejected`);
 * - a correction saying "not this": the reported lines (weight −1, `rejected`).
 * Another job of the same repository counts half; the newest `MAX_ROWS` rows are read.
 */
import fs from 'node:fs';
import type { Database, Executor } from '../../db/index.js';
import { newId, nowIso, parseJson } from '../../db/index.js';
import { buildLineHistory, forEachLine, type LineHistory, type LineHistoryEntry, type LogAnalysis } from './analyzer/index.js';
import './tables.js';

/** Most history rows read for one diagnosis. */
const MAX_ROWS = 2000;
/** Most lines one correction may select. */
export const MAX_CORRECTED_LINES = 500;
/** Characters kept of a remembered line. */
const MAX_TEXT = 400;

export type Ranges = Array<[number, number]>;

/** The history the analyzer reads for a job of a repository. */
export async function loadLineHistory(db: Executor, repositoryId: string, checkName: string): Promise<LineHistory> {
  const rows = await db
    .selectFrom('triage_line_history')
    .select(['check_name', 'weight', 'line_text'])
    .where('repository_id', '=', repositoryId)
    .orderBy('id', 'desc')
    .limit(MAX_ROWS)
    .execute();
  const entries: LineHistoryEntry[] = rows.map((r) => ({ text: r.line_text, weight: Number(r.weight) * (r.check_name === checkName ? 1 : 0.5) }));
  return buildLineHistory(entries);
}

/** Remembers a diagnosis made against a passing run: its reported lines were new in the failing run. */
export async function learnFromDiagnosis(db: Executor, at: { repositoryId: string; checkName: string; checkRunGithubId: number }, analysis: LogAnalysis): Promise<number> {
  await db.deleteFrom('triage_line_history').where('check_run_github_id', '=', at.checkRunGithubId).where('source', '=', 'diagnosis').execute();
  const texts = analysis.excerpt.map((e) => e.text).filter((t) => t.trim().length > 0);
  await insertLines(db, at, 'diagnosis', 0.5, texts);
  return texts.length;
}

async function insertLines(db: Executor, at: { repositoryId: string; checkName: string; checkRunGithubId: number }, source: 'confirmed' | 'diagnosis' | 'rejected', weight: number, texts: string[]): Promise<void> {
  const now = nowIso();
  const rows = texts.map((t) => ({
    id: newId(),
    repository_id: at.repositoryId,
    check_name: at.checkName,
    check_run_github_id: at.checkRunGithubId,
    source,
    weight,
    line_text: t.slice(0, MAX_TEXT),
    created_at: now,
  }));
  for (let i = 0; i < rows.length; i += 200) await db.insertInto('triage_line_history').values(rows.slice(i, i + 200)).execute();
}

/** Sorted, merged, checked ranges: clear messages for bad input. */
export function normaliseRanges(ranges: Ranges, lineCount?: number): Ranges {
  const sorted = ranges.map(([a, b]) => [a, b] as [number, number]).sort((x, y) => x[0] - y[0]);
  const out: Ranges = [];
  for (const [a, b] of sorted) {
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 1 || b < a) throw new RangeError(`bad line range ${a}-${b}: lines are 1-based and a range is start-end with start ≤ end`);
    if (lineCount !== undefined && b > lineCount) throw new RangeError(`line range ${a}-${b} is past the end of the log (${lineCount} lines)`);
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  const total = out.reduce((s, [a, b]) => s + b - a + 1, 0);
  if (total > MAX_CORRECTED_LINES) throw new RangeError(`at most ${MAX_CORRECTED_LINES} lines may be selected (got ${total})`);
  return out;
}

/** Parses `120-131,140` into ranges. */
export function parseLineRanges(spec: string): Ranges {
  const out: Ranges = [];
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new RangeError(`bad line range "${part}": use N or N-M, separated by commas`);
    out.push([Number(m[1]), Number(m[2] ?? m[1])]);
  }
  if (out.length === 0) throw new RangeError('no line range given');
  return out;
}

const inRanges = (n: number, r: Ranges) => r.some(([a, b]) => a <= n && n <= b);

/** The texts of the given lines of a kept log (and how many lines it has). */
async function linesOf(logPath: string, wanted: Ranges): Promise<{ texts: Map<number, string>; count: number }> {
  const texts = new Map<number, string>();
  let n = 0;
  await forEachLine(fs.createReadStream(logPath), (raw) => {
    n++;
    if (inRanges(n, wanted)) texts.set(n, raw.slice(0, MAX_TEXT));
  });
  return { texts, count: n };
}

export interface CorrectionInput {
  repositoryId: string;
  checkRunGithubId: number;
  checkName: string;
  /** Ranges of the lines that really are the failure, or null for "not this". */
  lines: Ranges | null;
  author: string;
  /** The diagnosis' reported lines. */
  previousLines: Ranges;
  /** The kept log, when there is one (the lines' texts are what the history remembers). */
  logPath: string | null;
}

export interface StoredCorrection {
  id: string;
  verdict: 'lines' | 'not_this';
  lines: Ranges;
  previous_lines: Ranges;
  author: string;
  learned_lines: number;
  created_at: string;
}

/**
 * Stores a correction and teaches the repository's history from it; a newer correction of the same
 * check run replaces what the older one taught. Throws RangeError for ranges past the log's end.
 */
export async function applyCorrection(db: Database, input: CorrectionInput): Promise<StoredCorrection> {
  const selected = input.lines ? normaliseRanges(input.lines) : [];
  let confirmed: string[] = [];
  let rejected: string[] = [];
  if (input.logPath) {
    const { texts, count } = await linesOf(input.logPath, [...selected, ...input.previousLines]);
    if (input.lines) normaliseRanges(selected, count);
    const keep = (t: string | undefined): t is string => t !== undefined && t.trim().length > 0;
    confirmed = [...texts].filter(([n]) => inRanges(n, selected)).map(([, t]) => t).filter(keep);
    const confirmedSet = new Set(confirmed.map((t) => t.trim()));
    rejected = [...texts]
      .filter(([n]) => inRanges(n, input.previousLines) && !inRanges(n, selected))
      .map(([, t]) => t)
      .filter((t) => keep(t) && !confirmedSet.has(t.trim()));
  }
  const at = { repositoryId: input.repositoryId, checkName: input.checkName, checkRunGithubId: input.checkRunGithubId };
  const row = {
    id: newId(),
    repository_id: input.repositoryId,
    check_run_github_id: input.checkRunGithubId,
    check_name: input.checkName,
    verdict: input.lines ? ('lines' as const) : ('not_this' as const),
    lines: JSON.stringify(selected),
    previous_lines: JSON.stringify(input.previousLines),
    author: input.author,
    learned_lines: confirmed.length + rejected.length,
    created_at: nowIso(),
  };
  await db.kysely.transaction().execute(async (tx) => {
    await tx.deleteFrom('triage_line_history').where('check_run_github_id', '=', input.checkRunGithubId).where('source', 'in', ['confirmed', 'rejected']).execute();
    await insertLines(tx, at, 'confirmed', 1, confirmed);
    await insertLines(tx, at, 'rejected', -1, rejected);
    await tx.insertInto('triage_corrections').values(row).execute();
  });
  return presentCorrection(row);
}

/** A correction row as the API shows it. */
export function presentCorrection(r: { id: string; verdict: string; lines: string; previous_lines: string; author: string; learned_lines: number; created_at: string }): StoredCorrection {
  return {
    id: r.id,
    verdict: r.verdict === 'not_this' ? 'not_this' : 'lines',
    lines: parseJson(r.lines, [] as Ranges),
    previous_lines: parseJson(r.previous_lines, [] as Ranges),
    author: r.author,
    learned_lines: Number(r.learned_lines),
    created_at: r.created_at,
  };
}

/** The latest correction of a check run, or null. */
export async function latestCorrection(db: Executor, checkRunGithubId: number): Promise<StoredCorrection | null> {
  const r = await db.selectFrom('triage_corrections').selectAll().where('check_run_github_id', '=', checkRunGithubId).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return r ? presentCorrection(r) : null;
}

/** Why a correction was refused (the API maps codes to HTTP statuses). */
export class CorrectionError extends Error {
  constructor(
    readonly code: 'CHECK_RUN_NOT_FOUND' | 'NOT_DIAGNOSED' | 'NOTHING_TO_REJECT' | 'BAD_LINES',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Corrects the diagnosis of a check run (by GitHub id): `lines` are the lines that really are the
 * failure, null means "not this". The caller checks that its user may see and change the check run.
 */
export async function correctDiagnosis(db: Database, checkRunGithubId: number, lines: Ranges | null, author: string): Promise<StoredCorrection> {
  const a = await db.kysely
    .selectFrom('analysis_results as a')
    .innerJoin('check_runs as c', 'c.github_id', 'a.check_run_github_id')
    .select(['a.failure_lines', 'a.log_path', 'c.repository_id', 'c.name'])
    .where('a.check_run_github_id', '=', checkRunGithubId)
    .executeTakeFirst();
  if (!a) throw new CorrectionError('NOT_DIAGNOSED', `Check run ${checkRunGithubId} has no diagnosis to correct`);
  const previousLines = parseJson(a.failure_lines, [] as Ranges);
  if (!lines && previousLines.length === 0) throw new CorrectionError('NOTHING_TO_REJECT', 'The diagnosis reported no lines; select the lines that are the failure instead');
  try {
    return await applyCorrection(db, {
      repositoryId: a.repository_id,
      checkRunGithubId,
      checkName: a.name,
      lines,
      author,
      previousLines,
      logPath: a.log_path && fs.existsSync(a.log_path) ? a.log_path : null,
    });
  } catch (err) {
    if (err instanceof RangeError) throw new CorrectionError('BAD_LINES', err.message);
    throw err;
  }
}
