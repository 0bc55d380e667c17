/**
 * Per-repository triage settings: safe defaults, overridden by the repository's `config_override`
 * JSON (`{"triage": {…}, "poll_interval_minutes": n}`), set with
 * `PATCH /api/repositories/:owner/:name/triage-config`.
 */
import { z } from 'zod';
import type { FailureCategory } from './analyzer/index.js';

export const RERUNNABLE: FailureCategory[] = ['flaky', 'infrastructure', 'network_timeout'];

export const triageConfigSchema = z.object({
  /** Poll this repository's open pull requests every n minutes (webhooks come first; polling is the net). */
  poll_interval_minutes: z.number().int().min(1).max(24 * 60).default(5),
  /** Keep one comment per pull request listing the failing checks and their diagnosis. */
  comment: z.boolean().default(true),
  /**
   * Report as a `Switchyard triage` check run on the head commit instead of a comment, when the
   * installation grants Checks: write (otherwise, or if GitHub refuses, the comment is used).
   */
  check_run: z.boolean().default(false),
  /** Re-run failed GitHub Actions jobs whose diagnosis is one of `rerun_categories`. */
  rerun: z.boolean().default(true),
  rerun_categories: z.array(z.enum(['flaky', 'infrastructure', 'network_timeout'])).default(RERUNNABLE as Array<'flaky' | 'infrastructure' | 'network_timeout'>),
  /** Diagnose failed checks at all (off: only record them). */
  analyze: z.boolean().default(true),
});

export type TriageConfig = z.infer<typeof triageConfigSchema>;
export const triageConfigPatch = triageConfigSchema.partial().strict();

/** The effective settings of a repository, from its stored override (invalid parts fall back to defaults). */
export function triageConfigOf(override: string | null | undefined): TriageConfig {
  let raw: unknown = {};
  try {
    raw = override ? (JSON.parse(override) as { triage?: unknown }).triage ?? {} : {};
  } catch {
    raw = {};
  }
  const parsed = triageConfigSchema.safeParse(raw);
  return parsed.success ? parsed.data : triageConfigSchema.parse({});
}
