/**
 * Compares a failing log with a passing log of the same job: the failing log's lines whose
 * normalised shape (timestamps, durations, numbers, hashes, temp names replaced) never occurs in
 * the passing log are where the two runs diverged, and the failure is among them.
 *
 * The passing log is read once into a fixed-size Bloom filter (2 MB), so memory stays bounded
 * whatever its length; a false positive (about 1 in 10,000 for a 250,000-line log) only hides one
 * line from the diff.
 */
import { cleanLine, lineShape } from './normalise-line.js';
import { forEachLine } from './split-lines.js';
import type { LogInput } from './types.js';

export interface PassingLogFilter {
  /** Whether a line shape (see `lineShape`) occurs in the passing log. */
  has(shape: number): boolean;
  /** Lines read from the passing log. */
  readonly lineCount: number;
}

const BITS = 1 << 24;
const HASHES = 3;

/** A second hash derived from the first (murmur3's finaliser), for double hashing. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) | 1;
}

class BloomFilter {
  private readonly bits = new Uint32Array(BITS >>> 5);

  add(h1: number): void {
    const h2 = mix(h1);
    for (let i = 0; i < HASHES; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0 & (BITS - 1);
      this.bits[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  has(h1: number): boolean {
    const h2 = mix(h1);
    for (let i = 0; i < HASHES; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0 & (BITS - 1);
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/** Reads a passing log into a filter of its line shapes. */
export async function buildPassingFilter(input: LogInput): Promise<PassingLogFilter> {
  const bloom = new BloomFilter();
  const lineCount = await forEachLine(input, (raw) => {
    const clean = cleanLine(raw);
    if (clean.trim().length > 0) bloom.add(lineShape(clean));
  });
  return { has: (s) => bloom.has(s), lineCount };
}

/**
 * Ranges of the failing log's lines that are absent from the passing log (blank lines never count):
 * the plain "diff against a passing run" baseline.
 */
export async function linesAbsentFromPassing(failing: LogInput, passing: PassingLogFilter): Promise<Array<[number, number]>> {
  const out: Array<[number, number]> = [];
  let n = 0;
  await forEachLine(failing, (raw) => {
    n++;
    const clean = cleanLine(raw);
    if (clean.trim().length === 0 || passing.has(lineShape(clean))) return;
    const last = out[out.length - 1];
    if (last && last[1] === n - 1) last[1] = n;
    else out.push([n, n]);
  });
  return out;
}
