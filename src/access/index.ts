/**
 * Access that follows GitHub: who may see which installation here stays what GitHub says, not
 * only what it said at sign-in.
 * - Deliveries (apply-delivery.ts, a projector in the automation registry): an installation
 *   deleted, a member leaving an organization, the App's authorization revoked change or end access
 *   in the delivery's own processing transaction; changes a delivery cannot decide (team or
 *   repository membership, repositories leaving an installation) queue a re-check of the people.
 * - Re-check (recheck-user.ts, job `access.recheck`, keyed per person): the person's own token
 *   lists their installations; a refused token ends their sessions.
 * - Sweep (job `access.sweep`, ACCESS_RECHECK_CRON): queues a re-check for each person who used a
 *   session in the last day and was not confirmed in ACCESS_RECHECK_MINUTES. Schedules fire once
 *   across processes and the per-person key keeps one re-check waiting at a time.
 * Owns no table: it changes identity's user_installations, sessions and tokens through identity's
 * functions.
 */
import type { AutomationRegistry } from '../automations/registry.js';
import type { Config } from '../config/index.js';
import type { Database, Executor } from '../db/index.js';
import type { AppCredentialsStore, GitHubClients } from '../github/index.js';
import { usersDueForAccessCheck, type SecretBox } from '../identity/index.js';
import type { Queue } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import { accessProjector } from './apply-delivery.js';
import { ACCESS_EVENTS } from './delivery-effects.js';
import { RECHECK_JOB, recheckUser, type RecheckOutcome } from './recheck-user.js';

export { RECHECK_JOB } from './recheck-user.js';
export { accessEffectsOf, ACCESS_EVENTS } from './delivery-effects.js';
export type { AccessEffect } from './delivery-effects.js';

export const SWEEP_JOB = 'access.sweep';

/** "Active": used a session within this long (sessions touch `last_active_at` at most once a minute). */
const ACTIVE_WITHIN_MS = 24 * 3600_000;
/** Re-checks one sweep queues at most (the next sweep takes the rest). */
const SWEEP_LIMIT = 500;

export interface AccessDeps {
  config: Config;
  db: Database;
  box: SecretBox;
  queue: Queue;
  registry: AutomationRegistry;
  credentials: AppCredentialsStore;
  clients: () => GitHubClients;
  log: Logger;
}

export interface AccessSlice {
  /** Re-checks one person now, in this process (tests, the CLI); the job does the same. */
  recheck(userId: string): Promise<RecheckOutcome>;
  /** Queues the re-checks that are due; returns how many people were due. */
  sweep(now?: Date): Promise<number>;
}

export function createAccessSlice(deps: AccessDeps): AccessSlice {
  const { config, db, queue } = deps;
  const log = deps.log.child({ slice: 'access' });
  const recheckDeps = { db, box: deps.box, credentials: deps.credentials, clients: deps.clients, githubUrl: config.github.url, log };

  const enqueueRecheck = async (exec: Executor, userId: string, reason: string) => {
    await queue.enqueue(exec, RECHECK_JOB, { userId, reason }, { key: `user:${userId}` });
  };
  // After the state projection (registered before this slice), so an installation's row is current.
  deps.registry.project('access.follow-github', ACCESS_EVENTS, accessProjector(enqueueRecheck));

  queue.register<{ userId: string; reason?: string }>(RECHECK_JOB, async (p, ctx) => {
    const outcome = await recheckUser({ ...recheckDeps, log: ctx.log }, p.userId);
    ctx.log.debug({ userId: p.userId, reason: p.reason, outcome }, 'access re-checked');
  });

  const sweep = async (now = new Date()) => {
    const due = await usersDueForAccessCheck(db.kysely, {
      activeSince: new Date(now.getTime() - ACTIVE_WITHIN_MS).toISOString(),
      checkedBefore: new Date(now.getTime() - config.accessRecheck.minutes * 60_000).toISOString(),
      limit: SWEEP_LIMIT,
    });
    for (const userId of due) await enqueueRecheck(db.kysely, userId, 'periodic');
    return due.length;
  };
  queue.register(SWEEP_JOB, async (_p, ctx) => {
    const due = await sweep();
    if (due > 0) ctx.log.info({ due }, 'queued access re-checks');
  });
  queue.schedule(SWEEP_JOB, config.accessRecheck.cron);

  return { recheck: (userId) => recheckUser(recheckDeps, userId), sweep };
}
