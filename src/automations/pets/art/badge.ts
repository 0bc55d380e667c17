/**
 * A shields.io-style badge ("<pet name> | 87 thriving"), drawn here rather than with badge-maker:
 * the same flat style, widths from Verdana 11 px advance widths (as shields measures), no
 * dependency. Self-contained: no external fonts or images.
 */
import { escapeXml } from './creatures.js';
import type { Look } from './creatures.js';

const COLOURS: Record<Look, string> = {
  thriving: '#44cc11',
  healthy: '#97ca00',
  okay: '#dfb317',
  poor: '#fe7d37',
  dying: '#e05d44',
  dead: '#9f9f9f',
};

// Verdana 11px advance widths for ASCII (shields' table, rounded); others count as 'M'-ish.
const NARROW = new Set([...'fijlrt.,:;!|\'` ()[]{}']);
const WIDE = new Set([...'mwMW@%']);

function textWidth(s: string): number {
  let w = 0;
  for (const c of s) {
    if (NARROW.has(c)) w += 3.9;
    else if (WIDE.has(c)) w += 10.2;
    else if (c >= 'A' && c <= 'Z') w += 7.5;
    else if (c.charCodeAt(0) > 127) w += 8.5;
    else w += 6.6;
  }
  return Math.ceil(w);
}

/** The badge for a pet: label (its name), message (health and band, or "dead"). */
export function badgeSvg(label: string, message: string, look: Look): string {
  const l = escapeXml(label);
  const m = escapeXml(message);
  const lw = textWidth(label) + 10;
  const mw = textWidth(message) + 10;
  const w = lw + mw;
  const colour = COLOURS[look];
  const title = `${l}: ${m}`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${title}"><title>${title}</title>` +
    `<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>` +
    `<clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>` +
    `<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${mw}" height="20" fill="${colour}"/><rect width="${w}" height="20" fill="url(#s)"/></g>` +
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">` +
    `<text x="${lw / 2}" y="15" fill="#010101" fill-opacity=".3">${l}</text><text x="${lw / 2}" y="14">${l}</text>` +
    `<text x="${lw + mw / 2}" y="15" fill="#010101" fill-opacity=".3">${m}</text><text x="${lw + mw / 2}" y="14">${m}</text></g></svg>`
  );
}
