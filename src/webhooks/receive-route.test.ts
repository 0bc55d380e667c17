import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from './receive-route.js';

const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

describe('nestsDeeperThan', () => {
  it('is false at the limit and true one level past it, for arrays and objects', () => {
    expect(nestsDeeperThan(nested(512), 512)).toBe(false);
    expect(nestsDeeperThan(nested(513), 512)).toBe(true);
    const objects = (d: number) => '{"a":'.repeat(d - 1) + '{}' + '}'.repeat(d - 1);
    expect(nestsDeeperThan(objects(512), 512)).toBe(false);
    expect(nestsDeeperThan(objects(513), 512)).toBe(true);
  });

  it('counts depth, not brackets: many shallow values pass', () => {
    const wide = JSON.stringify(Array.from({ length: 5000 }, (_, i) => ({ i, tags: [i] })));
    expect(nestsDeeperThan(wide, 512)).toBe(false);
  });

  it('skips brackets inside strings, escaped quotes included', () => {
    const inString = JSON.stringify({ body: '['.repeat(2000) + '"\\' + '{'.repeat(2000) });
    expect(nestsDeeperThan(inString, 512)).toBe(false);
    expect(nestsDeeperThan(JSON.stringify({ s: '"' }) + nested(600), 512)).toBe(true);
  });
});
