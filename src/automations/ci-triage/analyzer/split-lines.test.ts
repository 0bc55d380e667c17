import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ByteLineSplitter, forEachLine, isGzip, LineSplitter, splitLines, textChunks } from './split-lines.js';

describe('splitLines', () => {
  it('breaks on \\r\\n, a lone \\r and \\n, numbering like the labelled data sets', async () => {
    expect(await splitLines('a\r\nb\rc\nd')).toEqual(['a', 'b', 'c', 'd']);
    // \r\r\n is a line, an empty line, then the next one (Travis doubles breaks this way).
    expect(await splitLines('a\r\r\nb\n')).toEqual(['a', '', 'b']);
  });

  it('gives every redraw of a \\r-only progress bar its own line', async () => {
    expect(await splitLines('Downloading 10%\rDownloading 50%\rDownloading 100%\rdone\n')).toEqual(['Downloading 10%', 'Downloading 50%', 'Downloading 100%', 'done']);
  });

  it('keeps \\r\\n as one break when the two bytes arrive in different chunks', async () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push('one\r');
    s.push('\ntwo\r');
    s.push('three\n');
    s.end();
    expect(lines).toEqual(['one', 'two', 'three']);
  });

  it('keeps a UTF-8 character whole when its bytes are split across chunks', async () => {
    const bytes = Buffer.from('naïve ✓ test\n', 'utf8');
    const cut = bytes.indexOf(0xe2) + 1; // inside ✓
    const chunks = [bytes.subarray(0, cut), bytes.subarray(cut)];
    expect(await splitLines(Readable.from(chunks))).toEqual(['naïve ✓ test']);
  });

  it('inflates gzipped input, detected from its magic bytes', async () => {
    const gz = gzipSync(Buffer.from('first\nsecond\n'));
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(Buffer.from('first'))).toBe(false);
    expect(await splitLines(gz)).toEqual(['first', 'second']);
    // and streamed in small pieces
    const pieces = [];
    for (let i = 0; i < gz.length; i += 7) pieces.push(gz.subarray(i, i + 7));
    expect(await splitLines(Readable.from(pieces))).toEqual(['first', 'second']);
  });

  it('keeps only the start of a 5 MB line without a break, and still finds the lines after it', async () => {
    const huge = 'x'.repeat(5 * 1024 * 1024);
    const seen: Array<{ length: number; truncated: boolean }> = [];
    const count = await forEachLine(
      Readable.from([Buffer.from(huge.slice(0, 3_000_000)), Buffer.from(huge.slice(3_000_000)), Buffer.from('\nerror: after\n')]),
      (line, truncated) => seen.push({ length: line.length, truncated }),
      1000,
    );
    expect(count).toBe(2);
    expect(seen[0]).toEqual({ length: 1000, truncated: true });
    expect(seen[1]).toEqual({ length: 12, truncated: false });
  });

  it('returns nothing for an empty log and flushes a last line without a break', async () => {
    expect(await splitLines('')).toEqual([]);
    expect(await splitLines(Buffer.alloc(0))).toEqual([]);
    expect(await splitLines('only')).toEqual(['only']);
  });

  it('splits bytes line by line exactly as decoding the stream and splitting the text does, however the bytes are cut', async () => {
    const samples = [
      Buffer.from('a\r\nb\rc\nd'),
      Buffer.from('a\r\r\nb\n\n'),
      Buffer.from(`${'é'.repeat(3000)}\n${'✓ renders'.repeat(700)}\r\nok 1 - plain ascii\rlast`),
      Buffer.from(`${'😀'.repeat(2500)}\r`),
      Buffer.from([0xe2, 0x0a, 0x41, 0xf0, 0x9f, 0x41, 0x0d, 0xc3]), // truncated and invalid UTF-8 sequences
      Buffer.from(`${'x'.repeat(70_000)} error: end\nnext`),
    ];
    const cuts = (b: Buffer, sizes: number[]) => {
      const out: Buffer[] = [];
      for (let i = 0, k = 0; i < b.length; k++) {
        const n = sizes[k % sizes.length]!;
        out.push(b.subarray(i, i + n));
        i += n;
      }
      return out;
    };
    for (const bytes of samples) {
      for (const sizes of [[bytes.length], [1], [2, 3], [4097, 5]]) {
        for (const max of [4096, 600, 5]) {
          const expected: Array<[string, boolean]> = [];
          const text = new LineSplitter((l, t) => expected.push([l, t]), max);
          for await (const t of textChunks(cuts(bytes, sizes))) text.push(t);
          text.end();
          const got: Array<[string, boolean]> = [];
          const byBytes = new ByteLineSplitter((l, t) => got.push([l, t]), max);
          for (const c of cuts(bytes, sizes)) byBytes.push(c);
          byBytes.end();
          expect(got, `sizes ${sizes.join(',')} max ${max}`).toEqual(expected);
        }
      }
    }
  });
});
