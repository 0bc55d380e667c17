/**
 * Line clean-up for build logs, all linear-time scanners (no regular expression that can backtrack):
 * - `stripAnsi`: removes terminal escape sequences (colours, cursor moves, OSC titles and links);
 * - `stripLogPrefix`: removes the timestamp a CI service puts in front of every line;
 * - `normaliseLine`: the shape of a line with its volatile parts (numbers, hashes, durations, temp
 *   names) replaced, so the same message from two runs compares equal.
 */

const ESC = 0x1b;
const BEL = 0x07;

/** Removes ANSI/VT escape sequences and other control characters except tab. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

export function stripAnsi(s: string): string {
  if (!CONTROL.test(s)) return s;
  let out = '';
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === ESC) {
      const next = s.charCodeAt(i + 1);
      if (next === 0x5b /* [ */) {
        // CSI: parameter and intermediate bytes, then one final byte in @..~
        i += 2;
        while (i < n) {
          const d = s.charCodeAt(i);
          i++;
          if (d >= 0x40 && d <= 0x7e) break;
        }
      } else if (next === 0x5d /* ] */) {
        // OSC: until BEL or ESC \
        i += 2;
        while (i < n) {
          const d = s.charCodeAt(i);
          if (d === BEL) {
            i++;
            break;
          }
          if (d === ESC && s.charCodeAt(i + 1) === 0x5c) {
            i += 2;
            break;
          }
          i++;
        }
      } else if (next === 0x28 || next === 0x29) {
        i += 3; // charset designation, e.g. ESC ( B
      } else {
        i += 2;
      }
      continue;
    }
    if ((c < 0x20 && c !== 9) || c === 0x7f) {
      i++;
      continue;
    }
    // Copy a run of ordinary characters at once.
    let j = i + 1;
    while (j < n) {
      const d = s.charCodeAt(j);
      if (d === ESC || (d < 0x20 && d !== 9) || d === 0x7f) break;
      j++;
    }
    out += s.slice(i, j);
    i = j;
  }
  return out;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Length of an ISO-8601 timestamp at `from` (`2022-06-16T13:41:36.0278054Z`, optional fraction and
 * zone), or 0.
 */
function isoTimestampLength(s: string, from: number): number {
  // YYYY-MM-DDTHH:MM:SS
  const shape = 'dddd-dd-ddTdd:dd:dd';
  if (s.length - from < shape.length) return 0;
  for (let k = 0; k < shape.length; k++) {
    const c = s.charCodeAt(from + k);
    const want = shape[k];
    if (want === 'd') {
      if (!isDigit(c)) return 0;
    } else if (want === 'T') {
      if (c !== 0x54 && c !== 0x20) return 0;
    } else if (s[from + k] !== want) return 0;
  }
  let i = from + shape.length;
  if (s[i] === '.' || s[i] === ',') {
    i++;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  }
  if (s[i] === 'Z') i++;
  else if ((s[i] === '+' || s[i] === '-') && isDigit(s.charCodeAt(i + 1))) {
    i++;
    while (i < s.length && (isDigit(s.charCodeAt(i)) || s[i] === ':')) i++;
  }
  return i - from;
}

/**
 * Removes a leading timestamp that CI services add to every line: GitHub Actions'
 * `2022-06-16T13:41:36.0278054Z `, Jenkins timestamper's `[2021-09-28T10:23:17.123Z] `.
 */
export function stripLogPrefix(s: string): string {
  if (s.length < 19) return s;
  const c0 = s.charCodeAt(0);
  if (isDigit(c0)) {
    const len = isoTimestampLength(s, 0);
    if (len > 0) return s.charCodeAt(len) === 0x20 ? s.slice(len + 1) : s.slice(len);
  } else if (c0 === 0x5b /* [ */) {
    const len = isoTimestampLength(s, 1);
    if (len > 0 && s[1 + len] === ']') return s.slice(len + (s.charCodeAt(len + 2) === 0x20 ? 3 : 2));
  }
  return s;
}

/** ANSI escapes and the CI timestamp prefix removed: the text a reader sees. */
export function cleanLine(raw: string): string {
  return stripLogPrefix(stripAnsi(raw));
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isHexChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/**
 * The comparable shape of a (clean) line: lower case, whitespace collapsed, digit runs → `0`,
 * hex-looking words of 7+ characters with a digit (commit hashes, ids) → `#`, random-looking words
 * after `/tmp/` → `#`. Two runs of the same job print the same shapes where nothing failed.
 */
export function normaliseLine(clean: string): string {
  let out = '';
  const n = clean.length;
  let i = 0;
  let lastSpace = true;
  while (i < n) {
    const c = clean.charCodeAt(i);
    if (c === 32 || c === 9) {
      if (!lastSpace) out += ' ';
      lastSpace = true;
      i++;
      continue;
    }
    lastSpace = false;
    if (isWordChar(c)) {
      let j = i;
      let digits = 0;
      let hex = true;
      while (j < n) {
        const d = clean.charCodeAt(j);
        if (!isWordChar(d)) break;
        if (isDigit(d)) digits++;
        else if (!isHexChar(d)) hex = false;
        j++;
      }
      const len = j - i;
      const afterTmp = afterTmpDir(clean, i);
      if ((hex && digits > 0 && len >= 7) || (afterTmp && digits > 0)) {
        out += '#';
      } else if (digits > 0) {
        // digit runs → 0, letters kept
        let k = i;
        while (k < j) {
          const d = clean.charCodeAt(k);
          if (isDigit(d)) {
            out += '0';
            while (k < j && isDigit(clean.charCodeAt(k))) k++;
          } else {
            out += clean[k]!.toLowerCase();
            k++;
          }
        }
      } else {
        out += clean.slice(i, j).toLowerCase();
      }
      i = j;
      continue;
    }
    out += clean[i];
    i++;
  }
  return lastSpace && out.endsWith(' ') ? out.slice(0, -1) : out;
}

function afterTmpDir(s: string, i: number): boolean {
  if (i < 5) return false;
  const a = s.charCodeAt(i - 5);
  const b = s.charCodeAt(i - 4) | 32;
  const c = s.charCodeAt(i - 3) | 32;
  const d = s.charCodeAt(i - 2) | 32;
  const e = s.charCodeAt(i - 1);
  return a === 47 && b === 116 && c === 109 && d === 112 && e === 47;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * `hashString(normaliseLine(clean))` in one pass without building the normalised string: the
 * per-line cost of counting shapes and of comparing with a passing log.
 */
export function lineShape(clean: string): number {
  let h = FNV_OFFSET;
  const n = clean.length;
  let i = 0;
  let pendingSpace = false;
  let empty = true;
  while (i < n) {
    const c = clean.charCodeAt(i);
    if (c === 32 || c === 9) {
      if (!empty) pendingSpace = true;
      i++;
      continue;
    }
    if (pendingSpace) {
      h = Math.imul(h ^ 32, FNV_PRIME);
      pendingSpace = false;
    }
    empty = false;
    if (isWordChar(c)) {
      let j = i;
      let digits = 0;
      let hex = true;
      while (j < n) {
        const d = clean.charCodeAt(j);
        if (!isWordChar(d)) break;
        if (isDigit(d)) digits++;
        else if (!isHexChar(d)) hex = false;
        j++;
      }
      if (digits > 0 && ((hex && j - i >= 7) || afterTmpDir(clean, i))) {
        h = Math.imul(h ^ 35 /* # */, FNV_PRIME);
      } else {
        let k = i;
        while (k < j) {
          let d = clean.charCodeAt(k);
          if (isDigit(d)) {
            h = Math.imul(h ^ 48, FNV_PRIME);
            while (k < j && isDigit(clean.charCodeAt(k))) k++;
            continue;
          }
          if (d >= 65 && d <= 90) d += 32;
          h = Math.imul(h ^ d, FNV_PRIME);
          k++;
        }
      }
      i = j;
      continue;
    }
    h = Math.imul(h ^ c, FNV_PRIME);
    i++;
  }
  return h >>> 0;
}

/** A 32-bit FNV-1a hash of a string (for sketches and filters). */
export function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
