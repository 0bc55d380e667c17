/** Keyset paging shared by every list endpoint: opaque cursors, bounded limits, newest first. */
import { z } from 'zod';
import { BadRequest } from './app-error.js';

export const limitSchema = z.coerce.number().int().min(1).max(200).default(50).describe('Page size (1–200, default 50)');
export const cursorSchema = z.string().max(200).optional().describe('Opaque cursor from the previous page’s next_cursor');

/** Encodes a page position as an opaque cursor. */
export function encodeCursor(value: string | number): string {
  return Buffer.from(JSON.stringify([value]), 'utf8').toString('base64url');
}

/** Decodes a cursor; throws 400 INVALID_CURSOR when it is not one this server made for `kind`. */
export function decodeCursor<T extends 'string' | 'number'>(cursor: string, kind: T, check?: (v: T extends 'string' ? string : number) => boolean): T extends 'string' ? string : number {
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 1 && typeof parsed[0] === kind) {
      const v = parsed[0] as T extends 'string' ? string : number;
      if (!check || check(v)) return v;
    }
  } catch {
    // fall through
  }
  throw new BadRequest('cursor is not valid: pass next_cursor from a previous page unchanged', 'INVALID_CURSOR');
}

/** Splits a fetched page of limit+1 rows into items and the next cursor. */
export function pageOf<R>(rows: R[], limit: number, position: (last: R) => string | number): { items: R[]; next_cursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > limit && last !== undefined ? encodeCursor(position(last)) : null };
}
