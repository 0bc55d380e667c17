/**
 * The event log's filters, every combination, on both databases (issue 18, 2b):
 * - the same rows as a naive filter over all receipts (scopes of one, two and all installations, a
 *   repository of the viewer's installation, of another one, and one transferred between them;
 *   every type, action and status; time ranges; cursors), page after page;
 * - a plan that reads an index giving the order, with every equality filter in its index condition
 *   (no sort of the matches, no scan of the table) — what makes each of them fast at any size.
 * Timing is the benchmark's job (bench/event-filters.mjs), not this file's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type CompiledQuery } from 'kysely';
import { v7 } from 'uuid';
import { createTestDatabase, dialects, type TestDatabase } from './support/databases.js';
import { eventsPageQuery, listEvents, type EventFilters } from '../src/webhooks/events-repo.js';
import type { Scope } from '../src/http/auth-context.js';

const INSTALLATIONS = [501, 502, 503];
/** Repositories: [full name, owning installation]; `t/moved` changed hands (events in 501 and 502). */
const REPOS: Array<[string, number]> = [
  ['a/one', 501],
  ['a/two', 501],
  ['b/one', 502],
  ['b/two', 502],
  ['c/one', 503],
  ['t/moved', 502],
  // Many more, so that one repository is a few percent of the log, as in real use.
  ...Array.from({ length: 34 }, (_, i): [string, number] => [`f/r${i}`, INSTALLATIONS[i % 3]!]),
];
const KINDS: Array<[string, string | null]> = [
  ['pull_request', 'opened'],
  ['pull_request', 'closed'],
  ['pull_request', 'labeled'],
  ['check_run', 'completed'],
  ['check_run', 'created'],
  ['push', null],
  ['issues', 'opened'],
  ['star', 'created'],
  ['pull_request', 'synchronize'],
  ['check_suite', 'completed'],
  ['issue_comment', 'created'],
  ['workflow_job', 'queued'],
  ['workflow_job', 'completed'],
];
const STATUSES = ['processed', 'processed', 'processed', 'processed', 'processed', 'processed', 'failed', 'dead', 'received', 'processing'] as const;
const STATUS_VALUES = ['processed', 'failed', 'dead', 'received', 'processing'] as const;
const DAY = 86_400_000;
const START = Date.parse('2026-11-01T00:00:00Z');

interface Receipt {
  id: string;
  installation: number | null;
  repository: string | null;
  type: string;
  action: string | null;
  status: string;
  at: number;
}

/** mulberry32 */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(n: number): Receipt[] {
  const rnd = prng(18);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const times = Array.from({ length: n }, () => START + Math.floor(rnd() * 10 * DAY)).sort((a, b) => a - b);
  let seq = 0;
  return times.map((at, i) => {
    const [type, action] = pick(KINDS);
    const r = rnd();
    let installation: number | null;
    let repository: string | null;
    if (r < 0.03) {
      // installation events and pings: no repository (a ping has no installation either)
      installation = rnd() < 0.5 ? pick(INSTALLATIONS) : null;
      repository = null;
    } else {
      const [name, owner] = pick(REPOS);
      repository = name;
      // The moved repository: its first half of the log in its first installation; some receipts without one.
      installation = name === 't/moved' && i < n / 2 ? 501 : rnd() < 0.01 ? null : owner;
    }
    return { id: v7({ msecs: at, seq: seq++ }), installation, repository, type, action, status: pick(STATUSES), at };
  });
}

const byIdDesc = (a: Receipt, b: Receipt) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** What a listing must return: every receipt the scope sees that matches, newest first. */
function naive(all: Receipt[], f: EventFilters): Receipt[] {
  const visible = f.scope.all ? null : new Set(f.scope.installationIds);
  return all
    .filter(
      (r) =>
        (!visible || (r.installation !== null && visible.has(r.installation))) &&
        (f.installation === undefined || r.installation === f.installation) &&
        (f.repository === undefined || r.repository === f.repository) &&
        (f.type === undefined || r.type === f.type) &&
        (f.action === undefined || r.action === f.action) &&
        (f.status === undefined || r.status === f.status) &&
        (!f.since || r.at >= f.since.getTime()) &&
        (!f.until || r.at <= f.until.getTime()) &&
        (!f.beforeId || r.id < f.beforeId),
    )
    .sort(byIdDesc);
}

const SCOPES: Record<string, { scope: Scope; installation?: number }> = {
  all: { scope: { all: true } },
  one: { scope: { all: false, installationIds: [501] } },
  two: { scope: { all: false, installationIds: [501, 502] } },
  'installation filter': { scope: { all: true }, installation: 502 },
};

/** Every combination of filters: scope × repository × type × action × status × time range × cursor. */
function* combinations() {
  for (const scopeName of Object.keys(SCOPES)) {
    for (let mask = 0; mask < 16; mask++) {
      for (const time of [false, true]) {
        for (const cursor of [false, true]) yield { scopeName, repository: Boolean(mask & 1), type: Boolean(mask & 2), action: Boolean(mask & 4), status: Boolean(mask & 8), time, cursor };
      }
    }
  }
}
type Combination = ReturnType<typeof combinations> extends Generator<infer C> ? C : never;
const describeCombination = (c: Combination) =>
  [`scope ${c.scopeName}`, ...(['repository', 'type', 'action', 'status', 'time', 'cursor'] as const).filter((k) => c[k])].join(' + ');

async function insert(t: TestDatabase, receipts: Receipt[]): Promise<void> {
  const now = new Date(START).toISOString();
  const repoIds = new Map<string, string>();
  for (const [i, [name, owner]] of REPOS.entries()) {
    const id = v7({ msecs: START - DAY + i });
    repoIds.set(name, id);
    const [o, n] = name.split('/') as [string, string];
    await t.db.kysely.insertInto('repositories').values({ id, github_id: 9000 + i, owner: o, name: n, full_name: name, installation_id: owner, event_count: 0, status: 'active', failure_count: 0, created_at: now, updated_at: now }).execute();
  }
  for (let i = 0; i < receipts.length; i += 200) {
    await t.db.kysely
      .insertInto('event_receipts')
      .values(
        receipts.slice(i, i + 200).map((r) => ({
          id: r.id,
          delivery_id: `d-${r.id}`,
          source: 'github',
          event_type: r.type,
          event_action: r.action,
          installation_id: r.installation,
          repository_id: r.repository ? repoIds.get(r.repository)! : null,
          target_object_ids: '{}',
          received_at: new Date(r.at).toISOString(),
          headers: '{}',
          payload_size: 2,
          processing_status: r.status as 'processed',
          retry_count: 0,
          max_retries: 5,
          created_at: new Date(r.at).toISOString(),
          updated_at: new Date(r.at).toISOString(),
        })),
      )
      .execute();
  }
  // Realistic statistics: what the planners know about the table.
  await sql.raw(t.dialect === 'sqlite' ? 'analyze' : 'vacuum analyze event_receipts').execute(t.db.kysely);
}

/** Filters for a combination, values drawn from the data (or, now and then, values nothing has). */
function filtersFor(c: Combination, rnd: () => number, all: Receipt[], limit: number): EventFilters {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const f: EventFilters = { ...SCOPES[c.scopeName]!, limit };
  const sample = pick(all.filter((r) => r.repository !== null && r.action !== null));
  if (c.repository) f.repository = rnd() < 0.7 ? sample.repository! : pick(REPOS)[0];
  if (c.type) f.type = rnd() < 0.7 ? sample.type : pick(KINDS)[0];
  if (c.action) f.action = rnd() < 0.7 ? sample.action! : (pick(KINDS)[1] ?? 'opened');
  if (c.status) f.status = pick(STATUS_VALUES);
  if (c.time) {
    const since = START + Math.floor(rnd() * 8 * DAY);
    f.since = new Date(since);
    f.until = new Date(since + Math.floor(rnd() * 3 * DAY));
  }
  if (c.cursor) f.beforeId = pick(all).id;
  return f;
}

/** The plan as lines (SQLite) or as a JSON tree (PostgreSQL), with sequential scans off on PostgreSQL. */
async function explain(t: TestDatabase, compiled: CompiledQuery): Promise<unknown> {
  return t.db.kysely.connection().execute(async (conn) => {
    if (t.dialect === 'sqlite') {
      const rows = (await conn.executeQuery({ ...compiled, sql: `explain query plan ${compiled.sql}` })).rows as Array<{ detail: string }>;
      return rows.map((r) => r.detail);
    }
    // Off: with a few thousand rows a sequential scan is the cheapest of all; what is checked here is
    // that an index with the right columns exists and gives the order, as it must at a million rows.
    await sql`set enable_seqscan = off`.execute(conn);
    await sql`set enable_bitmapscan = off`.execute(conn);
    try {
      const rows = (await conn.executeQuery({ ...compiled, sql: `explain (format json) ${compiled.sql}` })).rows as Array<{ 'QUERY PLAN': unknown }>;
      const plan = rows[0]!['QUERY PLAN'];
      return (typeof plan === 'string' ? JSON.parse(plan) : plan) as unknown;
    } finally {
      await sql`reset enable_seqscan`.execute(conn);
      await sql`reset enable_bitmapscan`.execute(conn);
    }
  });
}

interface PgNode {
  'Node Type': string;
  'Parent Relationship'?: string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PgNode[];
}
function* pgNodes(n: PgNode): Generator<PgNode> {
  yield n;
  for (const c of n.Plans ?? []) yield* pgNodes(c);
}
/**
 * The nodes that read the page, leaving out the skip scan that finds a repository's installations
 * (a recursive CTE: one seek per installation, whatever the filters).
 */
function* pgPageNodes(n: PgNode): Generator<PgNode> {
  if (n['Node Type'] === 'Recursive Union') return;
  yield n;
  for (const c of n.Plans ?? []) yield* pgPageNodes(c);
}

/** The columns a combination's filters compare with `=` (each must be in the index condition). */
function equalityColumns(f: EventFilters): string[] {
  const cols: string[] = [];
  if (f.repository !== undefined) cols.push('repository_id');
  if (f.type !== undefined) cols.push('event_type');
  if (f.action !== undefined) cols.push('event_action');
  // processed is dense: checked while scanning; received/processing: the backlog, through (processing_status, id).
  if (f.status === 'failed' || f.status === 'dead') cols.push('processing_status');
  if (f.installation !== undefined || (!f.scope.all && f.repository === undefined)) cols.push('installation_id');
  if (f.status === 'received' || f.status === 'processing') return ['processing_status'];
  return cols;
}

describe.each(dialects)('event log filters (%s)', (dialect) => {
  let t: TestDatabase;
  let all: Receipt[];

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    all = generate(12_000);
    await insert(t, all);
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
  });

  it('returns, for every combination of filters, the rows a naive filter over all receipts returns, page after page', async () => {
    const rnd = prng(2);
    let nonEmpty = 0;
    for (const c of combinations()) {
      for (let v = 0; v < 3; v++) {
        const f = filtersFor(c, rnd, all, 7);
        const expected = naive(all, f).map((r) => r.id);
        // Three pages, following the cursor as the API does.
        const got: string[] = [];
        let beforeId = f.beforeId;
        for (let page = 0; page < 3; page++) {
          const rows = await listEvents(t.db, { ...f, beforeId });
          expect(rows.length, describeCombination(c)).toBeLessThanOrEqual(f.limit + 1);
          const shown = rows.slice(0, f.limit);
          got.push(...shown.map((r) => r.id));
          if (rows.length <= f.limit) break;
          beforeId = shown[shown.length - 1]!.id;
        }
        expect(got, `${describeCombination(c)}: ${JSON.stringify(f)}`).toEqual(expected.slice(0, got.length));
        expect(got.length, `${describeCombination(c)}: ${JSON.stringify(f)}`).toBe(Math.min(expected.length, 3 * f.limit));
        if (got.length > 0) nonEmpty++;
      }
    }
    // The values are drawn from the data: most combinations find something (so the comparison means something).
    expect(nonEmpty).toBeGreaterThan(250);
  }, 300_000);

  it('reads, for every combination, an index that gives the order and holds every equality filter: no sort, no table scan', async () => {
    const rnd = prng(3);
    for (const c of combinations()) {
      for (const status of c.status ? STATUS_VALUES : [undefined]) {
        const f = filtersFor(c, rnd, all, 50);
        f.status = status;
        // A repository the viewer can see (the plan, not the emptiness, is under test): the moved
        // one has receipts in two installations (two branches for a scope of both, or for all).
        if (c.repository) f.repository = c.scopeName === 'one' ? 'a/one' : 't/moved';
        const what = `${describeCombination(c)} (status ${status}): ${JSON.stringify(f)}`;
        const compiled = await eventsPageQuery(t.db, f);
        expect(compiled, what).not.toBeNull();
        const plan = await explain(t, compiled!);
        const want = equalityColumns(f);
        if (t.dialect === 'sqlite') {
          const lines = plan as string[];
          // The walks; with several branches the page's rows are then read by id (the primary key).
          const byId = lines.filter((l) => /^SEARCH e USING INDEX sqlite_autoindex_event_receipts_1 \(id=\?\)$/.test(l));
          const reads = lines.filter((l) => /^(SEARCH|SCAN) e\b/.test(l) && !byId.includes(l));
          expect(reads.length, `${what}\n${lines.join('\n')}`).toBeGreaterThan(0);
          for (const l of reads) {
            // `SEARCH e USING INDEX x (repository_id=? AND installation_id=? AND id<?)`
            expect(l, `${what}\n${lines.join('\n')}`).toMatch(want.length ? /^SEARCH e USING (COVERING )?INDEX / : /^(SEARCH|SCAN) e USING (COVERING )?INDEX /);
            const cond = /\((.*)\)$/.exec(l)?.[1] ?? '';
            for (const col of want) expect(cond, `${what}\n${lines.join('\n')}`).toMatch(new RegExp(`\\b${col}(=|\\s+IS)`));
          }
          // The page comes in index order: no sort of the matches. Branches (one per installation,
          // each a page of at most limit + 1 rows) are merged by sorting those pages only.
          const branches = lines.filter((l) => /^SCAN b\d+$/.test(l)).length;
          const sorts = lines.filter((l) => l.includes('TEMP B-TREE'));
          if (branches > 1) expect(sorts.length, `${what}\n${lines.join('\n')}`).toBeLessThanOrEqual(branches + 1);
          else expect(sorts, `${what}\n${lines.join('\n')}`).toEqual([]);
        } else {
          const root = (plan as Array<{ Plan: PgNode }>)[0]!.Plan;
          const nodes = [...pgPageNodes(root)];
          const text = JSON.stringify(root, null, 1);
          const reads = nodes.filter((n) => n['Relation Name'] === 'event_receipts');
          const owners = [...pgNodes(root)].filter((n) => n['Node Type'] === 'Recursive Union');
          // A repository's installations: an index seek each, of (repository_id, installation_id, …).
          for (const o of owners) for (const n of [...pgNodes(o)].filter((x) => x['Relation Name'] === 'event_receipts')) expect(n['Index Cond'] ?? '', `${what}\n${text}`).toMatch(/repository_id = .*installation_id/s);
          expect(reads.length, `${what}\n${text}`).toBeGreaterThan(0);
          for (const n of reads) {
            expect(n['Node Type'], `${what}\n${text}`).toMatch(/^Index (Only )?Scan$/);
            for (const col of want) expect(n['Index Cond'] ?? '', `${what}\n${text}`).toContain(col);
          }
          // No sort of the matches; branches are merged (Merge Append) or their pages sorted (≤ branches × (limit + 1) rows).
          // A repository's branches are walks under a nested loop over its owners (the inner side a
          // Limit: lateral subqueries, a page each), their pages sorted.
          // (Receipts of a repository without an installation — none in a GitHub App's own log, they
          // come from repository webhooks — are sorted: PostgreSQL gives no order for `is null`.)
          const nullWalk = (n: PgNode) => [...pgNodes(n)].some((x) => /installation_id IS NULL/.test(x['Index Cond'] ?? ''));
          const sorts = nodes.filter((n) => (n['Node Type'] === 'Sort' || n['Node Type'] === 'Incremental Sort') && !(n !== root.Plans?.[0] && nullWalk(n)));
          const laterals = nodes.filter((n) => n['Node Type'] === 'Nested Loop' && n.Plans?.some((c) => c['Parent Relationship'] === 'Inner' && c['Node Type'] === 'Limit')).length;
          const branches = nodes.filter((n) => n['Node Type'] === 'Subquery Scan').length + 2 * laterals;
          if (branches > 1) expect(sorts.length, `${what}\n${text}`).toBeLessThanOrEqual(1);
          else expect(sorts.map((n) => n['Node Type']), `${what}\n${text}`).toEqual([]);
          if (sorts.length) expect(root['Node Type'] === 'Limit' && root.Plans?.[0] === sorts[0], `${what}\n${text}`).toBe(true);
        }
      }
    }
  }, 300_000);
});
