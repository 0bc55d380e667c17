/**
 * The `switchyard` command: start | web | worker | migrate | events list|show|replay | setup |
 * user create|list|grant | keys generate|rotate | doctor.
 */
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig, loadDotEnv, type Config } from '../config/index.js';
import { createLogger, type Logger } from '../log/index.js';
import { createSwitchyard, type Roles } from '../app.js';
import { migrateToLatest, openDatabase } from '../db/index.js';
import { runDoctor } from './doctor.js';
import { startEmbeddedWorker, type EmbeddedWorker } from '../embedded/worker-thread.js';
import { startEmbeddedWriter, type EmbeddedWriter } from '../embedded/writer-thread.js';
import { startEmbeddedCheckpointer, type EmbeddedThread } from '../embedded/embedded-thread.js';
import { DataDirInUse, lockDataDir, type DataDirLock } from '../embedded/data-dir-lock.js';
import { eventsList, eventsReplay, eventsShow } from './events-commands.js';
import { registerIdentityCommands } from './identity-commands.js';
import { registerMirrorCommands } from './mirror-commands.js';
import { registerChecksCommands } from './checks-commands.js';
import { registerTriageCommands } from './triage-commands.js';
import { registerPetsAnalyzeCommand } from './pets-analyze-command.js';
import { registerPetsCommands } from './pets-commands.js';
import { registerNotifyCommands } from './notify-commands.js';
import { registerLlmCommands } from './llm-commands.js';
import { registerAgentsCommands } from './agents-commands.js';
import { registerAppsCommands } from './apps-commands.js';
import { AppsRefused } from '../automations/probot-apps/index.js';

async function configOrExit(): Promise<Config> {
  await loadDotEnv();
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

/** `--app` (repeatable) and `--strict`: the Probot apps a serving command hosts. */
interface AppOptions {
  app?: string[];
  strict?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Adds the command line's apps to SWITCHYARD_APPS's (the worker thread gets the same config). */
function withApps(config: Config, opts: AppOptions): Config {
  return { ...config, apps: { ...config.apps, specs: [...config.apps.specs, ...(opts.app ?? [])], strict: config.apps.strict || opts.strict === true } };
}

/** Runs a long-lived process with the given roles until SIGINT/SIGTERM. */
async function serve(roles: Roles, appOptions: AppOptions = {}): Promise<void> {
  const config = withApps(await configOrExit(), appOptions);
  const log: Logger = createLogger(config.logLevel);
  // Embedded: the job worker and scheduler run in a worker thread with their own connection.
  const threaded = config.database.kind === 'sqlite' && roles.worker;
  // The embedded worker owns the data dir: a second one would take back this one's running jobs.
  let lock: DataDirLock | null = null;
  if (threaded) {
    try {
      lock = lockDataDir(config.dataDir);
    } catch (err) {
      if (err instanceof DataDirInUse) {
        log.fatal(err.message);
        process.exit(1);
      }
      throw err;
    }
  }
  let worker: EmbeddedWorker | null = null;
  let writer: EmbeddedWriter | null = null;
  let checkpointer: EmbeddedThread | null = null;
  const app = await createSwitchyard(
    config,
    log,
    threaded
      ? {
          sqliteAutoCheckpoint: false,
          afterReceiptsCommitted: () => worker?.notify(),
          receiptBatchWriter: (items) => writer!.write(items),
        }
      : {},
  ).catch((err: unknown) => {
    if (err instanceof AppsRefused) {
      log.fatal(err.message);
      lock?.release();
      process.exit(1);
    }
    throw err;
  });
  if (threaded) {
    writer = await startEmbeddedWriter(config, log);
    checkpointer = await startEmbeddedCheckpointer(config, log);
    worker = await startEmbeddedWorker(config, log);
    const w = worker;
    app.metrics.remoteSources.push(() => w.metrics());
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    app
      .stop()
      .then(() => worker?.stop())
      .then(() => writer?.stop())
      .then(() => checkpointer?.stop())
      .then(() => lock?.release())
      .then(() => process.exit(0))
      .catch((err) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  await app.start(threaded ? { web: roles.web, worker: false, scheduler: false } : roles);
  if (roles.web && !app.appCredentials.current()) {
    log.warn(`No GitHub App is configured: open ${config.publicUrl}/setup to create one (or set APP_ID and PRIVATE_KEY)`);
  }
  if (threaded) log.info('job worker, scheduler, receipt writer and checkpointer run in their own threads');
}

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
};

export function buildCli(): Command {
  const program = new Command('switchyard').description('Switchyard: a self-hosted GitHub App server').showHelpAfterError();

  const appOption = '--app <path or package>';
  const appHelp = 'host this Probot app (repeatable; added to SWITCHYARD_APPS)';
  const strictHelp = 'refuse to start when a Probot app cannot be loaded';
  program
    .command('start')
    .description('run everything in one process: HTTP server, job worker and scheduler')
    .option(appOption, appHelp, collect)
    .option('--strict', strictHelp)
    .action((opts: AppOptions) => serve({ web: true, worker: true, scheduler: true }, opts));
  program
    .command('run <apps...>')
    .description('host Probot apps, as `probot run` does, with everything `start` runs (durable, retried, replayable)')
    .option('--strict', strictHelp)
    .action((apps: string[], opts: AppOptions) => serve({ web: true, worker: true, scheduler: true }, { app: apps, strict: opts.strict }));
  program
    .command('web')
    .description('run only the HTTP server (webhooks, API); scale out with DATABASE_URL')
    .option(appOption, appHelp, collect)
    .option('--strict', strictHelp)
    .action((opts: AppOptions) => serve({ web: true, worker: false, scheduler: false }, opts));
  program
    .command('worker')
    .description('run only the job worker (and the scheduler, once across processes)')
    .option('--no-scheduler', 'do not fire cron schedules from this process')
    .option(appOption, appHelp, collect)
    .option('--strict', strictHelp)
    .action((opts: { scheduler: boolean } & AppOptions) => serve({ web: false, worker: true, scheduler: opts.scheduler }, opts));
  program
    .command('migrate')
    .description('bring the database schema up to date and exit')
    .action(async () => {
      const config = await configOrExit();
      const db = openDatabase(config);
      try {
        const applied = await migrateToLatest(db);
        console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
      } finally {
        await db.close();
      }
    });

  const events = program.command('events').description('read and replay the event log');
  events
    .command('list')
    .description('list deliveries, newest first')
    .option('-r, --repository <owner/name>', 'only this repository')
    .option('-t, --type <event>', 'only this event type')
    .option('-a, --action <action>', 'only this action')
    .option('-s, --status <status>', 'received | processed | failed | dead')
    .option('-n, --limit <n>', 'how many', positiveInt, 20)
    .option('--json', 'print JSON')
    .action(async (opts) => eventsList(await configOrExit(), opts));
  events
    .command('show <delivery_id>')
    .description('show one delivery with its payload')
    .action(async (id: string) => eventsShow(await configOrExit(), id));
  events
    .command('replay <delivery_id>')
    .description('process a delivery again (a running worker picks it up)')
    .action(async (id: string) => eventsReplay(await configOrExit(), id));

  registerIdentityCommands(program, configOrExit);
  registerMirrorCommands(program, configOrExit);
  registerChecksCommands(program, configOrExit);
  registerTriageCommands(program, configOrExit);
  const pets = program.command('pets').description('repository pets: analyse commits, see health');
  registerPetsAnalyzeCommand(pets);
  registerPetsCommands(pets, configOrExit);
  registerNotifyCommands(program, configOrExit);
  registerLlmCommands(program, configOrExit);
  registerAgentsCommands(program, configOrExit);
  registerAppsCommands(program, configOrExit);

  program
    .command('doctor')
    .description('check configuration, database and migrations, and say what is wrong')
    .action(async () => {
      await loadDotEnv();
      process.exitCode = await runDoctor(process.env);
    });
  return program;
}

/** Entry point used by bin/switchyard.js. */
export async function main(argv: string[]): Promise<void> {
  await buildCli().parseAsync(argv);
}
