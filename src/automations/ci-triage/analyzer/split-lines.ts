/**
 * Streaming line splitter for build logs: bytes (plain or gzipped) or text in, lines out.
 *
 * Lines break on `\r\n`, a lone `\r` or `\n` (so Travis progress output, which redraws with `\r`,
 * gives one line per redraw) and are numbered from 1, as the labelled data sets number them. A line
 * longer than `maxLineLength` keeps only its start, so a 5 MB line without a break costs no more
 * memory than a short one.
 */
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import type { LogInput } from './types.js';

/** Characters kept of one line; the rest of a longer line is scanned for its break and dropped. */
export const DEFAULT_MAX_LINE_LENGTH = 4096;

/** Receives each line in order; `truncated` says the line was longer than the cap. */
export type LineSink = (line: string, truncated: boolean) => void;

/**
 * Splits text pushed in arbitrary chunks into lines. Synchronous and allocation-light: call
 * `push()` per decoded chunk and `end()` once.
 */
export class LineSplitter {
  private pending = '';
  private pendingTruncated = false;
  private afterCR = false;
  private hasContent = false;

  constructor(
    private readonly sink: LineSink,
    private readonly maxLineLength = DEFAULT_MAX_LINE_LENGTH,
  ) {}

  push(chunk: string): void {
    const n = chunk.length;
    if (n === 0) return;
    let pos = 0;
    // A `\r` that ended the previous chunk already broke the line; a `\n` right after it belongs to it.
    if (this.afterCR) {
      this.afterCR = false;
      if (chunk.charCodeAt(0) === 10) pos = 1;
    }
    let nextCR = chunk.indexOf('\r', pos);
    let nextLF = chunk.indexOf('\n', pos);
    while (pos < n) {
      if (nextCR !== -1 && nextCR < pos) nextCR = chunk.indexOf('\r', pos);
      if (nextLF !== -1 && nextLF < pos) nextLF = chunk.indexOf('\n', pos);
      let brk: number;
      if (nextCR === -1) brk = nextLF;
      else if (nextLF === -1) brk = nextCR;
      else brk = nextCR < nextLF ? nextCR : nextLF;
      if (brk === -1) {
        this.append(chunk, pos, n);
        this.hasContent = true;
        return;
      }
      this.append(chunk, pos, brk);
      this.emit();
      if (chunk.charCodeAt(brk) === 13) {
        if (brk + 1 < n) pos = chunk.charCodeAt(brk + 1) === 10 ? brk + 2 : brk + 1;
        else {
          this.afterCR = true;
          pos = n;
        }
      } else pos = brk + 1;
    }
  }

  /** Flushes the last line when the text does not end with a line break. */
  end(): void {
    if (this.hasContent) this.emit();
  }

  private append(chunk: string, from: number, to: number): void {
    if (to <= from) return;
    const room = this.maxLineLength - this.pending.length;
    if (room <= 0) {
      this.pendingTruncated = true;
      return;
    }
    if (to - from > room) {
      this.pending += chunk.slice(from, from + room);
      this.pendingTruncated = true;
    } else {
      this.pending += chunk.slice(from, to);
    }
  }

  private emit(): void {
    const line = this.pending;
    const truncated = this.pendingTruncated;
    this.pending = '';
    this.pendingTruncated = false;
    this.hasContent = false;
    this.sink(line, truncated);
  }
}

/**
 * Splits bytes (UTF-8) pushed in arbitrary chunks into lines, with exactly the lines `LineSplitter`
 * gives for the decoded text, faster: breaks are found on the bytes, and each line is decoded on
 * its own — an ASCII line as a one-byte string, which the rules then match faster than a slice of
 * a two-byte chunk (one `✓` makes a whole decoded chunk two-byte). A line break byte can never be
 * part of a multi-byte character, so decoding line by line gives the same characters as decoding
 * the stream. A line longer than the cap is decoded from its first `3 × cap + 12` bytes only: that
 * is at least cap + 4 characters (a character takes at most 3 bytes per UTF-16 unit), so the first
 * `cap` characters are the same and the line is marked truncated, as with the text splitter.
 */
export class ByteLineSplitter {
  /** Bytes of the current line that arrived in earlier chunks (at most `byteCap` kept). */
  private parts: Buffer[] = [];
  private partsLength = 0;
  private partsAscii = true;
  /** The current line has more bytes than were kept. */
  private overflow = false;
  private afterCR = false;
  private readonly byteCap: number;

  constructor(
    private readonly sink: LineSink,
    private readonly maxLineLength = DEFAULT_MAX_LINE_LENGTH,
  ) {
    this.byteCap = 3 * maxLineLength + 12;
  }

  push(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const n = buf.length;
    if (n === 0) return;
    let pos = 0;
    if (this.afterCR) {
      this.afterCR = false;
      if (buf[0] === 10) pos = 1;
    }
    let start = pos;
    let ascii = true;
    for (let i = pos; i < n; i++) {
      const b = buf[i]!;
      if (b > 13) {
        if (b >= 0x80) ascii = false;
        continue;
      }
      if (b !== 10 && b !== 13) continue;
      this.emit(buf, start, i, ascii);
      if (b === 13) {
        if (i + 1 < n) {
          if (buf[i + 1] === 10) i++;
        } else this.afterCR = true;
      }
      start = i + 1;
      ascii = true;
    }
    if (start < n) this.carry(buf, start, n, ascii);
  }

  /** Flushes the last line when the bytes do not end with a line break. */
  end(): void {
    if (this.parts.length > 0 || this.overflow) this.emit(Buffer.alloc(0), 0, 0, true);
  }

  private carry(buf: Buffer, from: number, to: number, ascii: boolean): void {
    const room = this.byteCap - this.partsLength;
    if (to - from > room) this.overflow = true;
    const end = Math.min(to, from + Math.max(0, room));
    if (end > from) {
      // A copy: the chunk's buffer may be reused by the stream that produced it.
      this.parts.push(Buffer.from(buf.subarray(from, end)));
      this.partsLength += end - from;
    }
    if (!ascii) this.partsAscii = false;
  }

  private emit(buf: Buffer, from: number, to: number, ascii: boolean): void {
    let bytes = buf;
    let a = from;
    let b = to;
    let overflow = this.overflow;
    let isAscii = ascii;
    if (this.parts.length > 0 || this.overflow) {
      this.carry(buf, from, to, ascii);
      bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partsLength);
      a = 0;
      b = this.partsLength;
      overflow = this.overflow;
      isAscii = this.partsAscii;
      this.parts = [];
      this.partsLength = 0;
      this.partsAscii = true;
      this.overflow = false;
    } else if (b - a > this.byteCap) {
      b = a + this.byteCap;
      overflow = true;
    }
    if (isAscii && !overflow && b - a <= this.maxLineLength) {
      this.sink(bytes.toString('latin1', a, b), false);
      return;
    }
    const text = bytes.toString(isAscii ? 'latin1' : 'utf8', a, b);
    if (text.length > this.maxLineLength) this.sink(text.slice(0, this.maxLineLength), true);
    else this.sink(text, overflow);
  }
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/** True when the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
}

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return typeof x === 'object' && x !== null && Symbol.asyncIterator in x;
}

async function* chunksOf(input: LogInput): AsyncGenerator<Uint8Array | string> {
  if (typeof input === 'string' || input instanceof Uint8Array) {
    yield input;
    return;
  }
  if (isAsyncIterable(input)) {
    for await (const c of input) yield c;
    return;
  }
  for (const c of input) yield c;
}

/**
 * A log's content: text chunks when it is given as text, otherwise its bytes, gzip detected from the
 * first bytes and inflated on the fly.
 */
async function logContent(input: LogInput): Promise<{ text: AsyncIterable<string> } | { bytes: AsyncIterable<Uint8Array> } | null> {
  const it = chunksOf(input)[Symbol.asyncIterator]();
  let first = await it.next();
  while (!first.done && first.value.length === 0) first = await it.next();
  if (first.done) return null;
  const head = first.value;
  if (typeof head === 'string') {
    return {
      text: (async function* () {
        yield head;
        for (let r = await it.next(); !r.done; r = await it.next()) {
          const c = r.value;
          yield typeof c === 'string' ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('utf8');
        }
      })(),
    };
  }
  async function* rest(): AsyncGenerator<Uint8Array> {
    yield head as Uint8Array;
    for (let r = await it.next(); !r.done; r = await it.next()) {
      yield typeof r.value === 'string' ? Buffer.from(r.value, 'utf8') : r.value;
    }
  }
  return { bytes: isGzip(head) ? Readable.from(rest(), { objectMode: false }).pipe(createGunzip()) : rest() };
}

/**
 * Decoded text chunks of a log: gzip is detected from the first bytes and inflated on the fly; UTF-8
 * is decoded with a streaming decoder, so a character split across chunks stays whole.
 */
export async function* textChunks(input: LogInput): AsyncGenerator<string> {
  const content = await logContent(input);
  if (!content) return;
  if ('text' in content) {
    yield* content.text;
    return;
  }
  const decoder = new StringDecoder('utf8');
  for await (const b of content.bytes) {
    const text = decoder.write(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    if (text) yield text;
  }
  const tail = decoder.end();
  if (tail) yield tail;
}

/** Calls `sink` for every line of the log, in order. Resolves with the number of lines. */
export async function forEachLine(input: LogInput, sink: LineSink, maxLineLength = DEFAULT_MAX_LINE_LENGTH): Promise<number> {
  let count = 0;
  const counted: LineSink = (line, truncated) => {
    count++;
    sink(line, truncated);
  };
  const content = await logContent(input);
  if (!content) return 0;
  if ('text' in content) {
    const splitter = new LineSplitter(counted, maxLineLength);
    for await (const text of content.text) splitter.push(text);
    splitter.end();
  } else {
    const splitter = new ByteLineSplitter(counted, maxLineLength);
    for await (const bytes of content.bytes) splitter.push(bytes);
    splitter.end();
  }
  return count;
}

/** Every line of a log, for small inputs and tests; use `forEachLine` to stream large ones. */
export async function splitLines(input: LogInput, maxLineLength = DEFAULT_MAX_LINE_LENGTH): Promise<string[]> {
  const out: string[] = [];
  await forEachLine(input, (line) => out.push(line), maxLineLength);
  return out;
}
