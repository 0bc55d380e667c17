#!/usr/bin/env node
// Checks fixes for the queries that still miss p99 < 10 ms in bench/queries.mjs: the repository
// counts (open pull requests, failing checks) that listRepositories and getRepository compute on
// every call. On a throwaway database loaded the same way, it measures
//   1. the queries as they are;
//   2. with covering indexes for the counts as they are queried now (COUNT_INDEXES);
//   3. with a per-pull-request failing_checks column (what the checks projection would maintain)
//      summed per repository (PRECOMPUTED), after checking it gives the same counts.
// (The event-filter fixes this script measured first, resolving the repository to its id and
// indexing (event_type, id) and (event_action, id), landed in a505ba3.)
//
//   node bench/queries/try-fixes.mjs [sqlite|postgres|both]     (BENCH_Q_FIX_ITERATIONS, default 500)
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildDataset } from './data.mjs';
import { buildCases, measureCase, summarize } from './cases.mjs';
import { createSqlite, loadSqlite } from './sqlite.mjs';
import { createPostgres, loadPostgres } from './postgres.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const iterations = Number(process.env.BENCH_Q_FIX_ITERATIONS ?? 500);
const opts = { iterations, warmup: 50, budgetMs: 60_000 };

/** Covering indexes for the open-PR / failing-check counts as they are queried now. */
export const COUNT_INDEXES = [
  'create index check_runs_pr_head_name on check_runs (pull_request_id, head_sha, name, github_id, conclusion)',
  'create index pull_requests_repo_state_head on pull_requests (repository_id, state, head_sha)',
];

/** Failing checks kept per pull request (what the checks projection would maintain), summed per repository. */
export const PRECOMPUTED = [
  'alter table pull_requests add column failing_checks integer not null default 0',
  `update pull_requests set failing_checks = (
     select count(*) from check_runs c
      where c.pull_request_id = pull_requests.id and c.head_sha = pull_requests.head_sha
        and c.conclusion in ('failure', 'timed_out', 'action_required')
        and not exists (select 1 from check_runs newer
                         where newer.pull_request_id = c.pull_request_id and newer.head_sha = c.head_sha
                           and newer.name = c.name and newer.github_id > c.github_id))
    where state = 'open'`,
  'create index pull_requests_repo_state_failing on pull_requests (repository_id, state, failing_checks)',
];

/** repositoriesQuery of src/state/read-repo.ts with failing_checks = sum(pull_requests.failing_checks) of open PRs. */
function repositoriesQueryPrecomputed(db) {
  return db.kysely.selectFrom('repositories as r').select((eb) => [
    'r.id', 'r.full_name', 'r.owner', 'r.name', 'r.github_id', 'r.default_branch', 'r.language', 'r.description', 'r.html_url',
    'r.is_private', 'r.is_archived', 'r.is_deleted', 'r.installation_id', 'r.last_event_at', 'r.event_count', 'r.last_commit_sha', 'r.status',
    eb.selectFrom('pull_requests as p').select((e) => e.fn.countAll().as('n')).whereRef('p.repository_id', '=', 'r.id').where('p.state', '=', 'open').as('open_pull_requests'),
    eb.selectFrom('pull_requests as p').select((e) => e.fn.coalesce(e.fn.sum('p.failing_checks'), e.lit(0)).as('n')).whereRef('p.repository_id', '=', 'r.id').where('p.state', '=', 'open').as('failing_checks'),
  ]);
}
const listRepositoriesPrecomputed = async (db, p) => {
  let q = repositoriesQueryPrecomputed(db);
  if (p.beforeId) q = q.where('r.id', '<', p.beforeId);
  return q.orderBy('r.id', 'desc').limit(p.limit + 1).execute();
};
const getRepositoryPrecomputed = (db, p) => repositoriesQueryPrecomputed(db).where('r.full_name', '=', p.fullName).orderBy('r.is_deleted').orderBy('r.id', 'desc').executeTakeFirst();

const dist = {
  db: await import(pathToFileURL(path.join(REPO_ROOT, 'dist/db/index.js')).href),
  events: await import(pathToFileURL(path.join(REPO_ROOT, 'dist/webhooks/events-repo.js')).href),
  read: await import(pathToFileURL(path.join(REPO_ROOT, 'dist/state/read-repo.js')).href),
};

const fmt = (s) => `p50 ${s.p50.toFixed(2)} / p95 ${s.p95.toFixed(2)} / p99 ${s.p99.toFixed(2)} / max ${s.max.toFixed(2)}`;

async function run(kind) {
  console.log(`\n## ${kind}`);
  const data = buildDataset({ receipts: Number(process.env.BENCH_Q_RECEIPTS ?? 1_000_000), pulls: Number(process.env.BENCH_Q_PULLS ?? 100_000), now: Date.now() });
  const target = kind === 'sqlite' ? await createSqlite(dist, { keep: false }) : await createPostgres(dist, { keep: false });
  const exec = async (text) => (kind === 'sqlite' ? target.db.sqlite.exec(text) : target.raw(text));
  const rows = [];
  try {
    const t0 = performance.now();
    await (kind === 'sqlite' ? loadSqlite(target, data, () => {}) : loadPostgres(target, data, () => {}));
    console.log(`  loaded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    const db = await target.reopen();
    const byKey = Object.fromEntries(buildCases(dist, data, 11).map((c) => [c.key, c]));
    const m = async (label, c, run = c.run) => {
      const s = summarize((await measureCase({ ...c, run }, db, opts)).samples);
      rows.push({ database: kind, label, ...s });
      console.log(`  ${label.padEnd(72)} ${fmt(s)}`);
    };
    const analyze = kind === 'sqlite' ? 'analyze' : 'vacuum analyze';
    const apply = async (label, ddls) => {
      const ti = performance.now();
      for (const ddl of ddls) await exec(ddl);
      await exec(analyze);
      console.log(`  ${label}: ${ddls.length} statements + ${analyze} in ${((performance.now() - ti) / 1000).toFixed(1)} s`);
    };

    await m(`(i) ${byKey.i.name}: as is`, byKey.i);
    await m(`(j) ${byKey.j.name}: as is`, byKey.j);
    await apply('covering indexes for the counts', COUNT_INDEXES);
    await m(`(i) ${byKey.i.name}: with the covering indexes`, byKey.i);
    await m(`(j) ${byKey.j.name}: with the covering indexes`, byKey.j);
    const original = await Promise.all(data.repos.map((r) => dist.read.getRepository(db, r.fullName, { all: true })));
    await apply('pull_requests.failing_checks', PRECOMPUTED);
    const counts = (r) => `${Number(r.open_pull_requests)}/${Number(r.failing_checks)}`;
    for (const [i, r] of data.repos.entries()) {
      const pre = await getRepositoryPrecomputed(db, { fullName: r.fullName });
      if (counts(pre) !== counts(original[i])) throw new Error(`${r.fullName}: counts ${counts(pre)} != ${counts(original[i])}`);
    }
    console.log('  precomputed counts equal the computed ones for every repository');
    await m(`(i) ${byKey.i.name}: failing_checks = sum(pull_requests.failing_checks)`, byKey.i, listRepositoriesPrecomputed);
    await m(`(j) ${byKey.j.name}: failing_checks = sum(pull_requests.failing_checks)`, byKey.j, getRepositoryPrecomputed);
  } finally {
    await target.cleanup();
  }
  return rows;
}

const arg = process.argv[2] ?? 'both';
const all = [];
for (const kind of arg === 'both' ? ['sqlite', 'postgres'] : [arg]) all.push(...(await run(kind)));
console.log('\n| database | variant | p50 | p95 | p99 | max |\n|---|---|---:|---:|---:|---:|');
for (const r of all) console.log(`| ${r.database} | ${r.label} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(2)} |`);
