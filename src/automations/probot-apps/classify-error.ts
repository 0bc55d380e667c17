/**
 * What to do when an app's handlers fail: retry (GitHub or the network failed: 5xx, 429, a
 * secondary rate limit, a connection error) or fail at once (a 404, a 422, a bug: running it again
 * would fail again). `receive` rejects with an AggregateError of every failing handler; the run is
 * retried only when every one of them failed for a retryable reason.
 */
import { rateLimitWaitMs } from '../../github/index.js';

export type Verdict = { retry: true; retryAfterMs: number | null; reason: string } | { retry: false; reason: string };

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

interface HttpLike {
  status?: unknown;
  code?: unknown;
  cause?: unknown;
  message?: unknown;
  response?: { headers?: Record<string, unknown> };
}

/** How long GitHub asked us to wait (retry-after, or the rate limit's reset), in ms. */
const waitMs = (e: HttpLike, now: number): number | null => rateLimitWaitMs(e.response?.headers ?? {}, now);

function one(err: unknown, now: number): Verdict {
  const e = (err ?? {}) as HttpLike;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const status = typeof e.status === 'number' ? e.status : null;
  if (status === 429) return { retry: true, retryAfterMs: waitMs(e, now), reason: `rate limited (429): ${message}` };
  if (status === 403 && (/secondary rate limit|abuse/i.test(message) || waitMs(e, now) !== null)) {
    return { retry: true, retryAfterMs: waitMs(e, now), reason: `rate limited (403): ${message}` };
  }
  if (status !== null && status >= 500) return { retry: true, retryAfterMs: waitMs(e, now), reason: `GitHub answered ${status}: ${message}` };
  const codes = [e.code, (e.cause as HttpLike | undefined)?.code];
  if (codes.some((c) => typeof c === 'string' && NETWORK_CODES.has(c)) || (status === null && /fetch failed|socket hang up|network/i.test(message))) {
    return { retry: true, retryAfterMs: null, reason: `network error: ${message}` };
  }
  return { retry: false, reason: status !== null ? `GitHub answered ${status}: ${message}` : message };
}

/** Classifies a handler failure (an AggregateError from `receive`, or any error). */
export function classifyError(err: unknown, now = Date.now()): Verdict {
  const errors = err instanceof AggregateError && err.errors.length > 0 ? err.errors : [err];
  const verdicts = errors.map((e) => one(e, now));
  const reason = verdicts.map((v) => v.reason).join('; ');
  if (verdicts.every((v) => v.retry)) {
    const waits = verdicts.map((v) => (v.retry ? v.retryAfterMs : null)).filter((w): w is number => w !== null);
    return { retry: true, retryAfterMs: waits.length > 0 ? Math.max(...waits) : null, reason };
  }
  return { retry: false, reason };
}
