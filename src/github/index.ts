/**
 * The GitHub slice: payload readers shared by every slice, the App's credentials and API clients,
 * the setup wizard, "Sign in with GitHub", reconciliation with GitHub and missed-delivery recovery.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import type { Metrics } from '../http/metrics.js';
import type { SecretBox, SessionCookieDeps } from '../identity/index.js';
import type { Queue } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import type { AppCredentialsStore } from './app-credentials.js';
import { githubAdminRoutes } from './admin-routes.js';
import { createGitHubClients, type GitHubClients } from './client.js';
import { createRateLimitGate } from './rate-limit-gate.js';
import { oauthRoutes } from './oauth-routes.js';
import { countRecovered, RECOVER_DELIVERIES_JOB, recoverDeliveries } from './recover-deliveries.js';
import { RECONCILE_JOB, reconcileInstallations } from './reconcile-installations.js';
import { setupRoutes } from './setup-routes.js';

export { isObj, objAt, str, num, arr, toIsoTimestamp, columnText } from '../payload-readers/index.js';
export type { Obj } from '../payload-readers/index.js';
export { createAppCredentialsStore } from './app-credentials.js';
export type { AppCredentials, AppCredentialsStore, ManifestConversion } from './app-credentials.js';
export { createGitHubClients, SwitchyardOctokit } from './client.js';
export { createRateLimitGate, installationBucket, appBucket, rateLimitWaitMs, SharedRateLimited } from './rate-limit-gate.js';
export type { RateLimitGate } from './rate-limit-gate.js';
export type { GitHubClients, GitHubClient } from './client.js';
export { RECONCILE_JOB, reconcileInstallations } from './reconcile-installations.js';
export { RECOVER_DELIVERIES_JOB, recoverDeliveries, countRecovered } from './recover-deliveries.js';
export { buildAppManifest } from './app-manifest.js';

export interface GitHubSliceDeps {
  config: Config;
  db: Database;
  box: SecretBox;
  queue: Queue;
  metrics: Metrics;
  log: Logger;
  credentials: AppCredentialsStore;
  cookies: SessionCookieDeps;
}

export interface GitHubSlice {
  /** API clients for the App as currently configured (rebuilt when the credentials change). */
  clients(): GitHubClients;
  routes(app: FastifyInstance): Promise<void>;
  /** Queues a reconcile and a recovery run (at start, when an App is configured). */
  kickOff(): Promise<void>;
}

export function createGitHubSlice(deps: GitHubSliceDeps): GitHubSlice {
  const { config, db, queue, credentials } = deps;
  const log = deps.log.child({ slice: 'github' });
  const rateLimits = createRateLimitGate({ db, log });
  let built: { key: string; clients: GitHubClients } | null = null;
  const clients = (): GitHubClients => {
    const c = credentials.current();
    const key = c ? `${c.appId}:${c.privateKey.length}:${c.privateKey.slice(-64)}` : 'none';
    if (!built || built.key !== key) built = { key, clients: createGitHubClients({ credentials: c, apiUrl: config.github.apiUrl, log, rateLimits }) };
    return built.clients;
  };

  // Another process (or thread) may have just run the setup wizard: look again before giving up.
  const configured = async () => {
    if (!credentials.current()) await credentials.refresh();
    return credentials.current() !== null;
  };
  queue.register(RECONCILE_JOB, async (_p, ctx) => {
    if (!(await configured())) return ctx.log.debug('no GitHub App configured: nothing to reconcile');
    await reconcileInstallations({ db, clients: clients(), log: ctx.log });
  });
  queue.register<{ trigger?: 'schedule' | 'manual' | 'start' }>(RECOVER_DELIVERIES_JOB, async (p, ctx) => {
    if (!(await configured())) return ctx.log.debug('no GitHub App configured: no deliveries to recover');
    await recoverDeliveries({ db, clients: clients(), log: ctx.log, windowHours: config.deliveryRecoveryHours, retentionDays: config.retentionProcessedDays }, p.trigger ?? 'schedule');
  });
  queue.schedule(RECONCILE_JOB, config.reconcileCron);
  queue.schedule(RECOVER_DELIVERIES_JOB, config.deliveryRecoveryCron, { trigger: 'schedule' });

  deps.metrics.addCollectedGauge('switchyard_deliveries_recovered', 'Missed deliveries Switchyard asked GitHub to redeliver, by outcome (requested, arrived, failed)', ['outcome'], async () => {
    const c = await countRecovered(db);
    return [
      { labels: { outcome: 'requested' }, value: c.requested },
      { labels: { outcome: 'arrived' }, value: c.arrived },
      { labels: { outcome: 'failed' }, value: c.failed },
    ];
  });

  const kickOff = async () => {
    if (!credentials.current()) return;
    await queue.enqueue(db.kysely, RECONCILE_JOB, { trigger: 'start' }, { key: RECONCILE_JOB });
    await queue.enqueue(db.kysely, RECOVER_DELIVERIES_JOB, { trigger: 'start' }, { key: RECOVER_DELIVERIES_JOB });
  };

  return {
    clients,
    kickOff,
    async routes(app) {
      await setupRoutes(app, { config, db, box: deps.box, credentials, clients, log, onConfigured: kickOff });
      await oauthRoutes(app, { config, db, box: deps.box, credentials, clients, cookies: deps.cookies, log });
      await githubAdminRoutes(app, { config, db, queue, credentials });
    },
  };
}
