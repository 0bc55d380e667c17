// PostgreSQL processing with a backlog: does one `switchyard worker` process as fast with 200,000
// deliveries waiting as with a few thousand, and does the backlog drain at that rate?
//
//   npm run build && node bench/pg-backlog.mjs            # 2,000 then 200,000 queued
//   BENCH_BACKLOGS=2000,50000 node bench/pg-backlog.mjs   # other sizes
//
// How: a `switchyard web` process (no worker) receives one real 21 KB `pull_request` delivery;
// the bench then copies its receipt, payload and processing job N times in SQL (fresh ids and
// delivery ids; the same rows the web process writes), and starts one `switchyard worker`. It
// samples the processed count every second until every receipt is processed, and reports the
// rate over the first and the last 10 % of the backlog and overall. PostgreSQL at
// BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432), a fresh database per size.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { BENCH_DIR, REPO_ROOT } from './lib/config.mjs';
import { loadFixture } from './lib/fixture.mjs';
import { adminQuery as admin, databaseUrl as urlFor } from './lib/postgres-admin.mjs';
import { sendDelivery } from './lib/http.mjs';
import { describeMachine, machineLine } from './lib/machine.mjs';
import { freePort, killAllChildren, startProcess, stopProcess, waitForPort } from './lib/processes.mjs';
import { table, writeResult } from './lib/report.mjs';

const SIZES = (process.env.BENCH_BACKLOGS ?? '2000,200000').split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
const SECRET = 'bench-secret';
const TIMEOUT_S = Number(process.env.BENCH_BACKLOG_TIMEOUT ?? 3600);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function switchyard(role, url, dataDir, logFile, extraEnv = {}) {
  return startProcess({
    name: `switchyard-${role}`,
    cmd: process.execPath,
    args: [path.join(REPO_ROOT, 'bin/switchyard.js'), role],
    cwd: dataDir,
    logFile,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: url,
      SWITCHYARD_DATA_DIR: dataDir,
      WEBHOOK_SECRET: SECRET,
      SWITCHYARD_SECRET_KEY: crypto.randomBytes(32).toString('base64'),
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
  });
}

async function runSize(n, runDir) {
  const dbName = `switchyard_bench_backlog_${process.pid}_${n}`;
  const url = urlFor(dbName);
  await admin(`drop database if exists ${dbName} with (force)`);
  await admin(`create database ${dbName}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-backlog-'));
  const c = new pg.Client({ connectionString: url });
  try {
    // 1. One real delivery through a web-only process (no worker: it stays queued).
    const port = await freePort();
    const web = switchyard('web', url, dataDir, path.join(runDir, `web-${n}.log`), { PORT: String(port), HOST: '127.0.0.1' });
    await waitForPort(web, port, { timeoutMs: 60_000 });
    const fixture = loadFixture(SECRET);
    const res = await sendDelivery(port, fixture);
    if (res.status !== 202) throw new Error(`the template delivery was answered ${res.status}`);
    await stopProcess(web);

    // 2. Copy it n - 1 times: receipt, payload and job, as the web process writes them.
    await c.connect();
    const t0 = Date.now();
    const tpl = (await c.query(`select id from event_receipts limit 1`)).rows[0].id;
    const cols = (await c.query(`select column_name from information_schema.columns where table_name = 'event_receipts' and table_schema = 'public'`)).rows.map((r) => r.column_name);
    const others = cols.filter((col) => col !== 'id' && col !== 'delivery_id');
    const batch = 20_000;
    for (let done = 1; done < n; done += batch) {
      const k = Math.min(batch, n - done);
      await c.query('begin');
      await c.query(
        `create temp table ids on commit drop as
         select gen_random_uuid() as id, gen_random_uuid()::text as delivery_id, g as seq from generate_series(1, $1) g`,
        [k],
      );
      await c.query(
        `insert into event_receipts (id, delivery_id, ${others.join(', ')})
         select i.id, i.delivery_id, ${others.map((col) => `r.${col}`).join(', ')}
         from ids i cross join event_receipts r where r.id = $1`,
        [tpl],
      );
      await c.query(`insert into event_payloads select i.id, p.body from ids i cross join event_payloads p where p.receipt_id = $1`, [tpl]);
      await c.query(
        `insert into pgboss.job (id, name, data, priority, retry_limit, retry_delay, retry_backoff, expire_in, singleton_key, policy)
         select gen_random_uuid(), j.name, jsonb_build_object('receiptId', i.id), j.priority, j.retry_limit, j.retry_delay,
           j.retry_backoff, j.expire_in, 'receipt:' || i.id, j.policy
         from ids i cross join pgboss.job j where j.name = 'webhooks.process-receipt' and j.data->>'receiptId' = $1::text`,
        [tpl],
      );
      await c.query('commit');
    }
    const queued = Number((await c.query(`select count(*) as n from pgboss.job where name = 'webhooks.process-receipt' and state < 'active'`)).rows[0].n);
    const seedS = (Date.now() - t0) / 1000;
    await c.query('analyze');
    console.log(`  ${n}: seeded ${queued} queued jobs in ${seedS.toFixed(1)} s`);

    // 3. One worker; sample the processed count every second.
    const worker = switchyard('worker', url, dataDir, path.join(runDir, `worker-${n}.log`));
    const start = Date.now();
    const samples = [];
    let processed = 0;
    for (;;) {
      await sleep(1000);
      processed = Number((await c.query(`select count(*) as n from event_receipts where processing_status in ('processed', 'dead')`)).rows[0].n);
      samples.push({ t: (Date.now() - start) / 1000, processed });
      if (processed >= n) break;
      if (Date.now() - start > TIMEOUT_S * 1000) break;
    }
    await stopProcess(worker);
    const at = (count) => samples.find((s) => s.processed >= count)?.t ?? null;
    const tenth = Math.max(1, Math.floor(n / 10));
    const rate = (from, to) => {
      const a = from === 0 ? 0 : at(from);
      const b = at(to);
      return a === null || b === null || b <= a ? null : (to - from) / (b - a);
    };
    const total = samples.at(-1).t;
    return {
      backlog: n,
      processed,
      drained: processed >= n,
      seconds: total,
      ratePerS: processed / total,
      firstTenthPerS: rate(0, tenth),
      lastTenthPerS: rate(n - tenth, n),
      samples,
    };
  } finally {
    await c.end().catch(() => undefined);
    await admin(`drop database if exists ${dbName} with (force)`).catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist/cli/main.js'))) throw new Error('run `npm run build` first');
  const when = new Date();
  const runDir = path.join(BENCH_DIR, 'results', 'tmp', `${when.toISOString().replace(/[:.]/g, '-')}-pg-backlog`);
  fs.mkdirSync(runDir, { recursive: true });
  const machine = describeMachine({});
  console.log(`pg-backlog: ${machineLine(machine)}`);
  const results = [];
  for (const n of SIZES) results.push(await runSize(n, runDir));
  const f = (v) => (v === null ? '–' : v.toFixed(0));
  const md = [
    `PostgreSQL processing with a backlog (one \`switchyard worker\`, 21 KB \`pull_request\` receipts)`,
    '',
    table(
      ['backlog', 'processed', 'seconds', 'overall /s', 'first 10 % /s', 'last 10 % /s'],
      results.map((r) => [r.backlog.toLocaleString('en'), r.processed.toLocaleString('en'), r.seconds.toFixed(0), f(r.ratePerS), f(r.firstTenthPerS), f(r.lastTenthPerS)]),
    ),
  ].join('\n');
  console.log(md);
  writeResult(path.join(BENCH_DIR, 'results'), 'pg-backlog', { machine, results }, md, when);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => killAllChildren());
