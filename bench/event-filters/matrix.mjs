// The filter matrix of the event-filters benchmark: every combination of the event log's filters
// (scope × repository × type × action × status × time range × cursor depth), each with dense, sparse
// and random values chosen from the data set's own counts.
import { prng } from '../queries/data.mjs';

export const SCOPES = ['all', 'one', 'several'];
export const CURSORS = ['first', 'page20', 'mid'];
const DIMS = ['installation', 'repository', 'type', 'action', 'status'];
/** A sparse combination matches at most this many rows (0 included: a dense superset, nothing in it). */
export const SPARSE_MAX = 20;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Every combination: 3 scopes × 2^4 filter sets × 2 time ranges × 3 cursor depths = 288. */
export function combinations() {
  const out = [];
  for (const scope of SCOPES) {
    for (let mask = 0; mask < 16; mask++) {
      for (const time of [false, true]) {
        for (const cursor of CURSORS) {
          const c = { scope, repository: Boolean(mask & 1), type: Boolean(mask & 2), action: Boolean(mask & 4), status: Boolean(mask & 8), time, cursor };
          c.key = comboKey(c);
          out.push(c);
        }
      }
    }
  }
  return out;
}

export function comboKey(c) {
  const parts = [`scope=${c.scope}`];
  for (const d of ['repository', 'type', 'action', 'status']) if (c[d]) parts.push(d);
  if (c.time) parts.push('time');
  parts.push(c.cursor === 'first' ? 'first page' : c.cursor === 'page20' ? 'page 21' : 'mid-log cursor');
  return parts.join(' + ');
}

/**
 * The data set's statistics: receipt counts per (installation, repository, type, action, status),
 * read from the database once; every choice of values is made from them.
 */
export async function readStatistics(db) {
  const groups = await db.kysely
    .selectFrom('event_receipts')
    .select((eb) => ['installation_id', 'repository_id', 'event_type', 'event_action', 'processing_status', eb.fn.countAll().as('n')])
    .groupBy(['installation_id', 'repository_id', 'event_type', 'event_action', 'processing_status'])
    .execute();
  const repos = await db.kysely.selectFrom('repositories').select(['id', 'full_name', 'installation_id']).execute();
  const bounds = await db.kysely.selectFrom('event_receipts').select((eb) => [eb.fn.min('received_at').as('first'), eb.fn.max('received_at').as('last')]).executeTakeFirstOrThrow();
  return {
    groups: groups.map((g) => ({
      installation: g.installation_id === null ? null : Number(g.installation_id),
      repository: g.repository_id,
      type: g.event_type,
      action: g.event_action,
      status: g.processing_status,
      n: Number(g.n),
    })),
    repoName: new Map(repos.map((r) => [r.id, r.full_name])),
    first: new Date(bounds.first).getTime(),
    last: new Date(bounds.last).getTime(),
  };
}

/** Counts projected on a set of dimensions, memoised. */
function projector(stats) {
  const memo = new Map();
  return (dims) => {
    const k = dims.join(',');
    if (!memo.has(k)) {
      const m = new Map();
      for (const g of stats.groups) {
        const key = JSON.stringify(dims.map((d) => g[d]));
        m.set(key, (m.get(key) ?? 0) + g.n);
      }
      memo.set(k, m);
    }
    return memo.get(k);
  };
}

/**
 * Parameter sets for one combination and one kind of values:
 * - dense: the most frequent values (a page fills at once);
 * - sparse: at most SPARSE_MAX matches, chosen so that every dense superset (the combination with
 *   one filter left out) is as large as possible — the case a scan with a residual filter loses;
 * - random: the values of a random receipt (weighted by frequency: what a user clicks on).
 */
export function parameterSets(combo, kind, stats, { sets = 3, seed = 1 } = {}) {
  const rnd = prng(seed ^ hash(`${combo.key}/${kind}`));
  const count = projector(stats);
  const dims = DIMS.filter((d) => (d === 'installation' ? combo.scope !== 'all' : combo[d]));
  const installations = [...count(['installation']).entries()].map(([k, n]) => ({ v: JSON.parse(k)[0], n })).filter((x) => x.v !== null).sort((a, b) => b.n - a.n);
  const tuples = [];
  if (dims.length === 0) {
    for (let i = 0; i < sets; i++) tuples.push({});
  } else if (kind === 'dense') {
    const top = [...count(dims).entries()].filter(([k]) => !JSON.parse(k).includes(null)).sort((a, b) => b[1] - a[1]).slice(0, sets);
    for (const [k] of top) tuples.push(Object.fromEntries(dims.map((d, i) => [d, JSON.parse(k)[i]])));
  } else if (kind === 'random') {
    const total = stats.groups.reduce((s, g) => s + g.n, 0);
    for (let guard = 0; tuples.length < sets && guard < 1000; guard++) {
      let x = rnd.next() * total;
      const g = stats.groups.find((row) => (x -= row.n) < 0) ?? stats.groups[0];
      if (dims.some((d) => g[d] === null)) continue;
      tuples.push(Object.fromEntries(dims.map((d) => [d, g[d]])));
    }
  } else {
    // Candidate values per dimension: the most frequent ones (dense alone) and a few others.
    const cand = {};
    for (const d of dims) {
      const all = [...count([d]).entries()].map(([k, n]) => ({ v: JSON.parse(k)[0], n })).filter((x) => x.v !== null).sort((a, b) => b.n - a.n);
      cand[d] = d === 'repository' || d === 'installation' ? [...all.slice(0, 8), ...all.slice(-2)] : all;
    }
    const memoKey = dims.join(',');
    const cache = sparseCache.get(stats) ?? new Map();
    sparseCache.set(stats, cache);
    const scored = cache.get(memoKey) ?? [];
    const known = cache.has(memoKey);
    const walk = (i, acc) => {
      if (i === dims.length) {
        const n = count(dims).get(JSON.stringify(dims.map((d) => acc[d]))) ?? 0;
        if (n > SPARSE_MAX) return;
        // The dense supersets: leave one filter out (with one filter: the whole log).
        let superset = Infinity;
        for (const left of dims) {
          const rest = dims.filter((d) => d !== left);
          const m = rest.length === 0 ? stats.groups.reduce((s, g) => s + g.n, 0) : (count(rest).get(JSON.stringify(rest.map((d) => acc[d]))) ?? 0);
          superset = Math.min(superset, m);
        }
        scored.push({ tuple: { ...acc }, n, superset });
        return;
      }
      for (const c of cand[dims[i]]) walk(i + 1, { ...acc, [dims[i]]: c.v });
    };
    if (!known) {
      walk(0, {});
      cache.set(memoKey, scored);
    }
    scored.sort((a, b) => b.superset - a.superset || b.n - a.n);
    for (const s of scored.slice(0, sets)) tuples.push(s.tuple);
    if (tuples.length === 0) tuples.push(Object.fromEntries(dims.map((d) => [d, cand[d][cand[d].length - 1].v])));
  }
  return tuples.map((t, i) => {
    const p = { limit: 50 };
    if (combo.scope === 'all') p.scope = { all: true };
    else {
      const own = t.installation;
      const ids = [own];
      if (combo.scope === 'several') {
        // Two more installations: the busiest others (dense) — for a sparse set, ones where the
        // combination is sparse too, so the scope stays sparse while each branch is dense.
        const others = installations.filter((x) => x.v !== own);
        const fits = kind === 'sparse' ? others.filter((x) => (count(dims).get(JSON.stringify(dims.map((d) => (d === 'installation' ? x.v : t[d])))) ?? 0) <= SPARSE_MAX) : others;
        ids.push(...(fits.length >= 2 ? fits : others).slice(0, 2).map((x) => x.v));
      }
      p.scope = { all: false, installationIds: ids };
    }
    if (t.repository !== undefined) p.repository = stats.repoName.get(t.repository);
    if (t.type !== undefined) p.type = t.type;
    if (t.action !== undefined) p.action = t.action;
    if (t.status !== undefined) p.status = t.status;
    if (combo.time) {
      // A window of 1 h – 7 days (log-uniform) somewhere in the log.
      const len = Math.exp(Math.log(HOUR) + rnd.next() * (Math.log(7 * DAY) - Math.log(HOUR)));
      const since = stats.first + rnd.next() * (stats.last - stats.first - len);
      p.since = new Date(Math.floor(since));
      p.until = new Date(Math.floor(since + len));
    }
    p.variant = i;
    return p;
  });
}

const sparseCache = new WeakMap();

function hash(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Sets each parameter set's cursor: none (first page), the last id of page 20 (a call of
 * limit 20 × 50 − 1 through the same function), or an id bound at a random time inside the log
 * (or the time range).
 */
export async function placeCursors(combo, params, { listEvents, uuidLowerBound, db, stats, seed = 3 }) {
  const rnd = prng(seed ^ hash(combo.key));
  for (const p of params) {
    if (combo.cursor === 'page20') {
      const rows = await listEvents(db, { ...p, limit: 20 * p.limit - 1 });
      // Fewer than 20 pages: the deepest page there is (the last row), or none.
      if (rows.length > 0) p.beforeId = rows[Math.min(rows.length, 20 * p.limit) - 1].id;
    } else if (combo.cursor === 'mid') {
      const lo = p.since ? p.since.getTime() : stats.first;
      const hi = p.until ? p.until.getTime() : stats.last;
      p.beforeId = uuidLowerBound(new Date(lo + (0.1 + 0.8 * rnd.next()) * (hi - lo)));
    }
  }
  return params;
}
