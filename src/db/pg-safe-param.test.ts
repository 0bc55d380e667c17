import { describe, expect, it } from 'vitest';
import { pgSafeParam } from './open-database.js';

describe('pgSafeParam (what PostgreSQL text and jsonb can hold)', () => {
  it('replaces NUL characters in text with U+FFFD and leaves other values alone', () => {
    expect(pgSafeParam('a\u0000b\u0000')).toBe('a\uFFFDb\uFFFD');
    expect(pgSafeParam('plain')).toBe('plain');
    expect(pgSafeParam(7)).toBe(7);
    const buf = Buffer.from([0, 1, 2]);
    expect(pgSafeParam(buf)).toBe(buf);
  });

  it('rewrites the JSON \\u0000 escape in JSON text, and only where it is an escape', () => {
    const json = JSON.stringify({ title: 'x\u0000y', path: 'C:\\u0000' });
    const out = pgSafeParam(json) as string;
    expect(JSON.parse(out)).toEqual({ title: 'x\uFFFDy', path: 'C:\\u0000' });
  });

  it('keeps the literal text \\u0000 in text that is not JSON', () => {
    expect(pgSafeParam('write \\u0000 for NUL')).toBe('write \\u0000 for NUL');
  });
});
