#!/usr/bin/env node
// "Every filter of the event log fast at scale": every combination of the event log's filters —
// scope (administrator's all, one installation, three installations) × repository × type × action ×
// status × time range × cursor depth (first page, page 21, a cursor in the middle of the log) = 288 —
// each with dense, sparse (≤ 20 matches under a dense superset) and random values, timed one call at
// a time through the project's own listEvents (dist/), at 1,000,000 receipts, on both databases.
//
//   node bench/event-filters.mjs [sqlite|postgres|both] [--drop]     (run `npm run build` first)
//
// Each call is GET /api/events as the API serves it (bench/event-filters/api.mjs: the route, its
// validation and serialisation, in-process; BENCH_EF_VIA=repo times listEvents alone), and the
// statements each call sends to PostgreSQL are counted. BENCH_EF_SCOPES (e.g. "several") and
// BENCH_EF_CURSORS ("first,page20") run a part of the matrix.
//
// The data set (bench/queries/data.mjs's generator) is loaded once and kept (BENCH_EF_DIR for the
// SQLite file, database switchyard_bench_ef_<receipts>); --drop removes it after the run.
// Settings (environment): BENCH_EF_RECEIPTS (1000000), BENCH_EF_ITERATIONS (40 calls per
// combination and kind of values), BENCH_EF_WARMUP (5), BENCH_EF_WRITE_RECEIPTS (3000, the write-cost
// measurement; 0 skips it), BENCH_PG_ADMIN_URL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeMachine } from './lib/machine.mjs';
import { summarize } from './queries/cases.mjs';
import { dropDatasets, openPostgresDataset, openSqliteDataset } from './event-filters/dataset.mjs';
import { combinations, parameterSets, placeCursors, readStatistics, SPARSE_MAX } from './event-filters/matrix.mjs';
import { measureWriteCost } from './event-filters/write-cost.mjs';
import { countPostgresStatements, eventsApi } from './event-filters/api.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(BENCH_DIR, '..');
const TARGET_MS = 10;
const KINDS = ['dense', 'sparse', 'random'];

function num(name, def) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return def;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number >= 0, got ${JSON.stringify(raw)}`);
  return v;
}

const settings = {
  receipts: num('BENCH_EF_RECEIPTS', 1_000_000),
  iterations: num('BENCH_EF_ITERATIONS', 40),
  warmup: num('BENCH_EF_WARMUP', 5),
  writeReceipts: num('BENCH_EF_WRITE_RECEIPTS', 3000),
  via: process.env.BENCH_EF_VIA === 'repo' ? 'repo' : 'api',
  scopes: process.env.BENCH_EF_SCOPES ? process.env.BENCH_EF_SCOPES.split(',') : null,
  cursors: process.env.BENCH_EF_CURSORS ? process.env.BENCH_EF_CURSORS.split(',') : null,
};
const args = process.argv.slice(2);
const drop = args.includes('--drop');
const arg = args.find((a) => !a.startsWith('--')) ?? 'both';
if (!['sqlite', 'postgres', 'both'].includes(arg)) {
  console.error('usage: node bench/event-filters.mjs [sqlite|postgres|both] [--drop]');
  process.exit(2);
}
const which = arg === 'both' ? ['sqlite', 'postgres'] : [arg];
const log = (...a) => console.log(...a);
const r2 = (v) => Math.round(v * 100) / 100;

async function importDist() {
  const f = (p) => pathToFileURL(path.join(REPO_ROOT, 'dist', p)).href;
  for (const p of ['db/index.js', 'webhooks/events-repo.js']) {
    if (!fs.existsSync(path.join(REPO_ROOT, 'dist', p))) throw new Error(`dist/${p} is missing: run \`npm run build\` first`);
  }
  for (const m of ['webhooks/events-repo', 'db/migrate']) {
    const src = path.join(REPO_ROOT, 'src', `${m}.ts`);
    const out = path.join(REPO_ROOT, 'dist', `${m}.js`);
    if (fs.statSync(src).mtimeMs > fs.statSync(out).mtimeMs) console.warn(`warning: dist/${m}.js is older than src/: run \`npm run build\` to measure the current code`);
  }
  return { db: await import(f('db/index.js')), events: await import(f('webhooks/events-repo.js')) };
}

async function explain(kind, db, compiled) {
  const params = compiled.parameters.map((p) => (kind === 'sqlite' && typeof p === 'boolean' ? (p ? 1 : 0) : p));
  if (kind === 'sqlite') {
    const plan = db.sqlite.prepare(`explain query plan ${compiled.sql}`).all(params);
    const depth = new Map();
    return plan
      .map((row) => {
        const d = row.parent === 0 ? 0 : (depth.get(row.parent) ?? 0) + 1;
        depth.set(row.id, d);
        return `${'  '.repeat(d)}${row.detail}`;
      })
      .join('\n');
  }
  const { sql } = await import('kysely');
  const r = await sql.raw(`explain (analyze, buffers, costs off) ${compiled.sql.replace(/\$(\d+)/g, (_, i) => literal(params[Number(i) - 1]))}`).execute(db.kysely);
  return r.rows.map((x) => x['QUERY PLAN']).join('\n');
}
const literal = (v) => (v === null ? 'null' : typeof v === 'number' ? String(v) : Array.isArray(v) ? `'{${v.join(',')}}'` : `'${String(v).replace(/'/g, "''")}'`);

async function runDatabase(kind, dist, statsHolder) {
  log(`\n## ${kind}`);
  const t0 = performance.now();
  const opened = kind === 'sqlite' ? await openSqliteDataset(dist, settings.receipts, log) : await openPostgresDataset(dist, settings.receipts, log);
  const { db, info } = opened;
  const result = { database: kind, dataset: info, preparedMs: Math.round(performance.now() - t0) };
  try {
    result.version =
      kind === 'sqlite'
        ? `SQLite ${db.sqlite.prepare('select sqlite_version()').pluck().get()} (better-sqlite3)`
        : `PostgreSQL ${(await db.kysely.selectNoFrom((eb) => eb.fn('current_setting', [eb.val('server_version')]).as('v')).executeTakeFirstOrThrow()).v}`;
    result.indexes = await listIndexes(kind, db);
    if (!statsHolder.stats) {
      log('  reading the data set statistics…');
      statsHolder.stats = await readStatistics(db);
    }
    const stats = statsHolder.stats;
    const { listEvents } = dist.events;
    const api = settings.via === 'api' ? await eventsApi(REPO_ROOT, db) : null;
    const call = api ? (p) => api.call(p) : (p) => listEvents(db, p);
    const combos = combinations().filter((c) => (!settings.scopes || settings.scopes.includes(c.scope)) && (!settings.cursors || settings.cursors.includes(c.cursor)));
    log(`  ${combos.length} combinations × ${KINDS.length} kinds of values × ${settings.iterations} calls (load avg ${os.loadavg()[0].toFixed(2)})`);
    result.combinations = [];
    const started = performance.now();
    for (const [ci, combo] of combos.entries()) {
      const entry = { key: combo.key, combo, kinds: {}, samples: [] };
      let worst = { ms: -1 };
      for (const k of KINDS) {
        const params = await placeCursors(combo, parameterSets(combo, k, stats), { listEvents, uuidLowerBound: dist.db.uuidLowerBound, db, stats });
        for (let i = 0; i < settings.warmup; i++) await call(params[i % params.length]);
        const samples = [];
        let rows = 0;
        const sent = statements.n;
        for (let i = 0; i < settings.iterations; i++) {
          const p = params[i % params.length];
          const s = performance.now();
          const out = await call(p);
          const ms = performance.now() - s;
          samples.push(ms);
          rows += out.length;
          if (ms > worst.ms) worst = { ms, params: p, kind: k };
        }
        entry.kinds[k] = { ...summarize(samples), meanRows: r2(rows / samples.length), statementsPerCall: r2((statements.n - sent) / samples.length), params: params.map(printable) };
        entry.samples.push(...samples);
      }
      entry.all = summarize(entry.samples);
      entry.worst = { kind: worst.kind, ms: r2(worst.ms), params: printable(worst.params) };
      // Slow again when re-run (the plan) or not (the machine)?
      const again = [];
      for (let i = 0; i < 3; i++) {
        const s = performance.now();
        await call(worst.params);
        again.push(performance.now() - s);
      }
      entry.worst.rerunMinMs = r2(Math.min(...again));
      entry.worst.rawParams = worst.params;
      entry.loadAvg1m = r2(os.loadavg()[0]);
      delete entry.samples;
      result.combinations.push(entry);
      if ((ci + 1) % 24 === 0) log(`    ${ci + 1}/${combos.length} (${((performance.now() - started) / 1000).toFixed(0)} s, load avg ${os.loadavg()[0].toFixed(2)})`);
    }
    // The plans of the slowest combinations (by their worst call's re-run).
    const slowest = [...result.combinations].sort((a, b) => b.worst.rerunMinMs - a.worst.rerunMinMs).slice(0, 5);
    for (const e of slowest) {
      const compiled = await dist.events.eventsPageQuery(db, e.worst.rawParams);
      e.worst.plans = compiled ? [{ sql: compiled.sql, plan: await explain(kind, db, compiled) }] : [];
    }
    for (const e of result.combinations) delete e.worst.rawParams;
    await api?.close();
    if (settings.writeReceipts > 0) {
      log('  write cost of the indexes…');
      result.writeCost = await measureWriteCost(kind, dist, settings.writeReceipts, log);
    }
  } finally {
    await db.close();
  }
  return result;
}

async function listIndexes(kind, db) {
  const { sql } = await import('kysely');
  const q =
    kind === 'sqlite'
      ? sql`select name from sqlite_master where type = 'index' and tbl_name = 'event_receipts' order by name`
      : sql`select indexname as name from pg_indexes where tablename = 'event_receipts' order by indexname`;
  return (await q.execute(db.kysely)).rows.map((r) => r.name);
}

const printable = (p) => {
  const o = { ...p };
  for (const k of ['since', 'until']) if (o[k] instanceof Date) o[k] = o[k].toISOString();
  if (o.scope?.all) o.scope = 'all';
  else if (o.scope) o.scope = o.scope.installationIds;
  return o;
};

function cell(e) {
  if (!e) return '–';
  const p = e.all.p99;
  return p < TARGET_MS ? p.toFixed(2) : `**${p.toFixed(2)}**`;
}

function markdown(report) {
  const m = report.machine;
  const L = [];
  L.push(`# Event-log filter matrix (${report.startedAt})`);
  L.push('');
  L.push(`Machine: ${m.cpuModel} × ${m.cores} cores, ${m.memoryGiB} GiB RAM, Node ${m.node}; load avg at start ${m.loadAvgAtStart.join(' / ')} (shared with other work), at the end ${report.loadAvgAtEnd.join(' / ')}.`);
  L.push(
    `Data: ${report.settings.receipts.toLocaleString('en-US')} receipts (bench/queries/data.mjs). Calls: ${report.settings.iterations} per combination and kind of values (dense, sparse ≤ ${SPARSE_MAX} matches under the densest superset, random), one at a time, ${report.settings.via === 'api' ? 'GET /api/events through the route in-process (bench/event-filters/api.mjs)' : 'through listEvents (dist/)'}, limit 50; times in ms.`,
  );
  for (const d of report.databases) {
    L.push('');
    L.push(`## ${d.database}${d.version ? ` (${d.version})` : ''}`);
    if (d.error) {
      L.push(`Failed: ${d.error}`);
      continue;
    }
    const all = d.combinations;
    const meets = all.filter((e) => e.all.p99 < TARGET_MS).length;
    const reproducible = all.filter((e) => e.all.p99 >= TARGET_MS && e.worst.rerunMinMs >= TARGET_MS);
    const p99s = all.map((e) => e.all.p99).sort((a, b) => a - b);
    L.push('');
    L.push(
      `${meets} of ${all.length} combinations have p99 < ${TARGET_MS} ms; ${reproducible.length} miss reproducibly (their slowest call's parameters re-run ≥ ${TARGET_MS} ms). ` +
        `Median combination p99 ${p99s[Math.floor(p99s.length / 2)].toFixed(2)} ms, worst ${p99s[p99s.length - 1].toFixed(2)} ms; slowest re-run of any worst call ${Math.max(...all.map((e) => e.worst.rerunMinMs)).toFixed(2)} ms.`,
    );
    L.push('');
    L.push(`Per scope (${report.settings.via === 'api' ? 'GET /api/events in-process' : 'listEvents'}): p50 and p99 of each combination, median / worst combination; PostgreSQL statements per call.`);
    L.push('');
    L.push('| scope | combinations | p50: median / worst | p99: median / worst | slowest call re-run: median / worst | statements per call |');
    L.push('|---|---:|---|---|---|---|');
    const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    for (const scope of [...new Set(all.map((e) => e.combo.scope))]) {
      const es = all.filter((e) => e.combo.scope === scope);
      const col = (f) => `${med(es.map(f)).toFixed(2)} / ${Math.max(...es.map(f)).toFixed(2)} ms`;
      const st = es.flatMap((e) => Object.values(e.kinds).map((k) => k.statementsPerCall ?? 0));
      L.push(`| ${scope} | ${es.length} | ${col((e) => e.all.p50)} | ${col((e) => e.all.p99)} | ${col((e) => e.worst.rerunMinMs)} | ${d.database === 'postgres' ? `${Math.min(...st)}–${Math.max(...st)}` : '–'} |`);
    }
    if (d.dataset?.migrations?.length) L.push(`Migrations applied to the kept data set this run: ${d.dataset.migrations.map((x) => `${x.migrations.join(', ')} in ${(x.ms / 1000).toFixed(1)} s`).join('; ')}.`);
    L.push('');
    L.push('p99 per combination (rows: scope and equality filters; columns: time range × cursor depth):');
    L.push('');
    L.push('| filters | first | page 21 | mid cursor | time, first | time, page 21 | time, mid cursor |');
    L.push('|---|---:|---:|---:|---:|---:|---:|');
    const byFilters = new Map();
    for (const e of all) {
      const c = e.combo;
      const k = [`scope=${c.scope}`, ...['repository', 'type', 'action', 'status'].filter((x) => c[x])].join(' + ');
      if (!byFilters.has(k)) byFilters.set(k, {});
      byFilters.get(k)[`${c.time ? 't' : ''}${c.cursor}`] = e;
    }
    for (const [k, cells] of byFilters) L.push(`| ${k} | ${['first', 'page20', 'mid', 'tfirst', 'tpage20', 'tmid'].map((x) => cell(cells[x])).join(' | ')} |`);
    L.push('');
    L.push('The 10 slowest combinations (p99 over all their calls; per kind of values p50 / p99; the worst call re-run):');
    L.push('');
    L.push('| combination | p50 | p99 | max | dense p50/p99 | sparse p50/p99 (rows) | random p50/p99 | worst call re-run |');
    L.push('|---|---:|---:|---:|---|---|---|---:|');
    for (const e of [...all].sort((a, b) => b.all.p99 - a.all.p99).slice(0, 10)) {
      const k = e.kinds;
      L.push(
        `| ${e.key} | ${e.all.p50.toFixed(2)} | ${e.all.p99.toFixed(2)} | ${e.all.max.toFixed(2)} | ${k.dense.p50.toFixed(2)} / ${k.dense.p99.toFixed(2)} | ${k.sparse.p50.toFixed(2)} / ${k.sparse.p99.toFixed(2)} (${k.sparse.meanRows}) | ${k.random.p50.toFixed(2)} / ${k.random.p99.toFixed(2)} | ${e.worst.rerunMinMs.toFixed(2)} (${e.worst.kind}) |`,
      );
    }
    if (d.writeCost) {
      L.push('');
      L.push(writeCostLines(d.writeCost).join('\n'));
    }
    const slow = [...all].sort((a, b) => b.worst.rerunMinMs - a.worst.rerunMinMs)[0];
    if (slow?.worst.plans) {
      L.push('');
      L.push(`Plan of the slowest re-run (${slow.key}, ${slow.worst.kind}, ${slow.worst.rerunMinMs} ms): \`${JSON.stringify(slow.worst.params)}\``);
      for (const p of slow.worst.plans) {
        L.push('```');
        L.push(p.plan);
        L.push('```');
      }
    }
  }
  return L.join('\n');
}

export function writeCostLines(w) {
  const L = [];
  L.push(
    `Write cost (${w.receipts.toLocaleString('en-US')} receipts stored one per transaction and then marked processed, as ingestion and processing do, into a table of ${w.prefill.toLocaleString('en-US')}; median of ${w.rounds} alternating rounds):`,
  );
  L.push('');
  L.push('| indexes on event_receipts | store µs/receipt | mark processed µs/receipt | total µs/receipt | receipts/s (these statements alone) |');
  L.push('|---|---:|---:|---:|---:|');
  for (const v of w.variants) L.push(`| ${v.name} (${v.indexes}) | ${v.insertUs.toFixed(0)} | ${v.updateUs.toFixed(0)} | ${(v.insertUs + v.updateUs).toFixed(0)} | ${Math.round(1e6 / (v.insertUs + v.updateUs)).toLocaleString('en-US')} |`);
  return L;
}

/** Statements sent to PostgreSQL so far (SQLite's are in-process calls, not counted). */
let statements = { n: 0 };

async function main() {
  const dist = await importDist();
  statements = await countPostgresStatements();
  const report = { startedAt: new Date().toISOString(), targetP99Ms: TARGET_MS, settings, machine: describeMachine({ packages: ['kysely', 'better-sqlite3', 'pg'] }), databases: [] };
  const statsHolder = {};
  let failed = false;
  for (const kind of which) {
    try {
      report.databases.push(await runDatabase(kind, dist, statsHolder));
    } catch (e) {
      failed = true;
      console.error(`  ${kind} failed: ${e instanceof Error ? e.stack : e}`);
      report.databases.push({ database: kind, error: String(e instanceof Error ? e.message : e) });
    }
  }
  if (drop) await dropDatasets(settings.receipts);
  report.finishedAt = new Date().toISOString();
  report.loadAvgAtEnd = os.loadavg().map(r2);
  const dir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `${report.startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}-event-filters`);
  const md = markdown(report);
  fs.writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(`${base}.md`, `${md}\n`);
  log(`\n${md}\n`);
  log(`results: ${path.relative(REPO_ROOT, base)}.json (and .md)`);
  if (failed) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
