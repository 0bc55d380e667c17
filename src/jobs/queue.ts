/**
 * The job queue every slice uses: one interface, two implementations (embedded SQLite runner,
 * pg-boss on PostgreSQL), one contract test suite (queue.contract.test.ts) run against both.
 *
 * Glossary:
 * - job: a named unit of work with a JSON payload, run by the handler registered for its name.
 * - key: de-duplicates jobs; while a job with a key is waiting or running, enqueueing another job
 *   with the same key does nothing.
 * - attempt: one run of a handler. A handler that throws is retried with exponential backoff and
 *   jitter until `maxAttempts` runs have failed; the job is then `dead` (kept, with its last error).
 * - lease: a running job whose process died (kill -9) becomes runnable again once its lease
 *   (`JOB_LEASE_SECONDS`) expires, so jobs run at least once; handlers are idempotent. A handler
 *   still running when its lease ends counts as failed (it could be running twice otherwise).
 * - schedule: a cron expression (UTC) that enqueues a job; each slot fires once across all processes.
 * - job name: letters, digits and `_ . - /` (the runner and pg-boss use it as an identifier).
 *   A key is scoped to its job name: the same key under two names means two jobs.
 */
import type { Executor } from '../db/index.js';
import type { Logger } from '../log/index.js';

export interface EnqueueOptions {
  /** Earliest time the job may run (default: now). */
  runAt?: Date;
  /** De-duplication key: ignored while a job with this key waits or runs. */
  key?: string;
  /** Runs before the job is dead (default 5). */
  maxAttempts?: number;
}

export interface JobContext {
  id: string;
  name: string;
  /** 1 for the first run. */
  attempt: number;
  maxAttempts: number;
  log: Logger;
}

export type JobHandler<P = unknown> = (payload: P, ctx: JobContext) => Promise<void>;

export interface QueueStats {
  name: string;
  /** Waiting to run (including scheduled for later and waiting to retry). */
  queued: number;
  running: number;
  /** Failed at least once and waiting to retry. */
  retrying: number;
  dead: number;
  /** Error message of the most recently failed dead job of this name (null when none is dead). */
  lastError: string | null;
}

/** One job as `findJobs` reports it (succeeded jobs are deleted, so they are not found). */
export interface JobSummary {
  id: string;
  name: string;
  state: 'queued' | 'running' | 'retrying' | 'dead';
  /** Runs so far (including a running one). */
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  payload: Record<string, unknown>;
}

export interface StartOptions {
  /** Run registered handlers in this process. */
  work: boolean;
  /** Fire cron schedules from this process (safe in many processes: each slot fires once). */
  schedule: boolean;
}

export interface Queue {
  readonly kind: 'sqlite' | 'pg-boss';
  /**
   * Adds a job. Pass the caller's transaction as `exec` so the job exists if and only if that
   * transaction commits.
   */
  enqueue(exec: Executor, name: string, payload: object, options?: EnqueueOptions): Promise<void>;
  /**
   * Adds many jobs of one name in one statement, in the caller's transaction like `enqueue`
   * (PostgreSQL's group commit of receipts). Optional: callers fall back to `enqueue` per job.
   */
  enqueueMany?(exec: Executor, name: string, jobs: Array<{ payload: object; options?: EnqueueOptions }>): Promise<void>;
  /** Registers the handler for a job name (before start). */
  register<P>(name: string, handler: JobHandler<P>, options?: { concurrency?: number }): void;
  /** Declares a cron schedule (UTC) that enqueues `name` with `payload` (before start). */
  schedule(name: string, cron: string, payload?: object): void;
  start(options: StartOptions): Promise<void>;
  /** Stops taking jobs and waits for running ones to finish. */
  stop(): Promise<void>;
  /** Counts per job name. */
  stats(): Promise<QueueStats[]>;
  /**
   * Moves dead jobs of `name` (all names when omitted) back to queued with a fresh attempt budget;
   * returns how many. A dead job whose key has a pending job again stays dead.
   */
  retryDead(name?: string): Promise<number>;
  /**
   * The pending, running and dead jobs of `name` whose payload has these top-level string values
   * (e.g. every `automation.run` job of one receipt), at most 50. For pages that show what became of
   * something, not for hot paths.
   */
  findJobs(name: string, match: Record<string, string>): Promise<JobSummary[]>;
  /**
   * Wakes this process's runner now instead of at its next poll (for jobs `name`, or all names).
   * `enqueue` does this itself; call it after inserting jobs another way. Harmless when not working.
   */
  notify(name?: string): void;
}
