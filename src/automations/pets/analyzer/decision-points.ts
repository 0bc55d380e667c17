/**
 * Lizard-style decision points of source lines: strings and comments are blanked out first, then
 * each family's branching keywords and operators are counted (if/for/while/case/catch/&&/||/?:
 * and their equivalents). Lines are scanned one at a time; a block comment or a multi-line string
 * carries over in `LexState` to the next line of the same hunk.
 */
import type { LanguageFamily } from './classify-path.js';

/** What is still open at the end of a line: a block comment or a multi-line string (its closer). */
export interface LexState {
  open: string | null;
  /** The open block is a doc comment (`/**`, a docstring). */
  doc: boolean;
}

export interface LexedLine {
  /** The line with strings emptied and comments removed. */
  code: string;
  /** The line carries a doc comment (`///`, `/**`, ` * ` inside one, a docstring). */
  doc: boolean;
  /** Nothing but comment or blank. */
  blank: boolean;
}

const DECISIONS: Record<Exclude<LanguageFamily, null>, RegExp> = {
  c: /\b(?:if|for|foreach|while|case|catch)\b|&&|\|\||\?(?![?.:])/g,
  php: /\b(?:if|elseif|for|foreach|while|case|catch)\b|&&|\|\||\?(?![?.:>])/g,
  go: /\b(?:if|for|case)\b|&&|\|\|/g,
  rust: /\b(?:if|for|while|loop)\b|=>|&&|\|\|/g,
  js: /\b(?:if|for|while|case|catch)\b|&&|\|\||\?\?|\?(?![?.:])/g,
  python: /\b(?:if|elif|for|while|except|and|or|case)\b/g,
  ruby: /\b(?:if|elsif|unless|while|until|for|rescue|when|and|or)\b|&&|\|\|/g,
  shell: /\b(?:if|elif|for|while|until|case)\b|&&|\|\|/g,
};

const HASH_COMMENT = new Set<LanguageFamily>(['python', 'ruby', 'shell', 'php']);
const SLASH_COMMENT = new Set<LanguageFamily>(['c', 'go', 'rust', 'js', 'php']);

/** A fresh lexer state (start of a hunk). */
export function newLexState(): LexState {
  return { open: null, doc: false };
}

/** Strips strings and comments from one line; updates `state` for the next line. */
export function lexLine(line: string, family: Exclude<LanguageFamily, null>, state: LexState): LexedLine {
  let out = '';
  let doc = false;
  let sawComment = false;
  let i = 0;
  const n = line.length;
  if (state.open !== null) {
    const end = line.indexOf(state.open);
    doc = state.doc;
    sawComment = true;
    if (end === -1) return { code: '', doc, blank: true };
    i = end + state.open.length;
    state.open = null;
    state.doc = false;
  }
  if (family === 'ruby' && line.startsWith('=begin')) {
    state.open = '=end';
    return { code: '', doc: true, blank: true };
  }
  while (i < n) {
    const ch = line.charCodeAt(i);
    // '/'
    if (ch === 47 && SLASH_COMMENT.has(family)) {
      const next = line.charCodeAt(i + 1);
      if (next === 47) {
        const third = line.charCodeAt(i + 2);
        if (third === 47 || third === 33) doc = true; // `///`, `//!`
        sawComment = true;
        break;
      }
      if (next === 42) {
        const isDoc = line.charCodeAt(i + 2) === 42 || line.charCodeAt(i + 2) === 33;
        const end = line.indexOf('*/', i + 2);
        sawComment = true;
        if (isDoc) doc = true;
        if (end === -1) {
          state.open = '*/';
          state.doc = isDoc;
          break;
        }
        i = end + 2;
        continue;
      }
    }
    // '#'
    if (ch === 35 && HASH_COMMENT.has(family)) {
      sawComment = true;
      break;
    }
    // quotes: " ' `
    if (ch === 34 || (ch === 39 && family !== 'rust') || (ch === 96 && (family === 'js' || family === 'go' || family === 'shell'))) {
      const q = line[i]!;
      if (family === 'python' && line.startsWith(q + q + q, i)) {
        const closer = q + q + q;
        const isDocstring = out.trim() === '';
        const end = line.indexOf(closer, i + 3);
        if (isDocstring) doc = true;
        if (end === -1) {
          state.open = closer;
          state.doc = isDocstring;
          if (isDocstring) sawComment = true;
          out += '""';
          break;
        }
        i = end + 3;
        out += '""';
        continue;
      }
      let j = i + 1;
      while (j < n) {
        const c = line.charCodeAt(j);
        if (c === 92) {
          j += 2;
          continue;
        }
        if (c === ch) break;
        j++;
      }
      out += q + q;
      i = j + 1;
      continue;
    }
    out += line[i];
    i++;
  }
  const blank = out.trim() === '';
  return { code: out, doc, blank: blank && (sawComment || line.trim() === '' || blank) };
}

/** Decision points in a line already stripped by `lexLine`. */
export function countDecisions(code: string, family: Exclude<LanguageFamily, null>): number {
  const re = DECISIONS[family];
  re.lastIndex = 0;
  let count = 0;
  while (re.exec(code) !== null) count++;
  return count;
}
