/**
 * Configuration: the environment (and a `.env` file) parsed once into a typed, validated object.
 *
 * Names follow Probot's where they overlap (`PORT`, `WEBHOOK_SECRET`, `LOG_LEVEL`), so a Probot user
 * feels at home. Every option, its default and its meaning:
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `PORT` | 3000 | HTTP port |
 * | `HOST` | 0.0.0.0 | HTTP bind address |
 * | `DATABASE_URL` | unset | `postgres://…` selects PostgreSQL; unset = SQLite file `switchyard.db` in the data dir |
 * | `SWITCHYARD_DATA_DIR` | `./data` | SQLite file, payload store |
 * | `WEBHOOK_SECRET` | unset | HMAC secret GitHub signs deliveries with; webhooks are refused (503) without it |
 * | `SWITCHYARD_API_TOKEN` | unset | operator bearer token for the API; the API answers 401 to everyone without it |
 * | `LOG_LEVEL` | info | pino level: fatal, error, warn, info, debug, trace, silent |
 * | `WEBHOOK_BODY_LIMIT` | 26214400 | largest accepted delivery in bytes (GitHub caps payloads at 25 MB) |
 * | `PAYLOAD_INLINE_LIMIT` | 1048576 | payloads larger than this go to the payload store on disk |
 * | `RECEIPT_MAX_RETRIES` | 5 | failed processing attempts before a receipt is `dead` |
 * | `RETRY_BASE_MS` | 1000 | first retry delay; doubles each attempt, with full jitter, capped at 1 hour |
 * | `RETENTION_PROCESSED_DAYS` | 30 | processed receipts older than this are deleted by the retention job |
 * | `RETENTION_CRON` | `17 3 * * *` | when the retention job runs (cron, UTC) |
 * | `WORKER_CONCURRENCY` | 8 | jobs one worker process runs at once |
 * | `SQLITE_SYNCHRONOUS` | NORMAL | SQLite `synchronous` pragma: NORMAL or FULL (see docs/architecture.md) |
 * | `JOB_LEASE_SECONDS` | 300 | a running job whose process died is run again after this long |
 */
import { z } from 'zod';
import path from 'node:path';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Empty or whitespace-only values count as unset. */
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(min).max(max))
      .optional()
      .transform((v) => v ?? def),
  );

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

const envSchema = z.object({
  PORT: int(3000, 0, 65535),
  HOST: optionalString.transform((v) => v ?? '0.0.0.0'),
  DATABASE_URL: optionalString.refine(
    (v) => v === undefined || /^postgres(ql)?:\/\//.test(v),
    'must be a postgres:// or postgresql:// URL (leave it unset for the embedded SQLite database)',
  ),
  SWITCHYARD_DATA_DIR: optionalString.transform((v) => v ?? './data'),
  WEBHOOK_SECRET: optionalString,
  SWITCHYARD_API_TOKEN: optionalString.refine(
    (v) => v === undefined || v.length >= 16,
    'must be at least 16 characters (generate one with `openssl rand -hex 32`)',
  ),
  LOG_LEVEL: optionalString
    .transform((v) => v ?? 'info')
    .pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
  WEBHOOK_BODY_LIMIT: int(25 * 1024 * 1024, 1024),
  PAYLOAD_INLINE_LIMIT: int(1024 * 1024, 0),
  RECEIPT_MAX_RETRIES: int(5, 0, 100),
  RETRY_BASE_MS: int(1000, 1),
  RETENTION_PROCESSED_DAYS: int(30, 1),
  RETENTION_CRON: optionalString.transform((v) => v ?? '17 3 * * *'),
  WORKER_CONCURRENCY: int(8, 1, 1000),
  SQLITE_SYNCHRONOUS: optionalString
    .transform((v) => (v ?? 'NORMAL').toUpperCase())
    .pipe(z.enum(['NORMAL', 'FULL'])),
  JOB_LEASE_SECONDS: int(300, 1),
});

export interface Config {
  port: number;
  host: string;
  database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };
  dataDir: string;
  webhookSecret: string | undefined;
  apiToken: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  webhookBodyLimit: number;
  payloadInlineLimit: number;
  receiptMaxRetries: number;
  retryBaseMs: number;
  retentionProcessedDays: number;
  retentionCron: string;
  workerConcurrency: number;
  sqliteSynchronous: 'NORMAL' | 'FULL';
  jobLeaseSeconds: number;
}

/** Parses an environment into a Config; throws ConfigError listing every problem in plain words. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.SWITCHYARD_DATA_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL }
      : { kind: 'sqlite', file: path.join(dataDir, 'switchyard.db') },
    dataDir,
    webhookSecret: e.WEBHOOK_SECRET,
    apiToken: e.SWITCHYARD_API_TOKEN,
    logLevel: e.LOG_LEVEL,
    webhookBodyLimit: e.WEBHOOK_BODY_LIMIT,
    payloadInlineLimit: e.PAYLOAD_INLINE_LIMIT,
    receiptMaxRetries: e.RECEIPT_MAX_RETRIES,
    retryBaseMs: e.RETRY_BASE_MS,
    retentionProcessedDays: e.RETENTION_PROCESSED_DAYS,
    retentionCron: e.RETENTION_CRON,
    workerConcurrency: e.WORKER_CONCURRENCY,
    sqliteSynchronous: e.SQLITE_SYNCHRONOUS,
    jobLeaseSeconds: e.JOB_LEASE_SECONDS,
  };
}

/** Reads `.env` from the working directory into process.env (existing variables win). */
export async function loadDotEnv(): Promise<void> {
  const dotenv = await import('dotenv');
  dotenv.config({ quiet: true });
}
