/**
 * Reads and maintains the event log (`event_receipts`). Every read takes the viewer's scope: a
 * receipt is visible when its installation is in the scope; receipts without an installation
 * (e.g. `ping`, `meta`) only to a scope of `all` (administrators and the operator).
 */
import { sql, type AliasedRawBuilder, type CompiledQuery, type RawBuilder } from 'kysely';
import type { Database, Executor } from '../db/index.js';
import { isUuid, nowIso, parseJson, uuidLowerBound } from '../db/index.js';
import type { Scope } from '../http/auth-context.js';

/** The installations a scope limits reads to (each once): null = every receipt, [] = none. */
function visibleInstallations(scope: Scope): number[] | null {
  return scope.all ? null : [...new Set(scope.installationIds)];
}

export interface EventFilters {
  /** Whose events: only receipts of these installations are listed (see visibleInstallations). */
  scope: Scope;
  repository?: string;
  installation?: number;
  type?: string;
  action?: string;
  status?: string;
  since?: Date;
  until?: Date;
  /** Exclusive upper bound on id (keyset cursor). */
  beforeId?: string;
  limit: number;
}

export interface EventItem {
  id: string;
  delivery_id: string;
  event_type: string;
  event_action: string | null;
  repository: string | null;
  installation_id: number | null;
  actor: string | null;
  target_object_ids: Record<string, string | number>;
  received_at: string;
  github_timestamp: string | null;
  processing_status: string;
  retry_count: number;
  error_message: string | null;
}

function baseQuery(db: Executor) {
  return db
    .selectFrom('event_receipts as e')
    .leftJoin('repositories as r', 'r.id', 'e.repository_id')
    .select([
      'e.id',
      'e.delivery_id',
      'e.event_type',
      'e.event_action',
      'r.full_name as repository',
      'e.installation_id',
      'e.actor',
      'e.target_object_ids',
      'e.received_at',
      'e.github_timestamp',
      'e.processing_status',
      'e.retry_count',
      'e.error_message',
    ]);
}

type EventsQuery = ReturnType<typeof baseQuery>;

type Row = {
  id: string;
  delivery_id: string;
  event_type: string;
  event_action: string | null;
  repository: string | null;
  installation_id: number | null;
  actor: string | null;
  target_object_ids: string;
  received_at: string;
  github_timestamp: string | null;
  processing_status: string;
  retry_count: number;
  error_message: string | null;
};

const toItem = (r: Row): EventItem => ({ ...r, target_object_ids: parseJson(r.target_object_ids, {}) });

/**
 * A scope of more installations than this lists through one `installation_id in (…)` instead of one
 * branch per installation (SQLite allows 500 terms in a compound select). At 300k receipts a merge of
 * 50 branches takes ~15 ms on either database; the `in` list sorts every event of the installations.
 */
const MAX_INSTALLATION_BRANCHES = 200;

/**
 * How a status filter is served: `processed` is dense (checked while scanning another index);
 * `received` and `processing` are the backlog (few, the newest: read through (processing_status, id));
 * `failed` and `dead` have a partial index for every combination (migration 0016).
 */
type StatusAccess = 'none' | 'dense' | 'backlog' | 'failing';
const statusAccess = (status: string | undefined): StatusAccess =>
  status === undefined ? 'none' : status === 'processed' ? 'dense' : status === 'failed' || status === 'dead' ? 'failing' : 'backlog';

/** The names 0001 gave the indexes of single columns and (type, action); 0016 named the rest. */
const FIRST_NAMES: Record<string, string> = { inst_: 'installation_id', repo_: 'repo_id', type_: 'type_id', type_action_: 'type_action_id', action_: 'action_id' };

/**
 * The index whose leading columns are exactly this branch's equality columns (then id) — the
 * primary key when there are none. SQLite is told to use it (`indexed by`): its planner, estimating
 * from averages, sometimes prefers a skip scan of another index and a sort of every match (a time
 * range alone: `event_receipts_repo_id (ANY(repository_id) AND id>? AND id<?)`, then a sort).
 */
function indexFor(b: Branch, f: EventFilters, status: StatusAccess): string {
  if (status === 'backlog') return 'event_receipts_status_id';
  const owner = b.repositoryId !== undefined ? (b.installation !== undefined ? 'repo_inst_' : 'repo_') : b.installation !== undefined ? 'inst_' : '';
  const kind = f.type !== undefined ? (f.action !== undefined ? 'type_action_' : 'type_') : f.action !== undefined ? 'action_' : '';
  const set = `${owner}${kind}`;
  // The primary key (id): SQLite names it after the table (0001 declares it first).
  if (set === '') return status === 'none' ? 'sqlite_autoindex_event_receipts_1' : 'event_receipts_status_id';
  if (status === 'failing') return `event_receipts_failing_${set}id`;
  return `event_receipts_${FIRST_NAMES[set] ?? `${set}id`}`;
}

/**
 * One branch of a page: the owner columns its index starts with. `installation` undefined = no
 * installation condition (an administrator's listing), null = receipts without an installation.
 */
interface Branch {
  repositoryId?: string | RawBuilder<string>;
  installation?: number | null | RawBuilder<number>;
}

/**
 * The installations the receipts of a repository carry (one, or two after a transfer; null when some
 * carry none), read as a skip scan of the (repository_id, installation_id, id) index: one seek each.
 */
async function installationsOfRepository(db: Executor, repositoryId: string, withNull: boolean): Promise<Array<number | null>> {
  const found = await sql<{ i: number | string }>`
    with recursive inst(i) as (
      select (select installation_id from event_receipts where repository_id = ${repositoryId} and installation_id is not null order by installation_id limit 1)
      union all
      select (select installation_id from event_receipts where repository_id = ${repositoryId} and installation_id > inst.i order by installation_id limit 1) from inst where inst.i is not null
    )
    select i from inst where i is not null`.execute(db);
  const out: Array<number | null> = found.rows.map((r) => Number(r.i));
  if (withNull) {
    const none = await db.selectFrom('event_receipts').select('id').where('repository_id', '=', repositoryId).where('installation_id', 'is', null).limit(1).executeTakeFirst();
    if (none) out.push(null);
  }
  return out;
}

/** What a listing reads: its branches (one index range each) and bounds; null = nothing can match. */
interface Access {
  branches: Branch[];
  /** More installations than branches allow: one `installation_id in (…)` (no exact index). */
  installationList?: number[];
  status: StatusAccess;
  lower?: string;
  upper?: string;
  /**
   * PostgreSQL, a repository filter: the repository (by name) and its installations are found by
   * the page's own statement (see postgresRepositoryIds), not by statements of their own.
   */
  repository?: RepositoryAccess;
}

/** A repository filter resolved in the page's statement: the name, and the installations in scope (null = all). */
interface RepositoryAccess {
  name: string;
  installations: number[] | null;
  /** The filters need an index of (repository_id, installation_id, …): a branch per installation. */
  needsInstallation: boolean;
}

/**
 * The access of a listing. On SQLite a repository's id and installations are looked up first (a
 * statement costs microseconds in-process); on PostgreSQL every statement is a round trip to the
 * server, which on a busy machine costs more than any of these plans, so they are folded into the
 * page's statement.
 */
async function access(db: Database, f: EventFilters): Promise<Access | null> {
  let installations = visibleInstallations(f.scope);
  if (f.installation !== undefined) {
    // Filtering by an installation outside the scope finds nothing, exactly as an unknown one does.
    if (installations && !installations.includes(f.installation)) return null;
    installations = [f.installation];
  }
  // Kysely cannot express `in ()`; an empty scope sees nothing anyway.
  if (installations?.length === 0) return null;
  const status = statusAccess(f.status);
  const needsInstallation = status === 'failing' || f.type !== undefined || f.action !== undefined;
  // Time bounds become id bounds (ids are UUIDv7, time-ordered); the cursor is one more upper bound.
  const lower = f.since ? uuidLowerBound(f.since) : undefined;
  const uppers = [f.until ? uuidLowerBound(new Date(f.until.getTime() + 1)) : undefined, f.beforeId?.toLowerCase()].filter((x): x is string => x !== undefined);
  const upper = uppers.length ? uppers.reduce((x, y) => (x < y ? x : y)) : undefined;
  const bounds = { status, lower, upper };

  // (Not for the backlog: read through (processing_status, id), its owners are residuals, and a
  // repository given by name there let PostgreSQL plan a semi-join over all of its receipts: 0.6 s.)
  if (f.repository !== undefined && db.dialect === 'postgres' && status !== 'backlog') {
    return { branches: [{}], repository: { name: f.repository, installations, needsInstallation }, ...bounds };
  }
  let repositoryIds: string[] | undefined;
  if (f.repository !== undefined) {
    // Resolve the name first: `repository_id = ?` lets an index starting with it give the order;
    // `in (subquery)` makes both databases read and sort every event of the repository.
    // (Not scoped: the events themselves are, so another installation's repository lists nothing.)
    repositoryIds = (await db.kysely.selectFrom('repositories').select('id').where('full_name', '=', f.repository).execute()).map((r) => r.id);
    if (repositoryIds.length === 0) return null;
  }

  let branches: Branch[];
  let installationList: number[] | undefined;
  if (repositoryIds) {
    branches = [];
    for (const repositoryId of repositoryIds) {
      if (!installations && !needsInstallation) {
        branches.push({ repositoryId }); // (repository_id, id): no need to know its installations
        continue;
      }
      if (installations?.length === 1) {
        branches.push({ repositoryId, installation: installations[0]! });
        continue;
      }
      const own = await installationsOfRepository(db.kysely, repositoryId, !installations);
      for (const installation of own) if (!installations || (installation !== null && installations.includes(installation))) branches.push({ repositoryId, installation });
    }
    if (branches.length === 0) return null;
  } else if (!installations) {
    branches = [{}];
  } else if (installations.length <= MAX_INSTALLATION_BRANCHES) {
    branches = installations.map((installation) => ({ installation }));
  } else {
    branches = [{}];
    installationList = installations;
  }
  return { branches, installationList, ...bounds };
}

/** The conditions of a branch that its index holds (equality columns), and the id bounds. */
function indexConditions<Q extends EventsQuery | IdsQuery>(q: Q, b: Branch, f: EventFilters, a: Access, upper: string | undefined): Q {
  let r = q as EventsQuery;
  if (a.status === 'backlog') {
    r = r.where('e.processing_status', '=', f.status as Row['processing_status'] & 'received');
  } else {
    if (b.repositoryId !== undefined) r = r.where('e.repository_id', '=', b.repositoryId);
    if (b.installation === null) r = r.where('e.installation_id', 'is', null);
    else if (b.installation !== undefined) r = r.where('e.installation_id', '=', b.installation);
    if (f.type !== undefined) r = r.where('e.event_type', '=', f.type);
    if (f.action !== undefined) r = r.where('e.event_action', '=', f.action);
    if (a.status === 'failing') {
      r = r.where('e.processing_status', '=', f.status as Row['processing_status'] & 'failed');
      // The partial indexes' predicate, verbatim: SQLite uses a partial index only for a query that
      // repeats it (a bound parameter proves nothing at planning time). (processing_status, id) is no partial index.
      if (b.repositoryId !== undefined || b.installation !== undefined || f.type !== undefined || f.action !== undefined) r = r.where(sql<boolean>`e.processing_status < 'processed'`);
    }
  }
  if (a.lower !== undefined) r = r.where('e.id', '>=', a.lower);
  if (upper !== undefined) r = r.where('e.id', '<', upper);
  return r as Q;
}

/** The conditions no index holds: checked on the rows the index range gives. */
function residualConditions<Q extends EventsQuery | IdsQuery>(query: Q, b: Branch, f: EventFilters, a: Access): Q {
  let q = query as EventsQuery;
  if (a.status === 'backlog') {
    q = backlogOwners(q, [b]);
    if (f.type !== undefined) q = q.where('e.event_type', '=', f.type);
    if (f.action !== undefined) q = q.where('e.event_action', '=', f.action);
  }
  if (a.status === 'dense') q = q.where('e.processing_status', '=', 'processed');
  if (a.installationList) q = q.where('e.installation_id', 'in', a.installationList);
  if (f.since) q = q.where('e.received_at', '>=', f.since.toISOString());
  if (f.until) q = q.where('e.received_at', '<=', f.until.toISOString());
  return q as Q;
}

/** The backlog's owner conditions (read through (processing_status, id), they are residuals): any of the branches'. */
function backlogOwners(q: EventsQuery, branches: Branch[]): EventsQuery {
  const owned = branches.filter((b) => b.repositoryId !== undefined || b.installation !== undefined);
  if (owned.length < branches.length || owned.length === 0) return q; // a branch without conditions: all of them
  return q.where((eb) =>
    eb.or(
      owned.map((b) => {
        const conds = [];
        if (b.repositoryId !== undefined) conds.push(eb('e.repository_id', '=', b.repositoryId));
        if (b.installation === null) conds.push(eb('e.installation_id', 'is', null));
        else if (b.installation !== undefined) conds.push(eb('e.installation_id', '=', b.installation));
        return eb.and(conds);
      }),
    ),
  );
}

const hasResiduals = (f: EventFilters, a: Access) => a.status === 'backlog' || a.status === 'dense' || a.installationList !== undefined || f.since !== undefined || f.until !== undefined;

function idsQuery(db: Executor) {
  return db.selectFrom('event_receipts as e').select('e.id');
}
type IdsQuery = ReturnType<typeof idsQuery>;

/**
 * One page of events, newest first (limit + 1 rows, so the caller knows whether more exist).
 *
 * Every combination of filters reads one index whose leading columns are exactly its equality
 * columns, followed by id (migration 0016): the page is a backward range scan that reads only
 * matching rows, bounded by the time range and the cursor, and stops after limit + 1 — as fast for
 * a combination that matches 3 rows of a million as for one that matches half of them. A scope of
 * several installations (or a repository whose receipts carry several) is one such scan per
 * installation, merged. `processed` is the one dense value: it is checked while scanning.
 *
 * The databases are held to that plan: SQLite with `indexed by`; PostgreSQL by reading the ids
 * first — all the id query touches is in the exact index, so it is an index-only scan that no other
 * plan undercuts (given the whole rows to fetch, PostgreSQL estimates a combination as independent
 * filters and prefers walking the primary key for one that looks dense: `pull_request` + `created`,
 * 0 rows of a million, took 1.1 s that way) — then the rows of those ids, with the residual
 * conditions; a page that the residuals thin out reads the next ids.
 */
export async function listEvents(db: Database, f: EventFilters): Promise<EventItem[]> {
  const a = await access(db, f);
  if (!a) return [];
  if (db.dialect === 'sqlite') return (await db.kysely.executeQuery(sqlitePage(db, f, a))).rows.map(toItem);
  const want = f.limit + 1;
  const batch = !hasResiduals(f, a) ? want : a.status === 'backlog' ? Math.max(1000, 2 * want) : 2 * want;
  // One statement first (the ids as a subquery, planned on their own); enough unless the residuals
  // thinned the page out, then page through the ids.
  const rowsOf = (ids: IdsQuery | string[]) => {
    let q = residualConditions(baseQuery(db.kysely).where('e.id', 'in', ids), {}, f, a);
    if (a.status === 'backlog') q = backlogOwners(q, a.branches);
    return q.orderBy('e.id', 'desc');
  };
  const first = (await rowsOf(postgresIds(db, f, a, a.upper, batch)).limit(want).execute()) as Row[];
  if (first.length >= want || !hasResiduals(f, a)) return first.map(toItem);
  const out: Row[] = [];
  let upper = a.upper;
  for (;;) {
    const ids = (await postgresIds(db, f, a, upper, batch).execute()).map((r) => r.id);
    if (ids.length === 0) break;
    out.push(...((await rowsOf(ids).execute()) as Row[]));
    if (out.length >= want || ids.length < batch) break;
    upper = ids[ids.length - 1];
  }
  return out.slice(0, want).map(toItem);
}

/** The SQLite statement of a page: each branch's index named (`indexed by`). */
function sqlitePage(db: Database, f: EventFilters, a: Access): CompiledQuery<Row> {
  const limit = f.limit + 1;
  let query;
  let walk: string;
  if (a.branches.length === 1) {
    const b = a.branches[0]!;
    query = residualConditions(indexConditions(baseQuery(db.kysely), b, f, a, a.upper), b, f, a).orderBy('e.id', 'desc').limit(limit);
    walk = 'from "event_receipts" as "e"';
  } else {
    // Several branches (a scope of several installations, a repository of two): the ids of a page
    // per branch, each in index order (covering: no row read unless a residual needs it), merged;
    // then only the page's rows are read — not a page of rows per branch (3 × 51 row reads for a
    // scope of three installations, most of them thrown away).
    const ids = (b: Branch) => residualConditions(indexConditions(idsQuery(db.kysely), b, f, a, a.upper), b, f, a).orderBy('e.id', 'desc').limit(limit);
    const parts = a.branches.map((b, i) => db.kysely.selectFrom(ids(b).as(`b${i}`)).select(`b${i}.id`));
    const merged = parts.slice(1).reduce((union, b) => union.unionAll(b), parts[0]!);
    const page = db.kysely.selectFrom(merged.as('u')).select('u.id').orderBy('u.id', 'desc').limit(limit);
    query = baseQuery(db.kysely).where('e.id', 'in', page).orderBy('e.id', 'desc');
    walk = 'from "event_receipts" as "e" where'; // the walks (the rows are read by id)
  }
  const compiled = query.compile() as CompiledQuery<Row>;
  // Every branch has the same equality columns (installation_id is null is one too): one index.
  if (a.installationList) return compiled;
  const index = indexFor(a.branches[0]!, f, a.status);
  return { ...compiled, sql: compiled.sql.replaceAll(walk, walk.replace('as "e"', `as "e" indexed by "${index}"`)) };
}

/** The PostgreSQL id query of a page: the next `batch` ids of the branches' index ranges below `upper`. */
function postgresIds(db: Database, f: EventFilters, a: Access, upper: string | undefined, batch: number): IdsQuery {
  if (a.repository) return postgresRepositoryIds(db, f, a, a.repository, upper, batch);
  const page = (b: Branch) => indexConditions(idsQuery(db.kysely), b, f, a, upper).orderBy('e.id', 'desc').limit(batch);
  // The backlog is read through (processing_status, id) once: its branches differ in residuals only.
  const branches = a.status === 'backlog' ? a.branches.slice(0, 1) : a.branches;
  if (branches.length === 1) return page(branches[0]!);
  const parts = branches.map((b, i) => db.kysely.selectFrom(page(b).as(`b${i}`)).select(`b${i}.id`));
  const merged = parts.slice(1).reduce((union, b) => union.unionAll(b), parts[0]!);
  return db.kysely.selectFrom(merged.as('e')).select('e.id').orderBy('e.id', 'desc').limit(batch) as unknown as IdsQuery;
}

/**
 * The ids of a page filtered by repository, in one statement: the repository found by name, its
 * owners (the installations its receipts carry, in scope) by a skip scan of (repository_id,
 * installation_id, id) — a recursive CTE, one seek per installation — and, for each owner, a
 * backward walk of the exact index (a lateral subquery, `limit batch`), merged by sorting those
 * walks' ids only. A repository of another installation finds no owner; a name that matches no
 * repository, no row. (What SQLite does with three statements, PostgreSQL does with one: each
 * statement is a round trip to another process.)
 */
function postgresRepositoryIds(db: Database, f: EventFilters, a: Access, r: RepositoryAccess, upper: string | undefined, batch: number): IdsQuery {
  const walk = (b: Branch) => indexConditions(idsQuery(db.kysely), b, f, a, upper).orderBy('e.id', 'desc').limit(batch);
  const repositories = sql<{ rid: string }>`(select rp.id as rid from repositories rp where rp.full_name = ${r.name})`.as('o');
  const rid = sql.ref<string>('o.rid');
  const each = (owners: AliasedRawBuilder<{ rid: string }, 'o'>, b: Branch) =>
    db.kysely
      .selectFrom(owners)
      .innerJoinLateral(walk(b).as('w'), (join) => join.onTrue())
      .select('w.id');
  let parts;
  if (!r.installations && !r.needsInstallation) {
    parts = [each(repositories, { repositoryId: rid })]; // (repository_id, id)
  } else if (r.installations?.length === 1) {
    parts = [each(repositories, { repositoryId: rid, installation: r.installations[0]! })];
  } else {
    // The installations the repository's receipts carry (one, or two after a transfer), in scope.
    const next = (after: RawBuilder<unknown> | null) => sql`(select x.installation_id from event_receipts x where x.repository_id = ${after ? sql.ref('inst.rid') : sql.ref('rp.id')} and ${after ? sql`x.installation_id > ${after}` : sql`x.installation_id is not null`} order by x.installation_id limit 1)`;
    const inScope = r.installations ? sql`and inst.i = any(${r.installations})` : sql``;
    const owners = sql<{ rid: string; i: number }>`(
      with recursive inst(rid, i) as (
        select rp.id, ${next(null)} from repositories rp where rp.full_name = ${r.name}
        union all
        select inst.rid, ${next(sql.ref('inst.i'))} from inst where inst.i is not null
      )
      select inst.rid, inst.i from inst where inst.i is not null ${inScope})`.as('o');
    parts = [each(owners, { repositoryId: rid, installation: sql.ref<number>('o.i') })];
    // An administrator also sees its receipts without an installation: one more walk (a seek when there are none).
    if (!r.installations) parts.push(each(repositories, { repositoryId: rid, installation: null }));
  }
  if (parts.length === 1) return parts[0]!.orderBy('w.id', 'desc').limit(batch) as unknown as IdsQuery;
  const merged = parts.slice(1).reduce((union, b) => union.unionAll(b), parts[0]!);
  return db.kysely.selectFrom(merged.as('u')).select('u.id').orderBy('u.id', 'desc').limit(batch) as unknown as IdsQuery;
}

/**
 * The statement that picks a page's rows for these filters — the whole page on SQLite, the first
 * ids on PostgreSQL (null: nothing can match); for EXPLAIN in tests and benchmarks.
 */
export async function eventsPageQuery(db: Database, f: EventFilters): Promise<CompiledQuery | null> {
  const a = await access(db, f);
  if (!a) return null;
  if (db.dialect === 'sqlite') return sqlitePage(db, f, a);
  const batch = !hasResiduals(f, a) ? f.limit + 1 : a.status === 'backlog' ? Math.max(1000, 2 * (f.limit + 1)) : 2 * (f.limit + 1);
  return postgresIds(db, f, a, a.upper, batch).compile();
}

export interface EventDetail extends EventItem {
  headers: Record<string, string>;
  payload_size: number;
  payload_storage: string | null;
  processed_at: string | null;
  next_attempt_at: string | null;
  max_retries: number;
}

/** One event by delivery id, null when it does not exist or is outside the scope (its payload is read with loadPayload). */
export async function getEvent(db: Database, deliveryId: string, scope: Scope): Promise<EventDetail | null> {
  const installations = visibleInstallations(scope);
  if (installations?.length === 0) return null;
  let q = baseQuery(db.kysely)
    .select(['e.headers', 'e.payload_size', 'e.payload_storage', 'e.processed_at', 'e.next_attempt_at', 'e.max_retries'])
    .where('e.delivery_id', '=', deliveryId);
  if (installations) q = q.where('e.installation_id', 'in', installations);
  const row = await q.executeTakeFirst();
  if (!row) return null;
  return { ...toItem(row as Row), ...row, target_object_ids: parseJson(row.target_object_ids, {}), headers: parseJson(row.headers, {}) };
}

/** The id of the receipt with this delivery id, null when it does not exist or is outside the scope. */
export async function findReceiptId(db: Executor, deliveryId: string, scope: Scope): Promise<string | null> {
  const installations = visibleInstallations(scope);
  if (installations?.length === 0) return null;
  let q = db.selectFrom('event_receipts').select('id').where('delivery_id', '=', deliveryId);
  if (installations) q = q.where('installation_id', 'in', installations);
  return (await q.executeTakeFirst())?.id ?? null;
}

/** Marks a receipt for another run. */
export async function markForReplay(tx: Executor, receiptId: string): Promise<void> {
  await tx
    .updateTable('event_receipts')
    .set({ processing_status: 'received', retry_count: 0, next_attempt_at: null, updated_at: nowIso() })
    .where('id', '=', receiptId)
    .execute();
}

/** Deletes processed receipts received before `cutoff`, in batches; returns the payload references to remove and the count. */
export async function deleteProcessedBefore(db: Database, cutoff: Date, batchSize = 1000): Promise<{ deleted: number; storage: string[] }> {
  const bound = uuidLowerBound(cutoff);
  let deleted = 0;
  const storage: string[] = [];
  for (;;) {
    const batch = await db.kysely
      .selectFrom('event_receipts')
      .select(['id', 'payload_storage'])
      .where('processing_status', '=', 'processed')
      .where('id', '<', bound)
      .orderBy('id')
      .limit(batchSize)
      .execute();
    if (batch.length === 0) break;
    await db.kysely.deleteFrom('event_receipts').where('id', 'in', batch.map((b) => b.id)).execute();
    deleted += batch.length;
    for (const b of batch) if (b.payload_storage) storage.push(b.payload_storage);
    if (batch.length < batchSize) break;
  }
  return { deleted, storage };
}

export { isUuid };
