/**
 * Kysely queries for the mirror tables (and the reads of `repositories` the slice needs), one
 * function per operation. Nothing here decides anything: service.ts does.
 */
import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Database, Executor } from '../../db/index.js';
import { forUpdate, newId, nowIso, toBool } from '../../db/index.js';
import type { Scope } from '../../http/auth-context.js';
import './tables.js';
import type { MirrorRulesTable, MirrorTargetsTable, RepoMirrorsTable, SyncLogsTable, SyncStatus } from './tables.js';

export type TargetRow = Selectable<MirrorTargetsTable>;
export type RuleRow = Selectable<MirrorRulesTable>;
export type MirrorRow = Selectable<RepoMirrorsTable>;
export type LogRow = Selectable<SyncLogsTable>;

/** What the mirror needs to know about a GitHub repository. */
export interface RepositoryFacts {
  id: string;
  github_id: number;
  owner: string;
  name: string;
  full_name: string;
  installation_id: number | null;
  default_branch: string | null;
  description: string | null;
  is_private: boolean;
  is_deleted: boolean;
}

const REPO_COLUMNS = ['id', 'github_id', 'owner', 'name', 'full_name', 'installation_id', 'default_branch', 'description', 'is_private', 'is_deleted'] as const;

const toFacts = (r: { is_private: boolean | number; is_deleted: boolean | number } & Omit<RepositoryFacts, 'is_private' | 'is_deleted'>): RepositoryFacts => ({
  ...r,
  is_private: toBool(r.is_private),
  is_deleted: toBool(r.is_deleted),
});

// ---- repositories (read only) --------------------------------------------------------------

export async function getRepositoryFacts(exec: Executor, id: string): Promise<RepositoryFacts | null> {
  const r = await exec.selectFrom('repositories').select(REPO_COLUMNS).where('id', '=', id).executeTakeFirst();
  return r ? toFacts(r) : null;
}

export async function repositoriesByGithubIds(exec: Executor, githubIds: number[]): Promise<RepositoryFacts[]> {
  if (githubIds.length === 0) return [];
  return (await exec.selectFrom('repositories').select(REPO_COLUMNS).where('github_id', 'in', githubIds).execute()).map(toFacts);
}

/** Live repositories, optionally of one installation, in id order after `afterId` (for sweeps). */
export async function liveRepositories(exec: Executor, p: { installationId?: number; afterId?: string; limit: number }): Promise<RepositoryFacts[]> {
  let q = exec.selectFrom('repositories').select(REPO_COLUMNS).where('is_deleted', '=', false);
  if (p.installationId !== undefined) q = q.where('installation_id', '=', p.installationId);
  if (p.afterId) q = q.where('id', '>', p.afterId);
  return (await q.orderBy('id').limit(p.limit).execute()).map(toFacts);
}

/** A live repository by owner/name within a scope (a live one before a deleted one). */
export async function findRepositoryByName(exec: Executor, fullName: string, scope: Scope): Promise<RepositoryFacts | null> {
  if (!scope.all && scope.installationIds.length === 0) return null;
  let q = exec.selectFrom('repositories').select(REPO_COLUMNS).where(sql`lower(full_name)`, '=', fullName.toLowerCase());
  if (!scope.all) q = q.where('installation_id', 'in', scope.installationIds);
  const r = await q.orderBy('is_deleted').orderBy('id', 'desc').executeTakeFirst();
  return r ? toFacts(r) : null;
}

// ---- targets ---------------------------------------------------------------------------------

export async function insertTarget(exec: Executor, row: Omit<Insertable<MirrorTargetsTable>, 'id' | 'created_at' | 'updated_at' | 'last_test_at' | 'last_test_ok' | 'last_test_message'>): Promise<TargetRow> {
  const now = nowIso();
  return exec
    .insertInto('mirror_targets')
    .values({ ...row, id: newId(), last_test_at: null, last_test_ok: null, last_test_message: null, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateTarget(exec: Executor, id: string, patch: Updateable<MirrorTargetsTable>): Promise<TargetRow | undefined> {
  return exec.updateTable('mirror_targets').set({ ...patch, updated_at: nowIso() }).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteTarget(exec: Executor, id: string): Promise<boolean> {
  const r = await exec.deleteFrom('mirror_targets').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function getTarget(exec: Executor, id: string): Promise<TargetRow | undefined> {
  return exec.selectFrom('mirror_targets').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getTargetByName(exec: Executor, name: string): Promise<TargetRow | undefined> {
  return exec.selectFrom('mirror_targets').selectAll().where(sql`lower(name)`, '=', name.toLowerCase()).executeTakeFirst();
}

export async function listTargets(exec: Executor): Promise<TargetRow[]> {
  return exec.selectFrom('mirror_targets').selectAll().orderBy('name').execute();
}

// ---- rules -----------------------------------------------------------------------------------

export async function insertRule(exec: Executor, row: Omit<RuleRow, 'id' | 'created_at' | 'updated_at'>): Promise<RuleRow> {
  const now = nowIso();
  return exec.insertInto('mirror_rules').values({ ...row, id: newId(), created_at: now, updated_at: now }).returningAll().executeTakeFirstOrThrow();
}

export async function getRule(exec: Executor, id: string): Promise<RuleRow | undefined> {
  return exec.selectFrom('mirror_rules').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function deleteRule(exec: Executor, id: string): Promise<void> {
  await exec.deleteFrom('mirror_rules').where('id', '=', id).execute();
}

/** Rules of one target, or of every enabled target. */
export async function listRules(exec: Executor, targetId?: string): Promise<Array<RuleRow & { target_enabled: boolean }>> {
  let q = exec.selectFrom('mirror_rules as r').innerJoin('mirror_targets as t', 't.id', 'r.target_id').selectAll('r').select('t.enabled as target_enabled');
  if (targetId) q = q.where('r.target_id', '=', targetId);
  return (await q.orderBy('r.id').execute()).map((r) => ({ ...r, target_enabled: toBool(r.target_enabled) }));
}

// ---- mirrors ---------------------------------------------------------------------------------

export async function getMirror(exec: Executor, id: string): Promise<MirrorRow | undefined> {
  return exec.selectFrom('repo_mirrors').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function lockMirror(exec: Executor, dialect: Database['dialect'], targetId: string, repositoryId: string): Promise<MirrorRow | undefined> {
  return forUpdate(exec.selectFrom('repo_mirrors').selectAll().where('target_id', '=', targetId).where('repository_id', '=', repositoryId), dialect).executeTakeFirst();
}

/** Inserts a mirror unless one exists for the pair; returns whether it inserted. */
export async function insertMirror(
  exec: Executor,
  row: Pick<MirrorRow, 'target_id' | 'repository_id' | 'target_path' | 'sources' | 'max_retries'> & Partial<Pick<MirrorRow, 'sync_status' | 'error_code' | 'error_message' | 'due_at'>>,
): Promise<boolean> {
  const now = nowIso();
  const r = await exec
    .insertInto('repo_mirrors')
    .values({
      id: newId(),
      target_id: row.target_id,
      repository_id: row.repository_id,
      target_path: row.target_path,
      target_repo_id: null,
      target_url: null,
      sources: row.sources,
      is_active: true,
      stopped_reason: null,
      sync_status: row.sync_status ?? 'pending',
      error_code: row.error_code ?? null,
      error_message: row.error_message ?? null,
      retry_count: 0,
      max_retries: row.max_retries,
      next_retry_at: null,
      due_at: row.due_at === undefined ? now : row.due_at,
      requested_seq: 1,
      synced_seq: 0,
      pending_since: now,
      lease_owner: null,
      lease_expires_at: null,
      progress: null,
      last_sync_started_at: null,
      last_synced_at: null,
      last_duration_ms: null,
      last_bytes: null,
      synced_sha: null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['target_id', 'repository_id']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function updateMirror(exec: Executor, id: string, patch: Updateable<RepoMirrorsTable>): Promise<void> {
  await exec.updateTable('repo_mirrors').set({ ...patch, updated_at: nowIso() }).where('id', '=', id).execute();
}

/** Another mirror of the target already at this path (case-insensitive), if any. */
export async function mirrorAtPath(exec: Executor, targetId: string, path: string, exceptRepositoryId: string): Promise<{ full_name: string } | undefined> {
  return exec
    .selectFrom('repo_mirrors as m')
    .innerJoin('repositories as r', 'r.id', 'm.repository_id')
    .select('r.full_name')
    .where('m.target_id', '=', targetId)
    .where(sql`lower(m.target_path)`, '=', path.toLowerCase())
    .where('m.repository_id', '!=', exceptRepositoryId)
    .executeTakeFirst();
}

export async function mirrorsOfRepository(exec: Executor, repositoryId: string): Promise<MirrorRow[]> {
  return exec.selectFrom('repo_mirrors').selectAll().where('repository_id', '=', repositoryId).orderBy('id').execute();
}

export async function mirrorsOfTarget(exec: Executor, targetId: string): Promise<MirrorRow[]> {
  return exec.selectFrom('repo_mirrors').selectAll().where('target_id', '=', targetId).orderBy('id').execute();
}

/** Active mirrors in id order after `afterId` (for the daily reconciliation). */
export async function activeMirrorsPage(exec: Executor, p: { afterId?: string; limit: number }): Promise<MirrorRow[]> {
  let q = exec.selectFrom('repo_mirrors').selectAll().where('is_active', '=', true);
  if (p.afterId) q = q.where('id', '>', p.afterId);
  return q.orderBy('id').limit(p.limit).execute();
}

/**
 * Records a request to bring mirrors up to date: bumps `requested_seq`, starts the lag clock, and
 * makes them due now — except mirrors waiting for a scheduled retry or for someone to fix a
 * credential (a push must not turn a failing target into a retry storm), unless `force`.
 */
export async function requestSync(exec: Executor, where: { repositoryId: string } | { mirrorIds: string[] }, opts: { force?: boolean } = {}): Promise<number> {
  const now = nowIso();
  if ('mirrorIds' in where && where.mirrorIds.length === 0) return 0;
  const due = opts.force
    ? sql<string>`${now}`
    : sql<string | null>`case when sync_status in ('failed', 'permanent_failure') then due_at when due_at is null or due_at > ${now} then ${now} else due_at end`;
  let q = exec
    .updateTable('repo_mirrors')
    .set((eb) => ({
      requested_seq: eb('requested_seq', '+', 1),
      pending_since: sql<string>`coalesce(pending_since, ${now})`,
      due_at: due,
      updated_at: now,
    }))
    .where('is_active', '=', true);
  q = 'repositoryId' in where ? q.where('repository_id', '=', where.repositoryId) : q.where('id', 'in', where.mirrorIds);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Clears a failure (retry from the API/CLI, or a target whose settings changed) and makes the mirrors due. */
export async function resetForRetry(exec: Executor, mirrorIds: string[]): Promise<number> {
  if (mirrorIds.length === 0) return 0;
  const now = nowIso();
  const r = await exec
    .updateTable('repo_mirrors')
    .set((eb) => ({
      sync_status: sql<SyncStatus>`case when sync_status = 'in_progress' then sync_status else 'pending' end`,
      retry_count: 0,
      error_code: null,
      error_message: null,
      next_retry_at: null,
      due_at: sql<string>`case when due_at is null or due_at > ${now} then ${now} else due_at end`,
      requested_seq: eb('requested_seq', '+', 1),
      pending_since: sql<string>`coalesce(pending_since, ${now})`,
      updated_at: now,
    }))
    .where('id', 'in', mirrorIds)
    .where('is_active', '=', true)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Mirrors of a target that stopped on a failure (to reset when the target's settings change). */
export async function failedMirrorsOfTarget(exec: Executor, targetId: string): Promise<string[]> {
  const rows = await exec.selectFrom('repo_mirrors').select('id').where('target_id', '=', targetId).where('sync_status', 'in', ['failed', 'permanent_failure']).execute();
  return rows.map((r) => r.id);
}

// ---- claiming and leases ---------------------------------------------------------------------

export interface ClaimedMirror {
  mirror: MirrorRow;
  /** The status before this claim (to log retries). */
  previousStatus: SyncStatus;
}

export interface ClaimOptions {
  owner: string;
  leaseMs: number;
  /** Syncs allowed at once across every process. */
  overall: number;
  /** Default per-target limit (a target's own max_concurrency wins). */
  perTarget: number;
  /** How many this process may start now. */
  localFree: number;
  /** Claim only this mirror, and ignore the limits (a sync an operator asked for in the CLI). */
  onlyMirrorId?: string;
}

const CLAIM_LOCK = sql`select pg_advisory_xact_lock(hashtext('switchyard.mirror.claim'))`;

/** Cheap check: is any mirror due and not leased? */
export async function anyDue(exec: Executor): Promise<boolean> {
  const now = nowIso();
  const r = await exec
    .selectFrom('repo_mirrors')
    .select('id')
    .where('due_at', '<=', now)
    .where('is_active', '=', true)
    .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', now)]))
    .limit(1)
    .executeTakeFirst();
  return r !== undefined;
}

/**
 * Claims due mirrors within the concurrency limits, in one transaction (serialised across
 * processes by an advisory lock on PostgreSQL; SQLite's write lock does it there): each claimed
 * row gets this runner's lease and `in_progress`.
 */
export async function claimDue(db: Database, o: ClaimOptions): Promise<ClaimedMirror[]> {
  return db.kysely.transaction().execute(async (tx) => {
    if (db.dialect === 'postgres') await CLAIM_LOCK.execute(tx);
    const now = new Date();
    const nowText = now.toISOString();
    const until = new Date(now.getTime() + o.leaseMs).toISOString();
    const active = new Map<string, number>();
    let total = 0;
    if (!o.onlyMirrorId) {
      const rows = await tx
        .selectFrom('repo_mirrors')
        .select(['target_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('lease_expires_at', '>', nowText)
        .groupBy('target_id')
        .execute();
      for (const r of rows) {
        active.set(r.target_id, Number(r.n));
        total += Number(r.n);
      }
    }
    let free = o.onlyMirrorId ? 1 : Math.min(o.overall - total, o.localFree);
    if (free <= 0) return [];
    // Targets already at their limit are left out of the search, so their backlog cannot hide others' work.
    const saturated = o.onlyMirrorId
      ? []
      : (await tx.selectFrom('mirror_targets').select(['id', 'max_concurrency']).execute()).filter((t) => (active.get(t.id) ?? 0) >= (t.max_concurrency ?? o.perTarget)).map((t) => t.id);
    let q = tx
      .selectFrom('repo_mirrors as m')
      .innerJoin('mirror_targets as t', 't.id', 'm.target_id')
      .select(['m.id', 'm.target_id', 'm.sync_status', 't.max_concurrency'])
      .where('m.is_active', '=', true)
      .where('t.enabled', '=', true)
      .where((eb) => eb.or([eb('m.lease_expires_at', 'is', null), eb('m.lease_expires_at', '<=', nowText)]));
    if (saturated.length > 0) q = q.where('m.target_id', 'not in', saturated);
    q = o.onlyMirrorId ? q.where('m.id', '=', o.onlyMirrorId) : q.where('m.due_at', '<=', nowText).orderBy('m.due_at').orderBy('m.id').limit(200);
    const candidates = await q.execute();
    const claimed: ClaimedMirror[] = [];
    for (const c of candidates) {
      if (free <= 0) break;
      const limit = c.max_concurrency ?? o.perTarget;
      if (!o.onlyMirrorId && (active.get(c.target_id) ?? 0) >= limit) continue;
      const row = await tx
        .updateTable('repo_mirrors')
        .set({ lease_owner: o.owner, lease_expires_at: until, sync_status: 'in_progress', last_sync_started_at: nowText, progress: null, updated_at: nowText, due_at: sql<string>`coalesce(due_at, ${nowText})` })
        .where('id', '=', c.id)
        .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', nowText)]))
        .returningAll()
        .executeTakeFirst();
      if (!row) continue;
      claimed.push({ mirror: row, previousStatus: c.sync_status });
      active.set(c.target_id, (active.get(c.target_id) ?? 0) + 1);
      free--;
    }
    return claimed;
  });
}

/** Extends a lease this runner holds; false when it no longer holds it. */
export async function renewLease(exec: Executor, id: string, owner: string, leaseMs: number): Promise<boolean> {
  const r = await exec
    .updateTable('repo_mirrors')
    .set({ lease_expires_at: new Date(Date.now() + leaseMs).toISOString() })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function recordProgress(exec: Executor, id: string, owner: string, progress: string | null): Promise<void> {
  await exec.updateTable('repo_mirrors').set({ progress }).where('id', '=', id).where('lease_owner', '=', owner).execute();
}

/**
 * Ends a sync this runner holds the lease of, applying `patch` and releasing the lease, in one
 * transaction; `decide` sees the current row (requests may have arrived meanwhile). Returns
 * false when the lease was lost (another runner took the mirror over).
 */
export async function finishSync(db: Database, id: string, owner: string, decide: (row: MirrorRow) => Updateable<RepoMirrorsTable>): Promise<boolean> {
  return db.kysely.transaction().execute(async (tx) => {
    const row = await forUpdate(tx.selectFrom('repo_mirrors').selectAll().where('id', '=', id).where('lease_owner', '=', owner), db.dialect).executeTakeFirst();
    if (!row) return false;
    await tx
      .updateTable('repo_mirrors')
      .set({ ...decide(row), lease_owner: null, lease_expires_at: null, progress: null, updated_at: nowIso() })
      .where('id', '=', id)
      .execute();
    return true;
  });
}

// ---- listing (API, CLI) ----------------------------------------------------------------------

export interface MirrorListFilter {
  scope: Scope;
  targetId?: string;
  status?: SyncStatus;
  repositoryId?: string;
  active?: boolean;
  beforeId?: string;
  limit: number;
}

function mirrorListQuery(exec: Executor) {
  return exec
    .selectFrom('repo_mirrors as m')
    .innerJoin('repositories as r', 'r.id', 'm.repository_id')
    .innerJoin('mirror_targets as t', 't.id', 'm.target_id')
    .selectAll('m')
    .select(['r.full_name', 'r.installation_id', 'r.html_url', 'r.is_deleted as repository_deleted', 't.name as target_name', 't.kind as target_kind']);
}

export type MirrorListRow = Awaited<ReturnType<ReturnType<typeof mirrorListQuery>['execute']>>[number];

/** Mirrors of repositories in the scope, newest first. */
export async function listMirrors(exec: Executor, f: MirrorListFilter): Promise<MirrorListRow[]> {
  if (!f.scope.all && f.scope.installationIds.length === 0) return [];
  let q = mirrorListQuery(exec);
  if (!f.scope.all) q = q.where('r.installation_id', 'in', f.scope.installationIds);
  if (f.targetId) q = q.where('m.target_id', '=', f.targetId);
  if (f.status) q = q.where('m.sync_status', '=', f.status);
  if (f.repositoryId) q = q.where('m.repository_id', '=', f.repositoryId);
  if (f.active !== undefined) q = q.where('m.is_active', '=', f.active);
  if (f.beforeId) q = q.where('m.id', '<', f.beforeId);
  return q.orderBy('m.id', 'desc').limit(f.limit + 1).execute();
}

/** Counts by target and status (the scope limits which repositories count). */
export async function statusCounts(exec: Executor, scope: Scope): Promise<Array<{ target_id: string; sync_status: SyncStatus; is_active: boolean; n: number; oldest_pending: string | null }>> {
  if (!scope.all && scope.installationIds.length === 0) return [];
  let q = exec
    .selectFrom('repo_mirrors as m')
    .innerJoin('repositories as r', 'r.id', 'm.repository_id')
    .select(['m.target_id', 'm.sync_status', 'm.is_active', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('m.pending_since').as('oldest_pending')])
    .groupBy(['m.target_id', 'm.sync_status', 'm.is_active']);
  if (!scope.all) q = q.where('r.installation_id', 'in', scope.installationIds);
  return (await q.execute()).map((r) => ({ ...r, is_active: toBool(r.is_active), n: Number(r.n), oldest_pending: (r.oldest_pending as string | null) ?? null }));
}

// ---- sync log --------------------------------------------------------------------------------

export interface LogEntry {
  repo_mirror_id: string;
  sync_id: string | null;
  event: string;
  message?: string | null;
  duration_ms?: number | null;
  bytes_transferred?: number | null;
  error_code?: string | null;
  details?: Record<string, unknown> | null;
}

export async function insertLog(exec: Executor, e: LogEntry): Promise<void> {
  await exec
    .insertInto('sync_logs')
    .values({
      id: newId(),
      repo_mirror_id: e.repo_mirror_id,
      sync_id: e.sync_id,
      event: e.event,
      message: e.message ?? null,
      duration_ms: e.duration_ms ?? null,
      bytes_transferred: e.bytes_transferred ?? null,
      error_code: e.error_code ?? null,
      details: e.details ? JSON.stringify(e.details) : null,
      created_at: nowIso(),
    })
    .execute();
}

/** A mirror's (or several mirrors') log, newest first. */
export async function listLogs(exec: Executor, p: { mirrorIds: string[]; beforeId?: string; limit: number; event?: string }): Promise<Array<LogRow & { target_name: string }>> {
  if (p.mirrorIds.length === 0) return [];
  let q = exec
    .selectFrom('sync_logs as l')
    .innerJoin('repo_mirrors as m', 'm.id', 'l.repo_mirror_id')
    .innerJoin('mirror_targets as t', 't.id', 'm.target_id')
    .selectAll('l')
    .select('t.name as target_name')
    .where('l.repo_mirror_id', 'in', p.mirrorIds);
  if (p.event) q = q.where('l.event', '=', p.event);
  if (p.beforeId) q = q.where('l.id', '<', p.beforeId);
  return q.orderBy('l.id', 'desc').limit(p.limit + 1).execute();
}

/** Deletes sync log rows created before `before`, in batches; returns how many. */
export async function deleteLogsBefore(exec: Executor, before: string, batch = 5000): Promise<number> {
  let total = 0;
  for (;;) {
    const ids = await exec.selectFrom('sync_logs').select('id').where('created_at', '<', before).limit(batch).execute();
    if (ids.length === 0) return total;
    await exec.deleteFrom('sync_logs').where('id', 'in', ids.map((r) => r.id)).execute();
    total += ids.length;
    if (ids.length < batch) return total;
  }
}
