#!/usr/bin/env node
// "Queries at scale": with 1,000,000 receipts and 100,000 pull requests loaded, a filtered events
// page and a pull request detail each answer in p99 < 10 ms, on both databases.
//
//   node bench/queries.mjs [sqlite|postgres|both]      (default both; run `npm run build` first)
//
// Settings (environment): BENCH_Q_RECEIPTS (1000000), BENCH_Q_PULLS (100000), BENCH_Q_CHECK_RUNS (1000000),
// BENCH_Q_ITERATIONS (2000), BENCH_Q_WARMUP (200), BENCH_Q_BUDGET_S (120, max seconds per query),
// BENCH_Q_KEEP=1 (keep the databases for a closer look), BENCH_PG_ADMIN_URL
// (postgres://postgres@127.0.0.1:5432/postgres).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildDataset } from './queries/data.mjs';
import { describeMachine } from './lib/machine.mjs';
import { buildCases, capturing, measureCase, recheckSlowest, summarize } from './queries/cases.mjs';
import { createSqlite, explainSqlite, loadSqlite } from './queries/sqlite.mjs';
import { createPostgres, explainPostgres, loadPostgres } from './queries/postgres.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(BENCH_DIR, '..');
const TARGET_MS = 10;

function num(name, def) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return def;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number >= 0, got ${JSON.stringify(raw)}`);
  return v;
}

const settings = {
  receipts: num('BENCH_Q_RECEIPTS', 1_000_000),
  pulls: num('BENCH_Q_PULLS', 100_000),
  checkRuns: num('BENCH_Q_CHECK_RUNS', 1_000_000),
  iterations: num('BENCH_Q_ITERATIONS', 2000),
  warmup: num('BENCH_Q_WARMUP', 200),
  budgetMs: num('BENCH_Q_BUDGET_S', 120) * 1000,
  keep: ['1', 'true', 'yes'].includes((process.env.BENCH_Q_KEEP ?? '').toLowerCase()),
};

const arg = process.argv[2] ?? 'both';
if (!['sqlite', 'postgres', 'both'].includes(arg)) {
  console.error('usage: node bench/queries.mjs [sqlite|postgres|both]');
  process.exit(2);
}
const which = arg === 'both' ? ['sqlite', 'postgres'] : [arg];

async function importDist() {
  const f = (p) => pathToFileURL(path.join(REPO_ROOT, 'dist', p)).href;
  for (const p of ['db/index.js', 'webhooks/events-repo.js', 'state/read-repo.js']) {
    if (!fs.existsSync(path.join(REPO_ROOT, 'dist', p))) throw new Error(`dist/${p} is missing: run \`npm run build\` first`);
  }
  const stale = ['db/open-database', 'db/migrate', 'db/ids', 'webhooks/events-repo', 'state/read-repo']
    .concat(fs.readdirSync(path.join(REPO_ROOT, 'src/db/migrations')).filter((n) => n.endsWith('.ts')).map((n) => `db/migrations/${n.slice(0, -3)}`))
    .filter((m) => {
      const src = path.join(REPO_ROOT, 'src', `${m}.ts`);
      const out = path.join(REPO_ROOT, 'dist', `${m}.js`);
      return fs.existsSync(src) && (!fs.existsSync(out) || fs.statSync(src).mtimeMs > fs.statSync(out).mtimeMs);
    });
  if (stale.length) console.warn(`warning: dist/ is older than src/ for ${stale.join(', ')}: run \`npm run build\` to measure the current code`);
  return { db: await import(f('db/index.js')), events: await import(f('webhooks/events-repo.js')), read: await import(f('state/read-repo.js')) };
}

const log = (...a) => console.log(...a);
const rowCounts = (counts) =>
  Object.entries(counts)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
    .join(', ');
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');

// Cleanup on Ctrl-C / kill: the throwaway database must not outlive us.
let current = null;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    console.error(`\n${sig}: cleaning up…`);
    try {
      if (current) await current.cleanup();
    } finally {
      process.exit(130);
    }
  });
}

async function pgSettings(target) {
  const r = await target.raw(
    "select name, setting, unit from pg_settings where name in ('shared_buffers','work_mem','random_page_cost','effective_cache_size','jit','max_parallel_workers_per_gather') order by name",
  );
  return Object.fromEntries(r.rows.map((x) => [x.name, `${x.setting}${x.unit ? ` ${x.unit}` : ''}`]));
}

async function runDatabase(kind, dist, now) {
  log(`\n## ${kind}`);
  const data = buildDataset({ receipts: settings.receipts, pulls: settings.pulls, checkRuns: settings.checkRuns, now });
  const target = kind === 'sqlite' ? await createSqlite(dist, settings) : await createPostgres(dist, settings);
  current = target;
  const result = { database: kind };
  try {
    log(`  loading ${settings.receipts.toLocaleString('en-US')} receipts, ${settings.pulls.toLocaleString('en-US')} pull requests into ${kind === 'sqlite' ? target.file : target.dbName}…`);
    const t0 = performance.now();
    const load = kind === 'sqlite' ? await loadSqlite(target, data, log) : await loadPostgres(target, data, log);
    load.totalMs = performance.now() - t0;
    load.sizeBytes = await target.sizeBytes();
    result.load = load;
    const busiest = [...data.repos].sort((a, b) => b.eventCount - a.eventCount)[0];
    result.dataset = {
      repositories: data.repos.length,
      installations: data.installations.length,
      busiestRepository: { fullName: busiest.fullName, events: busiest.eventCount, share: Math.round((busiest.eventCount / settings.receipts) * 1000) / 1000, pullRequests: busiest.prCount },
      medianRepositoryEvents: [...data.repos].map((r) => r.eventCount).sort((a, b) => a - b)[Math.floor(data.repos.length / 2)],
    };
    log(
      `  loaded in ${secs(load.totalMs)} (repositories ${secs(load.timings.repositories)}, receipts ${secs(load.timings.event_receipts)}, ` +
        `pull requests+history+check runs ${secs(load.timings.pull_requests)}, ANALYZE ${secs(load.timings.analyze)}); ` +
        `${rowCounts(load.counts)}; payloads in ${load.counts.payloadsIn}; ${(load.sizeBytes / 2 ** 20).toFixed(0)} MiB`,
    );

    // Measure on a fresh connection with the project's own settings (openSqlite / openPostgres).
    const db = await target.reopen();
    result.version = await target.version();
    if (kind === 'postgres') result.settings = await pgSettings(target);
    log(`  ${result.version}`);
    const cases = buildCases(dist, data);
    const explain = kind === 'sqlite' ? (c) => explainSqlite(target, c) : (c) => explainPostgres(target, c);
    result.queries = [];
    for (const c of cases) {
      const m = await measureCase(c, db, settings);
      const stats = summarize(m.samples);
      const loadAvg = os.loadavg()[0];
      // Explain the statements of the slowest parameter set that is slow again when re-run.
      const rechecked = await recheckSlowest(c, db, m.slowest);
      const worst = rechecked[0];
      const cap = capturing(db);
      await c.run(cap.db, worst.params);
      const statements = [];
      for (const compiled of cap.take()) {
        const e = await explain(compiled);
        statements.push({ sql: compiled.sql, parameters: compiled.parameters.map((p) => (Buffer.isBuffer(p) ? '<bytes>' : p)), ...e });
      }
      const q = {
        key: c.key,
        name: c.name,
        group: c.group,
        note: c.note,
        ...stats,
        meets: stats.p99 < TARGET_MS,
        emptyResults: m.empty,
        meanRows: Math.round(m.meanRows * 10) / 10,
        wallMs: Math.round(m.wallMs),
        loadAvg1m: Math.round(loadAvg * 100) / 100,
        slowest: rechecked.map((x) => ({ ...x, firstMs: Math.round(x.firstMs * 1000) / 1000, rerunMinMs: Math.round(x.rerunMinMs * 1000) / 1000 })),
        worstStatements: statements,
      };
      result.queries.push(q);
      log(
        `  (${c.key}) ${c.name.padEnd(44)} n=${String(stats.count).padStart(4)}  p50 ${stats.p50.toFixed(2)}  p95 ${stats.p95.toFixed(2)}  p99 ${stats.p99.toFixed(2)}  max ${stats.max.toFixed(2)} ms  ` +
          `${verdict(q)}  (slowest re-run: ${worst.rerunMinMs.toFixed(2)} ms, load avg ${q.loadAvg1m})`,
      );
    }
  } finally {
    current = null;
    await target.cleanup();
  }
  return result;
}

/** yes / no (reproducible: the slowest parameters are slow again) / no (not reproducible: they re-run fast). */
function verdict(q) {
  if (q.meets) return 'yes';
  return q.slowest[0].rerunMinMs >= TARGET_MS ? '**no** (reproducible)' : 'no (not reproducible)';
}

function markdown(report) {
  const m = report.machine;
  const lines = [];
  lines.push(`# Queries at scale (${report.startedAt})`);
  lines.push('');
  lines.push(`Machine: ${m.cpuModel} × ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.os}, Node ${m.node}; load avg at start ${m.loadAvgAtStart.join(' / ')}.`);
  lines.push(
    `Databases: ${report.databases.map((d) => `${d.database}: ${d.version ?? '?'}`).join('; ')}. Packages: ${Object.entries(m.packages).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
  );
  const pg = report.databases.find((d) => d.settings);
  if (pg) lines.push(`PostgreSQL settings (defaults): ${Object.entries(pg.settings).map(([k, v]) => `${k}=${v}`).join(', ')}.`);
  const ds = report.databases.find((d) => d.dataset)?.dataset;
  lines.push('');
  lines.push(
    `Data: ${report.settings.receipts.toLocaleString('en-US')} event_receipts over 30 days (${ds ? `${ds.repositories.toLocaleString('en-US')} repositories, Zipf-distributed: the busiest has ${ds.busiestRepository.events.toLocaleString('en-US')} events (${(ds.busiestRepository.share * 100).toFixed(0)}%) and ${ds.busiestRepository.pullRequests.toLocaleString('en-US')} pull requests, the median one ${ds.medianRepositoryEvents} events; ${ds.installations} installations` : '?'}; ` +
      `UUIDv7 ids generated for each received_at), ${report.settings.pulls.toLocaleString('en-US')} pull requests with 1–3 state-history rows and 0–${Math.max(1, Math.round((2 * report.settings.checkRuns) / report.settings.pulls))} check runs each (${report.settings.checkRuns.toLocaleString('en-US')} in all, on average). ` +
      `Each receipt's payload is a ~200-byte synthetic JSON Buffer (stored in ${report.databases.find((d) => d.load)?.load.counts.payloadsIn ?? '?'}): real payloads are 5–25 kB, so table size on disk (and any query that reads payloads) is not realistic; the list and detail queries measured here do not read payloads.`,
  );
  lines.push(
    `Each query: ${report.settings.warmup} warm-up calls, then ${report.settings.iterations} timed calls (sequential, one at a time, new random parameters each) of the project's own functions from dist/ (listEvents, getPullRequest, getRepository, listRepositories) through Kysely on the project's connection (openSqlite / openPostgres). Times are in ms, in-process (no HTTP).`,
  );
  lines.push('');
  lines.push('| database | load | rows | size |');
  lines.push('|---|---|---|---|');
  for (const d of report.databases) {
    if (!d.load) continue;
    const t = d.load.timings;
    lines.push(
      `| ${d.database} | ${secs(d.load.totalMs)} (repos ${secs(t.repositories)}, receipts ${secs(t.event_receipts)}, PRs+history+checks ${secs(t.pull_requests)}, analyze ${secs(t.analyze)}) | ` +
        `${rowCounts(d.load.counts)} | ${(d.load.sizeBytes / 2 ** 20).toFixed(0)} MiB |`,
    );
  }
  lines.push('');
  lines.push(
    'The "slowest re-run" column: the 5 slowest calls\' parameters run again 3 times each, the highest of their best times. A miss whose slowest calls re-run well under 10 ms was the machine (other processes on the 2 cores, GC), not the query plan; "reproducible" means the query itself is that slow for those parameters.',
  );
  lines.push('');
  lines.push('| database | query | n | p50 | p95 | p99 | max | slowest re-run | p99 < 10 ms |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---|');
  for (const d of report.databases) {
    for (const q of d.queries ?? []) {
      lines.push(
        `| ${d.database} | (${q.key}) ${q.name} | ${q.count}${q.count < report.settings.iterations ? ' (time budget)' : ''} | ${q.p50.toFixed(2)} | ${q.p95.toFixed(2)} | ${q.p99.toFixed(2)} | ${q.max.toFixed(2)} | ${q.slowest[0].rerunMinMs.toFixed(2)} | ${verdict(q)} |`,
      );
    }
  }
  const misses = report.databases.flatMap((d) => (d.queries ?? []).filter((q) => !q.meets && q.slowest[0].rerunMinMs >= TARGET_MS).map((q) => ({ d, q })));
  if (misses.length) {
    lines.push('');
    lines.push('## Reproducible misses: the slowest statement of the slowest (re-run) call');
    for (const { d, q } of misses) {
      const s = [...q.worstStatements].sort((a, b) => b.ms - a.ms)[0];
      lines.push('');
      lines.push(`### ${d.database} (${q.key}) ${q.name}: p99 ${q.p99.toFixed(2)} ms`);
      lines.push(`Parameters: \`${JSON.stringify(q.slowest[0].params)}\`, re-run ${q.slowest[0].rerunMinMs} ms; statement alone ${s.ms.toFixed(2)} ms, ${s.rows} rows.`);
      lines.push('```sql');
      lines.push(s.sql);
      lines.push('```');
      lines.push('```');
      lines.push(s.plan);
      lines.push('```');
    }
  }
  return lines.join('\n');
}

async function main() {
  const dist = await importDist();
  const report = { startedAt: new Date().toISOString(), targetP99Ms: TARGET_MS, settings, machine: describeMachine({ packages: ['kysely', 'better-sqlite3', 'pg', 'uuid'] }), databases: [] };
  const now = Date.now();
  let failed = false;
  for (const kind of which) {
    try {
      report.databases.push(await runDatabase(kind, dist, now));
    } catch (e) {
      failed = true;
      console.error(`  ${kind} failed: ${e instanceof Error ? e.stack : e}`);
      report.databases.push({ database: kind, error: String(e instanceof Error ? e.message : e) });
    }
  }
  report.finishedAt = new Date().toISOString();
  const dir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `${stamp()}-queries`);
  const md = markdown(report);
  fs.writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(`${base}.md`, `${md}\n`);
  log(`\n${md}\n`);
  log(`results: ${path.relative(REPO_ROOT, base)}.json (and .md)`);
  if (failed) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
