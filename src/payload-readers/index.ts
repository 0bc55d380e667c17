/** Safe readers for GitHub payload fields: payloads are untrusted JSON, shapes vary by event. Below every slice that reads payloads (state, webhooks, github, automations). */

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** The object at `o[key]`, or null. */
export const objAt = (o: unknown, key: string): Obj | null => (isObj(o) && isObj(o[key]) ? (o[key] as Obj) : null);
/**
 * Text that a database column can hold: NUL (U+0000) becomes U+FFFD. GitHub content can carry NUL
 * (issue bodies, commit messages), PostgreSQL text and jsonb cannot, and both dialects must store
 * the same; the raw delivery keeps the original bytes.
 */
export const columnText = (v: string): string => (v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v);
/** A non-empty string (NUL replaced, see columnText), or null. */
export const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? columnText(v) : null);
/** A safe integer, or null. */
export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);
/** An array, or an empty one. */
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Normalises a GitHub timestamp (ISO string, or epoch seconds as push payloads use) to ISO UTC. */
export function toIsoTimestamp(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) {
    const d = new Date(v < 1e12 ? v * 1000 : v);
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  if (typeof v === 'string' && v !== '') {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  return null;
}
