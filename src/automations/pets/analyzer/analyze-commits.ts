/**
 * Streams the analysis of a range of commits, oldest first. `git rev-list --topo-order --reverse`
 * lists the commits (parents before children), then one `git log --no-walk=unsorted --stdin -p -U0`
 * child reads them in that order; its output is parsed line by line (bounded memory whatever the
 * patch size) and each commit is scored as soon as its patch ends. Per file, the lines added and
 * deleted are counted from the patch (the figures `--numstat` reports, without a second diff pass);
 * files over the limits are counted, not parsed.
 *
 * A repository with missing objects (a partial or damaged clone) does not stop the run: when git
 * fails to read a blob, the commit it was on is tried alone, and if it fails again it is analysed
 * from its tree changes only (`--raw`, no blob read: its files counted, not parsed); the stream
 * then resumes at the next commit.
 */
import { classifyPath } from './classify-path.js';
import { emptyFileFacts, skipFile, type CommitFacts, type CommitHeader, type FileFacts } from './commit-facts.js';
import { AnalyzerGitFailed, InvalidRange } from './errors.js';
import { gitLines } from './git-lines.js';
import { HistoryWindow } from './history-window.js';
import { newFileReader, readPatchLine, startHunk, type FilePatchReader } from './read-file-patch.js';
import { scoreCommit, scoreMerge } from './score-commit.js';
import type { AnalyzeOptions, CommitAnalysis } from './types.js';
import { ANALYZER_VERSION } from './version.js';

/** A commit with more files than this is counted, not parsed. */
export const COMMIT_FILE_LIMIT = 1000;

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
      '-c', 'core.quotePath=false',
      'log', '--topo-order', `-n${history.size + (single ? 1 : 0)}`, '--format=%x1e%ae%x00%s', '--name-only', '--no-renames', '--diff-merges=off', base, '--',
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

/** Classifies a file once its path is known; marks what is not to be parsed. */
function classifyFile(f: FileFacts): void {
  const cls = classifyPath(f.path);
  f.kind = cls.kind;
  f.family = cls.family;
  if (cls.manifest) f.manifest = cls.manifest;
  if (f.skipped !== null) return;
  if (cls.kind === 'vendored') skipFile(f, 'vendored');
  else if (cls.kind === 'generated') skipFile(f, 'generated');
  else if (cls.kind === 'lockfile') skipFile(f, 'lockfile');
}

/** A code file (for the churn of the touched code). */
function isCodePath(path: string): boolean {
  return classifyPath(path).kind === 'code';
}

/** The paths a commit touched, as `--name-only --no-renames` lists them (a rename: both sides). */
function touchedPaths(files: FileFacts[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    if (f.oldPath !== undefined && f.oldPath !== f.path) out.push(f.oldPath);
    out.push(f.path);
  }
  return out;
}

/**
 * Turns `git log --format=FORMAT -p -U0` output, line by line, into analyses: `push` returns the
 * previous commit's analysis when a new commit starts, `end` the last one.
 */
class PatchStreamParser {
  private header: CommitHeader | null = null;
  private files: FileFacts[] = [];
  private tooMany = false;
  private section: Section | null = null;

  constructor(private readonly history: HistoryWindow) {}

  /** Reads one line of git's output. */
  push(bytes: Buffer, truncated: boolean): CommitAnalysis | null {
    const first = bytes[0];
    if (first === 0x1e) {
      const done = this.finish();
      this.header = parseHeader(bytes);
      return done;
    }
    if (!this.header) return null;
    if (first === 100 /* d */ && bytes.length > 11 && bytes.toString('latin1', 0, 11) === 'diff --git ') {
      this.closeSection();
      this.addFile(emptyFileFacts(pathFromDiffHeader(bytes.toString('utf8', 11)), 'other', null));
      return null;
    }
    const s = this.section;
    if (!s) return null;
    if (s.reader === null) {
      this.readSectionHeader(s, bytes.toString('utf8'));
      return null;
    }
    if (first === 43 /* + */ || first === 45 /* - */) readPatchLine(s.reader, bytes, truncated);
    else if (first === 64 /* @ */) startHunk(s.reader, bytes.toString('latin1'));
    return null;
  }

  /** The last commit's analysis, at the end of the stream. */
  end(): CommitAnalysis | null {
    return this.finish();
  }

  /** Starts a commit whose files are added with `addFile` (the no-patch path). */
  startCommit(header: CommitHeader): void {
    this.header = header;
  }

  /** Adds a file section to the current commit. */
  addFile(facts: FileFacts): void {
    this.files.push(facts);
    if (this.files.length > COMMIT_FILE_LIMIT && !this.tooMany) {
      this.tooMany = true;
      for (const f of this.files) skipFile(f, 'commit-too-large');
    }
    if (this.tooMany) skipFile(facts, 'commit-too-large');
    this.section = { facts, reader: null };
  }

  /** A section's header lines, before its first hunk: paths, new/deleted, binary. */
  private readSectionHeader(s: Section, text: string): void {
    const f = s.facts;
    if (text.startsWith('@@')) {
      classifyFile(f);
      s.reader = newFileReader(f);
      startHunk(s.reader, text);
    } else if (text.startsWith('+++ ')) {
      const p = text.slice(4);
      if (p !== '/dev/null') f.path = stripSide(p);
    } else if (text.startsWith('--- ')) {
      const p = text.slice(4);
      if (p !== '/dev/null') f.path = stripSide(p);
    } else if (text.startsWith('rename from ')) f.oldPath = unquotePath(text.slice(12));
    else if (text.startsWith('rename to ')) f.path = unquotePath(text.slice(10));
    else if (text.startsWith('new file mode')) f.isNew = true;
    else if (text.startsWith('deleted file mode')) f.isDeleted = true;
    else if (text.startsWith('Binary files ') || text === 'GIT binary patch') {
      if (f.skipped === null) skipFile(f, 'binary');
    }
  }

  /** A section without hunks (binary, rename, mode change, empty file) is classified at its end. */
  private closeSection(): void {
    if (this.section && this.section.reader === null) classifyFile(this.section.facts);
    this.section = null;
  }

  private finish(): CommitAnalysis | null {
    this.closeSection();
    const h = this.header;
    if (!h) return null;
    const files = this.files;
    const facts: CommitFacts = { header: h, files, tooManyFiles: this.tooMany, history: this.history.factsFor(h.authorEmail, files.map((f) => f.path), isCodePath) };
    this.header = null;
    this.files = [];
    this.tooMany = false;
    const isMerge = h.parents.length > 1;
    const score = isMerge ? scoreMerge(h.parents.length) : scoreCommit(facts);
    this.history.add(h.authorEmail, touchedPaths(files), h.subject);
    let additions = 0;
    let deletions = 0;
    for (const f of files) {
      additions += f.added;
      deletions += f.deleted;
    }
    return {
      sha: h.sha, parents: h.parents, isMerge,
      authorName: h.authorName, authorEmail: h.authorEmail, authoredAt: h.authoredAt, committedAt: h.committedAt, subject: h.subject,
      filesChanged: files.length, additions, deletions,
      overall_quality_score: score.overall_quality_score, health_delta: score.health_delta,
      breakdown: score.breakdown, findings: score.findings, notes: score.notes, metrics: score.metrics, analyzerVersion: ANALYZER_VERSION,
    };
  }
}

// core.bigFileThreshold: git diffs a blob over 64 MB as binary (counted, not read line by line): bounds the time
// one pathological file can take.
const GIT_CONFIG = ['-c', 'core.quotePath=false', '-c', 'diff.renames=true', '-c', 'diff.renameLimit=1000', '-c', 'core.bigFileThreshold=64m'];

/** The commits of the range, parents first, as git's own `sha\n` lines (the stdin of the log). */
async function listCommits(opts: AnalyzeOptions, revisions: string[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const { bytes } of gitLines({ git: opts.git ?? 'git', gitDir: opts.gitDir, env: opts.env, signal: opts.signal, args: ['rev-list', '--topo-order', '--reverse', ...revisions, '--'] })) {
    if (bytes.length > 0) parts.push(Buffer.concat([bytes, Buffer.from('\n')]));
  }
  return Buffer.concat(parts);
}

/** HEAD names a commit (false in an empty repository). */
async function hasHead(opts: AnalyzeOptions): Promise<boolean> {
  try {
    for await (const _ of gitLines({ git: opts.git ?? 'git', gitDir: opts.gitDir, env: opts.env, signal: opts.signal, args: ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'] })) {
      // the sha
    }
    return true;
  } catch (err) {
    if (err instanceof AnalyzerGitFailed && err.exitCode === 1) return false;
    throw err;
  }
}

/** git failed because an object could not be read (a partial or damaged repository). */
function isMissingObject(err: unknown): boolean {
  return err instanceof AnalyzerGitFailed && /unable to read|missing blob|bad object|could not read|not a valid object|corrupt/i.test(err.stderr);
}

/** Analyses one commit from its tree changes only (no blob is read): files counted, not parsed. */
async function analyseWithoutBlobs(opts: AnalyzeOptions, sha: string, history: HistoryWindow): Promise<CommitAnalysis | null> {
  const parser = new PatchStreamParser(history);
  for await (const { bytes } of gitLines({
    git: opts.git ?? 'git', gitDir: opts.gitDir, env: opts.env, signal: opts.signal,
    args: ['-c', 'core.quotePath=false', 'log', '-1', '--no-walk', `--format=${FORMAT}`, '--raw', '--no-renames', '--diff-merges=off', sha, '--'],
  })) {
    if (bytes[0] === 0x1e) parser.startCommit(parseHeader(bytes));
    else if (bytes[0] === 58 /* : */) {
      const text = bytes.toString('utf8');
      const tab = text.indexOf('\t');
      if (tab === -1) continue;
      const status = text.slice(0, tab).split(' ').pop() ?? '';
      const facts = emptyFileFacts(unquotePath(text.slice(tab + 1)), 'other', null);
      facts.isNew = status.startsWith('A');
      facts.isDeleted = status.startsWith('D');
      parser.addFile(facts);
      classifyFile(facts);
      if (facts.skipped === null) skipFile(facts, 'missing-object');
    }
  }
  return parser.end();
}

/** Commits of the range, oldest first, one analysis each, streamed (bounded memory). */
export async function* analyzeCommits(opts: AnalyzeOptions): AsyncIterable<CommitAnalysis> {
  const history = new HistoryWindow();
  const revisions = rangeArgs(opts.range);
  if ((opts.range === undefined || opts.range === '') && !(await hasHead(opts))) return; // an empty repository
  const list = await listCommits(opts, revisions);
  if (list.length === 0) return;
  const lineLength = list.indexOf(10) + 1;
  const total = list.length / lineLength;
  await preloadHistory(history, opts);
  const logArgs = (stdin: boolean) => [
    ...GIT_CONFIG, 'log', '--no-walk=unsorted', ...(stdin ? ['--stdin'] : []), `--format=${FORMAT}`, '-p', '-U0',
    '--no-color', '--no-ext-diff', '--no-textconv', '--diff-merges=off',
  ];
  let index = 0;
  while (index < total) {
    const parser = new PatchStreamParser(history);
    try {
      for await (const { bytes, truncated } of gitLines({
        git: opts.git ?? 'git', gitDir: opts.gitDir, env: opts.env, signal: opts.signal,
        input: list.subarray(index * lineLength), args: [...logArgs(true), '--'],
      })) {
        const done = parser.push(bytes, truncated);
        if (done) {
          index++;
          yield done;
          opts.signal?.throwIfAborted();
        }
      }
      const last = parser.end();
      if (last) {
        index++;
        yield last;
      }
      return;
    } catch (err) {
      if (!isMissingObject(err)) throw err;
    }
    // The commit at `index` could not be read whole: alone, or else without its blobs.
    const sha = list.toString('latin1', index * lineLength, (index + 1) * lineLength - 1);
    const alone = new PatchStreamParser(history);
    let analysis: CommitAnalysis | null = null;
    try {
      for await (const { bytes, truncated } of gitLines({ git: opts.git ?? 'git', gitDir: opts.gitDir, env: opts.env, signal: opts.signal, args: [...logArgs(false), sha, '--'] })) {
        alone.push(bytes, truncated);
      }
      analysis = alone.end();
    } catch (err) {
      if (!isMissingObject(err)) throw err;
      analysis = await analyseWithoutBlobs(opts, sha, history);
    }
    index++;
    if (analysis) yield analysis;
  }
}
