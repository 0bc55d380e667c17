/**
 * The Switchyard server: one object owns the lifecycle (as Probot's Server does). It opens the
 * database, migrates, builds the queue, the automation registry and the HTTP app, and starts
 * the roles this process plays:
 * - `web`: the HTTP server (webhooks, API, metrics);
 * - `worker`: runs jobs (receipt processing, automations);
 * - `scheduler`: fires cron schedules (once per slot across every process).
 */
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/index.js';
import type { Database } from './db/index.js';
import { migrateToLatest, openDatabase } from './db/index.js';
import { createQueue, jobsAdminRoutes, type Queue } from './jobs/index.js';
import type { Logger } from './log/index.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import { buildServer } from './http/server.js';
import { startMetricsListener, type MetricsListener } from './http/metrics-listener.js';
import { AutomationRegistry } from './automations/registry.js';
import { overviewRoutes, registerStateProjection, stateRoutes } from './state/index.js';
import { dashboardRoutes } from './dashboard/index.js';
import { createWebhooksSlice, eventContextFor, PROCESS_RECEIPT_JOB, type BatchWriter, type WebhooksSlice } from './webhooks/index.js';
import { announceSetupCode, createIdentitySlice, loadSecretBox, type IdentitySlice, type SecretBox } from './identity/index.js';
import { createAppCredentialsStore, createGitHubSlice, type AppCredentialsStore, type GitHubSlice } from './github/index.js';
import { createMirrorSlice, type MirrorSlice } from './automations/mirror/index.js';
import { createCiTriageSlice, type CiTriageSlice } from './automations/ci-triage/index.js';
import { createPetsSlice, type PetsSlice } from './automations/pets/index.js';
import { createNotifySlice, type NotifySlice } from './notify/index.js';
import { createLlmSlice, type LlmSlice } from './llm/index.js';
import { createAgentsSlice, wakeBudgetWaits, type AgentsSlice } from './automations/agents/index.js';
import { createAccessSlice, type AccessSlice } from './access/index.js';
import { createProbotAppsSlice, type ProbotAppsSlice } from './automations/probot-apps/index.js';

export interface Roles {
  web: boolean;
  worker: boolean;
  scheduler: boolean;
}

export interface Switchyard {
  config: Config;
  db: Database;
  queue: Queue;
  registry: AutomationRegistry;
  metrics: Metrics;
  webhooks: WebhooksSlice;
  identity: IdentitySlice;
  /** Encryption at rest (SWITCHYARD_SECRET_KEY or the data dir's key file). */
  box: SecretBox;
  appCredentials: AppCredentialsStore;
  github: GitHubSlice;
  ciTriage: CiTriageSlice;
  /** Mirroring repositories to other forges (src/automations/mirror). */
  mirror: MirrorSlice;
  /** Repository pets (src/automations/pets). */
  pets: PetsSlice;
  /** Notifications in-app, by Telegram and by email (src/notify). */
  notify: NotifySlice;
  /** LLM providers, prices and budgets (src/llm): `llm.complete` is the one way to call a model. */
  llm: LlmSlice;
  /** LLM agents on issues (src/automations/agents). */
  agents: AgentsSlice;
  /** Access that follows GitHub (src/access): deliveries and a periodic re-check keep each person's installations current. */
  access: AccessSlice;
  /** Hosted Probot apps (src/automations/probot-apps). */
  probotApps: ProbotAppsSlice;
  http: FastifyInstance;
  /** Starts the roles; resolves once the HTTP server listens (when `web`). Returns the bound port. */
  start(roles: Roles): Promise<number | null>;
  /**
   * The one-time setup code this process issued at start (and printed in its log), while the server
   * has no administrator; null otherwise. Held in memory only: the database keeps its hash.
   */
  issuedSetupCode(): string | null;
  /** Stops taking work, finishes what runs, closes the database. */
  stop(): Promise<void>;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export interface CreateOptions {
  /** SQLite: checkpoint on commit (default); off when a background checkpointer runs. */
  sqliteAutoCheckpoint?: boolean;
  /** Called after new receipts commit (wakes the embedded worker thread). */
  afterReceiptsCommitted?: () => void;
  /** Collect Node's process metrics (off in a second thread of the same process). */
  processMetrics?: boolean;
  /** SQLite: write receipt batches through this (the embedded writer thread). */
  receiptBatchWriter?: BatchWriter;
  /** SQLite: this process holds the data dir's lock (embedded/data-dir-lock.ts); jobs left running are taken back at start. */
  ownsDatabase?: boolean;
}

/** Opens, migrates and composes everything; nothing listens or runs until start(). */
export async function createSwitchyard(config: Config, log: Logger, options: CreateOptions = {}): Promise<Switchyard> {
  const secretKey = loadSecretBox(config);
  if (secretKey.source === 'new key file') {
    log.warn({ keyFile: secretKey.keyFile }, 'SWITCHYARD_SECRET_KEY is not set: created a key file in the data dir to encrypt secrets at rest (back it up, or set the variable)');
  }
  const box = secretKey.box;
  const db = openDatabase(config, { autoCheckpoint: options.sqliteAutoCheckpoint ?? true });
  try {
    const applied = await migrateToLatest(db);
    if (applied.length > 0) log.info({ applied }, 'database migrated');
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  const metrics = createMetrics({ processMetrics: options.processMetrics });
  // Receipts whose jobs run together are processed in batches, one transaction each, in a pool of
  // their own: up to 32 at once on SQLite (webhooks/sqlite-receipt-processing.ts), 64 on PostgreSQL
  // (two batches of 32 in flight, webhooks/postgres-receipt-processing.ts).
  const receiptPool = db.dialect === 'postgres' ? 64 : 32;
  const queue = createQueue({ db, log: log.child({ slice: 'jobs' }), config, ownsDatabase: options.ownsDatabase, ownPools: { [PROCESS_RECEIPT_JOB]: receiptPool } });
  const registry = new AutomationRegistry();
  const appCredentials = await createAppCredentialsStore({ db, box, config, log: log.child({ slice: 'github' }) });
  const identity = createIdentitySlice({ config, db, box, queue, log });
  const github = createGitHubSlice({ config, db, box, queue, metrics, log, credentials: appCredentials, cookies: identity.cookies });
  const ciTriage = createCiTriageSlice({ config, db, queue, registry, clients: () => github.clients(), log });
  registerStateProjection(registry, { dialect: db.dialect });
  const access = createAccessSlice({ config, db, box, queue, registry, credentials: appCredentials, clients: () => github.clients(), log });
  const mirror = createMirrorSlice({
    config,
    db,
    queue,
    registry,
    box,
    metrics,
    log,
    sourceToken: async (installationId) => ((await github.clients().installation(installationId).auth({ type: 'installation' })) as { token: string }).token,
  });
  const pets = createPetsSlice({
    config,
    db,
    queue,
    registry,
    box,
    log,
    sourceToken: async (installationId) => ((await github.clients().installation(installationId).auth({ type: 'installation' })) as { token: string }).token,
  });
  const webhooks = createWebhooksSlice({
    config,
    db,
    queue,
    registry,
    metrics,
    log,
    afterReceiptsCommitted: options.afterReceiptsCommitted,
    receiptBatchWriter: options.receiptBatchWriter,
    webhookSecret: () => appCredentials.webhookSecret(),
    authenticate: (req) => identity.authenticate(req),
  });
  let probotApps: ProbotAppsSlice;
  try {
    probotApps = await createProbotAppsSlice({
      config,
      db,
      queue,
      registry,
      log,
      clients: () => github.clients(),
      appId: () => appCredentials.current()?.appId ?? null,
      eventContext: (receiptId) => eventContextFor({ db, payloads: webhooks.payloads, log }, receiptId),
      secrets: () => [...appCredentials.secrets(), config.webhookSecret, config.apiToken],
    });
  } catch (err) {
    appCredentials.close();
    await db.close().catch(() => undefined);
    throw err;
  }
  const notify = createNotifySlice({ config, db, box, queue, registry, log, storeReceipt: (d) => webhooks.store(d) });
  // A budget raised or removed through the API lets the tasks waiting on it go on at once.
  const llm = createLlmSlice({ db, box, queue, log, onBudgetsChanged: async () => void (await wakeBudgetWaits(agents.service)) });
  const agents = createAgentsSlice({ config, db, queue, registry, clients: () => github.clients(), log, llm: llm.client });

  metrics.addCollectedGauge('switchyard_queue_jobs', 'Jobs by queue and state', ['queue', 'state'], async () => {
    const stats = await queue.stats();
    return stats.flatMap((s) =>
      (['queued', 'running', 'retrying', 'dead'] as const).map((state) => ({ labels: { queue: s.name, state }, value: s[state] })),
    );
  });

  const http = await buildServer({
    db,
    log,
    metrics,
    authenticate: (req) => identity.authenticate(req),
    trustProxy: config.trustProxy,
    metricsToken: config.metrics.token,
    version: packageVersion(),
    isolatedPlugins: [webhooks.receiver, notify.telegramReceiver],
    plugins: [
      identity.routes,
      github.routes,
      webhooks.routes,
      (app) => stateRoutes(app, { db }),
      mirror.routes,
      ciTriage.routes,
      pets.routes,
      notify.routes,
      llm.routes,
      agents.routes,
      probotApps.routes,
      (app) => overviewRoutes(app, { db }),
      (app) => jobsAdminRoutes(app, { queue }),
      (app) => dashboardRoutes(app, { githubUrl: config.github.url }),
    ],
  });

  let started: Roles | null = null;
  let setupCode: string | null = null;
  let metricsListener: MetricsListener | null = null;
  return {
    config,
    db,
    queue,
    registry,
    metrics,
    webhooks,
    identity,
    box,
    appCredentials,
    github,
    ciTriage,
    mirror,
    pets,
    notify,
    llm,
    agents,
    access,
    probotApps,
    http,
    async start(roles) {
      started = roles;
      await queue.start({ work: roles.worker, schedule: roles.scheduler });
      webhooks.start({ work: roles.worker });
      mirror.start({ work: roles.worker });
      notify.start({ work: roles.worker });
      if (roles.scheduler) await github.kickOff();
      if (!roles.web) {
        await http.ready();
        return null;
      }
      if (config.metrics.port !== undefined) {
        metricsListener = await startMetricsListener(metrics, { port: config.metrics.port, host: config.metrics.host, log });
      }
      await http.listen({ port: config.port, host: config.host });
      const address = http.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      log.info({ port, database: db.dialect, roles }, 'Switchyard is listening');
      // SQLite: one process serves the data dir, so each start issues a fresh code; PostgreSQL: the
      // first web process issues it and the others accept the same one (src/identity/setup-code.ts).
      setupCode = await announceSetupCode({ db, box, log, publicUrl: config.publicUrl }, db.dialect === 'sqlite' ? { replace: true, issuedBy: 'start' } : { replace: false, issuedBy: 'web' });
      return port;
    },
    issuedSetupCode() {
      return setupCode;
    },
    async stop() {
      if (started?.web) await http.close();
      await metricsListener?.close();
      await webhooks.drain();
      await mirror.stop();
      pets.stop();
      await notify.stop();
      await webhooks.stop();
      await queue.stop();
      if (!started?.web) await http.close();
      appCredentials.close();
      await db.close();
    },
  };
}
