/**
 * Kysely queries for the pets tables (and the reads of `repositories` the slice needs), one
 * function per operation. Decisions live in rules.ts and the jobs; nothing here decides.
 */
import { sql, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../../db/index.js';
import { newId, nowIso, toBool } from '../../db/index.js';
import type { Scope } from '../../http/auth-context.js';
import './tables.js';
import type { AnalysisSource, Applied, CommitAnalysesTable, EntitiesTable, EntityType, HealthHistoryTable, HistoryKind, LifeState } from './tables.js';

export type EntityRow = Selectable<EntitiesTable>;
export type AnalysisRow = Selectable<CommitAnalysesTable>;
export type HistoryRow = Selectable<HealthHistoryTable>;

/** What the pets need to know about a GitHub repository. */
export interface RepositoryFacts {
  id: string;
  github_id: number;
  owner: string;
  name: string;
  full_name: string;
  installation_id: number | null;
  default_branch: string | null;
  language: string | null;
  is_private: boolean;
  is_archived: boolean;
  is_deleted: boolean;
}

const REPO_COLUMNS = ['id', 'github_id', 'owner', 'name', 'full_name', 'installation_id', 'default_branch', 'language', 'is_private', 'is_archived', 'is_deleted'] as const;
type RawFacts = Omit<RepositoryFacts, 'is_private' | 'is_archived' | 'is_deleted'> & { is_private: boolean | number; is_archived: boolean | number; is_deleted: boolean | number };
const toFacts = (r: RawFacts): RepositoryFacts => ({ ...r, github_id: Number(r.github_id), installation_id: r.installation_id === null ? null : Number(r.installation_id), is_private: toBool(r.is_private), is_archived: toBool(r.is_archived), is_deleted: toBool(r.is_deleted) });

// ---- repositories (read only) ------------------------------------------------------------------

export async function getRepositoryFacts(exec: Executor, id: string): Promise<RepositoryFacts | null> {
  const r = await exec.selectFrom('repositories').select(REPO_COLUMNS).where('id', '=', id).executeTakeFirst();
  return r ? toFacts(r) : null;
}

export async function repositoriesByGithubIds(exec: Executor, githubIds: number[]): Promise<RepositoryFacts[]> {
  if (githubIds.length === 0) return [];
  return (await exec.selectFrom('repositories').select(REPO_COLUMNS).where('github_id', 'in', githubIds).execute()).map(toFacts);
}

/** Live repositories of an installation (or all), in id order after `afterId`. */
export async function liveRepositories(exec: Executor, p: { installationId?: number; afterId?: string; limit: number }): Promise<RepositoryFacts[]> {
  let q = exec.selectFrom('repositories').select(REPO_COLUMNS).where('is_deleted', '=', false).where('installation_id', 'is not', null);
  if (p.installationId !== undefined) q = q.where('installation_id', '=', p.installationId);
  if (p.afterId) q = q.where('id', '>', p.afterId);
  return (await q.orderBy('id').limit(p.limit).execute()).map(toFacts);
}

// ---- entities ----------------------------------------------------------------------------------

/** Creates the pet of a repository unless it has one; returns the pet and whether it is new. */
export async function ensureEntity(exec: Executor, repo: RepositoryFacts, init: { name: string; entity_type: EntityType }): Promise<{ entity: EntityRow; created: boolean }> {
  const now = nowIso();
  const inserted = await exec
    .insertInto('entities')
    .values({
      id: newId(),
      repository_id: repo.id,
      github_repository_id: repo.github_id,
      name: init.name,
      entity_type: init.entity_type,
      type_overridden: false,
      health: 100,
      life_state: 'alive',
      generation: 1,
      born_at: now,
      version: 1,
      requested_seq: 0,
      synced_seq: 0,
      sync_status: 'idle',
      sync_failures: 0,
      backfill_status: 'pending',
      backfill_done: 0,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('repository_id').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { entity: inserted, created: true };
  return { entity: (await entityOfRepository(exec, repo.id))!, created: false };
}

export async function getEntity(exec: Executor, id: string): Promise<EntityRow | undefined> {
  return exec.selectFrom('entities').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function entityOfRepository(exec: Executor, repositoryId: string): Promise<EntityRow | undefined> {
  return exec.selectFrom('entities').selectAll().where('repository_id', '=', repositoryId).executeTakeFirst();
}

/** Locks the pet's row for the rest of the transaction (PostgreSQL; SQLite's write lock does it). */
export async function lockEntity(exec: Executor, id: string, dialect: 'sqlite' | 'postgres'): Promise<EntityRow | undefined> {
  const q = exec.selectFrom('entities').selectAll().where('id', '=', id);
  return (dialect === 'postgres' ? q.forUpdate() : q).executeTakeFirst();
}

export async function updateEntity(exec: Executor, id: string, patch: Updateable<EntitiesTable>, bumpVersion = false): Promise<void> {
  await exec
    .updateTable('entities')
    .set({ ...patch, ...(bumpVersion ? { version: sql<number>`version + 1` } : {}), updated_at: nowIso() })
    .where('id', '=', id)
    .execute();
}

/** Records a request to bring the pet up to date; returns the request's sequence number. */
export async function requestSync(exec: Executor, id: string): Promise<number> {
  const r = await exec
    .updateTable('entities')
    .set({ requested_seq: sql<number>`requested_seq + 1`, sync_status: sql<'pending'>`case when sync_status = 'syncing' then 'syncing' else 'pending' end`, updated_at: nowIso() })
    .where('id', '=', id)
    .returning('requested_seq')
    .executeTakeFirstOrThrow();
  return r.requested_seq;
}

/** Takes the pet's lease when nobody holds a live one; true when this owner holds it now. */
export async function claimLease(exec: Executor, id: string, owner: string, seconds: number): Promise<boolean> {
  const now = new Date();
  const r = await exec
    .updateTable('entities')
    .set({ lease_owner: owner, lease_expires_at: new Date(now.getTime() + seconds * 1000).toISOString(), updated_at: now.toISOString() })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '=', owner), eb('lease_expires_at', '<', now.toISOString())]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function releaseLease(exec: Executor, id: string, owner: string): Promise<void> {
  await exec.updateTable('entities').set({ lease_owner: null, lease_expires_at: null }).where('id', '=', id).where('lease_owner', '=', owner).execute();
}

/** Pets in a state, in id order after `afterId` (for sweeps), with the repository's archived flag. */
export async function entitiesPage(exec: Executor, p: { states: LifeState[]; afterId?: string; limit: number }): Promise<Array<EntityRow & { is_archived: boolean | number; is_deleted: boolean | number }>> {
  let q = exec
    .selectFrom('entities as e')
    .innerJoin('repositories as r', 'r.id', 'e.repository_id')
    .selectAll('e')
    .select(['r.is_archived', 'r.is_deleted'])
    .where('e.life_state', 'in', p.states);
  if (p.afterId) q = q.where('e.id', '>', p.afterId);
  return q.orderBy('e.id').limit(p.limit).execute();
}

/** A pet with its repository, as lists and pages show it. */
export type PetRow = EntityRow & {
  full_name: string;
  owner: string;
  repo_name: string;
  installation_id: number | null;
  default_branch: string | null;
  language: string | null;
  is_private: boolean | number;
  is_archived: boolean | number;
  is_deleted: boolean | number;
};

function petQuery(exec: Executor) {
  return exec
    .selectFrom('entities as e')
    .innerJoin('repositories as r', 'r.id', 'e.repository_id')
    .selectAll('e')
    .select(['r.full_name', 'r.owner', 'r.name as repo_name', 'r.installation_id', 'r.default_branch', 'r.language', 'r.is_private', 'r.is_archived', 'r.is_deleted']);
}

/** Pets the scope may see, newest first (keyset on id). */
export async function listPets(exec: Executor, p: { scope: Scope; beforeId?: string; limit: number; state?: LifeState }): Promise<PetRow[]> {
  if (!p.scope.all && p.scope.installationIds.length === 0) return [];
  let q = petQuery(exec);
  if (!p.scope.all) q = q.where('r.installation_id', 'in', p.scope.installationIds);
  if (p.state) q = q.where('e.life_state', '=', p.state);
  if (p.beforeId !== undefined) q = q.where('e.id', '<', p.beforeId);
  return q.orderBy('e.id', 'desc').limit(p.limit + 1).execute();
}

/** The pet of owner/name within a scope (null scope: any, for public images). A live repository wins over a deleted one. */
export async function findPetByName(exec: Executor, fullName: string, scope: Scope | null): Promise<PetRow | undefined> {
  if (scope && !scope.all && scope.installationIds.length === 0) return undefined;
  let q = petQuery(exec).where(sql`lower(r.full_name)`, '=', fullName.toLowerCase());
  if (scope && !scope.all) q = q.where('r.installation_id', 'in', scope.installationIds);
  return q.orderBy('r.is_deleted').orderBy('e.id', 'desc').limit(1).executeTakeFirst();
}

/**
 * findPetByName for public images, compiled once: the badge path runs at hundreds of requests a
 * second, and building the query costs more than running it. Only the parameter changes.
 */
export function publicPetLookup(exec: Executor): (fullName: string) => Promise<PetRow | undefined> {
  const marker = '\u0000name';
  const compiled = petQuery(exec).where(sql`lower(r.full_name)`, '=', marker).orderBy('r.is_deleted').orderBy('e.id', 'desc').limit(1).compile();
  const at = compiled.parameters.indexOf(marker);
  if (at < 0) throw new Error('the pet lookup lost its parameter');
  return async (fullName) => {
    const parameters = [...compiled.parameters];
    parameters[at] = fullName.toLowerCase();
    const r = await exec.executeQuery<PetRow>({ ...compiled, parameters });
    return r.rows[0];
  };
}

/** Health over time for a set of pets (for sparklines): rows since `since`, oldest first. */
export async function historySince(exec: Executor, entityIds: string[], since: string): Promise<Array<Pick<HistoryRow, 'entity_id' | 'health_after' | 'occurred_at'>>> {
  if (entityIds.length === 0) return [];
  return exec.selectFrom('health_history').select(['entity_id', 'health_after', 'occurred_at']).where('entity_id', 'in', entityIds).where('occurred_at', '>=', since).orderBy('occurred_at').orderBy('id').execute();
}

/** The last health of each pet before `before` (where a sparkline starts). */
export async function healthBefore(exec: Executor, entityIds: string[], before: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (entityIds.length === 0) return out;
  const rows = await exec
    .selectFrom('health_history as h')
    .select(['h.entity_id', 'h.health_after', 'h.occurred_at'])
    .where('h.entity_id', 'in', entityIds)
    .where('h.occurred_at', '<', before)
    .where('h.occurred_at', '=', (eb) => eb.selectFrom('health_history as h2').select((e2) => e2.fn.max('h2.occurred_at').as('m')).whereRef('h2.entity_id', '=', 'h.entity_id').where('h2.occurred_at', '<', before))
    .execute();
  for (const r of rows) out.set(r.entity_id, r.health_after);
  return out;
}

// ---- commit analyses ---------------------------------------------------------------------------

export interface NewAnalysis {
  entity_id: string;
  repository_id: string;
  sha: string;
  parents: string[];
  is_merge: boolean;
  author_name: string;
  author_email: string;
  authored_at: string;
  committed_at: string;
  subject: string;
  files_changed: number;
  additions: number;
  deletions: number;
  overall_quality_score: number;
  health_delta: number;
  applied_delta: number;
  applied: Applied;
  analysis_json: string;
  analyzer_version: string;
  source: AnalysisSource;
}

/** Inserts an analysis unless the repository has one for this sha; returns its id when inserted. */
export async function insertAnalysis(exec: Executor, a: NewAnalysis): Promise<string | null> {
  const now = nowIso();
  const r = await exec
    .insertInto('commit_analyses')
    .values({ ...a, id: newId(), parents: JSON.stringify(a.parents), orphaned: false, created_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['repository_id', 'sha']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return r?.id ?? null;
}

/** Which of these shas the repository already has an analysis for (and whether it is orphaned). */
export async function knownShas(exec: Executor, repositoryId: string, shas: string[]): Promise<Map<string, { id: string; orphaned: boolean; analyzer_version: string }>> {
  const out = new Map<string, { id: string; orphaned: boolean; analyzer_version: string }>();
  for (let i = 0; i < shas.length; i += 500) {
    const rows = await exec.selectFrom('commit_analyses').select(['id', 'sha', 'orphaned', 'analyzer_version']).where('repository_id', '=', repositoryId).where('sha', 'in', shas.slice(i, i + 500)).execute();
    for (const r of rows) out.set(r.sha, { id: r.id, orphaned: toBool(r.orphaned), analyzer_version: r.analyzer_version });
  }
  return out;
}

/** Replaces an analysis made by an older analyser version (health is not moved again). */
export async function refreshAnalysis(exec: Executor, id: string, a: Pick<NewAnalysis, 'overall_quality_score' | 'health_delta' | 'analysis_json' | 'analyzer_version'>): Promise<void> {
  await exec.updateTable('commit_analyses').set({ ...a, source: 'reanalyze', updated_at: nowIso() }).where('id', '=', id).execute();
}

export async function setOrphaned(exec: Executor, ids: string[], orphaned: boolean): Promise<number> {
  let n = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const r = await exec.updateTable('commit_analyses').set({ orphaned, updated_at: nowIso() }).where('id', 'in', ids.slice(i, i + 500)).executeTakeFirst();
    n += Number(r.numUpdatedRows);
  }
  return n;
}

/** Every (sha, id) of a pet's analyses that are on its branch (not orphaned). */
export async function liveAnalysisShas(exec: Executor, entityId: string): Promise<Array<{ id: string; sha: string }>> {
  return exec.selectFrom('commit_analyses').select(['id', 'sha']).where('entity_id', '=', entityId).where('orphaned', '=', false).execute();
}

export async function countAnalyses(exec: Executor, entityId: string): Promise<number> {
  const r = await exec.selectFrom('commit_analyses').select((eb) => eb.fn.countAll<number>().as('n')).where('entity_id', '=', entityId).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** A pet's commits, newest first (keyset on committed_at, id). */
export async function listAnalyses(exec: Executor, p: { entityId: string; after?: { committed_at: string; id: string }; limit: number }): Promise<AnalysisRow[]> {
  let q = exec.selectFrom('commit_analyses').selectAll().where('entity_id', '=', p.entityId);
  const after = p.after;
  if (after) q = q.where((eb) => eb.or([eb('committed_at', '<', after.committed_at), eb.and([eb('committed_at', '=', after.committed_at), eb('id', '<', after.id)])]));
  return q.orderBy('committed_at', 'desc').orderBy('id', 'desc').limit(p.limit + 1).execute();
}

/** One analysis by sha (a full sha, or a prefix of at least 7 characters that names one commit). */
export async function findAnalysis(exec: Executor, entityId: string, sha: string): Promise<AnalysisRow | undefined> {
  const s = sha.toLowerCase();
  if (s.length >= 40) return exec.selectFrom('commit_analyses').selectAll().where('entity_id', '=', entityId).where('sha', '=', s).executeTakeFirst();
  const rows = await exec.selectFrom('commit_analyses').selectAll().where('entity_id', '=', entityId).where('sha', 'like', `${s}%`).limit(2).execute();
  return rows.length === 1 ? rows[0] : undefined;
}

// ---- health history ----------------------------------------------------------------------------

export interface NewHistory {
  entity_id: string;
  kind: HistoryKind;
  health_before: number;
  health_after: number;
  life_state: LifeState;
  generation: number;
  commit_analysis_id?: string | null;
  decay_day?: string | null;
  reason: string;
  occurred_at: string;
}

/** Writes a history row; false when a decay row for that pet and day exists already. */
export async function insertHistory(exec: Executor, h: NewHistory): Promise<boolean> {
  const r = await exec
    .insertInto('health_history')
    .values({ ...h, id: newId(), delta: h.health_after - h.health_before, commit_analysis_id: h.commit_analysis_id ?? null, decay_day: h.decay_day ?? null, created_at: nowIso() })
    .onConflict((oc) => oc.columns(['entity_id', 'decay_day']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return r !== undefined;
}

/** A pet's history since `since`, oldest first, at most `limit` rows. */
export async function listHistory(exec: Executor, p: { entityId: string; since?: string; limit: number; after?: { occurred_at: string; id: string } }): Promise<Array<HistoryRow & { sha: string | null }>> {
  let q = exec
    .selectFrom('health_history as h')
    .leftJoin('commit_analyses as c', 'c.id', 'h.commit_analysis_id')
    .selectAll('h')
    .select('c.sha')
    .where('h.entity_id', '=', p.entityId);
  if (p.since) q = q.where('h.occurred_at', '>=', p.since);
  const after = p.after;
  if (after) q = q.where((eb) => eb.or([eb('h.occurred_at', '>', after.occurred_at), eb.and([eb('h.occurred_at', '=', after.occurred_at), eb('h.id', '>', after.id)])]));
  return q.orderBy('h.occurred_at').orderBy('h.id').limit(p.limit + 1).execute();
}

/** Live repositories in an installation that have no pet yet (learned without an event). */
export async function repositoriesWithoutPet(exec: Executor, limit: number): Promise<RepositoryFacts[]> {
  const rows = await exec
    .selectFrom('repositories as r')
    .leftJoin('entities as e', 'e.repository_id', 'r.id')
    .select(['r.id', 'r.github_id', 'r.owner', 'r.name', 'r.full_name', 'r.installation_id', 'r.default_branch', 'r.language', 'r.is_private', 'r.is_archived', 'r.is_deleted'])
    .where('e.id', 'is', null)
    .where('r.is_deleted', '=', false)
    .where('r.installation_id', 'is not', null)
    .orderBy('r.id')
    .limit(limit)
    .execute();
  return rows.map(toFacts);
}
