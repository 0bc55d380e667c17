/**
 * Retry delays for failed jobs.
 *
 * Glossary:
 * - exponential backoff: the delay ceiling doubles with each failed attempt (base, 2·base, 4·base…)
 *   up to a cap, so a failing dependency is not hammered.
 * - full jitter (AWS "Exponential Backoff And Jitter"): the delay is drawn uniformly from
 *   [0, ceiling), so jobs that failed together do not retry together (no thundering herd).
 */

/**
 * Delay before retrying after failed attempt number `attempt` (1 = the first run failed):
 * uniform in [0, min(capMs, baseMs · 2^(attempt−1))), whole milliseconds.
 */
export function retryDelayMs(attempt: number, baseMs: number, capMs = 3600_000, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // 2^exponent overflows to Infinity for huge attempts; Math.min with the cap keeps it finite.
  const ceiling = Math.min(capMs, Math.max(0, baseMs) * 2 ** Math.min(exponent, 1000));
  return Math.floor(random() * ceiling);
}
