/**
 * What the analyser learns of one commit while reading its patch: per file, its counts and, for the
 * files it parses, decision points, test lines, doc comments and findings. Scoring reads only this.
 */
import type { FileKind, LanguageFamily } from './classify-path.js';
import type { Finding } from './types.js';

/** Why a file was counted but not parsed. */
export type SkipReason = 'huge' | 'binary' | 'lfs-pointer' | 'vendored' | 'generated' | 'minified' | 'invalid-utf8' | 'lockfile' | 'commit-too-large' | 'missing-object';

export interface FileFacts {
  path: string;
  /** The path before a rename. */
  oldPath?: string;
  kind: FileKind;
  family: LanguageFamily;
  manifest?: string;
  /** Lines added and deleted (the patch's counts: numstat's figures). */
  added: number;
  deleted: number;
  /** Bytes of patch text read for this file. */
  bytes: number;
  isNew: boolean;
  isDeleted: boolean;
  skipped: SkipReason | null;
  /** The following are zero for skipped files. */
  codeAdded: number;
  codeRemoved: number;
  decisionsAdded: number;
  decisionsRemoved: number;
  docCommentsAdded: number;
  /** Added lines inside test code (test files, or after `#[test]`/`#[cfg(test)]` in a Rust file). */
  testLinesAdded: number;
  todosAdded: number;
  todosRemoved: number;
  debugLeftovers: number;
  conflictMarkers: number;
  findings: Finding[];
}

export interface CommitHeader {
  sha: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  authoredAt: string;
  committedAt: string;
  subject: string;
}

/** What the commit's ancestors say about it (author experience, the touched files' past). */
export interface HistoryFacts {
  /** Commits by the same author email among the ancestors read so far. */
  authorPriorCommits: number;
  /** Ancestor commits read so far. */
  priorCommits: number;
  /** Of the touched files that existed before: prior commits that touched them (mean). */
  meanFileTouches: number;
  /** The same, over the touched code files only (docs, changelogs and data left out). */
  meanCodeFileTouches: number;
  /** Share of those prior touches whose subject looks like a fix. */
  fileFixShare: number;
  /** Touched files not seen in the history before (new or first touch). */
  newFiles: number;
}

export interface CommitFacts {
  header: CommitHeader;
  files: FileFacts[];
  /** The commit had more files than the limit: all counted, none parsed. */
  tooManyFiles: boolean;
  history: HistoryFacts;
}

/** A file's facts before any line is read. */
export function emptyFileFacts(path: string, kind: FileKind, family: LanguageFamily, manifest?: string): FileFacts {
  return {
    path, kind, family, ...(manifest ? { manifest } : {}),
    added: 0, deleted: 0, bytes: 0, isNew: false, isDeleted: false, skipped: null,
    codeAdded: 0, codeRemoved: 0, decisionsAdded: 0, decisionsRemoved: 0, docCommentsAdded: 0, testLinesAdded: 0,
    todosAdded: 0, todosRemoved: 0, debugLeftovers: 0, conflictMarkers: 0, findings: [],
  };
}

/** Drops what was parsed of a file (it turned out not to be parseable); keeps its counts. */
export function skipFile(f: FileFacts, reason: SkipReason): void {
  f.skipped = reason;
  f.codeAdded = f.codeRemoved = f.decisionsAdded = f.decisionsRemoved = 0;
  f.docCommentsAdded = f.testLinesAdded = f.todosAdded = f.todosRemoved = f.debugLeftovers = f.conflictMarkers = 0;
  f.findings = [];
}
