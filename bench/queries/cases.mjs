// The queries measured, each through the project's own functions (as the API calls them), with
// fresh random parameters per iteration; and the timing loop.
import { prng, weightedPicker } from './data.mjs';

/** The operator's scope (sees every installation): the bench measures the unscoped queries. */
const ALL = { all: true };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * @param dist   { events: dist/webhooks/events-repo.js, read: dist/state/read-repo.js }
 * @param data   the data set model (repos, cursorIds, eventMix, windowStart, now)
 */
export function buildCases(dist, data, seed = 7) {
  const rnd = prng(seed);
  const { listEvents } = dist.events;
  const { getPullRequest, getRepository, listRepositories, findRepositoryId } = dist.read;
  // The nested repository routes look up the id only (findRepositoryId, since a505ba3); before,
  // they loaded the whole repository with its counts (getRepository).
  const repositoryIdOf = findRepositoryId
    ? (db, fullName) => findRepositoryId(db, fullName, ALL)
    : async (db, fullName) => (await getRepository(db, fullName, ALL))?.id ?? null;
  const repos = data.repos;
  const pickByEvents = weightedPicker(
    repos.map((r) => r.eventCount),
    rnd,
  );
  const byEvents = () => repos[pickByEvents()];
  /** Half the time any repository (mostly small ones), half the time weighted by its events (the busy ones). */
  const repoMixed = () => (rnd.next() < 0.5 ? rnd.pick(repos) : byEvents());
  const withActions = data.eventMix.filter((m) => m[1] !== null && m[0] !== 'installation' && m[0] !== 'installation_repositories');
  const types = [...new Set(data.eventMix.map((m) => m[0]))];
  const actions = [...new Set(data.eventMix.map((m) => m[1]).filter((a) => a !== null))];
  const installations = data.installations;
  const repoIdsDesc = repos.map((r) => r.id).sort().reverse();
  // At small sizes many repositories have no sampled receipt: the deep-page case picks among those that do.
  const withSamples = repos.filter((r) => r.sampleIds.length > 0);
  const LIMIT = 50;

  const ev = (name, key, params, note) => ({ key, name, note, group: 'events', params, run: (db, p) => listEvents(db, { ...p, scope: ALL }) });

  return [
    ev('events: first page, unfiltered', 'a', () => ({ limit: LIMIT }), 'GET /api/events'),
    ev('events: by repository', 'b', () => ({ repository: repoMixed().fullName, limit: LIMIT }), 'repository=owner/name; half uniform over repositories, half weighted by their events'),
    ev('events: by type + action', 'c', () => {
      const [type, action] = rnd.pick(withActions);
      return { type, action, limit: LIMIT };
    }, 'uniform over the type/action pairs of the mix'),
    ev('events: by type only', 'c2', () => ({ type: rnd.pick(types), limit: LIMIT }), 'uniform over event types (incl. rare installation events); not in the issue, but the UI allows it'),
    ev('events: by action only', 'c3', () => ({ action: rnd.pick(actions), limit: LIMIT }), 'uniform over actions (the API accepts action without type)'),
    ev('events: status=dead', 'd', () => ({ status: 'dead', limit: LIMIT }), '0.7% of receipts are dead'),
    ev('events: by installation', 'e', () => ({ installation: rnd.pick(installations).githubId, limit: LIMIT }), 'uniform over 50 installations'),
    ev('events: repository + since/until', 'f', () => {
      const len = Math.exp(Math.log(HOUR) + rnd.next() * (Math.log(7 * DAY) - Math.log(HOUR)));
      const since = data.windowStart + rnd.next() * (data.now - data.windowStart - len);
      return { repository: repoMixed().fullName, since: new Date(since), until: new Date(since + len), limit: LIMIT };
    }, 'window 1 h – 7 days (log-uniform) inside the 30 days'),
    ev('events: deep page via cursor', 'g', () => ({ beforeId: rnd.pick(data.cursorIds), limit: LIMIT }), 'cursor = an id between 10% and 90% of the log'),
    ev('events: repository, deep page via cursor', 'g2', () => {
      let r = repoMixed();
      if (r.sampleIds.length === 0) r = rnd.pick(withSamples);
      return { repository: r.fullName, beforeId: rnd.pick(r.sampleIds), limit: LIMIT };
    }, "cursor = a random receipt id of that repository"),
    {
      key: 'h',
      name: 'pull request detail: getPullRequest',
      group: 'pull',
      note: 'random repository (mixed), random number; PR row + check runs + state history',
      params: () => {
        const r = repoMixed();
        return { repositoryId: r.id, number: rnd.int(1, r.prCount) };
      },
      run: (db, p) => getPullRequest(db, p.repositoryId, p.number),
    },
    {
      key: 'h2',
      name: 'pull request detail as the API serves it',
      group: 'pull',
      note: `GET /api/repositories/:owner/:name/pulls/:number = ${findRepositoryId ? 'findRepositoryId' : 'getRepository (with open PR and failing-check counts)'} + getPullRequest`,
      params: () => {
        const r = repoMixed();
        return { fullName: r.fullName, number: rnd.int(1, r.prCount) };
      },
      run: async (db, p) => {
        const id = await repositoryIdOf(db, p.fullName);
        if (!id) throw new Error(`no repository ${p.fullName}`);
        return getPullRequest(db, id, p.number);
      },
    },
    {
      key: 'i',
      name: 'repositories page',
      group: 'repos',
      note: 'listRepositories limit 50; half the first page, half after a random cursor',
      params: () => ({ beforeId: rnd.next() < 0.5 ? undefined : rnd.pick(repoIdsDesc), limit: LIMIT }),
      run: (db, p) => listRepositories(db, { ...p, scope: ALL }),
    },
    {
      key: 'j',
      name: 'one repository (with its counts)',
      group: 'repos',
      note: 'GET /api/repositories/:owner/:name = getRepository: open pull requests and failing checks counted on every call',
      params: () => ({ fullName: repoMixed().fullName }),
      run: (db, p) => getRepository(db, p.fullName, ALL),
    },
  ];
}

const resultSize = (r) => (Array.isArray(r) ? r.length : r ? 1 : 0);

/** Runs one case: warm-up, then timed iterations (each its own random parameters). */
export async function measureCase(c, db, { iterations, warmup, budgetMs }) {
  for (let i = 0; i < warmup; i++) await c.run(db, c.params());
  const samples = [];
  const slowest = [];
  let empty = 0;
  let rows = 0;
  const start = performance.now();
  for (let i = 0; i < iterations; i++) {
    const p = c.params();
    const t0 = performance.now();
    const r = await c.run(db, p);
    const ms = performance.now() - t0;
    samples.push(ms);
    const n = resultSize(r);
    rows += n;
    if (n === 0) empty++;
    if (slowest.length < 10 || ms > slowest[slowest.length - 1].ms) {
      slowest.push({ ms, params: p });
      slowest.sort((a, b) => b.ms - a.ms);
      if (slowest.length > 10) slowest.pop();
    }
    if (performance.now() - start > budgetMs) break;
  }
  return { samples, slowest, empty, meanRows: rows / samples.length, wallMs: performance.now() - start };
}

export function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  const pct = (p) => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))];
  const r = (v) => Math.round(v * 1000) / 1000;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count: n, mean: r(sum / n), p50: r(pct(50)), p95: r(pct(95)), p99: r(pct(99)), max: r(sorted[n - 1]) };
}

/**
 * A Database whose Kysely records every query it runs, so a call's statements can be compiled
 * and explained afterwards.
 */
export function capturing(db) {
  const nodes = [];
  const plugin = {
    transformQuery({ node, queryId }) {
      nodes.push({ node, queryId });
      return node;
    },
    async transformResult({ result }) {
      return result;
    },
  };
  const kysely = db.kysely.withPlugin(plugin);
  return {
    db: { ...db, kysely },
    take() {
      const out = nodes.splice(0).map(({ node, queryId }) => kysely.getExecutor().compileQuery(node, queryId));
      return out;
    },
  };
}

/** Re-times the slowest parameter sets a few times: is the slowness in the query or was it noise? */
export async function recheckSlowest(c, db, slowest, repeats = 3) {
  const out = [];
  for (const s of slowest.slice(0, 5)) {
    const times = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      await c.run(db, s.params);
      times.push(performance.now() - t0);
    }
    out.push({ params: s.params, firstMs: s.ms, rerunMinMs: Math.min(...times) });
  }
  out.sort((a, b) => b.rerunMinMs - a.rerunMinMs);
  return out;
}
