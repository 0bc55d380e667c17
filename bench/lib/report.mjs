// Markdown tables and result files.
import fs from 'node:fs';
import path from 'node:path';

export function fmt(v, digits = 1) {
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '–';
  if (typeof v !== 'number') return String(v);
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function ms(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US');
}

export function table(headers, rows, align) {
  const a = align || headers.map((_, i) => (i === 0 ? 'l' : 'r'));
  const sep = a.map((x) => (x === 'r' ? '---:' : '---'));
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(sep), ...rows.map((r) => line(r.map((c) => String(c))))].join('\n');
}

export function timestampForFile(d = new Date()) {
  return d.toISOString().replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z');
}

/** Writes <dir>/<timestamp>-<mode>.json (and .md next to it); returns the JSON path. */
export function writeResult(dir, mode, result, markdown, when = new Date()) {
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `${timestampForFile(when)}-${mode}`);
  fs.writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(`${base}.md`, `${markdown}\n`);
  return `${base}.json`;
}
