/**
 * The probot-apps slice's table (migration 0015_probot_apps), added to the shared Schema by module
 * augmentation; only this slice reads or writes it.
 *
 * Glossary:
 * - run: what became of one app for one delivery (one row per app and receipt).
 * - status: queued → running → succeeded; a retryable failure → retrying (a `probot-apps.run`
 *   job waits for `next_attempt_at`); any other failure → failed at once; retryable failures past
 *   the last attempt → dead.
 * - run_seq: bumped by a replay; a job carries the seq it was enqueued for, so a stale job (one
 *   from before a replay) runs nothing.
 */
import type { JsonText } from '../../db/schema.js';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'retrying' | 'failed' | 'dead';
export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'succeeded', 'retrying', 'failed', 'dead'];

export interface ProbotAppRunsTable {
  id: string;
  app: string;
  receipt_id: string;
  delivery_id: string;
  event: string;
  action: string | null;
  installation_id: number | null;
  status: RunStatus;
  attempts: number;
  run_seq: number;
  /** The job (queue id) whose run this `running` row is (migration 0017). */
  claimed_by: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  next_attempt_at: string | null;
  error: string | null;
  log_lines: JsonText | null;
  created_at: string;
  updated_at: string;
}

declare module '../../db/schema.js' {
  interface Schema {
    probot_app_runs: ProbotAppRunsTable;
  }
}
