/**
 * Starts a real Switchyard (real database, real HTTP on an ephemeral port) for a test file, with
 * logs captured in memory so tests can assert no secret is ever logged.
 */
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createLogger } from '../../src/log/index.js';
import { createSwitchyard, type Switchyard } from '../../src/app.js';
import type { Dialect } from '../../src/db/index.js';
import { copySqliteTemplate, createPostgresDatabaseUrl } from './databases.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_API_TOKEN, TEST_METRICS_TOKEN, TEST_SECRET } from './sign.js';
import { recordSecret, saveLog } from './secret-ledger.js';

export interface TestApp {
  app: Switchyard;
  url: string;
  config: Config;
  logs: string[];
  /** Authorised fetch against the API. */
  api(pathname: string, init?: RequestInit): Promise<Response>;
  /** Authorised GET, parsed as JSON (typed loosely: tests assert the shape). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  getJson(pathname: string): Promise<any>;
  /** Waits until every receipt is processed (or dead) and no receipt job is pending. */
  settle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTestApp(dialect: Dialect, env: Record<string, string> = {}, roles = { web: true, worker: true, scheduler: false }): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-app-'));
  // A copy of the run's migrated template (databases.ts): the app's own migration at start finds nothing to do.
  const pgdb = dialect === 'postgres' ? await createPostgresDatabaseUrl({ migrated: true }) : null;
  if (dialect === 'sqlite') copySqliteTemplate(path.join(dataDir, 'switchyard.db'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    SWITCHYARD_DATA_DIR: dataDir,
    WEBHOOK_SECRET: TEST_SECRET,
    SWITCHYARD_API_TOKEN: TEST_API_TOKEN,
    METRICS_TOKEN: TEST_METRICS_TOKEN,
    LOG_LEVEL: 'info',
    RETRY_BASE_MS: '50',
    // Small pools: two test files run at once, each with its own apps, and PostgreSQL allows 100 connections.
    ...(pgdb ? { DATABASE_URL: pgdb.url, DATABASE_POOL_SIZE: '5' } : {}),
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const app = await createSwitchyard(config, createLogger(config.logLevel, sink));
  const port = await app.start(roles);
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    url,
    config,
    logs,
    api: (pathname, init = {}) =>
      fetch(`${url}${pathname}`, { ...init, headers: { authorization: `Bearer ${TEST_API_TOKEN}`, ...(init.headers ?? {}) } }),
    async getJson(pathname) {
      const res = await fetch(`${url}${pathname}`, { headers: { authorization: `Bearer ${TEST_API_TOKEN}` } });
      return res.json();
    },
    async settle(timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const pending = await app.db.kysely
          .selectFrom('event_receipts')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('processing_status', 'in', ['received', 'processing', 'failed'])
          .executeTakeFirstOrThrow();
        if (Number(pending.n) === 0) return;
        if (Date.now() > deadline) throw new Error(`${pending.n} receipts still unprocessed after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      await app.stop();
      recordSecret(TEST_SECRET, TEST_API_TOKEN, config.webhookSecret, config.apiToken, config.secretKey, config.github.privateKey, config.github.clientSecret);
      const keyFile = path.join(dataDir, 'secret.key');
      if (fs.existsSync(keyFile)) recordSecret(fs.readFileSync(keyFile, 'utf8').trim());
      saveLog(logs);
      if (pgdb) await pgdb.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
