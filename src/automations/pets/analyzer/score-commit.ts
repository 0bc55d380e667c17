/**
 * Turns a commit's facts into its breakdown: each component gives integer points and a one-line
 * reason; health_delta is their sum clamped to −20..+20. overall_quality_score (0–100, continuous)
 * is a logistic of a weighted sum of the same components and their underlying figures (author
 * experience, file churn, docs, hygiene, size, secrets, the subject), weighted by what predicted
 * that a commit was kept rather than reverted on bench/pets-revert-auc.mjs.
 */
import { dirName } from './classify-path.js';
import type { CommitFacts, FileFacts } from './commit-facts.js';
import type { ComponentScore, Finding } from './types.js';

export interface CommitScore {
  breakdown: Record<string, ComponentScore>;
  health_delta: number;
  overall_quality_score: number;
  findings: Finding[];
  notes: string[];
  metrics: Record<string, number>;
}

const HEALTH_LIMIT = 20;

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function plural(n: number, word: string): string {
  return `${fmt(n)} ${word}${n === 1 ? '' : 's'}`;
}

function sum(files: FileFacts[], pick: (f: FileFacts) => number): number {
  let s = 0;
  for (const f of files) s += pick(f);
  return s;
}

const SKIP_TEXT: Record<string, string> = {
  huge: 'counted not parsed (over 5,000 changed lines or 1 MB)',
  binary: 'binary, counted not parsed',
  'lfs-pointer': 'Git LFS pointer, counted not parsed',
  vendored: 'vendored, counted not parsed',
  generated: 'generated, counted not parsed',
  minified: 'minified or very long lines, counted not parsed',
  'invalid-utf8': 'not valid UTF-8, counted not parsed',
  lockfile: 'lockfile, counted not parsed',
  'missing-object': 'content missing from the repository (partial clone?), counted as a file only',
};

function complexity(parsed: FileFacts[]): ComponentScore {
  const added = sum(parsed, (f) => f.decisionsAdded);
  const removed = sum(parsed, (f) => f.decisionsRemoved);
  const codeAdded = sum(parsed, (f) => f.codeAdded);
  const net = added - removed;
  let points = 0;
  if (net <= -3) points = 1;
  else if (net > 40) points = -3;
  else if (net > 15) points = -2;
  else if (net > 5) points = -1;
  const dense = codeAdded >= 20 && added / codeAdded > 0.3;
  if (dense) points -= 1;
  const reason =
    added + removed === 0
      ? 'no decision points changed'
      : `${net >= 0 ? '+' : ''}${net} decision points (${fmt(added)} added, ${fmt(removed)} removed)${dense ? `, dense branching (${Math.round((100 * added) / codeAdded)} per 100 lines)` : ''}`;
  return { points, reason };
}

function tests(parsed: FileFacts[], testFilesTouched: number): ComponentScore {
  const code = sum(parsed, (f) => f.codeAdded);
  const test = sum(parsed, (f) => f.testLinesAdded);
  if (code < 10) {
    if (test > 0) return { points: 1, reason: `${plural(test, 'test line')} added` };
    return { points: 0, reason: testFilesTouched > 0 ? 'tests touched, little code added' : 'little code added' };
  }
  const ratio = test / code;
  let points: number;
  if (ratio >= 0.5) points = 3;
  else if (ratio >= 0.2) points = 2;
  else if (ratio > 0) points = 1;
  else points = code >= 200 ? -3 : code >= 50 ? -2 : -1;
  const reason = test === 0 ? `${plural(code, 'code line')} added, no test lines` : `${plural(test, 'test line')} for ${plural(code, 'code line')} added (${ratio.toFixed(2)})`;
  return { points, reason };
}

function docs(files: FileFacts[], parsed: FileFacts[]): ComponentScore {
  const docFiles = files.filter((f) => f.kind === 'docs');
  const codeFiles = files.filter((f) => f.kind === 'code');
  const docComments = sum(parsed, (f) => f.docCommentsAdded);
  if (codeFiles.length === 0) {
    if (docFiles.length > 0) return { points: 1, reason: `documentation only (${plural(docFiles.length, 'file')})` };
    return { points: 0, reason: 'no code or docs changed' };
  }
  if (docFiles.length > 0 && docComments >= 3) return { points: 2, reason: `${plural(docFiles.length, 'doc file')} and ${plural(docComments, 'doc comment line')} with the code` };
  if (docFiles.length > 0) return { points: 1, reason: `${plural(docFiles.length, 'doc file')} touched with the code` };
  if (docComments >= 3) return { points: 1, reason: `${plural(docComments, 'doc comment line')} added` };
  return { points: 0, reason: 'code without doc changes' };
}

function hygiene(files: FileFacts[], parsed: FileFacts[]): [ComponentScore, Finding[]] {
  const parts: string[] = [];
  const extra: Finding[] = [];
  let points = 0;
  const conflicts = parsed.filter((f) => f.conflictMarkers > 0).length;
  if (conflicts > 0) {
    points -= Math.min(8, 5 * conflicts);
    parts.push(`conflict markers in ${plural(conflicts, 'file')}`);
  }
  const debug = sum(parsed, (f) => f.debugLeftovers);
  if (debug > 0) {
    points -= Math.min(3, debug);
    parts.push(plural(debug, 'debug leftover'));
  }
  const todos = sum(parsed, (f) => f.todosAdded);
  const todosRemoved = sum(parsed, (f) => f.todosRemoved);
  if (todos > 0) {
    points -= todos >= 3 ? 2 : 1;
    parts.push(`${plural(todos, 'TODO/FIXME')} added`);
  } else if (todosRemoved > 0) {
    points += 1;
    parts.push(`${plural(todosRemoved, 'TODO/FIXME')} resolved`);
  }
  const bigGenerated = files.filter((f) => (f.skipped === 'generated' || f.skipped === 'minified' || f.kind === 'generated') && f.added >= 500 && !f.isDeleted);
  if (bigGenerated.length > 0) {
    points -= 2;
    parts.push(`large generated/minified ${bigGenerated.length === 1 ? `file ${bigGenerated[0]!.path}` : plural(bigGenerated.length, 'file')} added`);
  }
  const names = new Set(files.map((f) => f.path.slice(f.path.lastIndexOf('/') + 1)));
  const orphanLocks = files.filter((f) => f.kind === 'lockfile' && f.manifest && !names.has(f.manifest) && f.added + f.deleted > 0);
  if (orphanLocks.length > 0) {
    points -= Math.min(2, orphanLocks.length);
    parts.push(`lockfile without its manifest (${orphanLocks.map((f) => f.path).slice(0, 3).join(', ')})`);
    for (const f of orphanLocks) extra.push({ component: 'hygiene', rule: 'lockfile-without-manifest', file: f.path, line: null, message: `${f.path} changed without ${f.manifest}` });
  }
  points = Math.max(-10, points);
  return [{ points, reason: parts.length === 0 ? 'clean: no conflict markers, debug leftovers or new TODOs' : parts.join('; ') }, extra];
}

function secrets(parsed: FileFacts[]): ComponentScore {
  const found = parsed.flatMap((f) => f.findings.filter((x) => x.component === 'secrets'));
  if (found.length === 0) return { points: 0, reason: 'no secrets found' };
  let points = 0;
  for (const s of found) points -= s.rule === 'generic-api-key' ? 4 : points === 0 ? 10 : 5;
  points = Math.max(-20, points);
  const rules = [...new Set(found.map((s) => s.rule))].join(', ');
  return { points, reason: `${plural(found.length, 'possible secret')} added (${rules})` };
}

function size(files: FileFacts[]): ComponentScore {
  const counted = files.filter((f) => f.kind !== 'generated' && f.kind !== 'vendored' && f.kind !== 'lockfile' && f.skipped !== 'generated');
  const lines = sum(counted, (f) => f.added + f.deleted);
  const dirs = new Set(counted.map((f) => dirName(f.path))).size;
  let points = 0;
  if (lines > 2000) points -= 3;
  else if (lines > 800) points -= 2;
  else if (lines > 300) points -= 1;
  if (counted.length > 50) points -= 2;
  else if (counted.length > 20) points -= 1;
  if (dirs > 12) points -= 1;
  points = Math.max(-5, points);
  const reason = `${plural(lines, 'changed line')} in ${plural(counted.length, 'file')} across ${plural(dirs, 'directory').replace('directorys', 'directories')}${points === 0 ? ': small and focused' : ''}`;
  return { points, reason };
}

const WIP = /\b(?:wip|tmp|temp|temporary|hack|hacky|experiment(?:al)?|try(?:ing)?|attempt|quick ?fix|workaround|debug)\b/i;

function message(subject: string): [ComponentScore, number] {
  if (/^Revert "/.test(subject) && /^Revert "Revert /.test(subject)) return [{ points: 0, reason: 're-applies a reverted change' }, -0.6];
  if (/^Revert\b/.test(subject)) return [{ points: 0, reason: 'reverts an earlier commit' }, 0.3];
  if (WIP.test(subject)) return [{ points: -1, reason: `subject reads as tentative ("${subject.slice(0, 60)}")` }, -0.5];
  if (subject.trim().length < 8) return [{ points: -1, reason: 'subject too short to explain the change' }, -0.3];
  return [{ points: 0, reason: 'descriptive subject' }, 0];
}

function experience(facts: CommitFacts): [ComponentScore, number] {
  const h = facts.history;
  const a = h.authorPriorCommits;
  if (h.priorCommits < 50) return [{ points: 0, reason: 'too little history to judge the author\'s experience' }, 1.5 * Math.sqrt(0.05)];
  const share = a / h.priorCommits;
  const cont = 1.5 * Math.sqrt(share) + 0.05 * Math.log1p(a);
  const of = `of the last ${fmt(h.priorCommits)} commits`;
  if (a === 0) return [{ points: -2, reason: `first commit by this author ${of}` }, cont];
  const pct = `${(100 * share).toFixed(share < 0.1 ? 1 : 0)}%`;
  if (share < 0.02) return [{ points: -1, reason: `author wrote ${fmt(a)} (${pct}) ${of}` }, cont];
  if (share >= 0.1) return [{ points: 1, reason: `author wrote ${fmt(a)} (${pct}) ${of}` }, cont];
  return [{ points: 0, reason: `author wrote ${fmt(a)} (${pct}) ${of}` }, cont];
}

function fileHistory(facts: CommitFacts): [ComponentScore, number] {
  const h = facts.history;
  const cont = -0.17 * Math.log1p(h.meanFileTouches) - 0.1 * h.fileFixShare;
  if (h.priorCommits < 50) return [{ points: 0, reason: 'too little history to judge the touched files' }, cont];
  let points = 0;
  const parts: string[] = [];
  if (h.meanCodeFileTouches >= 100) {
    points -= 1;
    parts.push(`churn hotspot: its code files were changed ${h.meanCodeFileTouches.toFixed(0)} times each on average in the last ${fmt(h.priorCommits)} commits`);
  }
  if (h.fileFixShare >= 0.5 && h.meanFileTouches >= 4) {
    points -= 1;
    parts.push(`bug-prone files: ${(100 * h.fileFixShare).toFixed(0)}% of their recent changes were fixes`);
  }
  if (parts.length === 0) {
    const seen = h.meanFileTouches === 0 ? 'new or rarely changed files' : `its files were changed ${h.meanFileTouches.toFixed(1)} times on average recently, ${(100 * h.fileFixShare).toFixed(0)}% fixes`;
    return [{ points: 0, reason: seen }, cont];
  }
  return [{ points, reason: parts.join('; ') }, cont];
}

/**
 * The weights of the quality score (a logistic of their sum), fitted by hand on the revert check of
 * bench/pets-revert-auc.mjs: what predicted that a commit would be kept rather than reverted.
 */
const SCORE = { hygiene: 0.2, size: 0.1, tests: 0.05, secrets: 0.5, docs: 0.5, subject: -0.25, centre: 0.85, slope: 1.5 };

/** Scores a non-merge commit from its facts. */
export function scoreCommit(facts: CommitFacts): CommitScore {
  const files = facts.files;
  const parsed = files.filter((f) => f.skipped === null);
  const notes: string[] = [];
  if (facts.tooManyFiles) notes.push(`${fmt(files.length)} files changed (over 1,000): counted, not parsed`);
  else {
    for (const f of files) {
      if (f.skipped === null || f.skipped === 'commit-too-large') continue;
      if (notes.length >= 20) {
        notes.push(`… and ${fmt(files.filter((x) => x.skipped !== null).length - 20)} more files counted, not parsed`);
        break;
      }
      notes.push(`${f.path}: ${f.added + f.deleted > 0 ? `${fmt(f.added + f.deleted)} changed lines, ` : ''}${SKIP_TEXT[f.skipped] ?? 'counted not parsed'}`);
    }
  }
  const testFilesTouched = files.filter((f) => f.kind === 'test').length;
  const cx = complexity(parsed);
  const ts = tests(parsed, testFilesTouched);
  const dc = docs(files, parsed);
  const [hy, hyFindings] = hygiene(files, parsed);
  const se = secrets(parsed);
  const sz = size(files);
  const [ms, msc] = message(facts.header.subject);
  const [ex, exc] = experience(facts);
  const [fh, fhc] = fileHistory(facts);
  const breakdown: Record<string, ComponentScore> = { complexity: cx, tests: ts, docs: dc, hygiene: hy, secrets: se, size: sz, message: ms, experience: ex, history: fh };
  let total = 0;
  for (const c of Object.values(breakdown)) total += c.points;
  const health_delta = Math.max(-HEALTH_LIMIT, Math.min(HEALTH_LIMIT, total));
  const docFiles = files.some((f) => f.kind === 'docs') ? 1 : 0;
  const raw =
    SCORE.hygiene * hy.points + SCORE.size * sz.points + SCORE.tests * ts.points + SCORE.secrets * se.points + SCORE.docs * docFiles +
    SCORE.subject * Math.log1p(facts.header.subject.length) + exc + fhc + 0.5 * msc;
  const overall_quality_score = Math.round((100 / (1 + Math.exp(-(raw + SCORE.centre) * SCORE.slope))) * 100) / 100;
  const findings = [...parsed.flatMap((f) => f.findings), ...hyFindings].slice(0, 200);
  return { breakdown, health_delta, overall_quality_score, findings, notes, metrics: commitMetrics(facts, parsed) };
}

/** The raw figures behind the breakdown. */
export function commitMetrics(facts: CommitFacts, parsed: FileFacts[]): Record<string, number> {
  const files = facts.files;
  const count = (k: string) => files.filter((f) => f.kind === k).length;
  const h = facts.history;
  return {
    files: files.length,
    directories: new Set(files.map((f) => dirName(f.path))).size,
    linesChanged: sum(files, (f) => f.added + f.deleted),
    codeAdded: sum(parsed, (f) => f.codeAdded),
    codeRemoved: sum(parsed, (f) => f.codeRemoved),
    testLinesAdded: sum(parsed, (f) => f.testLinesAdded),
    decisionsAdded: sum(parsed, (f) => f.decisionsAdded),
    decisionsRemoved: sum(parsed, (f) => f.decisionsRemoved),
    docCommentsAdded: sum(parsed, (f) => f.docCommentsAdded),
    todosAdded: sum(parsed, (f) => f.todosAdded),
    debugLeftovers: sum(parsed, (f) => f.debugLeftovers),
    codeFiles: count('code'),
    testFiles: count('test'),
    docFiles: count('docs'),
    buildFiles: count('build'),
    ciFiles: count('ci'),
    lockfiles: count('lockfile'),
    dataFiles: count('data'),
    newFiles: files.filter((f) => f.isNew).length,
    deletedFiles: files.filter((f) => f.isDeleted).length,
    skippedFiles: files.filter((f) => f.skipped !== null).length,
    authorPriorCommits: h.authorPriorCommits,
    priorCommits: h.priorCommits,
    meanFileTouches: Math.round(h.meanFileTouches * 100) / 100,
    meanCodeFileTouches: Math.round(h.meanCodeFileTouches * 100) / 100,
    fileFixShare: Math.round(h.fileFixShare * 1000) / 1000,
    unseenFiles: h.newFiles,
    subjectLength: facts.header.subject.length,
  };
}

/** The breakdown of a merge: recorded with health_delta 0 (its commits count individually). */
export function scoreMerge(parents: number): CommitScore {
  return {
    breakdown: { merge: { points: 0, reason: `merge of ${parents} parents: its commits count individually` } },
    health_delta: 0,
    overall_quality_score: 50,
    findings: [],
    notes: [],
    metrics: {},
  };
}
