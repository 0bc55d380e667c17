/** Ids and times as the data layer stores them. */
import { v7 as uuidv7 } from 'uuid';

/** A new time-ordered UUID (v7): ids sort by creation time, so keyset pages can order by id. */
export function newId(): string {
  return uuidv7();
}

/** Now, as stored: ISO-8601 UTC with milliseconds. */
export function nowIso(): string {
  return new Date().toISOString();
}

/** The smallest v7 UUID whose timestamp is ≥ `date`: turns a time bound into an id bound. */
export function uuidLowerBound(date: Date): string {
  const hex = Math.max(0, Math.min(date.getTime(), 0xffffffffffff)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True for a canonical lowercase UUID. */
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/** Reads a stored boolean (SQLite answers 0/1). */
export function toBool(v: boolean | number | null | undefined): boolean {
  return v === true || v === 1;
}

/** Parses a JSON text column, falling back when it is empty. */
export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (text == null || text === '') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
