/**
 * Fixed-window attempt counters in the database, so every web process shares them. `hit` counts an
 * attempt and says whether it is over the limit; old windows are purged by the session purge job.
 */
import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import { RateLimited } from './errors.js';

export interface Limit {
  /** Attempts allowed per window. */
  max: number;
  windowSeconds: number;
}

/** Sign-in attempts: per account and per client address. */
export const LOGIN_PER_ACCOUNT: Limit = { max: 10, windowSeconds: 15 * 60 };
export const LOGIN_PER_ADDRESS: Limit = { max: 50, windowSeconds: 15 * 60 };
/** Two-factor attempts (sign-in and enrollment): per account. */
export const TOTP_PER_ACCOUNT: Limit = { max: 10, windowSeconds: 15 * 60 };
/** Wrong two-factor codes in a row before the account's two-factor is locked, and for how long. */
export const TOTP_LOCK_AFTER = 5;
export const TOTP_LOCK_SECONDS = 15 * 60;

/** Counts one attempt under `key`; throws RateLimited (429 with Retry-After) past the limit. */
export async function hit(db: Database, key: string, limit: Limit, now = Date.now()): Promise<void> {
  const windowMs = limit.windowSeconds * 1000;
  const start = Math.floor(now / windowMs) * windowMs;
  const windowStart = new Date(start).toISOString();
  const row = await db.kysely
    .insertInto('rate_limits')
    .values({ key, window_start: windowStart, count: 1 })
    .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet({ count: sql`rate_limits.count + 1` }))
    .returning('count')
    .executeTakeFirstOrThrow();
  if (Number(row.count) > limit.max) throw new RateLimited(Math.max(1, Math.ceil((start + windowMs - now) / 1000)));
}

/** Deletes windows that ended before `before`. */
export async function purgeRateLimits(db: Database, before: Date): Promise<number> {
  const res = await db.kysely.deleteFrom('rate_limits').where('window_start', '<', before.toISOString()).executeTakeFirst();
  return Number(res.numDeletedRows);
}
