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
 * | `DATABASE_POOL_SIZE` | 10 | PostgreSQL connections per process for requests and projections; the job queue opens up to 60 % more (mind `max_connections` when scaling out) |
 * | `SWITCHYARD_DATA_DIR` | `./data` | SQLite file, payload store |
 * | `WEBHOOK_SECRET` | unset | HMAC secret GitHub signs deliveries with; webhooks are refused (503) without it |
 * | `SWITCHYARD_API_TOKEN` | unset | operator bearer token for the API; the API answers 401 to everyone without it |
 * | `METRICS_TOKEN` | unset | `GET /metrics` on the main port answers only `Authorization: Bearer <this>` (at least 16 characters); without it (and without METRICS_PORT) /metrics is not served |
 * | `METRICS_PORT` | unset | serve `GET /metrics` without credentials on this separate port instead (bound to METRICS_HOST) |
 * | `METRICS_HOST` | `127.0.0.1` | the address the metrics port listens on |
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
 * | `PUBLIC_URL` | `http://localhost:<PORT>` | the address people and GitHub reach Switchyard at (OAuth callback, setup wizard, webhook URL) |
 * | `APP_ID` | unset | the GitHub App's id (or set the app up with the setup wizard) |
 * | `PRIVATE_KEY` / `PRIVATE_KEY_PATH` | unset | the App's private key (PEM; `\n` escapes allowed) or the path to its file |
 * | `GITHUB_CLIENT_ID` / `GITHUB_CLIENT_SECRET` | unset | the App's OAuth client, for "Sign in with GitHub" |
 * | `GITHUB_URL` | `https://github.com` | GitHub's web address (GitHub Enterprise Server: `https://ghe.example.com`) |
 * | `GITHUB_API_URL` | `https://api.github.com` (or `<GITHUB_URL>/api/v3`) | GitHub's REST API |
 * | `SWITCHYARD_SECRET_KEY` | a key file in the data dir | 32 random bytes, hex or base64: encrypts secrets at rest (AES-256-GCM) |
 * | `SWITCHYARD_PREVIOUS_SECRET_KEYS` | unset | comma-separated older keys, still accepted for reading until `switchyard keys rotate` |
 * | `SESSION_DAYS` | 30 | a session expires after this many days without use |
 * | `ACCESS_RECHECK_MINUTES` | 60 | each person who used a session in the last day has the installations they may see confirmed with GitHub at most this often (with their own token) |
 * | `ACCESS_RECHECK_CRON` | `*\/5 * * * *` | when people due for that re-check are looked for |
 * | `RECONCILE_CRON` | `7 * * * *` | when installations and repositories are reconciled with GitHub (also at start) |
 * | `DELIVERY_RECOVERY_CRON` | `*\/5 * * * *` | when missed deliveries are looked for and redelivered |
 * | `DELIVERY_RECOVERY_HOURS` | 72 | how far back the first recovery run looks (GitHub keeps deliveries 3 days) |
 * | `TRUST_PROXY` | `false` | behind a reverse proxy: `true`, a hop count, or comma-separated proxy addresses/CIDRs whose `X-Forwarded-For` is believed (sign-in rate limits count per client address) |
 * | `GITHUB_GIT_URL` | `GITHUB_URL` | where repositories are cloned from over HTTPS (`<GITHUB_GIT_URL>/<owner>/<name>.git`) |
 * | `MIRROR_CACHE_DIR` | `<data dir>/mirror-cache` | bare mirror clones, one per mirrored repository and target |
 * | `MIRROR_CONCURRENCY` | 4 | syncs running at once, across every process |
 * | `MIRROR_TARGET_CONCURRENCY` | 2 | syncs running at once per target, across every process (a target may set its own) |
 * | `MIRROR_SYNC_TIMEOUT_SECONDS` | 1800 | a sync still running after this long is stopped and counts as a (transient) failure |
 * | `MIRROR_LOW_SPEED_LIMIT` / `MIRROR_LOW_SPEED_TIME` | 1000 / 60 | git aborts a transfer slower than LIMIT bytes/s for TIME seconds (`http.lowSpeedLimit`/`lowSpeedTime`) |
 * | `MIRROR_MAX_RETRIES` | 3 | retries of a transiently failing sync before `permanent_failure` |
 * | `MIRROR_RETRY_BASE_MS` | 30000 | first retry delay; doubles per retry, with jitter, capped at 1 hour |
 * | `MIRROR_LEASE_SECONDS` | 60 | a sync whose process died is taken over after this long (renewed every third of it while alive) |
 * | `MIRROR_POLL_MS` | 500 | how often a worker looks for due syncs requested by another process |
 * | `MIRROR_RECONCILE_CRON` | `41 4 * * *` | daily comparison of refs on both sides (`git ls-remote`), repairing drift |
 * | `MIRROR_SYNC_LOG_DAYS` | 90 | sync log rows older than this are deleted (with the receipts' retention run) |
 * | `MIRROR_ALLOWED_ADDRESSES` | unset | comma-separated CIDRs or host names a target may use although they are loopback, link-local or metadata addresses (e.g. `127.0.0.0/8` for a forge on the same machine) |
 * | `MIRROR_GIT` | `git` | the git executable |
 * | `PETS_CACHE_DIR` | `<data dir>/pets-cache` | bare clones the pets analyse, one per repository |
 * | `PETS_DECAY_CRON` | `23 0 * * *` | when the daily decay runs (cron, UTC) |
 * | `SWITCHYARD_APPS` | unset | Probot apps to host, comma-separated paths or package names (`switchyard start --app` adds more) |
 * | `SWITCHYARD_APPS_STRICT` | false | `true`: refuse to start when an app cannot be loaded (`--strict`) |
 * | `SWITCHYARD_APP_TIMEOUT_MS` | 600000 | a Probot app's handler still running after this fails its run |
 * | `SWITCHYARD_APP_MAX_ATTEMPTS` | 5 | runs of one app for one delivery before it is dead (only retryable errors are retried) |
 * | `SWITCHYARD_APP_REQUEST_RETRIES` | 3 | retries of one GitHub request inside a handler on 5xx and network errors (Probot's default) |
 * | `PETS_DECAY_PER_DAY` | 2 | health an idle pet loses a day (a pet may set its own) |
 * | `PETS_GRACE_DAYS` | 3 | days without an analysed commit before decay starts |
 * | `PETS_HEALTH_WINDOW_DAYS` | 90 | only commits this recent move health (older ones are analysed and shown) |
 * | `PETS_BACKFILL_CONCURRENCY` | 1 | history backfills running at once per worker process |
 * | `PETS_BACKFILL_SLICE_SECONDS` | 60 | a backfill job analyses this long, records its progress and queues the next slice |
 * | `PETS_RETRY_BASE_MS` | 30000 | first retry delay after a failed fetch; doubles per failure, capped at 1 hour |
 * | `PETS_ENABLED` | `true` | `false` turns the pets off (no events handled, no jobs) |
 * | `TELEGRAM_BOT_TOKEN` | unset | the Telegram bot that sends notifications (or an administrator sets it in the dashboard, stored encrypted); the environment wins |
 * | `TELEGRAM_API_ROOT` | `https://api.telegram.org` | the Telegram Bot API (a local Bot API server, or a fake in tests) |
 * | `SMTP_URL` | unset | the SMTP server for email notifications, `smtp://user:password@host:587` or `smtps://…:465` (or the variables below) |
 * | `SMTP_HOST` / `SMTP_PORT` / `SMTP_SECURE` | unset / 587 / `false` | the SMTP server, field by field (`SMTP_SECURE=true`: TLS from the start, as on port 465; otherwise STARTTLS when offered) |
 * | `SMTP_USER` / `SMTP_PASSWORD` | unset | SMTP credentials (the password is never logged) |
 * | `SMTP_FROM` | `Switchyard <switchyard@<PUBLIC_URL's host>>` | the sender of notification emails |
 * | `NOTIFY_MAX_ATTEMPTS` | 8 | failed sends of one notification to one person on one channel before it is `dead` (Telegram's 429 waits do not count) |
 * | `NOTIFY_RETRY_BASE_MS` | 30000 | first retry delay of a failed send; doubles each attempt, with jitter, capped at 1 hour |
 * | `AGENTS_SANDBOX` | `bwrap` | how the agents' commands run: `bwrap` (bubblewrap: no network, read-only system, limits; nothing runs without it) or `none` (no sandbox; an administrator's explicit choice) |
 * | `AGENTS_WORK_DIR` | `<data dir>/agents` | the agents' git worktrees, one per conversation |
 */
import { z } from 'zod';
import fs from 'node:fs';
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
  DATABASE_POOL_SIZE: int(10, 1, 1000),
  SWITCHYARD_DATA_DIR: optionalString.transform((v) => v ?? './data'),
  WEBHOOK_SECRET: optionalString,
  SWITCHYARD_API_TOKEN: optionalString.refine(
    (v) => v === undefined || v.length >= 16,
    'must be at least 16 characters (generate one with `openssl rand -hex 32`)',
  ),
  METRICS_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters (generate one with `openssl rand -hex 32`)'),
  METRICS_PORT: z.preprocess(blankToUndefined, z.string().trim().regex(/^\d+$/, 'must be a port number').transform(Number).pipe(z.number().int().min(1).max(65535)).optional()),
  METRICS_HOST: optionalString.transform((v) => v ?? '127.0.0.1'),
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
  PUBLIC_URL: optionalString.refine((v) => v === undefined || /^https?:\/\/[^/]+/.test(v), 'must be an http(s):// URL'),
  APP_ID: optionalString.refine((v) => v === undefined || /^\d+$/.test(v.trim()), 'must be the numeric GitHub App id'),
  PRIVATE_KEY: optionalString,
  PRIVATE_KEY_PATH: optionalString,
  GITHUB_CLIENT_ID: optionalString,
  GITHUB_CLIENT_SECRET: optionalString,
  GITHUB_URL: optionalString.refine((v) => v === undefined || /^https?:\/\/[^/]+/.test(v), 'must be an http(s):// URL'),
  GITHUB_API_URL: optionalString.refine((v) => v === undefined || /^https?:\/\/[^/]+/.test(v), 'must be an http(s):// URL'),
  SWITCHYARD_SECRET_KEY: optionalString,
  SWITCHYARD_PREVIOUS_SECRET_KEYS: optionalString,
  SESSION_DAYS: int(30, 1, 3650),
  ACCESS_RECHECK_MINUTES: int(60, 5, 24 * 60),
  ACCESS_RECHECK_CRON: optionalString.transform((v) => v ?? '*/5 * * * *'),
  RECONCILE_CRON: optionalString.transform((v) => v ?? '7 * * * *'),
  DELIVERY_RECOVERY_CRON: optionalString.transform((v) => v ?? '*/5 * * * *'),
  DELIVERY_RECOVERY_HOURS: int(72, 1, 24 * 30),
  TRUST_PROXY: optionalString,
  GITHUB_GIT_URL: optionalString.refine((v) => v === undefined || /^https?:\/\/[^/]+/.test(v), 'must be an http(s):// URL'),
  MIRROR_CACHE_DIR: optionalString,
  MIRROR_CONCURRENCY: int(4, 1, 256),
  MIRROR_TARGET_CONCURRENCY: int(2, 1, 256),
  MIRROR_SYNC_TIMEOUT_SECONDS: int(1800, 1, 7 * 24 * 3600),
  MIRROR_LOW_SPEED_LIMIT: int(1000, 0),
  MIRROR_LOW_SPEED_TIME: int(60, 1, 24 * 3600),
  MIRROR_MAX_RETRIES: int(3, 0, 100),
  MIRROR_RETRY_BASE_MS: int(30_000, 1),
  MIRROR_LEASE_SECONDS: int(60, 1, 3600),
  MIRROR_POLL_MS: int(500, 10, 60_000),
  AGENTS_SANDBOX: z.preprocess(blankToUndefined, z.enum(['bwrap', 'none']).default('bwrap')),
  AGENTS_WORK_DIR: optionalString,
  MIRROR_RECONCILE_CRON: optionalString.transform((v) => v ?? '41 4 * * *'),
  MIRROR_SYNC_LOG_DAYS: int(90, 1, 36500),
  MIRROR_ALLOWED_ADDRESSES: optionalString,
  MIRROR_GIT: optionalString.transform((v) => v ?? 'git'),
  PETS_CACHE_DIR: optionalString,
  PETS_DECAY_CRON: optionalString.transform((v) => v ?? '23 0 * * *'),
  SWITCHYARD_APPS: z.string().optional(),
  SWITCHYARD_APPS_STRICT: z.enum(['true', 'false']).optional(),
  SWITCHYARD_APP_TIMEOUT_MS: int(600_000, 1, 86_400_000),
  SWITCHYARD_APP_MAX_ATTEMPTS: int(5, 1, 100),
  SWITCHYARD_APP_REQUEST_RETRIES: int(3, 0, 10),
  PETS_DECAY_PER_DAY: int(2, 0, 100),
  PETS_GRACE_DAYS: int(3, 0, 365),
  PETS_HEALTH_WINDOW_DAYS: int(90, 1, 36500),
  PETS_BACKFILL_CONCURRENCY: int(1, 1, 64),
  PETS_BACKFILL_SLICE_SECONDS: int(60, 1, 3600),
  PETS_RETRY_BASE_MS: int(30_000, 1),
  PETS_ENABLED: optionalString.transform((v) => (v ?? 'true').toLowerCase()).pipe(z.enum(['true', 'false'])),
  TELEGRAM_BOT_TOKEN: optionalString.refine((v) => v === undefined || /^\d+:[A-Za-z0-9_-]{20,}$/.test(v.trim()), 'must be a bot token as BotFather gives it (123456:ABC…)'),
  TELEGRAM_API_ROOT: optionalString.refine((v) => v === undefined || /^https?:\/\/[^/]+/.test(v), 'must be an http(s):// URL'),
  SMTP_URL: optionalString.refine((v) => v === undefined || /^smtps?:\/\/[^/]+/.test(v), 'must be an smtp:// or smtps:// URL'),
  SMTP_HOST: optionalString,
  SMTP_PORT: int(587, 1, 65535),
  SMTP_SECURE: optionalString.transform((v) => (v ?? 'false').toLowerCase()).pipe(z.enum(['true', 'false'])),
  SMTP_USER: optionalString,
  SMTP_PASSWORD: optionalString,
  SMTP_FROM: optionalString,
  NOTIFY_MAX_ATTEMPTS: int(8, 1, 100),
  NOTIFY_RETRY_BASE_MS: int(30_000, 1),
});

/** The GitHub App as configured in the environment (the setup wizard stores one in the database instead). */
export interface GitHubConfig {
  /** GitHub's web address, without a trailing slash. */
  url: string;
  /** GitHub's REST API base, without a trailing slash. */
  apiUrl: string;
  appId: number | undefined;
  /** PEM, from PRIVATE_KEY or read from PRIVATE_KEY_PATH. */
  privateKey: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** Where repositories are cloned from (GITHUB_GIT_URL, else `url`), without a trailing slash. */
  gitUrl: string;
}

/** Mirroring repositories to other forges (src/automations/mirror). */
export interface MirrorConfig {
  /** Bare mirror clones live here. */
  cacheDir: string;
  concurrency: number;
  targetConcurrency: number;
  syncTimeoutSeconds: number;
  lowSpeedLimit: number;
  lowSpeedTime: number;
  maxRetries: number;
  retryBaseMs: number;
  leaseSeconds: number;
  pollMs: number;
  reconcileCron: string;
  syncLogDays: number;
  /** CIDRs or host names exempt from the loopback / link-local / metadata refusal. */
  allowedAddresses: string[];
  git: string;
}

/** Repository pets (src/automations/pets). */
/** Hosted Probot apps (src/automations/probot-apps). */
export interface ProbotAppsConfig {
  /** Paths or package names of the apps to load, in order. */
  specs: string[];
  /** Refuse to start when an app cannot be loaded. */
  strict: boolean;
  handlerTimeoutMs: number;
  maxAttempts: number;
  requestRetries: number;
}

export interface PetsConfig {
  enabled: boolean;
  /** Bare clones the pets analyse live here. */
  cacheDir: string;
  decayCron: string;
  decayPerDay: number;
  graceDays: number;
  healthWindowDays: number;
  backfillConcurrency: number;
  backfillSliceSeconds: number;
  retryBaseMs: number;
}

/** The SMTP server email notifications go through. */
export interface SmtpConfig {
  host: string;
  port: number;
  /** TLS from the start (465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user: string | undefined;
  password: string | undefined;
  from: string;
}

/** Notification channels (src/notify). */
export interface NotifyConfig {
  /** TELEGRAM_BOT_TOKEN; undefined: the token an administrator stored, if any. */
  telegramBotToken: string | undefined;
  /** The Bot API's root, without a trailing slash. */
  telegramApiRoot: string;
  /** undefined: no email notifications. */
  smtp: SmtpConfig | undefined;
  maxAttempts: number;
  retryBaseMs: number;
}

export interface Config {
  port: number;
  host: string;
  database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; poolSize: number };
  dataDir: string;
  webhookSecret: string | undefined;
  apiToken: string | undefined;
  /** /metrics: a bearer token on the main port, and/or a port of its own (see METRICS_*). */
  metrics: { token: string | undefined; port: number | undefined; host: string };
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
  publicUrl: string;
  github: GitHubConfig;
  /** Raw key material as configured (parsed by src/identity/secret-box.ts); undefined = the data dir's key file. */
  secretKey: string | undefined;
  previousSecretKeys: string[];
  sessionDays: number;
  /** Access that follows GitHub (src/access): re-check each active person at most every `minutes`, looking every `cron`. */
  accessRecheck: { minutes: number; cron: string };
  reconcileCron: string;
  deliveryRecoveryCron: string;
  deliveryRecoveryHours: number;
  /** Fastify's trustProxy: false, true, a hop count, or proxy addresses. */
  trustProxy: boolean | number | string;
  mirror: MirrorConfig;
  pets: PetsConfig;
  /** Hosted Probot apps (src/automations/probot-apps). */
  apps: ProbotAppsConfig;
  /** Notification channels (src/notify). */
  notify: NotifyConfig;
  /** LLM agents on issues (src/automations/agents). */
  agents: { sandbox: 'bwrap' | 'none'; workDir: string };
}

const trimSlash = (u: string) => u.replace(/\/+$/, '');

/** SMTP_URL, or SMTP_HOST and its companions; undefined when neither is set. */
function smtpConfig(e: z.infer<typeof envSchema>, publicUrl: string, problems: string[]): SmtpConfig | undefined {
  const from = e.SMTP_FROM ?? `Switchyard <switchyard@${new URL(publicUrl).hostname}>`;
  if (e.SMTP_URL) {
    const u = new URL(e.SMTP_URL);
    const secure = u.protocol === 'smtps:';
    return {
      host: u.hostname,
      port: u.port ? Number(u.port) : secure ? 465 : 587,
      secure,
      user: u.username ? decodeURIComponent(u.username) : e.SMTP_USER,
      password: u.password ? decodeURIComponent(u.password) : e.SMTP_PASSWORD,
      from,
    };
  }
  if (!e.SMTP_HOST) {
    if (e.SMTP_USER || e.SMTP_PASSWORD) problems.push('SMTP_USER or SMTP_PASSWORD is set but neither SMTP_URL nor SMTP_HOST is');
    return undefined;
  }
  return { host: e.SMTP_HOST, port: e.SMTP_PORT, secure: e.SMTP_SECURE === 'true', user: e.SMTP_USER, password: e.SMTP_PASSWORD, from };
}

/** TRUST_PROXY: true/false, a hop count, or a list of proxy addresses (passed to Fastify as is). */
function parseTrustProxy(v: string | undefined): boolean | number | string {
  if (v === undefined) return false;
  const s = v.trim().toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (/^\d+$/.test(s)) return Number(s);
  return v.trim();
}

/** Reads the App's private key: PRIVATE_KEY (with `\n` escapes, as in a .env file) or PRIVATE_KEY_PATH. */
function readPrivateKey(inline: string | undefined, file: string | undefined, problems: string[]): string | undefined {
  if (inline) {
    const pem = inline.includes('\\n') ? inline.replace(/\\n/g, '\n') : inline;
    if (!pem.includes('PRIVATE KEY-----')) problems.push('PRIVATE_KEY: must be a PEM private key (-----BEGIN RSA PRIVATE KEY----- …)');
    return pem;
  }
  if (!file) return undefined;
  try {
    const pem = fs.readFileSync(file, 'utf8');
    if (!pem.includes('PRIVATE KEY-----')) problems.push(`PRIVATE_KEY_PATH: ${file} does not hold a PEM private key`);
    return pem;
  } catch (err) {
    problems.push(`PRIVATE_KEY_PATH: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

/** Parses an environment into a Config; throws ConfigError listing every problem in plain words. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.SWITCHYARD_DATA_DIR);
  const problems: string[] = [];
  const privateKey = readPrivateKey(e.PRIVATE_KEY, e.PRIVATE_KEY_PATH, problems);
  if (e.APP_ID && !privateKey) problems.push('APP_ID is set but neither PRIVATE_KEY nor PRIVATE_KEY_PATH is');
  if (privateKey && !e.APP_ID) problems.push('a private key is set but APP_ID is not');
  if (!!e.GITHUB_CLIENT_ID !== !!e.GITHUB_CLIENT_SECRET) problems.push('GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET go together');
  const smtp = smtpConfig(e, trimSlash(e.PUBLIC_URL ?? `http://localhost:${e.PORT}`), problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const githubUrl = trimSlash(e.GITHUB_URL ?? 'https://github.com');
  const apiUrl = trimSlash(e.GITHUB_API_URL ?? (githubUrl === 'https://github.com' ? 'https://api.github.com' : `${githubUrl}/api/v3`));
  return {
    port: e.PORT,
    host: e.HOST,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE }
      : { kind: 'sqlite', file: path.join(dataDir, 'switchyard.db') },
    dataDir,
    webhookSecret: e.WEBHOOK_SECRET,
    apiToken: e.SWITCHYARD_API_TOKEN,
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT, host: e.METRICS_HOST },
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
    publicUrl: trimSlash(e.PUBLIC_URL ?? `http://localhost:${e.PORT}`),
    github: {
      url: githubUrl,
      apiUrl,
      appId: e.APP_ID ? Number(e.APP_ID) : undefined,
      privateKey,
      clientId: e.GITHUB_CLIENT_ID,
      clientSecret: e.GITHUB_CLIENT_SECRET,
      gitUrl: trimSlash(e.GITHUB_GIT_URL ?? githubUrl),
    },
    secretKey: e.SWITCHYARD_SECRET_KEY,
    previousSecretKeys: (e.SWITCHYARD_PREVIOUS_SECRET_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean),
    sessionDays: e.SESSION_DAYS,
    accessRecheck: { minutes: e.ACCESS_RECHECK_MINUTES, cron: e.ACCESS_RECHECK_CRON },
    reconcileCron: e.RECONCILE_CRON,
    deliveryRecoveryCron: e.DELIVERY_RECOVERY_CRON,
    deliveryRecoveryHours: e.DELIVERY_RECOVERY_HOURS,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    mirror: {
      cacheDir: path.resolve(e.MIRROR_CACHE_DIR ?? path.join(dataDir, 'mirror-cache')),
      concurrency: e.MIRROR_CONCURRENCY,
      targetConcurrency: e.MIRROR_TARGET_CONCURRENCY,
      syncTimeoutSeconds: e.MIRROR_SYNC_TIMEOUT_SECONDS,
      lowSpeedLimit: e.MIRROR_LOW_SPEED_LIMIT,
      lowSpeedTime: e.MIRROR_LOW_SPEED_TIME,
      maxRetries: e.MIRROR_MAX_RETRIES,
      retryBaseMs: e.MIRROR_RETRY_BASE_MS,
      leaseSeconds: e.MIRROR_LEASE_SECONDS,
      pollMs: e.MIRROR_POLL_MS,
      reconcileCron: e.MIRROR_RECONCILE_CRON,
      syncLogDays: e.MIRROR_SYNC_LOG_DAYS,
      allowedAddresses: (e.MIRROR_ALLOWED_ADDRESSES ?? '').split(',').map((a) => a.trim()).filter(Boolean),
      git: e.MIRROR_GIT,
    },
    apps: {
      specs: (e.SWITCHYARD_APPS ?? '').split(',').map((x) => x.trim()).filter((x) => x !== ''),
      strict: e.SWITCHYARD_APPS_STRICT === 'true',
      handlerTimeoutMs: e.SWITCHYARD_APP_TIMEOUT_MS,
      maxAttempts: e.SWITCHYARD_APP_MAX_ATTEMPTS,
      requestRetries: e.SWITCHYARD_APP_REQUEST_RETRIES,
    },
    pets: {
      enabled: e.PETS_ENABLED === 'true',
      cacheDir: path.resolve(e.PETS_CACHE_DIR ?? path.join(dataDir, 'pets-cache')),
      decayCron: e.PETS_DECAY_CRON,
      decayPerDay: e.PETS_DECAY_PER_DAY,
      graceDays: e.PETS_GRACE_DAYS,
      healthWindowDays: e.PETS_HEALTH_WINDOW_DAYS,
      backfillConcurrency: e.PETS_BACKFILL_CONCURRENCY,
      backfillSliceSeconds: e.PETS_BACKFILL_SLICE_SECONDS,
      retryBaseMs: e.PETS_RETRY_BASE_MS,
    },
    notify: {
      telegramBotToken: e.TELEGRAM_BOT_TOKEN?.trim(),
      telegramApiRoot: trimSlash(e.TELEGRAM_API_ROOT ?? 'https://api.telegram.org'),
      smtp,
      maxAttempts: e.NOTIFY_MAX_ATTEMPTS,
      retryBaseMs: e.NOTIFY_RETRY_BASE_MS,
    },
    agents: { sandbox: e.AGENTS_SANDBOX, workDir: path.resolve(e.AGENTS_WORK_DIR ?? path.join(dataDir, 'agents')) },
  };
}

/** Reads `.env` from the working directory into process.env (existing variables win). */
export async function loadDotEnv(): Promise<void> {
  const dotenv = await import('dotenv');
  dotenv.config({ quiet: true });
}
