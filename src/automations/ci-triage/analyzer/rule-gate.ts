/**
 * A cheap pre-check for a regular expression: the characters an anchored pattern can start with
 * and the literal words an unanchored one must contain, read from the pattern's source once. A line
 * that fails the pre-check cannot match, so the regular expression is not run; running ~170
 * patterns on every suspicious line of a 20 MB log is otherwise the analysis's main cost.
 *
 * The reading is conservative: any alternative it does not understand disables the gate (the
 * pattern is always run).
 */

export interface Gate {
  /** First characters an anchored alternative can start with. */
  firstChars: Set<string>;
  /** Literal words one of which an unanchored alternative must contain. */
  needles: string[];
  /** Needles are lower case and compared with the lower-cased line. */
  caseInsensitive: boolean;
}

const SPECIAL = new Set(['(', ')', '[', ']', '{', '}', '.', '*', '+', '?', '^', '$', '|', '\\']);
const CLASS_ESCAPES = new Set(['d', 'D', 's', 'S', 'w', 'W', 'b', 'B', 'n', 'r', 't', 'u', 'x', 'p', 'P', 'k', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
const MIN_NEEDLE = 3;

/** Splits a pattern (or group body) at its top-level `|`. */
function splitAlternatives(src: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      out.push(src.slice(start, i));
      start = i + 1;
    }
  }
  out.push(src.slice(start));
  return out;
}

/** Index of the `)` closing the group opened at `open`, or -1. */
function closeOf(src: string, open: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

function isQuantifier(c: string | undefined): boolean {
  return c === '?' || c === '*' || c === '{';
}

/**
 * The literal texts an alternative starts with (after `\b`; a leading class such as `[Ee]` gives one
 * text per character), or null when they are shorter than 3 characters.
 */
function literalPrefixes(alt: string): string[] | null {
  let i = 0;
  while (alt.startsWith('\\b', i)) i += 2;
  if (alt[i] === '[') {
    const k = classChars(alt, i);
    if (!k || k.chars.length > 4 || isQuantifier(alt[k.end]) || alt[k.end] === '+') return null;
    const rest = literalPrefix(alt.slice(k.end), MIN_NEEDLE - 1);
    if (rest === null) return null;
    return k.chars.map((c) => c + rest);
  }
  const lit = literalPrefix(alt.slice(i), MIN_NEEDLE);
  return lit === null ? null : [lit];
}

/** The literal text a pattern fragment starts with, or null when shorter than `min`. */
function literalPrefix(alt: string, min: number): string | null {
  let i = 0;
  let lit = '';
  while (i < alt.length) {
    const c = alt[i]!;
    let ch: string;
    let width = 1;
    if (c === '\\') {
      const e = alt[i + 1];
      if (e === undefined || CLASS_ESCAPES.has(e)) break;
      ch = e;
      width = 2;
    } else if (SPECIAL.has(c)) break;
    else ch = c;
    if (isQuantifier(alt[i + width])) break;
    if (alt[i + width] === '+') {
      lit += ch;
      break;
    }
    lit += ch;
    i += width;
  }
  return lit.length >= min ? lit : null;
}

/** Characters a (simple) character class can match, or null. */
function classChars(alt: string, i: number): { chars: string[]; end: number } | null {
  const close = alt.indexOf(']', i);
  if (close < 0) return null;
  const body = alt.slice(i + 1, close);
  if (body.length === 0 || body.startsWith('^') || /[\\-]/.test(body)) return null;
  return { chars: [...body], end: close + 1 };
}

/** First characters an anchored alternative (without its `^`) can start with, or null. */
function firstChars(body: string): string[] | null {
  const c = body[0];
  if (c === undefined) return null;
  if (c === '[') {
    const k = classChars(body, 0);
    if (!k || isQuantifier(body[k.end])) return null;
    return k.chars;
  }
  if (c === '(') {
    if (!body.startsWith('(?:')) return null;
    const close = closeOf(body, 0);
    if (close < 0 || isQuantifier(body[close + 1])) return null;
    const out: string[] = [];
    for (const a of splitAlternatives(body.slice(3, close))) {
      const f = firstChars(a);
      if (!f) return null;
      out.push(...f);
    }
    return out;
  }
  let ch: string;
  let width = 1;
  if (c === '\\') {
    const e = body[1];
    if (e === undefined || CLASS_ESCAPES.has(e)) return null;
    ch = e;
    width = 2;
  } else if (SPECIAL.has(c)) return null;
  else ch = c;
  if (isQuantifier(body[width])) return null;
  return [ch];
}

/** A gate from words given by hand: the pattern can only match a line containing one of them. */
export function gateOfWords(words: string[]): Gate {
  return { firstChars: new Set(), needles: words, caseInsensitive: false };
}

/** Reads a gate from a pattern's source; null when it cannot be read safely. */
export function gateOf(re: RegExp): Gate | null {
  if (re.flags.includes('m') || re.flags.includes('s') || re.flags.includes('y')) return null;
  const ci = re.flags.includes('i');
  const gate: Gate = { firstChars: new Set(), needles: [], caseInsensitive: ci };
  for (const alt of splitAlternatives(re.source)) {
    if (alt.startsWith('^')) {
      if (ci) return null;
      const f = firstChars(alt.slice(1));
      if (!f) return null;
      for (const ch of f) gate.firstChars.add(ch);
      continue;
    }
    let body = alt;
    while (body.startsWith('\\b')) body = body.slice(2);
    if (body.startsWith('(?:')) {
      const close = closeOf(body, 0);
      if (close < 0 || isQuantifier(body[close + 1])) return null;
      for (const inner of splitAlternatives(body.slice(3, close))) {
        const lits = literalPrefixes(inner);
        if (!lits) return null;
        for (const lit of lits) gate.needles.push(ci ? lit.toLowerCase() : lit);
      }
      continue;
    }
    const lits = literalPrefixes(body);
    if (!lits) return null;
    for (const lit of lits) gate.needles.push(ci ? lit.toLowerCase() : lit);
  }
  return gate;
}

/** Whether a line can match a pattern with this gate (`lower` is the line in lower case). */
export function passesGate(gate: Gate, line: string, lower: string): boolean {
  if (gate.firstChars.size > 0 && gate.firstChars.has(line.charAt(0))) return true;
  const hay = gate.caseInsensitive ? lower : line;
  for (const n of gate.needles) if (hay.includes(n)) return true;
  return false;
}

/** Characters at or above this code share one symbol (safe: it can only add matches). */
const ALPHABET = 128;

/**
 * Aho–Corasick automaton over a set of words, as a dense transition table: one pass over a line
 * finds every word it contains, one array read per character.
 */
class WordScanner {
  private readonly delta: Int32Array;
  private readonly out: number[][];

  constructor(words: string[]) {
    const trie: Array<Map<number, number>> = [new Map()];
    const out: number[][] = [[]];
    const sym = (c: number) => (c < ALPHABET ? c : ALPHABET - 1);
    words.forEach((w, id) => {
      let node = 0;
      for (let i = 0; i < w.length; i++) {
        const c = sym(w.charCodeAt(i));
        let to = trie[node]!.get(c);
        if (to === undefined) {
          to = trie.length;
          trie.push(new Map());
          out.push([]);
          trie[node]!.set(c, to);
        }
        node = to;
      }
      out[node]!.push(id);
    });
    const delta = new Int32Array(trie.length * ALPHABET);
    const fail = new Int32Array(trie.length);
    const queue: number[] = [];
    for (let c = 0; c < ALPHABET; c++) {
      const to = trie[0]!.get(c);
      if (to !== undefined) {
        delta[c] = to;
        queue.push(to);
      }
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const node = queue[qi]!;
      out[node]!.push(...out[fail[node]!]!);
      for (let c = 0; c < ALPHABET; c++) {
        const to = trie[node]!.get(c);
        if (to !== undefined) {
          fail[to] = delta[fail[node]! * ALPHABET + c]!;
          delta[node * ALPHABET + c] = to;
          queue.push(to);
        } else {
          delta[node * ALPHABET + c] = delta[fail[node]! * ALPHABET + c]!;
        }
      }
    }
    this.delta = delta;
    this.out = out;
  }

  /** Calls `hit(id)` for every word found in `text` (a word may be reported more than once). */
  scan(text: string, hit: (id: number) => void): void {
    const delta = this.delta;
    let node = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      node = delta[node * ALPHABET + (c < ALPHABET ? c : ALPHABET - 1)]!;
      const hits = this.out[node]!;
      for (let k = 0; k < hits.length; k++) hit(hits[k]!);
    }
  }
}

/**
 * Every rule's gate compiled together: `prepare(line)` scans the line once for all the words and
 * first characters, then `mayMatch(i)` is one array read per rule.
 */
export class GateSet {
  private readonly exact: WordScanner;
  private readonly folded: WordScanner;
  private readonly rulesOfExact: number[][] = [];
  private readonly rulesOfFolded: number[][] = [];
  private readonly rulesOfFirst = new Map<string, number[]>();
  private readonly ungated: number[] = [];
  private readonly marks: Uint32Array;
  private readonly anyFolded: boolean;
  private stamp = 0;

  constructor(gates: ReadonlyArray<Gate | null>) {
    const exactWords: string[] = [];
    const foldedWords: string[] = [];
    const add = (words: string[], rulesOf: number[][], w: string, rule: number) => {
      let id = words.indexOf(w);
      if (id < 0) {
        id = words.length;
        words.push(w);
        rulesOf.push([]);
      }
      if (!rulesOf[id]!.includes(rule)) rulesOf[id]!.push(rule);
    };
    gates.forEach((g, rule) => {
      if (!g) {
        this.ungated.push(rule);
        return;
      }
      for (const ch of g.firstChars) {
        const list = this.rulesOfFirst.get(ch) ?? [];
        list.push(rule);
        this.rulesOfFirst.set(ch, list);
      }
      for (const w of g.needles) {
        if (g.caseInsensitive) add(foldedWords, this.rulesOfFolded, w, rule);
        else add(exactWords, this.rulesOfExact, w, rule);
      }
    });
    this.exact = new WordScanner(exactWords);
    this.folded = new WordScanner(foldedWords);
    this.anyFolded = foldedWords.length > 0;
    this.marks = new Uint32Array(gates.length);
  }

  /** Scans a line for every gate word and first character; call before `mayMatch`. */
  prepare(line: string): void {
    const stamp = (this.stamp = (this.stamp + 1) >>> 0 || 1);
    const marks = this.marks;
    for (const r of this.ungated) marks[r] = stamp;
    const first = this.rulesOfFirst.get(line.charAt(0));
    if (first) for (const r of first) marks[r] = stamp;
    this.exact.scan(line, (id) => {
      for (const r of this.rulesOfExact[id]!) marks[r] = stamp;
    });
    if (this.anyFolded) {
      this.folded.scan(line.toLowerCase(), (id) => {
        for (const r of this.rulesOfFolded[id]!) marks[r] = stamp;
      });
    }
  }

  /** Whether rule `i` can match the prepared line. */
  mayMatch(i: number): boolean {
    return this.marks[i] === this.stamp;
  }
}

/**
 * The same test as `re` (a plain alternation of words), rewritten so alternatives that start with
 * the same character share one branch: `E(?:rr|xpect)|e(?:rr|xpect)` instead of `[Ee]rr|[Ee]xpect`.
 * V8 then tries each first character once per position instead of every word, about twice as fast.
 * Only for `test()`: which alternative matches may differ.
 */
export function groupByFirstCharacter(re: RegExp): RegExp {
  const words: string[] = [];
  for (const alt of splitAlternatives(re.source)) {
    const m = /^\[([A-Za-z]{2,3})\](.*)$/.exec(alt);
    if (m) for (const ch of m[1]!) words.push(ch + m[2]!);
    else words.push(alt);
  }
  const groups = new Map<string, string[]>();
  const rest: string[] = [];
  for (const w of words) {
    const c = w[0];
    if (c !== undefined && /[A-Za-z0-9]/.test(c)) groups.set(c, [...(groups.get(c) ?? []), w.slice(1)]);
    else rest.push(w);
  }
  const parts = [...groups].map(([c, tails]) => (tails.length === 1 ? c + tails[0]! : `${c}(?:${tails.join('|')})`));
  return new RegExp([...parts, ...rest].join('|'), re.flags);
}
