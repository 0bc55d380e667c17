// Where the time of processing one PostgreSQL receipt goes: BENCH_BACKLOG (3,000) real example
// deliveries (@octokit/webhooks-examples, 10 event types, rewritten for 50 repositories) are stored
// through the receipt store, then one worker (createSwitchyard + start({ worker: true }), the code
// `switchyard worker` runs) processes them in this process, with every SQL statement timed from the
// moment pg is asked to run it until its answer (pg.Client#query wrapped). Reports the processing
// rate (first receipt processed → all processed) and, per processed receipt, the calls and time of
// each kind of statement. Statements of concurrent jobs overlap, so their sum exceeds the wall time.
//
//   npm run build && node bench/pg-process-stages.mjs
//   BENCH_PROCESS_DISTS=/tmp/base/dist,dist node bench/pg-process-stages.mjs   # a same-run A/B
//   BENCH_SWITCHYARD_ENV='WORKER_CONCURRENCY=16' node bench/pg-process-stages.mjs
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { REPO_ROOT } from './lib/config.mjs';
import { adminQuery as admin, databaseUrl } from './lib/postgres-admin.mjs';
import { exampleDeliveries } from './lib/example-deliveries.mjs';
import { timeStatements } from './lib/pg-statement-timer.mjs';

const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 3000);
const DISTS = (process.env.BENCH_PROCESS_DISTS ?? 'dist').split(',').map((d) => path.resolve(REPO_ROOT, d.trim()));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const EXTRA_ENV = Object.fromEntries((process.env.BENCH_SWITCHYARD_ENV ?? '').split(/\s+/).filter(Boolean).map((kv) => kv.split('=')));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Time every statement by its first words.
const stageOf = (text) => {
  const t = text.trim().toLowerCase().replace(/\s+/g, ' ');
  if (/^(begin|commit|rollback|savepoint|release)/.test(t)) return t.split(' ')[0];
  if (t.includes('pgboss.')) {
    if (t.includes('for update skip locked')) return 'pg-boss fetch';
    if (t.startsWith('delete')) return 'pg-boss complete (delete)';
    if (t.includes('expire_in')) return 'pg-boss heartbeat';
    return `pg-boss ${t.slice(0, 24)}`;
  }
  const m = /^(select|insert into|update|delete from|with)\s+(?:.*? from )?"?([\w.]+)"?/.exec(t);
  if (t.startsWith('select') && t.includes('for update')) return `select … for update ${/from "?([\w.]+)/.exec(t)?.[1] ?? ''}`;
  return m ? `${m[1]} ${m[2]}` : t.slice(0, 30);
};
const timer = timeStatements(stageOf);
const stages = timer.stages;

const { deliveries: raw } = exampleDeliveries('x', { repos: 50 });

async function runDist(dist, round) {
  const load = (p) => import(path.join(dist, p));
  const { openPostgres, migrateToLatest, nowIso } = await load('db/index.js');
  const { createPgBossQueue } = await load('jobs/index.js');
  const { createPostgresReceiptStore } = await load('webhooks/postgres-receipt-store.js');
  const { extractReceiptFields } = await load('webhooks/extract-receipt-fields.js');
  const { createLogger } = await load('log/index.js');
  const { createSwitchyard } = await load('app.js');
  const { loadConfig } = await load('config/index.js');

  const dbName = `switchyard_bench_process_${process.pid}`;
  const url = databaseUrl(dbName);
  await admin(`drop database if exists ${dbName} with (force)`);
  await admin(`create database ${dbName}`);
  const log = createLogger('error');
  try {
    // 1. Store the backlog (no worker).
    const db = openPostgres(url, 10);
    const queue = createPgBossQueue({ db, log, concurrency: 1, leaseSeconds: 300, retryBaseMs: 1000, poolSize: 2 });
    await migrateToLatest(db);
    await queue.start({ work: false, schedule: false });
    const store = createPostgresReceiptStore({ db, queue, maxRetries: 5 });
    const batch = [];
    for (let i = 0; i < BACKLOG; i++) {
      const d = raw[i % raw.length];
      const payload = JSON.parse(d.body.toString('utf8'));
      batch.push(
        store.store({ deliveryId: crypto.randomUUID(), eventType: d.event, headers: { 'x-github-event': d.event, 'content-type': 'application/json' }, body: d.body, fields: extractReceiptFields(d.event, payload), receivedAt: nowIso() }),
      );
      if (batch.length >= 64) await Promise.all(batch.splice(0));
    }
    await Promise.all(batch);
    await queue.stop();
    await db.close();

    // 2. One worker processes it, every statement timed.
    const counter = new pg.Client({ connectionString: url });
    await counter.connect();
    const dataDir = `/tmp/switchyard-process-stages-${process.pid}`;
    const config = loadConfig({ DATABASE_URL: url, SWITCHYARD_DATA_DIR: dataDir, WEBHOOK_SECRET: 'x', SWITCHYARD_SECRET_KEY: crypto.randomBytes(32).toString('base64'), LOG_LEVEL: 'error', ...EXTRA_ENV });
    const app = await createSwitchyard(config, log);
    stages.clear();
    const loadBefore = os.loadavg()[0];
    timer.on = true;
    const t0 = performance.now();
    await app.start({ web: false, worker: true, scheduler: false });
    let firstAt = null;
    let processed = 0;
    for (;;) {
      await sleep(100);
      processed = Number((await counter.query(`select count(*) filter (where processing_status in ('processed', 'dead')) as n from event_receipts`)).rows[0].n);
      if (processed > 0 && firstAt === null) firstAt = performance.now();
      if (processed >= BACKLOG) break;
      if (performance.now() - t0 > 600_000) break;
    }
    const wall = (performance.now() - (firstAt ?? t0)) / 1000;
    timer.on = false;
    await app.stop();
    await counter.end();
    const rows = [...stages].map(([name, s]) => ({ name, perReceipt: s.ms / processed, perCall: s.ms / s.n, calls: s.n / processed }));
    const label = path.relative(REPO_ROOT, dist) || dist;
    console.log(`\n${label} (round ${round}): ${processed} processed in ${wall.toFixed(1)} s = ${(processed / wall).toFixed(0)}/s (load ${loadBefore.toFixed(1)} → ${os.loadavg()[0].toFixed(1)})`);
    console.log('| statement | calls per receipt | ms per call | ms per receipt |\n|---|---:|---:|---:|');
    for (const r of rows.sort((a, b) => b.perReceipt - a.perReceipt).slice(0, 25)) console.log(`| ${r.name} | ${r.calls.toFixed(2)} | ${r.perCall.toFixed(2)} | ${r.perReceipt.toFixed(2)} |`);
    console.log(`| **sum** | ${rows.reduce((a, r) => a + r.calls, 0).toFixed(1)} | | ${rows.reduce((a, r) => a + r.perReceipt, 0).toFixed(1)} |`);
    return { dist: label, processed, perSecond: processed / wall };
  } finally {
    await admin(`drop database if exists ${dbName} with (force)`).catch(() => undefined);
  }
}

console.log(`pg-process-stages: ${BACKLOG} receipts, load ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}`);
const results = [];
for (let round = 1; round <= ROUNDS; round++) for (const d of DISTS) results.push(await runDist(d, round));
console.log('\n' + results.map((r) => `${r.dist}: ${r.perSecond.toFixed(0)}/s`).join('\n'));
process.exit(0);
