/**
 * `switchyard apps list | runs <app> | replay <app> <delivery_id>`: hosted Probot apps from the
 * terminal, straight from the database (the operator's view: every installation). `apps list`
 * loads the configured apps (SWITCHYARD_APPS) to say which would load and what they subscribe to.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Config } from '../config/index.js';
import { openDatabase, type Database } from '../db/index.js';
import { createQueue } from '../jobs/index.js';
import { createLogger } from '../log/index.js';
import { appStats, listRuns, loadApps, replayRun, RUN_STATUSES, type RunStatus } from '../automations/probot-apps/index.js';

const OPERATOR_SCOPE = { all: true } as const;

async function withDb<T>(config: Config, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = openDatabase(config);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Loads the configured apps without serving them (no request is made): what loads, and why not. */
export async function checkApps(config: Config) {
  const { pino } = await import('pino');
  return loadApps({
    specs: config.apps.specs,
    strict: false,
    cwd: process.cwd(),
    appId: 1,
    baseUrl: config.github.apiUrl,
    requestRetries: 0,
    tokens: {
      installationToken: async () => {
        throw new Error('not serving');
      },
      appToken: async () => {
        throw new Error('not serving');
      },
    },
    appLog: () => pino({ level: 'silent' }),
    addHandler: () => undefined,
  });
}

const pct = (v: number | null) => (v === null ? '-' : `${Math.round(v * 100)}%`);
const ms = (v: number | null) => (v === null ? '-' : `${v} ms`);

export function registerAppsCommands(program: Command, configOrExit: () => Promise<Config>): void {
  const apps = program.command('apps').description('hosted Probot apps: what loads, their runs, replay');
  apps
    .command('list')
    .description('the configured apps (SWITCHYARD_APPS), what each subscribes to, and its last 7 days')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const config = await configOrExit();
      const { apps: loaded, failures } = await checkApps(config);
      await withDb(config, async (db) => {
        const rows = [];
        for (const a of loaded) rows.push({ name: a.name, spec: a.source.spec, events: a.events, stats: await appStats(db.kysely, a.name, OPERATOR_SCOPE) });
        if (opts.json) {
          console.log(JSON.stringify({ items: rows, failures }, null, 2));
          return;
        }
        if (rows.length === 0 && failures.length === 0) console.log('No Probot app is configured (SWITCHYARD_APPS, or switchyard start --app <path>).');
        for (const r of rows) {
          console.log(`${r.name.padEnd(24)} ${String(r.stats.runs).padStart(6)} runs  ${pct(r.stats.success_rate).padStart(4)} ok  p50 ${ms(r.stats.p50_ms)}  p99 ${ms(r.stats.p99_ms)}  ${r.events.join(', ')}`);
          if (r.stats.last_error) console.log(`${''.padEnd(24)} last error (${r.stats.last_error.delivery_id}): ${r.stats.last_error.error.split('\n')[0]}`);
        }
        for (const f of failures) console.log(`${f.name.padEnd(24)} NOT LOADED: ${f.reason}`);
        if (failures.length > 0) process.exitCode = 1;
      });
    });
  apps
    .command('runs <app>')
    .description("an app's runs, newest first")
    .option('-s, --status <status>', RUN_STATUSES.join(' | '), (v: string) => {
      if (!(RUN_STATUSES as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${RUN_STATUSES.join(', ')}`);
      return v;
    })
    .option('-n, --limit <n>', 'how many', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 200) throw new InvalidArgumentError('must be a whole number from 1 to 200');
      return n;
    }, 20)
    .option('--json', 'print JSON')
    .action(async (app: string, opts: { status?: RunStatus; limit: number; json?: boolean }) => {
      const config = await configOrExit();
      await withDb(config, async (db) => {
        const rows = (await listRuns(db, { app, status: opts.status, scope: OPERATOR_SCOPE, limit: opts.limit })).slice(0, opts.limit);
        if (opts.json) {
          console.log(JSON.stringify(rows.map((r) => ({ ...r, log_lines: r.log_lines ? JSON.parse(r.log_lines) : [] })), null, 2));
          return;
        }
        if (rows.length === 0) {
          console.log('No runs match.');
          return;
        }
        for (const r of rows) {
          const event = r.action ? `${r.event}.${r.action}` : r.event;
          console.log(`${new Date(r.created_at).toISOString()}  ${r.status.padEnd(9)}  ${String(r.attempts).padStart(2)} tries  ${ms(r.duration_ms === null ? null : Number(r.duration_ms)).padStart(9)}  ${event.padEnd(28)}  ${r.delivery_id}${r.error ? `  ${r.error.split('\n')[0]}` : ''}`);
        }
      });
    });
  apps
    .command('replay <app> <delivery_id>')
    .description('run one app again for one delivery (a running worker picks it up)')
    .action(async (app: string, deliveryId: string) => {
      const config = await configOrExit();
      await withDb(config, async (db) => {
        const receipt = await db.kysely.selectFrom('event_receipts').select(['id', 'delivery_id', 'event_type', 'event_action', 'installation_id']).where('delivery_id', '=', deliveryId).executeTakeFirst();
        if (!receipt) {
          console.error(`No event with delivery id ${deliveryId}`);
          process.exitCode = 1;
          return;
        }
        const queue = createQueue({ db, log: createLogger('warn'), config });
        await queue.start({ work: false, schedule: false });
        try {
          await replayRun({ db, queue }, { app, receipt: { ...receipt, installation_id: receipt.installation_id === null ? null : Number(receipt.installation_id) } });
          console.log(`Run of ${app} for ${deliveryId} queued; a running worker with the app loaded will run it.`);
        } finally {
          await queue.stop();
        }
      });
    });
}
