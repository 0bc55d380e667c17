/**
 * The mirror's queue jobs (syncs themselves run in runner.ts, see there why):
 * - `mirror.reconcile` (daily, MIRROR_RECONCILE_CRON): applies the installation, list and pattern
 *   rules to every known repository (repositories learned without an event), makes syncs whose
 *   lease expired without a pending request due again, and enqueues one `mirror.verify` per active
 *   mirror;
 * - `mirror.verify` (keyed per mirror): compares the refs on both sides with `git ls-remote`; any
 *   difference (a missed delivery, a change made on the target) is logged as `drift_detected`
 *   and a sync is requested; a name that no longer follows GitHub is renamed again;
 * - `mirror.retention` (with RETENTION_CRON): deletes sync log rows older than MIRROR_SYNC_LOG_DAYS.
 */
import type { Config } from '../../config/index.js';
import type { Database } from '../../db/index.js';
import { nowIso, toBool } from '../../db/index.js';
import type { SecretBox } from '../../identity/index.js';
import type { Queue } from '../../jobs/index.js';
import type { Logger } from '../../log/index.js';
import { SyncFailure } from './errors.js';
import { follow } from './follow-repository.js';
import { parseLsRemote, runGit } from '../../git/index.js';
import { classifyGitError } from './git/classify-git-error.js';
import { planIsEmpty, planRefChanges } from './git/refs.js';
import { applyRules, pathForTarget } from './membership.js';
import * as repo from './repo.js';
import { adapterFor, checkTargetAddress } from './sync-mirror.js';

export const RECONCILE_JOB = 'mirror.reconcile';
export const VERIFY_JOB = 'mirror.verify';
export const RETENTION_JOB = 'mirror.retention';

export interface JobDeps {
  db: Database;
  box: SecretBox;
  config: Pick<Config, 'mirror' | 'retentionCron'> & { github: Pick<Config['github'], 'gitUrl'> };
  queue: Queue;
  log: Logger;
  sourceToken(installationId: number): Promise<string>;
  wake(): void;
}

/** The daily pass over every repository and mirror. */
export async function reconcileMirrors(deps: JobDeps): Promise<{ started: number; verifications: number; released: number }> {
  const { db } = deps;
  let started = 0;
  const rules = await repo.listRules(db.kysely);
  if (rules.some((r) => r.kind !== 'starred' && r.target_enabled)) {
    let afterId: string | undefined;
    for (;;) {
      const page = await repo.liveRepositories(db.kysely, { afterId, limit: 500 });
      for (const r of page) started += (await db.kysely.transaction().execute((tx) => applyRules(tx, db.dialect, r, deps.config.mirror.maxRetries, rules))).length;
      if (page.length < 500) break;
      afterId = page[page.length - 1]!.id;
    }
  }
  const now = nowIso();
  const released = await db.kysely
    .updateTable('repo_mirrors')
    .set({ due_at: now, sync_status: 'pending', updated_at: now })
    .where('sync_status', '=', 'in_progress')
    .where('due_at', 'is', null)
    .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
    .executeTakeFirst();
  let verifications = 0;
  let afterId: string | undefined;
  for (;;) {
    const page = await repo.activeMirrorsPage(db.kysely, { afterId, limit: 500 });
    for (const m of page) {
      if (m.target_url === null) continue;
      await deps.queue.enqueue(db.kysely, VERIFY_JOB, { mirrorId: m.id }, { key: `mirror.verify:${m.id}`, maxAttempts: 2 });
      verifications++;
    }
    if (page.length < 500) break;
    afterId = page[page.length - 1]!.id;
  }
  if (started > 0 || Number(released.numUpdatedRows) > 0) deps.wake();
  deps.log.info({ started, verifications, released: Number(released.numUpdatedRows) }, 'mirror reconciliation queued');
  return { started, verifications, released: Number(released.numUpdatedRows) };
}

/** Compares one mirror's refs on both sides; requests a sync when they differ. */
export async function verifyMirror(deps: JobDeps, mirrorId: string): Promise<'in_sync' | 'drift' | 'skipped'> {
  const { db, config } = deps;
  const m = await repo.getMirror(db.kysely, mirrorId);
  if (!m || !toBool(m.is_active) || m.target_url === null) return 'skipped';
  if (m.sync_status === 'in_progress' || m.sync_status === 'permanent_failure' || (m.sync_status === 'failed' && m.next_retry_at === null)) return 'skipped';
  const target = await repo.getTarget(db.kysely, m.target_id);
  const facts = await repo.getRepositoryFacts(db.kysely, m.repository_id);
  if (!target || !facts || !toBool(target.enabled) || facts.installation_id === null) return 'skipped';
  if (pathForTarget(target, facts) !== m.target_path) await follow(deps, { kind: 'rename', mirrorId: m.id });
  const logFailure = (err: unknown) =>
    repo.insertLog(db.kysely, {
      repo_mirror_id: m.id,
      sync_id: null,
      event: 'verify_failed',
      message: `the daily comparison could not run: ${err instanceof Error ? err.message : String(err)}`,
      error_code: err instanceof SyncFailure ? err.code : null,
    });
  try {
    await checkTargetAddress(config, target.base_url);
    const adapter = adapterFor(deps.box, target);
    const sourceUrl = `${config.github.gitUrl}/${facts.full_name}.git`;
    const base = { git: config.mirror.git, lowSpeed: { limit: config.mirror.lowSpeedLimit, time: config.mirror.lowSpeedTime }, signal: AbortSignal.timeout(120_000) };
    const source = await runGit({ ...base, args: ['ls-remote', '--refs', sourceUrl], credential: { url: sourceUrl, username: 'x-access-token', password: await deps.sourceToken(facts.installation_id) } }).catch((err: unknown) => {
      throw classifyGitError(err, 'source', { place: 'GitHub', credential: "the GitHub App's installation token" });
    });
    const cred = adapter.gitCredential();
    const targetRefs = await runGit({ ...base, args: ['ls-remote', '--refs', m.target_url], credential: cred ? { ...cred, url: m.target_url } : null }).catch((err: unknown) => {
      throw classifyGitError(err, 'target', { place: adapter.place, credential: adapter.credentialHint });
    });
    const plan = planRefChanges(parseLsRemote(source.stdout), parseLsRemote(targetRefs.stdout));
    if (planIsEmpty(plan)) return 'in_sync';
    await repo.requestSync(db.kysely, { mirrorIds: [m.id] });
    await repo.insertLog(db.kysely, {
      repo_mirror_id: m.id,
      sync_id: null,
      event: 'drift_detected',
      message: `the target differs from GitHub: ${plan.creates.length} missing, ${plan.updates.length} different, ${plan.deletes.length} extra; syncing`,
      details: { missing: plan.creates.slice(0, 20).map((c) => c.ref), different: plan.updates.slice(0, 20).map((c) => c.ref), extra: plan.deletes.slice(0, 20).map((c) => c.ref) },
    });
    deps.wake();
    return 'drift';
  } catch (err) {
    await logFailure(err);
    return 'skipped';
  }
}

/** Deletes sync logs older than MIRROR_SYNC_LOG_DAYS. */
export async function deleteOldSyncLogs(deps: Pick<JobDeps, 'db' | 'config' | 'log'>, now = Date.now()): Promise<number> {
  const before = new Date(now - deps.config.mirror.syncLogDays * 86_400_000).toISOString();
  const n = await repo.deleteLogsBefore(deps.db.kysely, before);
  if (n > 0) deps.log.info({ deleted: n, before }, 'old sync logs deleted');
  return n;
}

export function registerMirrorJobs(deps: JobDeps): void {
  const { queue } = deps;
  queue.register(RECONCILE_JOB, async () => {
    await reconcileMirrors(deps);
  });
  queue.register<{ mirrorId: string }>(VERIFY_JOB, async (p) => {
    await verifyMirror(deps, p.mirrorId);
  }, { concurrency: 2 });
  queue.register(RETENTION_JOB, async () => {
    await deleteOldSyncLogs(deps);
  });
  queue.schedule(RECONCILE_JOB, deps.config.mirror.reconcileCron);
  queue.schedule(RETENTION_JOB, deps.config.retentionCron);
}
