import { describe, expect, it } from 'vitest';
import { ENTITY_TYPES } from '../tables.js';
import { badgeSvg } from './badge.js';
import { creatureSvg, LOOKS, neutralSvg } from './creatures.js';

describe('creature art', () => {
  const all = ENTITY_TYPES.flatMap((t) => LOOKS.map((l) => ({ t, l, svg: creatureSvg(t, l) })));

  it('has 30 different, self-contained images under 10 KB, each with a title', () => {
    expect(all).toHaveLength(30);
    expect(new Set(all.map((a) => a.svg)).size).toBe(30);
    for (const { t, l, svg } of all) {
      expect(Buffer.byteLength(svg), `${t} ${l}`).toBeLessThan(10 * 1024);
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*><title>[^<]+<\/title>/);
      expect(svg).toContain(t);
      // Nothing loaded from elsewhere: no images, fonts, style sheets or links.
      expect(svg).not.toMatch(/<image|@import|@font-face|xlink:href|href=|url\((?!#)/);
      expect(svg).not.toMatch(/NaN|undefined/);
    }
  });

  it('badges escape what they show and carry a title', () => {
    const b = badgeSvg('<Brave & Pixel>', '87 thriving', 'thriving');
    expect(b).toContain('&lt;Brave &amp; Pixel&gt;');
    expect(b).not.toContain('<Brave');
    expect(b).toMatch(/<title>[^<]+<\/title>/);
    expect(neutralSvg()).toContain('<title>No pet here</title>');
  });
});
