/**
 * Kysely queries for `probot_app_runs`. Every read takes the viewer's scope: a run is visible when
 * its delivery's installation is in the scope; runs without an installation only to a scope of
 * `all` (administrators and the operator), as the event log does.
 */
import type { Database, Executor } from '../../db/index.js';
import type { Scope } from '../../http/auth-context.js';
import type { RunStatus } from './tables.js';

export interface RunRow {
  id: string;
  app: string;
  delivery_id: string;
  event: string;
  action: string | null;
  installation_id: number | null;
  status: RunStatus;
  attempts: number;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  next_attempt_at: string | null;
  error: string | null;
  log_lines: string | null;
  created_at: string;
  /** The delivery's repository (owner/name), when it has one. */
  repository: string | null;
}

const COLUMNS = ['id', 'app', 'delivery_id', 'event', 'action', 'installation_id', 'status', 'attempts', 'started_at', 'finished_at', 'duration_ms', 'next_attempt_at', 'error', 'log_lines', 'created_at'] as const;
const RUN_COLUMNS = COLUMNS.map((c) => `run.${c}` as const);

/** Runs with the repository of their delivery (runs.receipt_id → event_receipts → repositories). */
function runsWithRepository(db: Executor) {
  return db
    .selectFrom('probot_app_runs as run')
    .innerJoin('event_receipts as e', 'e.id', 'run.receipt_id')
    .leftJoin('repositories as repo', 'repo.id', 'e.repository_id')
    .select([...RUN_COLUMNS, 'repo.full_name as repository']);
}

export interface RunFilters {
  app: string;
  status?: RunStatus;
  /** The event's name (`issues`), and optionally its action (`opened`). */
  event?: string;
  action?: string;
  /** owner/name */
  repository?: string;
  /** Runs created at or after / at or before. */
  since?: Date;
  until?: Date;
  scope: Scope;
  /** Exclusive upper bound on id (keyset cursor). */
  beforeId?: string;
  limit: number;
}

function scoped<Q extends { where: (...a: never[]) => Q }>(q: Q, scope: Scope, column = 'installation_id'): Q | null {
  if (scope.all) return q;
  const ids = [...new Set(scope.installationIds)];
  if (ids.length === 0) return null;
  return (q as unknown as { where(c: string, op: string, v: unknown): Q }).where(column, 'in', ids);
}

/** An app's runs, newest first, keyset-paged by id (uuid v7: time-ordered), filtered as the event log is. */
export async function listRuns(db: Database, f: RunFilters): Promise<RunRow[]> {
  let q = runsWithRepository(db.kysely).where('run.app', '=', f.app);
  if (f.status) q = q.where('run.status', '=', f.status);
  if (f.event) q = q.where('run.event', '=', f.event);
  if (f.action) q = q.where('run.action', '=', f.action);
  if (f.repository) q = q.where('repo.full_name', '=', f.repository);
  if (f.since) q = q.where('run.created_at', '>=', f.since.toISOString());
  if (f.until) q = q.where('run.created_at', '<=', f.until.toISOString());
  if (f.beforeId) q = q.where('run.id', '<', f.beforeId);
  const s = scoped(q, f.scope, 'run.installation_id');
  if (!s) return [];
  return (await s.orderBy('run.id', 'desc').limit(f.limit + 1).execute()) as RunRow[];
}

/** Every app's run of one delivery. */
export async function runsForReceipt(db: Database, receiptId: string): Promise<RunRow[]> {
  return (await runsWithRepository(db.kysely).where('run.receipt_id', '=', receiptId).orderBy('run.app').execute()) as RunRow[];
}

export interface AppStats {
  runs_per_day: Array<{ day: string; runs: number; failed: number }>;
  runs: number;
  success_rate: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  last_error: { delivery_id: string; error: string; at: string } | null;
}

/** Percentile of sorted numbers (nearest rank). */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
}

/** An app's figures over its last `days` days (at most the newest 5,000 runs). */
export async function appStats(db: Executor, app: string, scope: Scope, days = 7): Promise<AppStats> {
  const since = new Date(Date.now() - days * 86_400_000).toISOString();
  const q = scoped(db.selectFrom('probot_app_runs').select(['status', 'duration_ms', 'created_at', 'delivery_id', 'error', 'finished_at']).where('app', '=', app).where('created_at', '>=', since), scope);
  const rows = q ? await q.orderBy('created_at', 'desc').limit(5000).execute() : [];
  const perDay = new Map<string, { runs: number; failed: number }>();
  for (let i = days - 1; i >= 0; i--) perDay.set(new Date(Date.now() - i * 86_400_000).toISOString().slice(0, 10), { runs: 0, failed: 0 });
  let finished = 0;
  let succeeded = 0;
  const durations: number[] = [];
  let lastError: AppStats['last_error'] = null;
  for (const r of rows) {
    const day = perDay.get(new Date(r.created_at).toISOString().slice(0, 10));
    if (day) {
      day.runs++;
      if (r.status === 'failed' || r.status === 'dead') day.failed++;
    }
    if (r.status === 'succeeded' || r.status === 'failed' || r.status === 'dead') finished++;
    if (r.status === 'succeeded') succeeded++;
    if (r.duration_ms !== null && r.status === 'succeeded') durations.push(Number(r.duration_ms));
    if (!lastError && r.error && r.status !== 'succeeded') lastError = { delivery_id: r.delivery_id, error: r.error, at: new Date(r.finished_at ?? r.created_at).toISOString() };
  }
  durations.sort((a, b) => a - b);
  return {
    runs_per_day: [...perDay].map(([day, v]) => ({ day, ...v })),
    runs: rows.length,
    success_rate: finished === 0 ? null : succeeded / finished,
    p50_ms: percentile(durations, 50),
    p99_ms: percentile(durations, 99),
    last_error: lastError,
  };
}
