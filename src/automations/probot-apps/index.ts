/**
 * Hosted Probot apps: unmodified Probot 14 apps (SWITCHYARD_APPS, `--app`) run as Switchyard
 * automations. Each app's `app.on` names become one registry subscription (`probot:<app>`): every
 * matching delivery enqueues one keyed `automation.run` job per app, which runs the app's handlers
 * once per delivery (run-app.ts), retries what GitHub or the network failed, and keeps what the app
 * logged. `context.octokit` is an installation client whose tokens come from the github slice's
 * cache. Routes: routes.ts. See README.md beside this file.
 */
import type { FastifyInstance } from 'fastify';
import type { HostRateLimits } from '@switchyard/probot/host';
import type { Config } from '../../config/index.js';
import type { Database } from '../../db/index.js';
import { appBucket, installationBucket, type GitHubClients } from '../../github/index.js';
import type { Queue } from '../../jobs/index.js';
import type { Logger } from '../../log/index.js';
import type { AutomationRegistry, EventContext } from '../registry.js';
import { createAppLogs } from './app-log.js';
import { loadApps, type LoadFailure } from './load-apps.js';
import { probotAppsRoutes, type AppHandler, type LoadedAppInfo } from './routes.js';
import { RUN_JOB, runApp, type RunDeps, type Runnable, type RunJobPayload } from './run-app.js';
import './tables.js';

export { AppsRefused, loadApps, type LoadFailure } from './load-apps.js';
export { RUN_JOB, replayRun } from './run-app.js';
export { appStats, listRuns, type RunRow } from './repo.js';
export { RUN_STATUSES, type RunStatus } from './tables.js';

export interface ProbotAppsDeps {
  config: Config;
  db: Database;
  queue: Queue;
  registry: AutomationRegistry;
  log: Logger;
  clients: () => GitHubClients;
  appId: () => number | null;
  eventContext(receiptId: string): Promise<EventContext | null>;
  secrets(): Array<string | undefined>;
  /** Where relative app paths and package names resolve from (default: the process's cwd). */
  cwd?: string;
}

export interface ProbotAppsSlice {
  apps(): LoadedAppInfo[];
  failures(): LoadFailure[];
  routes(app: FastifyInstance): Promise<void>;
}

/** Hosted apps' requests pass the same gate as Switchyard's own clients: GitHub's limits, shared by every process (github/rate-limit-gate.ts). */
export function sharedRateLimits(clients: () => GitHubClients, appId: () => number | null): HostRateLimits {
  return {
    send(installationId, send) {
      const gate = clients().rateLimits;
      if (!gate) return send();
      return gate.send(installationId ? installationBucket(installationId) : appBucket(appId() ?? 0), send);
    },
  };
}

/** The registry name of an app's subscription. */
export const automationName = (app: string) => `probot:${app}`;

/** Loads the configured apps, subscribes them and registers the retry/replay job. */
export async function createProbotAppsSlice(deps: ProbotAppsDeps): Promise<ProbotAppsSlice> {
  const { config, db, queue, registry } = deps;
  const log = deps.log.child({ slice: 'probot-apps' });
  const logs = createAppLogs({ log: deps.log, level: config.logLevel });
  const handlers = new Map<string, AppHandler[]>();
  const { apps, failures } = await loadApps({
    specs: config.apps.specs,
    strict: config.apps.strict,
    cwd: deps.cwd ?? process.cwd(),
    // Probot insists on an App id; the host's auth strategy signs every request itself.
    appId: deps.appId() ?? 1,
    baseUrl: config.github.apiUrl,
    requestRetries: config.apps.requestRetries,
    tokens: {
      installationToken: async (installationId) => ((await deps.clients().installation(installationId).auth({ type: 'installation' })) as { token: string }).token,
      appToken: async () => ((await deps.clients().app().auth({ type: 'app' })) as { token: string }).token,
    },
    rateLimits: sharedRateLimits(deps.clients, deps.appId),
    appLog: (name) => logs.logger(name),
    addHandler: (app, h) => handlers.set(app, [...(handlers.get(app) ?? []), h as unknown as AppHandler]),
  });
  for (const f of failures) log.error({ app: f.name, spec: f.spec }, `Probot app not loaded: ${f.reason}`);

  const runnable = new Map<string, Runnable>(apps.map((a) => [a.name, a]));
  const runDeps: RunDeps = {
    db,
    queue,
    log,
    apps: runnable,
    logs,
    eventContext: deps.eventContext,
    handlerTimeoutMs: config.apps.handlerTimeoutMs,
    leaseMs: config.jobLeaseSeconds * 1000,
    maxAttempts: config.apps.maxAttempts,
    retryBaseMs: config.retryBaseMs,
    secrets: deps.secrets,
  };
  for (const a of apps) {
    if (a.events.length === 0) {
      log.warn({ app: a.name }, 'Probot app subscribes to no event (only routes, if any)');
      continue;
    }
    registry.on(automationName(a.name), a.events, (ctx) => runApp(runDeps, { app: a.name, receiptId: ctx.receiptId, seq: 0 }, ctx));
    log.info({ app: a.name, events: a.events }, 'Probot app loaded');
  }
  queue.register<RunJobPayload>(RUN_JOB, (p, job) => runApp(runDeps, p, undefined, job));

  const info = (): LoadedAppInfo[] => apps.map((a) => ({ name: a.name, spec: a.source.spec, events: a.events, routes: handlers.get(a.name)?.length ?? 0 }));
  return {
    apps: info,
    failures: () => failures,
    routes: (app) => probotAppsRoutes(app, { db, queue, apps: info, failures: () => failures, handlers: (name) => handlers.get(name) ?? [] }),
  };
}
