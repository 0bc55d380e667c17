import { describe, expect, it } from 'vitest';
import { cleanLine, hashString, lineShape, normaliseLine, stripAnsi, stripLogPrefix } from './normalise-line.js';

describe('stripAnsi', () => {
  it('removes colours, cursor moves, OSC titles and links, and charset switches', () => {
    expect(stripAnsi('\x1b[31;1merror:\x1b[0m boom\x1b[0K')).toBe('error: boom');
    expect(stripAnsi('\x1b]0;title\x07text \x1b]8;;https://x.y\x1b\\link\x1b]8;;\x1b\\')).toBe('text link');
    expect(stripAnsi('\x1b(Bplain')).toBe('plain');
  });

  it('drops other control characters but keeps tabs', () => {
    expect(stripAnsi('a\tb\x08c\x00d')).toBe('a\tbcd');
  });

  it('leaves ordinary text untouched (same string)', () => {
    const s = 'nothing to strip here';
    expect(stripAnsi(s)).toBe(s);
  });

  it('does not hang on an escape at the very end of a line', () => {
    expect(stripAnsi('text\x1b')).toBe('text');
    expect(stripAnsi('text\x1b[')).toBe('text');
  });
});

describe('stripLogPrefix', () => {
  it("removes GitHub Actions' and Jenkins timestamper's timestamps", () => {
    expect(stripLogPrefix('2022-06-16T13:41:36.0278054Z ##[error]Process completed with exit code 1.')).toBe('##[error]Process completed with exit code 1.');
    expect(stripLogPrefix('[2021-09-28T10:23:17.123Z] [ERROR] boom')).toBe('[ERROR] boom');
  });

  it('keeps lines that merely start with a number', () => {
    expect(stripLogPrefix('2022 was a good year')).toBe('2022 was a good year');
  });
});

describe('normaliseLine', () => {
  it('makes two runs of the same message compare equal despite timestamps, durations, hashes and temp names', () => {
    const a = cleanLine('2022-05-29T08:17:09.1Z [INFO] Tests run: 18, Failures: 0, Time elapsed: 1.183 s - in org.x.FooTest (commit 4e8932e579d2) /tmp/dIBV1K0J1d/out');
    const b = cleanLine('2022-06-01T11:02:44.9Z [INFO] Tests run: 18, Failures: 0, Time elapsed: 0.912 s - in org.x.FooTest (commit 9a2f7391550f) /tmp/Xz81kQ0aP2/out');
    expect(normaliseLine(a)).toBe(normaliseLine(b));
    expect(normaliseLine('Error  in   FILE')).toBe('error in file');
  });

  it('keeps different messages apart', () => {
    expect(normaliseLine('expected 1 to equal 2')).not.toBe(normaliseLine('expected 1 to be truthy'));
  });

  it('lineShape is the hash of the normalised line, computed without building it', () => {
    for (const s of ['', '  lead and trail  ', 'Deadbeef1 /tmp/abc123/x 12.5s', 'naïve ✓ ÜBER 42', '\tTab\tSeparated 0x1F']) {
      expect(lineShape(s)).toBe(hashString(normaliseLine(s)));
    }
  });
});
