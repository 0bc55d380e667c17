/**
 * The creatures: one drawing per type (robot, plant, pet, golem, blob) in each band (thriving,
 * healthy, okay, poor, dying), plus a dead one per type — 30 self-contained SVGs (no external
 * fonts, images or styles), each with a `<title>`, each well under 10 KB. Drawn by hand on a
 * 128 × 128 grid: a body per type, a face and extras per band (sparkles when thriving, a sweat drop
 * when poor, a bandage and grey skin when dying, a halo and crossed eyes when dead).
 */
import type { Band, EntityType } from '../tables.js';

export type Look = Band | 'dead';
export const LOOKS: readonly Look[] = ['thriving', 'healthy', 'okay', 'poor', 'dying', 'dead'];

/** Body colours per type: [fill, shade, accent]; faded for poorer bands. */
const PALETTE: Record<EntityType, Record<Look, [string, string, string]>> = {
  robot: {
    thriving: ['#7cc4ff', '#3d8fd6', '#ffd54a'],
    healthy: ['#8fbfe6', '#4a86bd', '#f2c94c'],
    okay: ['#a3b8c9', '#5f7f99', '#d9b95c'],
    poor: ['#b1b9c0', '#737f89', '#b8a26a'],
    dying: ['#bfc3c6', '#868b8f', '#9a9486'],
    dead: ['#d5d8db', '#a3a8ad', '#c2c2c2'],
  },
  plant: {
    thriving: ['#5fd068', '#2f9a3c', '#ff7aa8'],
    healthy: ['#77c77c', '#3f8f47', '#ff9bbd'],
    okay: ['#9cbf72', '#6b8f45', '#e7b3c4'],
    poor: ['#b9b870', '#8c8a45', '#cfb7a5'],
    dying: ['#bda77e', '#8d7650', '#b9a898'],
    dead: ['#d4cbbd', '#a89d8b', '#c9c0b3'],
  },
  pet: {
    thriving: ['#ffb44d', '#e07f12', '#ff6f91'],
    healthy: ['#f7bd6b', '#d08a2c', '#f58aa3'],
    okay: ['#e6c08e', '#b98d53', '#e2a3b2'],
    poor: ['#d9c2a3', '#a98e6c', '#cfb0b6'],
    dying: ['#cfc4b8', '#9d9185', '#c3b4b6'],
    dead: ['#e0dcd7', '#b0a9a2', '#d0c9c9'],
  },
  golem: {
    thriving: ['#b59a7a', '#7d634a', '#5ef0d0'],
    healthy: ['#ab9680', '#77624f', '#61d6bd'],
    okay: ['#a0958a', '#6f655b', '#7fbfae'],
    poor: ['#9b9691', '#6b6661', '#93aaa2'],
    dying: ['#a09d9b', '#72706e', '#9c9c9c'],
    dead: ['#c9c7c5', '#9a9896', '#bdbdbd'],
  },
  blob: {
    thriving: ['#b58cff', '#7a4fd6', '#7dfcd0'],
    healthy: ['#b69ae6', '#7e60bd', '#8de8c8'],
    okay: ['#b5a6cf', '#806f9e', '#a3d4c1'],
    poor: ['#b6adc2', '#857b93', '#b0c7bd'],
    dying: ['#bcb8c0', '#8b8790', '#b8bdb9'],
    dead: ['#dcdadf', '#aeabb2', '#cfcfcf'],
  },
};

const INK = '#2b2b33';

/** Eyes at (x1, y) and (x2, y) in a band's mood. */
function eyes(look: Look, x1: number, x2: number, y: number): string {
  switch (look) {
    case 'thriving':
      // happy arcs
      return `<path d="M${x1 - 5} ${y + 1}q5 -7 10 0M${x2 - 5} ${y + 1}q5 -7 10 0" fill="none" stroke="${INK}" stroke-width="3" stroke-linecap="round"/>`;
    case 'healthy':
      return `<circle cx="${x1}" cy="${y}" r="4" fill="${INK}"/><circle cx="${x2}" cy="${y}" r="4" fill="${INK}"/><circle cx="${x1 + 1.5}" cy="${y - 1.5}" r="1.3" fill="#fff"/><circle cx="${x2 + 1.5}" cy="${y - 1.5}" r="1.3" fill="#fff"/>`;
    case 'okay':
      return `<circle cx="${x1}" cy="${y}" r="3.5" fill="${INK}"/><circle cx="${x2}" cy="${y}" r="3.5" fill="${INK}"/>`;
    case 'poor':
      // worried brows
      return `<circle cx="${x1}" cy="${y + 1}" r="3.5" fill="${INK}"/><circle cx="${x2}" cy="${y + 1}" r="3.5" fill="${INK}"/><path d="M${x1 - 6} ${y - 4}l10 -3M${x2 + 6} ${y - 4}l-10 -3" stroke="${INK}" stroke-width="2.5" stroke-linecap="round"/>`;
    case 'dying':
      // half-closed
      return `<path d="M${x1 - 5} ${y}h10M${x2 - 5} ${y}h10" stroke="${INK}" stroke-width="3" stroke-linecap="round"/><path d="M${x1 - 4} ${y + 1}q4 4 8 0M${x2 - 4} ${y + 1}q4 4 8 0" fill="${INK}"/>`;
    case 'dead':
      return `<path d="M${x1 - 4} ${y - 4}l8 8M${x1 + 4} ${y - 4}l-8 8M${x2 - 4} ${y - 4}l8 8M${x2 + 4} ${y - 4}l-8 8" stroke="${INK}" stroke-width="2.8" stroke-linecap="round"/>`;
  }
}

/** A mouth centred at (x, y). */
function mouth(look: Look, x: number, y: number): string {
  switch (look) {
    case 'thriving':
      return `<path d="M${x - 9} ${y - 2}q9 12 18 0z" fill="${INK}"/><path d="M${x - 4} ${y + 3}q4 3 8 0" fill="#ff7b8a"/>`;
    case 'healthy':
      return `<path d="M${x - 7} ${y - 1}q7 7 14 0" fill="none" stroke="${INK}" stroke-width="3" stroke-linecap="round"/>`;
    case 'okay':
      return `<path d="M${x - 6} ${y}h12" stroke="${INK}" stroke-width="3" stroke-linecap="round"/>`;
    case 'poor':
      return `<path d="M${x - 7} ${y + 3}q7 -7 14 0" fill="none" stroke="${INK}" stroke-width="3" stroke-linecap="round"/>`;
    case 'dying':
      return `<path d="M${x - 7} ${y + 2}q3.5 -4 7 0t7 0" fill="none" stroke="${INK}" stroke-width="2.5" stroke-linecap="round"/>`;
    case 'dead':
      return `<path d="M${x - 6} ${y + 2}q6 -5 12 0" fill="none" stroke="${INK}" stroke-width="2.5" stroke-linecap="round"/>`;
  }
}

/** Extras around the creature: sparkles, sweat, bandage, halo. Centre of the head at (x, y). */
function extras(look: Look, x: number, top: number, right: number): string {
  switch (look) {
    case 'thriving':
      return `<path d="M18 30l3 7 7 3-7 3-3 7-3-7-7-3 7-3zM108 20l2 5 5 2-5 2-2 5-2-5-5-2 5-2zM112 84l2 4 4 2-4 2-2 4-2-4-4-2 4-2z" fill="#ffd54a"/>`;
    case 'healthy':
      return `<path d="M108 24l2 5 5 2-5 2-2 5-2-5-5-2 5-2z" fill="#ffd54a" opacity=".8"/>`;
    case 'okay':
      return '';
    case 'poor':
      return `<path d="M${right - 4} ${top + 10}q5 7 0 11q-5 -4 0 -11z" fill="#7cc6ff" stroke="#3d8fd6" stroke-width="1"/>`;
    case 'dying':
      return `<g transform="rotate(-20 ${x + 14} ${top + 8})"><rect x="${x + 2}" y="${top + 3}" width="24" height="9" rx="3" fill="#f6e7c8" stroke="#c9b48a"/><path d="M${x + 11} ${top + 5}v5M${x + 17} ${top + 5}v5" stroke="#c9b48a"/></g><path d="M${right + 2} ${top + 4}q4 6 0 10q-4 -4 0 -10z" fill="#7cc6ff"/>`;
    case 'dead':
      return `<ellipse cx="${x}" cy="${top - 8}" rx="20" ry="5" fill="none" stroke="#f2c94c" stroke-width="3.5"/>`;
  }
}

function robot(look: Look): string {
  const [fill, shade, accent] = PALETTE.robot[look];
  const tilt = look === 'dying' || look === 'dead' ? ' transform="rotate(-6 64 70)"' : '';
  return `<g${tilt}><path d="M64 14v12" stroke="${shade}" stroke-width="3"/><circle cx="64" cy="12" r="5" fill="${accent}"/><rect x="30" y="26" width="68" height="48" rx="10" fill="${fill}" stroke="${shade}" stroke-width="3"/><rect x="38" y="34" width="52" height="32" rx="6" fill="#eef6ff" opacity=".55"/><rect x="24" y="42" width="6" height="16" rx="2" fill="${shade}"/><rect x="98" y="42" width="6" height="16" rx="2" fill="${shade}"/>${eyes(look, 52, 76, 48)}${mouth(look, 64, 60)}<rect x="38" y="78" width="52" height="34" rx="6" fill="${fill}" stroke="${shade}" stroke-width="3"/><path d="M66 84l-8 12h8l-4 10 10-14h-8l4-8z" fill="${accent}"/><rect x="42" y="112" width="12" height="8" rx="2" fill="${shade}"/><rect x="74" y="112" width="12" height="8" rx="2" fill="${shade}"/></g>${extras(look, 64, 26, 98)}`;
}

function plant(look: Look): string {
  const [fill, shade, accent] = PALETTE.plant[look];
  const droop = look === 'poor' ? 12 : look === 'dying' ? 22 : look === 'dead' ? 28 : 0;
  const bloom =
    look === 'thriving'
      ? `<g fill="${accent}"><circle cx="64" cy="14" r="7"/><circle cx="54" cy="20" r="7"/><circle cx="74" cy="20" r="7"/><circle cx="58" cy="30" r="7"/><circle cx="70" cy="30" r="7"/></g><circle cx="64" cy="23" r="6" fill="#ffd54a"/>`
      : look === 'healthy'
        ? `<circle cx="64" cy="22" r="8" fill="${accent}"/><circle cx="64" cy="22" r="4" fill="#ffd54a"/>`
        : look === 'okay'
          ? `<ellipse cx="64" cy="24" rx="5" ry="8" fill="${accent}"/>`
          : '';
  return `${bloom}<path d="M64 ${30 + droop / 3}q${droop / 2} 14 0 34" fill="none" stroke="${shade}" stroke-width="4" stroke-linecap="round"/><path d="M64 52q-24 ${-16 + droop} -34 ${-4 + droop}q16 ${14 - droop / 3} 34 ${4}z" fill="${fill}" stroke="${shade}" stroke-width="2"/><path d="M64 48q24 ${-16 + droop} 34 ${-4 + droop}q-16 ${14 - droop / 3} -34 ${4}z" fill="${fill}" stroke="${shade}" stroke-width="2"/><path d="M30 66h68l-8 52q-1 4 -6 4h-40q-5 0 -6 -4z" fill="#d98b5f" stroke="#a65d38" stroke-width="3"/><rect x="26" y="62" width="76" height="12" rx="4" fill="#e59a6c" stroke="#a65d38" stroke-width="3"/>${eyes(look, 52, 76, 88)}${mouth(look, 64, 102)}${extras(look, 64, 62, 100)}`;
}

function pet(look: Look): string {
  const [fill, shade, accent] = PALETTE.pet[look];
  const tail = look === 'thriving' || look === 'healthy' ? 'M100 100q22 -6 16 -30' : look === 'okay' ? 'M100 104q20 2 20 -14' : 'M100 108q18 8 22 2';
  return `<path d="${tail}" fill="none" stroke="${shade}" stroke-width="8" stroke-linecap="round"/><path d="M34 46l4 -30 22 20zM94 46l-4 -30 -22 20z" fill="${fill}" stroke="${shade}" stroke-width="3" stroke-linejoin="round"/><path d="M40 40l2 -14 10 10zM88 40l-2 -14 -10 10z" fill="${accent}"/><ellipse cx="64" cy="74" rx="42" ry="40" fill="${fill}" stroke="${shade}" stroke-width="3"/><ellipse cx="64" cy="90" rx="24" ry="18" fill="#fff" opacity=".45"/>${eyes(look, 50, 78, 64)}<path d="M61 73h6l-3 3z" fill="${accent}"/>${mouth(look, 64, 82)}<path d="M26 76h-14M26 82l-12 4M102 76h14M102 82l12 4" stroke="${shade}" stroke-width="2" stroke-linecap="round"/><ellipse cx="46" cy="114" rx="10" ry="6" fill="${fill}" stroke="${shade}" stroke-width="3"/><ellipse cx="82" cy="114" rx="10" ry="6" fill="${fill}" stroke="${shade}" stroke-width="3"/>${extras(look, 64, 36, 104)}`;
}

function golem(look: Look): string {
  const [fill, shade, accent] = PALETTE.golem[look];
  const glow = look === 'dead' ? '#9a9a9a' : accent;
  const crack = look === 'poor' || look === 'dying' || look === 'dead' ? `<path d="M44 30l6 10-4 8 6 8M86 84l-6 8 4 6" fill="none" stroke="${INK}" stroke-width="2"/>` : '';
  return `<rect x="38" y="18" width="52" height="44" rx="6" fill="${fill}" stroke="${shade}" stroke-width="3"/><rect x="22" y="64" width="84" height="42" rx="8" fill="${fill}" stroke="${shade}" stroke-width="3"/><rect x="8" y="66" width="16" height="34" rx="5" fill="${shade}"/><rect x="104" y="66" width="16" height="34" rx="5" fill="${shade}"/><rect x="32" y="106" width="22" height="16" rx="4" fill="${shade}"/><rect x="74" y="106" width="22" height="16" rx="4" fill="${shade}"/><path d="M64 74l10 10-10 10-10-10z" fill="none" stroke="${glow}" stroke-width="3"/><circle cx="64" cy="84" r="3" fill="${glow}"/>${crack}${eyes(look, 52, 76, 36)}${mouth(look, 64, 50)}${extras(look, 64, 18, 90)}`;
}

function blob(look: Look): string {
  const [fill, shade, accent] = PALETTE.blob[look];
  const squash = look === 'thriving' ? 0 : look === 'healthy' ? 4 : look === 'okay' ? 8 : look === 'poor' ? 14 : 20;
  const top = 20 + squash;
  return `<path d="M64 ${top}c26 0 48 ${40 - squash} 48 ${66 - squash}c0 18 -20 26 -48 26s-48 -8 -48 -26c0 ${-26 + squash} 22 ${-66 + squash} 48 ${-66 + squash}z" fill="${fill}" stroke="${shade}" stroke-width="3"/><ellipse cx="46" cy="${top + 24}" rx="8" ry="5" fill="#fff" opacity=".5" transform="rotate(-30 46 ${top + 24})"/><circle cx="92" cy="${top + 62 - squash / 2}" r="4" fill="${accent}" opacity=".8"/><circle cx="36" cy="${top + 70 - squash / 2}" r="3" fill="${accent}" opacity=".8"/>${eyes(look, 52, 76, 74)}${mouth(look, 64, 90)}${extras(look, 64, top, 100)}`;
}

const DRAW: Record<EntityType, (look: Look) => string> = { robot, plant, pet, golem, blob };

const DESCRIBE: Record<Look, string> = {
  thriving: 'thriving',
  healthy: 'healthy',
  okay: 'doing okay',
  poor: 'in poor shape',
  dying: 'dying',
  dead: 'dead',
};

/** The creature of a type in a look, as a complete SVG document (the title names both). */
export function creatureSvg(type: EntityType, look: Look, title?: string): string {
  const t = escapeXml(title ?? `A ${type}, ${DESCRIBE[look]}`);
  const ghost = look === 'dead' ? ' opacity=".75"' : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128" width="128" height="128" role="img" aria-label="${t}"><title>${t}</title><g${ghost}>${DRAW[type](look)}</g></svg>`;
}

/** Shown for a repository without a pet (or one the viewer may not see): a neutral egg. */
export function neutralSvg(): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128" width="128" height="128" role="img" aria-label="No pet here"><title>No pet here</title><ellipse cx="64" cy="72" rx="34" ry="44" fill="#e6e4ea" stroke="#a9a6b0" stroke-width="3"/><path d="M40 70l8 -8 8 8 8 -8 8 8 8 -8 8 8" fill="none" stroke="#a9a6b0" stroke-width="3" stroke-linejoin="round"/><text x="64" y="98" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="20" fill="#8a8791">?</text></svg>`;
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}
