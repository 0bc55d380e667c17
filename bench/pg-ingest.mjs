// PostgreSQL ingestion against the embedded default, in the same run, with the same loader:
//
//   sqlite     `switchyard start` on SQLite (the embedded default)
//   pg-start   `switchyard start` on PostgreSQL (one process receives and processes)
//   pg-web1    one `switchyard web` + `switchyard worker` on PostgreSQL
//   pg-web2    two `switchyard web` (the connections split between them) + `switchyard worker`
//
//   npm run build && node bench/pg-ingest.mjs
//   BENCH_DURATION=10 BENCH_ROUNDS=3 BENCH_SCENARIOS=sqlite,pg-start node bench/pg-ingest.mjs
//   BENCH_BASE_ROOT=/tmp/base BENCH_SCENARIOS=pg-start@base,pg-start node bench/pg-ingest.mjs
//     (`@base`: the scenario runs BENCH_BASE_ROOT/bin/switchyard.js, a copy of another build's
//     bin/, dist/ and package.json with node_modules linked: a same-run before/after pair)
//
// Load: BENCH_CONNECTIONS (32) closed-loop keep-alive connections from a process of their own
// (bench/lib/example-sender.mjs), sending the real example deliveries of @octokit/webhooks-examples
// (10 event types, 113 examples) rewritten for BENCH_REPOS (50) repositories, each with a fresh
// delivery id. Every scenario runs on its own fresh database (PostgreSQL at BENCH_PG_URL, default
// server settings) and stays up; rounds alternate the scenarios. After each run the bench waits
// until every receipt is processed and reports how long that took after the load stopped
// ("processing keeps up" = drained within a few seconds). At the end, the receipts stored in each
// database are counted against the 2xx answers (acknowledged means committed).
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { BENCH_DIR, REPO_ROOT } from './lib/config.mjs';
import { adminQuery as admin, databaseUrl } from './lib/postgres-admin.mjs';
import { exampleDeliveries } from './lib/example-deliveries.mjs';
import { describeMachine, machineLine } from './lib/machine.mjs';
import { freePort, killAllChildren, startProcess, stopProcess, waitForPort } from './lib/processes.mjs';
import { table, writeResult } from './lib/report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECRET = 'bench-secret';
const DURATION = Number(process.env.BENCH_DURATION ?? 15);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const REPOS = Number(process.env.BENCH_REPOS ?? 50);
const DRAIN_TIMEOUT_S = Number(process.env.BENCH_DRAIN_TIMEOUT ?? 120);
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'sqlite,pg-start,pg-web1,pg-web2').split(',').map((s) => s.trim()).filter(Boolean);
/** Extra environment for every Switchyard process (e.g. BENCH_SWITCHYARD_ENV='DATABASE_POOL_SIZE=20'). */
const EXTRA_ENV = Object.fromEntries((process.env.BENCH_SWITCHYARD_ENV ?? '').split(/\s+/).filter(Boolean).map((kv) => kv.split('=')));
const live = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const LAYOUTS = {
  sqlite: { db: 'sqlite', roles: ['start'] },
  'pg-start': { db: 'postgres', roles: ['start'] },
  'pg-web1': { db: 'postgres', roles: ['web', 'worker'] },
  'pg-web2': { db: 'postgres', roles: ['web', 'web', 'worker'] },
};



function loadAverage() {
  return os.loadavg().map((v) => Number(v.toFixed(2)));
}

/** A scenario is a layout, optionally with environment for its processes: `pg-start+WORKER_CONCURRENCY=16`. */
async function startScenario(name, runDir) {
  const [layoutAndBuild, ...envPairs] = name.split('+');
  const [layoutName, build] = layoutAndBuild.split('@');
  const root = build === 'base' ? process.env.BENCH_BASE_ROOT : REPO_ROOT;
  if (!root) throw new Error(`${name}: set BENCH_BASE_ROOT to the base build's directory`);
  const scenarioEnv = Object.fromEntries(envPairs.map((kv) => kv.split('=')));
  const layout = LAYOUTS[layoutName];
  if (!layout) throw new Error(`unknown scenario ${name} (known: ${Object.keys(LAYOUTS).join(', ')})`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `switchyard-pg-ingest-${layoutName}-`));
  let url = null;
  let dbName = null;
  if (layout.db === 'postgres') {
    dbName = `switchyard_bench_ingest_${process.pid}_${live.length}`;
    url = databaseUrl(dbName);
    await admin(`drop database if exists ${dbName} with (force)`);
    await admin(`create database ${dbName}`);
  }
  const secretKey = crypto.randomBytes(32).toString('base64');
  const procs = [];
  const ports = [];
  // Start the first process alone (it migrates), then the others.
  for (const [i, role] of layout.roles.entries()) {
    const port = role === 'worker' ? null : await freePort();
    const handle = startProcess({
      name: `${layoutName}-${role}-${i}`,
      cmd: process.execPath,
      args: [path.join(root, 'bin/switchyard.js'), role],
      cwd: dataDir,
      logFile: path.join(runDir, `${live.length}-${layoutName}${build ? `-${build}` : ''}-${role}-${i}.log`),
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        SWITCHYARD_DATA_DIR: role === 'start' || layout.db === 'sqlite' ? dataDir : fs.mkdtempSync(path.join(dataDir, `${role}-${i}-`)),
        WEBHOOK_SECRET: SECRET,
        SWITCHYARD_SECRET_KEY: secretKey,
        LOG_LEVEL: 'warn',
        ...(url ? { DATABASE_URL: url } : {}),
        ...(port ? { PORT: String(port), HOST: '127.0.0.1' } : {}),
        ...EXTRA_ENV,
        ...scenarioEnv,
      },
    });
    procs.push(handle);
    if (port) {
      const up = await waitForPort(handle, port, { timeoutMs: 120_000 });
      if (!up.ok) throw new Error(`${name} ${role}: ${up.reason}\n${handle.tail.join('\n')}`);
      ports.push(port);
    } else {
      await sleep(3000);
    }
  }
  const counter = layout.db === 'postgres' ? await pgCounter(url) : sqliteCounter(path.join(dataDir, 'switchyard.db'));
  return { name, layout, dataDir, dbName, url, procs, ports, counter, runs: [], drains: [] };
}

/** Counts receipts and unprocessed receipts (not processed and not dead). */
async function pgCounter(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return {
    async counts() {
      const r = await c.query(`select count(*)::int as total, count(*) filter (where processing_status not in ('processed', 'dead'))::int as unprocessed from event_receipts`);
      return r.rows[0];
    },
    close: () => c.end(),
  };
}

function sqliteCounter(file) {
  let db = null;
  return {
    async counts() {
      db ??= new Database(file, { readonly: true, fileMustExist: true });
      return db.prepare(`select count(*) as total, sum(processing_status not in ('processed', 'dead')) as unprocessed from event_receipts`).get();
    },
    async close() {
      db?.close();
    },
  };
}

function runSender(ports, duration) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(here, 'lib', 'example-sender.mjs'), [JSON.stringify({ ports, duration, connections: CONNECTIONS, secret: SECRET, repos: REPOS })], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [],
    });
    let result;
    child.on('message', (m) => (result = m));
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`sender exited ${code} without a result`))));
  });
}

async function waitForDrain(s) {
  const t0 = Date.now();
  for (;;) {
    const c = await s.counter.counts();
    if (Number(c.unprocessed) === 0) return { drainedAfterS: (Date.now() - t0) / 1000, total: Number(c.total) };
    if (Date.now() - t0 > DRAIN_TIMEOUT_S * 1000) return { drainedAfterS: null, unprocessed: Number(c.unprocessed), total: Number(c.total) };
    await sleep(200);
  }
}

async function main() {
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist/cli/main.js'))) throw new Error('run `npm run build` first');
  const when = new Date();
  const runDir = path.join(BENCH_DIR, 'results', 'tmp', `${when.toISOString().replace(/[:.]/g, '-')}-pg-ingest`);
  fs.mkdirSync(runDir, { recursive: true });
  const machine = describeMachine({});
  const ex = exampleDeliveries(SECRET, { repos: REPOS });
  console.log(`pg-ingest: ${machineLine(machine)}`);
  console.log(`  ${ex.deliveries.length} deliveries (${ex.templates} examples × ${REPOS} repositories, mean ${ex.meanBytes} bytes), ${CONNECTIONS} connections, ${DURATION} s × ${ROUNDS} rounds`);
  let sent2xx = new Map();
  try {
    for (const name of SCENARIOS) {
      const s = await startScenario(name, runDir);
      live.push(s);
      sent2xx.set(name, 0);
      if (WARMUP > 0) {
        const w = await runSender(s.ports, WARMUP);
        sent2xx.set(name, sent2xx.get(name) + w.ok2xx);
        await waitForDrain(s);
      }
      console.log(`  ${name} ready (ports ${s.ports.join(', ')})`);
    }
    for (let round = 1; round <= ROUNDS; round++) {
      for (const s of live) {
        const load = loadAverage();
        const r = await runSender(s.ports, DURATION);
        sent2xx.set(s.name, sent2xx.get(s.name) + r.ok2xx);
        const d = await waitForDrain(s);
        s.runs.push({ round, loadAverage: load, ...r, drainedAfterS: d.drainedAfterS });
        console.log(
          `  round ${round} ${s.name.padEnd(8)} ${r.okPerSec.toFixed(1)} acknowledged/s, p50 ${r.latencyMs.p50} / p99 ${r.latencyMs.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}, drained ${d.drainedAfterS === null ? 'NOT' : `${d.drainedAfterS.toFixed(1)} s after (processed ≥ ${(r.ok2xx / (r.durationS + d.drainedAfterS)).toFixed(0)}/s)`}; load ${load.join(' ')}`,
        );
      }
    }
    for (const s of live) {
      const c = await s.counter.counts();
      s.stored = Number(c.total);
      s.acknowledged = sent2xx.get(s.name);
    }
  } finally {
    for (const s of live) {
      await s.counter.close().catch(() => undefined);
      for (const p of s.procs) await stopProcess(p).catch(() => undefined);
      if (s.dbName) await admin(`drop database if exists ${s.dbName} with (force)`).catch(() => undefined);
      fs.rmSync(s.dataDir, { recursive: true, force: true });
    }
  }
  const byName = new Map(live.map((s) => [s.name, s]));
  const rows = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const rate = (n) => byName.get(n)?.runs.find((r) => r.round === round)?.okPerSec ?? null;
    const f = (v) => (v === null ? '–' : v.toFixed(0));
    const ratio = (a, b) => (a === null || b === null ? '–' : `${(a / b).toFixed(2)}×`);
    const load = live[0].runs.find((r) => r.round === round)?.loadAverage?.[0];
    rows.push([round, f(rate('sqlite')), f(rate('pg-start')), ratio(rate('pg-start'), rate('sqlite')), f(rate('pg-web1')), f(rate('pg-web2')), ratio(rate('pg-web2'), rate('pg-web1')), load ?? '–']);
  }
  const md = [
    `PostgreSQL ingestion vs the embedded default (${CONNECTIONS} connections, real examples × ${REPOS} repositories, ${DURATION} s per run; acknowledged/s)`,
    '',
    table(['round', 'SQLite start', 'PG start', 'PG/SQLite', 'PG 1 web', 'PG 2 web', '2 web / 1 web', 'load (1 min)'], rows),
    '',
    table(
      ['scenario', 'p50 / p99 ms (each round)', 'drained after (s)', 'acknowledged', 'stored'],
      live.map((s) => [s.name, s.runs.map((r) => `${r.latencyMs.p50} / ${r.latencyMs.p99}`).join(', '), s.runs.map((r) => (r.drainedAfterS === null ? 'NOT' : r.drainedAfterS.toFixed(1))).join(', '), s.acknowledged, s.stored]),
    ),
  ].join('\n');
  console.log(md);
  for (const s of live) if (s.stored < s.acknowledged) console.log(`LOST: ${s.name} acknowledged ${s.acknowledged} but stored ${s.stored}`);
  writeResult(path.join(BENCH_DIR, 'results'), 'pg-ingest', { machine, settings: { DURATION, WARMUP, ROUNDS, CONNECTIONS, REPOS, SCENARIOS, EXTRA_ENV }, scenarios: live.map(({ name, runs, acknowledged, stored }) => ({ name, runs, acknowledged, stored })) }, md, when);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => killAllChildren());
