/**
 * Mirroring: keeps a live copy of GitHub repositories on another forge (OneDev, Gitea/Forgejo,
 * GitLab, any git URL). The slice's public surface: `createMirrorSlice` composes its event
 * subscription, jobs, sync runner and routes; the rest is for the CLI. See README.md.
 */
import type { FastifyInstance } from 'fastify';
import client from 'prom-client';
import type { Config } from '../../config/index.js';
import type { Database } from '../../db/index.js';
import type { Metrics } from '../../http/metrics.js';
import type { SecretBox } from '../../identity/index.js';
import type { Queue } from '../../jobs/index.js';
import type { Logger } from '../../log/index.js';
import type { AutomationRegistry } from '../registry.js';
import { MIRROR_EVENTS, mirrorEventHandler } from './events.js';
import { registerMirrorJobs } from './jobs.js';
import type { ManageDeps } from './manage.js';
import { cachedDiskUsage, mirrorRoutes } from './routes.js';
import { createMirrorRunner, type MirrorRunner } from './runner.js';
import { syncMirror } from './sync-mirror.js';
import './tables.js';

export type { MirrorRunner, SyncOutcome } from './runner.js';
export type { SyncProgress } from './sync-mirror.js';
export type { ManageDeps, PresentedTarget } from './manage.js';
export { createTarget, updateTarget, deleteTarget, testTarget, createRule, deleteRule, findTarget, presentTarget, presentRule, addManualMirror, TOKEN_COLUMN } from './manage.js';
export { presentMirror, presentLog } from './routes.js';
export { listMirrors, listLogs, listTargets, listRules, findRepositoryByName, requestSync, resetForRetry, statusCounts, getMirror } from './repo.js';
export { diskUsage, formatBytes, lfsAvailable } from '../../git/index.js';
export { reconcileMirrors, verifyMirror, deleteOldSyncLogs, RECONCILE_JOB, VERIFY_JOB, RETENTION_JOB } from './jobs.js';
export { checkTargetUrl, refusedAddress } from './url-policy.js';
export type { TargetKind, SyncStatus, RuleKind } from './tables.js';

/** Wakes the sync runners of worker processes (enqueued by processes that do not sync). */
export const WAKE_JOB = 'mirror.wake';

export interface MirrorSliceDeps {
  config: Config;
  db: Database;
  queue: Queue;
  registry: AutomationRegistry;
  box: SecretBox;
  metrics: Metrics;
  log: Logger;
  /** An installation access token (the GitHub App's), for cloning. */
  sourceToken(installationId: number): Promise<string>;
}

export interface MirrorSlice {
  routes(app: FastifyInstance): Promise<void>;
  runner: MirrorRunner;
  /** What the CLI and tests use to administer targets and rules. */
  manage: ManageDeps;
  /** Starts the sync runner when this process works jobs. */
  start(o: { work: boolean }): void;
  /** Stops the runner: running syncs are interrupted and left due for another process. */
  stop(): Promise<void>;
}

export function createMirrorSlice(deps: MirrorSliceDeps): MirrorSlice {
  const { config, db, box } = deps;
  const log = deps.log.child({ slice: 'mirror' });
  const syncs = new client.Counter({ name: 'switchyard_mirror_syncs_total', help: 'Mirror syncs by outcome (completed, retry, stopped, permanent, interrupted, lease_lost)', labelNames: ['outcome'], registers: [deps.metrics.registry] });
  const seconds = new client.Histogram({
    name: 'switchyard_mirror_sync_seconds',
    help: 'Duration of mirror syncs',
    labelNames: ['outcome'],
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800],
    registers: [deps.metrics.registry],
  });
  deps.metrics.addCollectedGauge('switchyard_mirror_repositories', 'Mirrored repositories by sync status (stopped: no longer mirrored)', ['status'], async () => {
    const rows = await db.kysely.selectFrom('repo_mirrors').select(['sync_status', 'is_active', (eb) => eb.fn.countAll<number>().as('n')]).groupBy(['sync_status', 'is_active']).execute();
    const out = new Map<string, number>();
    for (const r of rows) {
      const k = r.is_active === true || r.is_active === 1 ? r.sync_status : 'stopped';
      out.set(k, (out.get(k) ?? 0) + Number(r.n));
    }
    return [...out].map(([status, value]) => ({ labels: { status }, value }));
  });

  const runner = createMirrorRunner({
    db,
    config: config.mirror,
    log,
    execute: (run) =>
      syncMirror({ db, config, box, log, sourceToken: deps.sourceToken }, run),
    onOutcome: (o) => {
      syncs.inc({ outcome: o.outcome });
      seconds.observe({ outcome: o.outcome }, o.seconds);
    },
  });
  let working = false;
  // A process that does not sync (web only, or the embedded main thread) hands the wake-up to the
  // workers through the queue: they see a job at once (embedded) or within a poll (pg-boss), sooner
  // than their next look at the mirrors table (MIRROR_POLL_MS).
  const wake = () => {
    if (working) return runner.wake();
    void deps.queue.enqueue(db.kysely, WAKE_JOB, {}, { key: WAKE_JOB, maxAttempts: 1 }).catch((err: unknown) => log.warn({ err }, 'could not wake the mirror workers'));
  };
  deps.queue.register(WAKE_JOB, async () => runner.wake());
  const manage: ManageDeps = { db, box, config, log, wake };
  deps.registry.on('mirror', MIRROR_EVENTS, mirrorEventHandler({ db, box, config, log, maxRetries: config.mirror.maxRetries, wake }));
  registerMirrorJobs({ db, box, config, queue: deps.queue, log, sourceToken: deps.sourceToken, wake });
  const cacheBytes = cachedDiskUsage(config.mirror.cacheDir);

  return {
    routes: (app) => mirrorRoutes(app, { ...manage, cacheBytes }),
    runner,
    manage,
    start(o) {
      if (!o.work) return;
      working = true;
      runner.start();
    },
    stop: () => runner.stop(),
  };
}
