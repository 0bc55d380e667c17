/**
 * Reads the added and removed lines of one file's patch (`git log -p -U0`) into its FileFacts:
 * decision points, code and test lines, doc comments, debug leftovers, TODOs, conflict markers and
 * secrets. Each line is checked against the limits first; a file that turns out to be huge,
 * minified, an LFS pointer, generated or not UTF-8 is dropped to "counted, not parsed".
 */
import { isUtf8 } from 'node:buffer';
import { countDecisions, lexLine, newLexState, type LexState } from './decision-points.js';
import { skipFile, type FileFacts } from './commit-facts.js';
import { findSecrets } from './secret-rules.js';
import type { LanguageFamily } from './classify-path.js';

/** Limits past which a file is counted, not parsed. */
export const FILE_LINE_LIMIT = 5000;
export const FILE_BYTE_LIMIT = 1024 * 1024;
/** A line this long is minified or data. */
export const LONG_LINE = 2000;

const CONFLICT = /^(?:<{7}|>{7})(?: |$)/;
const TODO = /\b(?:TODO|FIXME|XXX|HACK)\b/;
const GENERATED_MARK = /Code generated .*DO NOT EDIT|@generated|auto-?generated|this file (?:is|was) (?:automatically )?generated|DO NOT EDIT/i;
const LFS = 'version https://git-lfs.github.com/spec/v1';
/** Where printing is the point: examples, scripts, command-line entry points. */
const DEBUG_EXEMPT = /(^|\/)(examples?|samples?|scripts?|tools?|bin|cli|demos?|benchmarks?|bench)\/|(^|\/)(__main__|cli|main)\.py$/;
const RUST_TEST = /#\[(?:cfg\()?test\)?\]|\bmod tests\b/;

const DEBUG: Record<Exclude<LanguageFamily, null>, RegExp | null> = {
  js: /\bconsole\.(?:log|debug|trace|dir)\s*\(|\bdebugger\b/,
  python: /^\s*print\s*\(|\bpdb\.set_trace\s*\(|\bbreakpoint\s*\(\s*\)/,
  rust: /\bdbg!\s*\(/,
  ruby: /\bbinding\.pry\b|\bbyebug\b/,
  c: /\bSystem\.(?:out|err)\.print(?:ln)?\s*\(|\.printStackTrace\s*\(\s*\)/,
  php: /\b(?:var_dump|print_r)\s*\(/,
  go: null,
  shell: /^\s*set -x\b/,
};

/** Per-hunk reading state of one file. */
export interface FilePatchReader {
  facts: FileFacts;
  lex: LexState;
  /** Next line number in the new file. */
  newLine: number;
  /** Inside a Rust test module or test function (until the hunk ends). */
  inRustTest: boolean;
  /** Added lines seen since the start of the file (for the generated/LFS checks). */
  addedSeen: number;
}

/** A reader for a file whose counts start at zero. */
export function newFileReader(facts: FileFacts): FilePatchReader {
  return { facts, lex: newLexState(), newLine: 0, inRustTest: false, addedSeen: 0 };
}

const HUNK = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/** Starts a hunk (`@@ … @@`). */
export function startHunk(r: FilePatchReader, header: string): void {
  const m = HUNK.exec(header);
  r.newLine = m ? Number(m[1]) : 0;
  r.lex = newLexState();
  r.inRustTest = false;
}

/** Reads one `+` or `-` line (the marker included). */
export function readPatchLine(r: FilePatchReader, bytes: Buffer, truncated: boolean): void {
  const f = r.facts;
  const added = bytes[0] === 43; // '+'
  if (added) f.added++;
  else f.deleted++;
  f.bytes += bytes.length + 1;
  const lineNo = added ? r.newLine++ : null;
  if (f.skipped !== null) return;
  if (f.added + f.deleted > FILE_LINE_LIMIT || f.bytes > FILE_BYTE_LIMIT) return skipFile(f, 'huge');
  if (truncated || bytes.length > LONG_LINE) return skipFile(f, 'minified');
  if (!isUtf8(bytes)) return skipFile(f, 'invalid-utf8');
  const text = bytes.toString('utf8', 1);
  if (added && r.addedSeen++ < 5 && lineNo !== null && lineNo <= 5) {
    if (lineNo === 1 && text === LFS) return skipFile(f, 'lfs-pointer');
    if (GENERATED_MARK.test(text)) return skipFile(f, 'generated');
  }
  if (added && CONFLICT.test(text)) {
    f.conflictMarkers++;
    f.findings.push({ component: 'hygiene', rule: 'conflict-marker', file: f.path, line: lineNo, message: 'merge conflict marker added' });
  }
  if (added) {
    for (const s of findSecrets(text)) {
      f.findings.push({ component: 'secrets', rule: s.rule, file: f.path, line: lineNo, message: `${s.description} added`, preview: s.preview });
    }
  }
  const family = f.family;
  if (family === null || (f.kind !== 'code' && f.kind !== 'test' && f.kind !== 'build')) return;
  const lexed = lexLine(text, family, r.lex);
  const todo = TODO.test(text) && (lexed.blank || text.indexOf('//') >= 0 || text.indexOf('#') >= 0 || text.indexOf('/*') >= 0);
  if (added) {
    if (todo) f.todosAdded++;
    if (lexed.doc) f.docCommentsAdded++;
  } else if (todo) f.todosRemoved++;
  if (lexed.blank) return;
  if (family === 'rust' && !r.inRustTest && RUST_TEST.test(lexed.code)) r.inRustTest = true;
  const decisions = countDecisions(lexed.code, family);
  const inTest = f.kind === 'test' || r.inRustTest;
  if (added) {
    if (inTest) f.testLinesAdded++;
    else {
      f.codeAdded++;
      f.decisionsAdded += decisions;
      const debug = DEBUG[family];
      if (debug !== null && f.kind === 'code' && debug.test(lexed.code) && !DEBUG_EXEMPT.test(f.path)) {
        f.debugLeftovers++;
        if (f.debugLeftovers <= 5) {
          f.findings.push({ component: 'hygiene', rule: 'debug-leftover', file: f.path, line: lineNo, message: `debug statement added: ${lexed.code.trim().slice(0, 60)}` });
        }
      }
    }
  } else if (!inTest) {
    f.codeRemoved++;
    f.decisionsRemoved += decisions;
  }
}
