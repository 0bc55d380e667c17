/**
 * Streams the analysis of a range of commits, oldest first: one `git log -p -U0 --topo-order
 * --reverse` child, read line by line (bounded memory whatever the patch size), each commit scored
 * as soon as its patch ends. Per file, the lines added and deleted are counted from the patch (the
 * figures `--numstat` reports, without a second diff pass); files over the limits are counted, not
 * parsed.
 */
import { classifyPath } from './classify-path.js';
import { emptyFileFacts, skipFile, type CommitFacts, type CommitHeader, type FileFacts } from './commit-facts.js';
import { gitLines } from './git-lines.js';
import { HistoryWindow } from './history-window.js';
import { newFileReader, readPatchLine, startHunk, type FilePatchReader } from './read-file-patch.js';
import { scoreCommit, scoreMerge } from './score-commit.js';
import type { AnalyzeOptions, CommitAnalysis } from './types.js';
import { ANALYZER_VERSION } from './version.js';

/** A commit with more files than this is counted, not parsed. */
export const COMMIT_FILE_LIMIT = 1000;

/** A range that cannot be passed to git (it would read as an option). */
export class InvalidRange extends Error {
  readonly code = 'PETS_INVALID_RANGE';
  readonly status = 400;
  constructor(readonly range: string) {
    super(`invalid range ${JSON.stringify(range)}: expected 'A..B', a commit, or nothing`);
    this.name = 'InvalidRange';
  }
}

const FORMAT = '%x1e%H%x00%P%x00%an%x00%ae%x00%aI%x00%cI%x00%s';

/** The revisions git log should walk for a range (a single sha means just that commit). */
export function rangeArgs(range: string | undefined): string[] {
  if (range === undefined || range === '') return ['HEAD'];
  if (range.startsWith('-') || /\s/.test(range) || range.includes('\0')) throw new InvalidRange(range);
  if (range.includes('..')) return [range];
  return ['-1', range];
}

function toUtc(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString();
}

function parseHeader(line: Buffer): CommitHeader {
  const [sha = '', parents = '', authorName = '', authorEmail = '', authoredAt = '', committedAt = '', subject = ''] = line.toString('utf8', 1).split('\0');
  return { sha, parents: parents === '' ? [] : parents.split(' '), authorName, authorEmail, authoredAt: toUtc(authoredAt), committedAt: toUtc(committedAt), subject };
}

/** Unquotes a path git quoted (C-style, when it has unusual characters). */
export function unquotePath(p: string): string {
  if (!p.startsWith('"') || !p.endsWith('"')) return p;
  const body = p.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\') {
      for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
      continue;
    }
    const next = body[++i] ?? '';
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else bytes.push(({ n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 } as Record<string, number>)[next] ?? next.charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The path of a `diff --git a/X b/X` header when both sides are the same path. */
function pathFromDiffHeader(rest: string): string {
  if (rest.startsWith('"')) {
    const m = /^"a\/(?:[^"\\]|\\.)*" "b\/((?:[^"\\]|\\.)*)"$/.exec(rest);
    if (m) return unquotePath(`"${m[1]}"`);
  }
  const len = (rest.length - 5) / 2;
  if (Number.isInteger(len) && rest.startsWith('a/') && rest.slice(2, 2 + len) === rest.slice(5 + len)) return rest.slice(2, 2 + len);
  const i = rest.indexOf(' b/');
  return i === -1 ? rest : rest.slice(i + 3);
}

function stripSide(p: string): string {
  const u = unquotePath(p);
  return u.startsWith('a/') || u.startsWith('b/') ? u.slice(2) : u;
}

/**
 * For a range, the commits before it (up to the window's size) fill the history window first, so a
 * commit's history facts are the same whether it is analysed at push time or in a backfill.
 */
async function preloadHistory(history: HistoryWindow, opts: AnalyzeOptions): Promise<void> {
  const range = opts.range;
  if (range === undefined || range === '' || range.includes('...')) return;
  const single = !range.includes('..');
  const base = single ? range : range.slice(0, range.indexOf('..')) || 'HEAD';
  const records: Array<{ author: string; subject: string; files: string[] }> = [];
  let current: { author: string; subject: string; files: string[] } | null = null;
  for await (const { bytes } of gitLines({
    git: opts.git ?? 'git',
    gitDir: opts.gitDir,
    env: opts.env,
    signal: opts.signal,
    args: [
      '-c', 'core.quotePath=false', '-c', 'diff.renames=true', '-c', 'diff.renameLimit=1000',
      'log', '--topo-order', `-n${history.size + (single ? 1 : 0)}`, '--format=%x1e%ae%x00%s', '--name-only', '--diff-merges=off', base, '--',
    ],
  })) {
    if (bytes[0] === 0x1e) {
      const [author = '', subject = ''] = bytes.toString('utf8', 1).split('\0');
      current = { author, subject, files: [] };
      records.push(current);
    } else if (current && bytes.length > 0 && current.files.length < 200) current.files.push(unquotePath(bytes.toString('utf8')));
  }
  // A single commit: its own record (the first) is not history.
  const prior = single ? records.slice(1) : records;
  for (let i = prior.length - 1; i >= 0; i--) history.add(prior[i]!.author, prior[i]!.files, prior[i]!.subject);
}

/** One file section of the patch being read. */
interface Section {
  facts: FileFacts;
  reader: FilePatchReader | null;
}

/** Commits of the range, oldest first, one analysis each, streamed (bounded memory). */
export async function* analyzeCommits(opts: AnalyzeOptions): AsyncIterable<CommitAnalysis> {
  const history = new HistoryWindow();
  const revisions = rangeArgs(opts.range);
  await preloadHistory(history, opts);
  const lines = gitLines({
    git: opts.git ?? 'git',
    gitDir: opts.gitDir,
    env: opts.env,
    signal: opts.signal,
    args: [
      '-c', 'core.quotePath=false', '-c', 'diff.renames=true', '-c', 'diff.renameLimit=1000',
      'log', '--topo-order', '--reverse', `--format=${FORMAT}`, '-p', '-U0', '--no-color', '--no-ext-diff', '--no-textconv',
      '--diff-merges=off', ...revisions, '--',
    ],
  });

  let header: CommitHeader | null = null;
  let files: FileFacts[] = [];
  let tooMany = false;
  let section: Section | null = null;

  const closeSection = (): void => {
    // A section without hunks (binary, rename, mode change, empty file) is classified at its end.
    if (section && section.reader === null) ensureReader(section);
    section = null;
  };

  const finish = (): CommitAnalysis | null => {
    closeSection();
    if (!header) return null;
    const h = header;
    header = null;
    const isMerge = h.parents.length > 1;
    const touched = files.map((f) => f.path);
    const facts: CommitFacts = { header: h, files, tooManyFiles: tooMany, history: history.factsFor(h.authorEmail, touched) };
    const score = isMerge ? scoreMerge(h.parents.length) : scoreCommit(facts);
    history.add(h.authorEmail, touched, h.subject);
    const additions = files.reduce((s, f) => s + f.added, 0);
    const deletions = files.reduce((s, f) => s + f.deleted, 0);
    files = [];
    tooMany = false;
    return {
      sha: h.sha, parents: h.parents, isMerge,
      authorName: h.authorName, authorEmail: h.authorEmail, authoredAt: h.authoredAt, committedAt: h.committedAt, subject: h.subject,
      filesChanged: facts.files.length, additions, deletions,
      overall_quality_score: score.overall_quality_score, health_delta: score.health_delta,
      breakdown: score.breakdown, findings: score.findings, notes: score.notes, metrics: score.metrics, analyzerVersion: ANALYZER_VERSION,
    };
  };

  /** Classifies the current section's file once its path is known (at its first hunk or its end). */
  const ensureReader = (s: Section): FilePatchReader | null => {
    if (s.reader) return s.reader;
    const f = s.facts;
    const cls = classifyPath(f.path);
    f.kind = cls.kind;
    f.family = cls.family;
    if (cls.manifest) f.manifest = cls.manifest;
    if (f.skipped !== null) return null;
    if (cls.kind === 'vendored') skipFile(f, 'vendored');
    else if (cls.kind === 'generated') skipFile(f, 'generated');
    else if (cls.kind === 'lockfile') skipFile(f, 'lockfile');
    s.reader = newFileReader(f);
    return s.reader;
  };

  for await (const { bytes, truncated } of lines) {
    const first = bytes[0];
    if (first === 0x1e) {
      const done = finish();
      if (done) yield done;
      header = parseHeader(bytes);
      continue;
    }
    if (!header) continue;
    if (first === 100 /* d */ && bytes.length > 11 && bytes.toString('latin1', 0, 11) === 'diff --git ') {
      closeSection();
      const path = pathFromDiffHeader(bytes.toString('utf8', 11));
      const facts = emptyFileFacts(path, 'other', null);
      files.push(facts);
      if (files.length > COMMIT_FILE_LIMIT && !tooMany) {
        tooMany = true;
        for (const f of files) skipFile(f, 'commit-too-large');
      }
      if (tooMany) skipFile(facts, 'commit-too-large');
      section = { facts, reader: null };
      continue;
    }
    const s: Section | null = section;
    if (!s) continue;
    if (s.reader === null) {
      // The section's header lines, before its first hunk.
      const text = bytes.toString('utf8');
      if (text.startsWith('@@')) {
        const r = ensureReader(s);
        if (r) startHunk(r, text);
        else s.reader = newFileReader(s.facts);
        continue;
      }
      if (text.startsWith('+++ ')) {
        const p = text.slice(4);
        if (p !== '/dev/null') s.facts.path = stripSide(p);
      } else if (text.startsWith('--- ')) {
        const p = text.slice(4);
        if (p !== '/dev/null') s.facts.path = stripSide(p);
      } else if (text.startsWith('rename to ')) s.facts.path = unquotePath(text.slice(10));
      else if (text.startsWith('new file mode')) s.facts.isNew = true;
      else if (text.startsWith('deleted file mode')) s.facts.isDeleted = true;
      else if (text.startsWith('Binary files ') || text === 'GIT binary patch') {
        ensureReader(s);
        if (s.facts.skipped === null) skipFile(s.facts, 'binary');
        else if (s.facts.skipped !== 'commit-too-large') s.facts.skipped = 'binary';
      }
      continue;
    }
    if (first === 43 /* + */ || first === 45 /* - */) {
      readPatchLine(s.reader, bytes, truncated);
    } else if (first === 64 /* @ */) {
      startHunk(s.reader, bytes.toString('latin1'));
    }
  }
  const last = finish();
  if (last) yield last;
}
