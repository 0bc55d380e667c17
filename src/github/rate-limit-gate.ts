/**
 * GitHub's rate limits, respected by every process at once. @octokit/plugin-throttling waits out a
 * limit only inside the process that hit it (its cluster mode needs Redis); Switchyard only has its
 * database, so the state lives there (`github_rate_limits`, migration 0017; one process on SQLite,
 * every process on PostgreSQL):
 * - before each request (each attempt, retries included) to a bucket — `installation:<id>` or
 *   `app:<id>`, what GitHub counts separately — the gate reads until when the bucket is limited and
 *   waits that long; past `maxWaitMs` it fails at once with a rate-limit error that says when to
 *   come back (jobs retry then, instead of holding a worker);
 * - after each answer, a limit it reports (429, or 403 with `retry-after` or a secondary-limit
 *   message, or any answer with `x-ratelimit-remaining: 0`) is recorded for every other process.
 * Used by Switchyard's own clients (client.ts) and by hosted Probot apps' `context.octokit`.
 */
import type { Database } from '../db/index.js';
import { nowIso } from '../db/index.js';
import type { Logger } from '../log/index.js';

export interface RateLimitGate {
  /** Waits while `bucket` is limited, then sends; records a limit the answer (or error) reports. */
  send<T>(bucket: string, send: () => Promise<T>): Promise<T>;
  /** Until when `bucket` is limited (epoch ms; 0 when it is not). */
  limitedUntil(bucket: string): Promise<number>;
}

export const installationBucket = (installationId: number) => `installation:${installationId}`;
export const appBucket = (appId: number) => `app:${appId}`;

/** GitHub's advice for a secondary limit that names no wait: at least a minute. */
const SECONDARY_FALLBACK_MS = 60_000;

type Headers = Record<string, unknown>;

/** How long GitHub asked us to wait, from `retry-after` or an exhausted limit's `x-ratelimit-reset` (ms), or null. */
export function rateLimitWaitMs(headers: Headers, now: number): number | null {
  const after = Number(headers['retry-after']);
  if (headers['retry-after'] !== undefined && Number.isFinite(after) && after >= 0) return after * 1000;
  if (String(headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    if (Number.isFinite(reset)) return Math.max(0, reset * 1000 - now);
  }
  return null;
}

/** The limit an answer reports: until when (epoch ms) and why; null when it reports none. */
export function limitReported(status: number, headers: Headers, message: string, now: number): { until: number; reason: string } | null {
  const wait = rateLimitWaitMs(headers, now);
  const secondary = /secondary rate limit|abuse/i.test(message);
  if (status === 429 || (status === 403 && (secondary || wait !== null))) {
    const ms = wait ?? (secondary || status === 429 ? SECONDARY_FALLBACK_MS : 0);
    return { until: now + ms, reason: `${status}${secondary ? ' secondary rate limit' : ' rate limit'}` };
  }
  // A success that used the last request of the window: the next one would be refused.
  if (status < 400 && String(headers['x-ratelimit-remaining']) === '0' && wait !== null) return { until: now + wait, reason: 'primary rate limit used up' };
  return null;
}

/** Thrown instead of sending when a bucket is limited for longer than the gate waits; shaped like GitHub's own 403. */
export class SharedRateLimited extends Error {
  readonly status = 403;
  readonly code = 'GITHUB_RATE_LIMITED';
  readonly response: { status: number; headers: Record<string, string>; data: { message: string } };
  constructor(bucket: string, until: number, reason: string) {
    const seconds = Math.max(1, Math.ceil((until - Date.now()) / 1000));
    const message = `GitHub rate limit: ${bucket} is limited until ${new Date(until).toISOString()} (${reason}; recorded for every Switchyard process)`;
    super(message);
    this.name = 'SharedRateLimited';
    this.response = {
      status: 403,
      headers: { 'retry-after': String(seconds), 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.ceil(until / 1000)) },
      data: { message },
    };
  }
}

interface ErrorLike {
  status?: unknown;
  message?: unknown;
  response?: { headers?: Headers };
}

export function createRateLimitGate(deps: { db: Database; log: Logger; maxWaitMs?: number }): RateLimitGate {
  const { db } = deps;
  const maxWaitMs = deps.maxWaitMs ?? 60_000;
  const log = deps.log.child({ component: 'github-rate-limits' });

  const read = async (bucket: string) => db.kysely.selectFrom('github_rate_limits').select(['limited_until', 'reason']).where('bucket', '=', bucket).executeTakeFirst();

  const recordLimit = async (bucket: string, until: number, reason: string) => {
    const iso = new Date(until).toISOString();
    const now = nowIso();
    // Keep the later of two limits (processes may report the same window, or overlapping ones).
    await db.kysely.insertInto('github_rate_limits').values({ bucket, limited_until: iso, reason, updated_at: now }).onConflict((oc) => oc.column('bucket').doNothing()).execute();
    await db.kysely.updateTable('github_rate_limits').set({ limited_until: iso, reason, updated_at: now }).where('bucket', '=', bucket).where('limited_until', '<', iso).execute();
    log.warn({ bucket, until: iso, reason }, 'GitHub rate limit recorded for every process');
  };

  const observe = async (bucket: string, status: number, headers: Headers, message: string) => {
    const limit = limitReported(status, headers, message, Date.now());
    if (!limit || limit.until <= Date.now()) return;
    await recordLimit(bucket, limit.until, limit.reason).catch((err: unknown) => log.error({ err, bucket }, 'could not record a GitHub rate limit'));
  };

  const limitedUntil = async (bucket: string) => {
    const row = await read(bucket);
    return row ? Date.parse(row.limited_until) : 0;
  };

  return {
    limitedUntil,
    async send(bucket, send) {
      for (;;) {
        const row = await read(bucket);
        const until = row ? Date.parse(row.limited_until) : 0;
        const wait = until - Date.now();
        if (wait <= 0) break;
        if (wait > maxWaitMs) throw new SharedRateLimited(bucket, until, row!.reason);
        await new Promise((r) => setTimeout(r, wait));
      }
      try {
        const response = await send();
        const r = response as { status?: unknown; headers?: Headers };
        if (typeof r?.status === 'number' && r.headers) await observe(bucket, r.status, r.headers, '');
        return response;
      } catch (err) {
        const e = (err ?? {}) as ErrorLike;
        if (typeof e.status === 'number') await observe(bucket, e.status, e.response?.headers ?? {}, typeof e.message === 'string' ? e.message : '');
        throw err;
      }
    },
  };
}
