/**
 * The sync runner: in every worker process, claims due mirrors from `repo_mirrors` and syncs them.
 *
 * Why not the job queue: a first sync of a large repository may run for many minutes (up to
 * MIRROR_SYNC_TIMEOUT_SECONDS), far past JOB_LEASE_SECONDS, after which the queue would count the
 * job as failed and run it again. So the mirror row is its own work item: requests make it due
 * (`due_at`), the runner claims it with a lease it renews every third of MIRROR_LEASE_SECONDS while
 * the sync runs, and a process killed mid-sync simply stops renewing — once the lease has expired,
 * any runner takes the mirror over (the cache's stale lock files are removed first) and finishes
 * it. Nothing stays `in_progress`.
 *
 * - Claims happen in one transaction that counts live leases: at most MIRROR_CONCURRENCY syncs run
 *   across every process, and at most MIRROR_TARGET_CONCURRENCY (or the target's own limit) per
 *   target.
 * - Coalescing: requests during a sync only bump `requested_seq`; when the sync ends the mirror is
 *   due again at once if any came in, so a burst of pushes costs at most two syncs.
 * - Wake-ups: a request made in this process wakes the runner at once; requests from other
 *   processes are seen within MIRROR_POLL_MS (one indexed query when idle).
 * - Stop: running syncs are stopped (git is killed), their leases released and the mirrors left due,
 *   so another process picks them up at once.
 */
import type { Database } from '../../db/index.js';
import { newId, nowIso } from '../../db/index.js';
import type { Logger } from '../../log/index.js';
import { FAILURE_CODES, SyncFailure } from './errors.js';
import { anyDue, claimDue, finishSync, insertLog, recordProgress, renewLease, type ClaimedMirror } from './repo.js';
import { afterFailure, afterSuccess } from './service.js';
import type { SyncProgress, SyncResult, SyncRun } from './sync-mirror.js';
import type { MirrorConfig } from '../../config/index.js';

export interface RunnerDeps {
  db: Database;
  config: MirrorConfig;
  log: Logger;
  execute(run: SyncRun): Promise<SyncResult>;
  /** Outcome hook (metrics, tests). */
  onOutcome?(o: { mirrorId: string; targetId: string; outcome: 'completed' | 'retry' | 'stopped' | 'permanent' | 'interrupted' | 'lease_lost'; seconds: number }): void;
}

export type SyncOutcome = 'completed' | 'retry' | 'stopped' | 'permanent' | 'interrupted' | 'lease_lost' | 'busy';

export interface MirrorRunner {
  readonly id: string;
  start(): void;
  /** Looks for due mirrors now. */
  wake(): void;
  /** Syncs one mirror in this process now, ignoring the concurrency limits (an operator asked). */
  syncOne(mirrorId: string, onProgress?: (p: SyncProgress) => void): Promise<SyncOutcome>;
  /** Syncs running in this process. */
  running(): number;
  stop(): Promise<void>;
}

const abortReason = (signal: AbortSignal): string => (typeof signal.reason === 'string' ? signal.reason : 'aborted');

export function createMirrorRunner(deps: RunnerDeps): MirrorRunner {
  const { db, config } = deps;
  const id = `runner-${newId()}`;
  const log = deps.log.child({ component: 'mirror-runner' });
  const leaseMs = config.leaseSeconds * 1000;
  const running = new Map<string, { controller: AbortController; done: Promise<SyncOutcome> }>();
  let started = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let again = false;

  const run = (claim: ClaimedMirror, onProgress?: (p: SyncProgress) => void): Promise<SyncOutcome> => {
    const m = claim.mirror;
    const controller = new AbortController();
    const syncId = newId();
    const t0 = Date.now();
    const startedAt = m.last_sync_started_at ?? nowIso();
    const mlog = log.child({ mirrorId: m.id, syncId });
    const heartbeat = setInterval(() => {
      renewLease(db.kysely, m.id, id, leaseMs)
        .then((held) => {
          if (!held && !controller.signal.aborted) {
            mlog.warn('lost the lease on a mirror (another runner took it over): stopping this sync');
            controller.abort('lease_lost');
          }
        })
        .catch((err: unknown) => mlog.warn({ err }, 'could not renew a mirror lease'));
    }, Math.max(200, Math.floor(leaseMs / 3)));
    const timeout = setTimeout(() => controller.abort('timeout'), config.syncTimeoutSeconds * 1000);
    let lastProgressAt = 0;
    let pendingProgress: SyncProgress | null = null;
    const flushProgress = () => {
      if (!pendingProgress) return;
      const p = pendingProgress;
      pendingProgress = null;
      lastProgressAt = Date.now();
      void recordProgress(db.kysely, m.id, id, JSON.stringify(p)).catch(() => undefined);
    };
    const progress = (p: SyncProgress) => {
      onProgress?.(p);
      pendingProgress = p;
      if (Date.now() - lastProgressAt >= 1000) flushProgress();
    };

    const done = (async (): Promise<SyncOutcome> => {
      try {
        if (claim.previousStatus === 'failed' || claim.previousStatus === 'permanent_failure') {
          await insertLog(db.kysely, {
            repo_mirror_id: m.id,
            sync_id: syncId,
            event: 'retry_attempted',
            message: `attempt ${m.retry_count + 1} after: ${m.error_message ?? m.error_code ?? 'a failure'}`,
            error_code: m.error_code,
            details: { retry_count: m.retry_count, max_retries: m.max_retries, previous_status: claim.previousStatus },
          });
        }
        const result = await deps.execute({ mirror: m, syncId, signal: controller.signal, onProgress: progress });
        if (controller.signal.aborted) throw new Error(abortReason(controller.signal));
        const now = nowIso();
        const held = await finishSync(db, m.id, id, (row) => afterSuccess(row, { claimedSeq: m.requested_seq, startedAt, durationMs: Date.now() - t0, bytes: result.bytes, syncedSha: result.syncedSha }, now));
        const outcome: SyncOutcome = held ? 'completed' : 'lease_lost';
        deps.onOutcome?.({ mirrorId: m.id, targetId: m.target_id, outcome, seconds: (Date.now() - t0) / 1000 });
        return outcome;
      } catch (err) {
        const reason = controller.signal.aborted ? abortReason(controller.signal) : null;
        if (reason === 'lease_lost') {
          deps.onOutcome?.({ mirrorId: m.id, targetId: m.target_id, outcome: 'lease_lost', seconds: (Date.now() - t0) / 1000 });
          return 'lease_lost';
        }
        if (reason === 'shutdown') {
          await finishSync(db, m.id, id, () => ({ sync_status: 'pending', due_at: nowIso() })).catch(() => false);
          await insertLog(db.kysely, { repo_mirror_id: m.id, sync_id: syncId, event: 'sync_interrupted', message: 'this process is stopping: another one will take the sync over', duration_ms: Date.now() - t0 }).catch(() => undefined);
          deps.onOutcome?.({ mirrorId: m.id, targetId: m.target_id, outcome: 'interrupted', seconds: (Date.now() - t0) / 1000 });
          return 'interrupted';
        }
        const failure =
          reason === 'timeout'
            ? new SyncFailure(FAILURE_CODES.timeout, 'transient', `the sync took longer than MIRROR_SYNC_TIMEOUT_SECONDS (${config.syncTimeoutSeconds} s) and was stopped`, { cause: err })
            : err instanceof SyncFailure
              ? err
              : new SyncFailure(FAILURE_CODES.internal, 'transient', `unexpected error: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        if (!(err instanceof SyncFailure) && reason !== 'timeout') mlog.error({ err }, 'a mirror sync failed unexpectedly');
        const decided: { outcome: 'retry' | 'stopped' | 'permanent' | 'lease_lost'; retryAt: string | null } = { outcome: 'lease_lost', retryAt: null };
        const held = await finishSync(db, m.id, id, (row) => {
          const o = afterFailure(row, failure, { now: new Date(), retryBaseMs: config.retryBaseMs, durationMs: Date.now() - t0 });
          decided.outcome = o.kind;
          decided.retryAt = o.retryAt;
          return o.patch;
        });
        if (!held) return 'lease_lost';
        const { outcome, retryAt } = decided;
        const next = outcome === 'retry' ? `; retry at ${retryAt}` : outcome === 'permanent' ? '; no retries left (permanent_failure): fix the cause, then retry' : '; not retried until someone fixes this and asks for a retry';
        await insertLog(db.kysely, {
          repo_mirror_id: m.id,
          sync_id: syncId,
          event: 'sync_failed',
          message: `${failure.message}${next}`,
          error_code: failure.code,
          duration_ms: Date.now() - t0,
          details: { kind: failure.kind, outcome, retry_at: retryAt, retry_count: outcome === 'stopped' ? m.retry_count : m.retry_count + 1, max_retries: m.max_retries },
        });
        mlog.warn({ code: failure.code, outcome, retryAt }, `mirror sync failed: ${failure.message}`);
        deps.onOutcome?.({ mirrorId: m.id, targetId: m.target_id, outcome, seconds: (Date.now() - t0) / 1000 });
        return outcome;
      } finally {
        clearInterval(heartbeat);
        clearTimeout(timeout);
        flushProgress();
      }
    })();
    running.set(m.id, { controller, done });
    void done
      .catch((err: unknown) => {
        mlog.error({ err }, 'could not record the outcome of a mirror sync; its lease will release it');
        return 'lease_lost' as const;
      })
      .finally(() => {
        running.delete(m.id);
        wake();
      });
    return done;
  };

  const poll = async (): Promise<void> => {
    if (stopped || running.size >= config.concurrency) return;
    if (!(await anyDue(db.kysely))) return;
    const claims = await claimDue(db, { owner: id, leaseMs, overall: config.concurrency, perTarget: config.targetConcurrency, localFree: config.concurrency - running.size });
    for (const c of claims) void run(c).catch(() => undefined);
  };

  const schedule = () => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(wake, config.pollMs);
  };

  function wake(): void {
    if (!started || stopped) return;
    if (polling) {
      again = true;
      return;
    }
    clearTimeout(timer);
    polling = (async () => {
      do {
        again = false;
        try {
          await poll();
        } catch (err) {
          log.error({ err }, 'mirror runner: looking for due syncs failed');
        }
      } while (again && !stopped);
    })().finally(() => {
      polling = undefined;
      schedule();
    });
  }

  return {
    id,
    start() {
      if (started) return;
      started = true;
      wake();
    },
    wake,
    async syncOne(mirrorId, onProgress) {
      const [claim] = await claimDue(db, { owner: id, leaseMs, overall: 1, perTarget: 1, localFree: 1, onlyMirrorId: mirrorId });
      if (!claim) return 'busy';
      return run(claim, onProgress);
    },
    running: () => running.size,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await polling;
      const all = [...running.values()];
      for (const r of all) r.controller.abort('shutdown');
      await Promise.all(all.map((r) => r.done.catch(() => undefined)));
    },
  };
}
