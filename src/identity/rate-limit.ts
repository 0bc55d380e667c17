/**
 * Fixed-window attempt counters in the database, so every web process shares them. `hit` counts an
 * attempt and says whether it is over the limit; `refuseIfOver` only looks and `count` only counts
 * (sign-in counts failures, never successes); `noteEvent`/`recentEvents` keep individual failures
 * for the progressive slow-down. Old rows are purged by the session purge job.
 */
import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import { RateLimited } from './errors.js';

export interface Limit {
  /** Attempts allowed per window. */
  max: number;
  windowSeconds: number;
}

/**
 * Failed sign-ins: per account and client address together (someone else's failures never lock a
 * person out), and per client address over every account (one address guessing many accounts).
 */
export const LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS: Limit = { max: 10, windowSeconds: 15 * 60 };
export const LOGIN_FAILURES_PER_ADDRESS: Limit = { max: 50, windowSeconds: 15 * 60 };
/**
 * Failed sign-ins to one account from addresses it has never signed in from (in 15 minutes): after
 * SLOW_AFTER of them, each further attempt from such an address must wait 2^(n − SLOW_AFTER) s
 * after the last one (at most SLOW_MAX_SECONDS). A slow-down, not a lock: the person, at an address
 * they signed in from before, is not slowed at all.
 */
export const LOGIN_UNKNOWN_ADDRESS = { slowAfter: 5, maxDelaySeconds: 60, windowSeconds: 15 * 60 } as const;
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

function windowOf(limit: Limit, now: number): { start: number; iso: string; ms: number } {
  const ms = limit.windowSeconds * 1000;
  const start = Math.floor(now / ms) * ms;
  return { start, iso: new Date(start).toISOString(), ms };
}

/** Throws RateLimited when `key` has reached its limit in this window; counts nothing. */
export async function refuseIfOver(db: Database, key: string, limit: Limit, now = Date.now()): Promise<void> {
  const w = windowOf(limit, now);
  const row = await db.kysely.selectFrom('rate_limits').select('count').where('key', '=', key).where('window_start', '=', w.iso).executeTakeFirst();
  if (row && Number(row.count) >= limit.max) throw new RateLimited(Math.max(1, Math.ceil((w.start + w.ms - now) / 1000)));
}

/** Counts one under `key` in this window (never throws for the limit). */
export async function count(db: Database, key: string, limit: Limit, now = Date.now()): Promise<void> {
  const w = windowOf(limit, now);
  await db.kysely
    .insertInto('rate_limits')
    .values({ key, window_start: w.iso, count: 1 })
    .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet({ count: sql`rate_limits.count + 1` }))
    .execute();
}

/** Records one event under `key` at its own time (millisecond rows; purged with the windows). */
export async function noteEvent(db: Database, key: string, now = Date.now()): Promise<void> {
  await db.kysely
    .insertInto('rate_limits')
    .values({ key, window_start: new Date(now).toISOString(), count: 1 })
    .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet({ count: sql`rate_limits.count + 1` }))
    .execute();
}

/** How many events `key` had in the last `seconds`, and when the last one was (ms, or null). */
export async function recentEvents(db: Database, key: string, seconds: number, now = Date.now()): Promise<{ n: number; lastMs: number | null }> {
  const row = await db.kysely
    .selectFrom('rate_limits')
    .select((eb) => [eb.fn.sum<number>('count').as('n'), eb.fn.max('window_start').as('last')])
    .where('key', '=', key)
    .where('window_start', '>', new Date(now - seconds * 1000).toISOString())
    .executeTakeFirst();
  const last = row?.last ? Date.parse(String(row.last)) : null;
  return { n: Number(row?.n ?? 0), lastMs: last };
}

/** Deletes windows that ended before `before`. */
export async function purgeRateLimits(db: Database, before: Date): Promise<number> {
  const res = await db.kysely.deleteFrom('rate_limits').where('window_start', '<', before.toISOString()).executeTakeFirst();
  return Number(res.numDeletedRows);
}
