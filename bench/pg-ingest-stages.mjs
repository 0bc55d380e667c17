// Where the time of one PostgreSQL receipt goes: the receipt store of dist/ (the code `switchyard
// web` runs), driven in this process by BENCH_CONNECTIONS (32) concurrent callers, with every SQL
// statement timed from the moment pg is asked to run it until its answer (pg.Client#query wrapped).
// The time of a delivery not spent in any statement is the wait for a pool connection.
//
//   npm run build && node bench/pg-ingest-stages.mjs
//   BENCH_STAGE_VARIANTS=per-delivery,grouped node bench/pg-ingest-stages.mjs
//
// Variants, each on a fresh database, in one run: `per-delivery` (a transaction per delivery, up
// to the pool's size at once: how the store worked before group commit), `grouped` (the store as
// it is: group commit); `+async-commit` (synchronous_commit=off for the database: what the
// commit's WAL flush costs; not a setting Switchyard would use, since 202 must mean durable) and
// `+no-indexes` (event_receipts without its secondary indexes: what the filter indexes cost at
// ingestion) modify either. No HTTP, no signature check, no processing: only the store.
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { REPO_ROOT } from './lib/config.mjs';
import { adminQuery as admin, databaseUrl } from './lib/postgres-admin.mjs';
import { exampleDeliveries } from './lib/example-deliveries.mjs';
import { timeStatements } from './lib/pg-statement-timer.mjs';

const dist = (p) => import(path.join(REPO_ROOT, 'dist', p));
const { openPostgres, migrateToLatest, nowIso } = await dist('db/index.js');
const { createPgBossQueue } = await dist('jobs/index.js');
const { createPostgresReceiptStore } = await dist('webhooks/postgres-receipt-store.js');
const { extractReceiptFields } = await dist('webhooks/extract-receipt-fields.js');
const { createLogger } = await dist('log/index.js');

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const POOL = Number(process.env.BENCH_POOL ?? 10);
const VARIANTS = (process.env.BENCH_STAGE_VARIANTS ?? 'per-delivery,per-delivery+async-commit,per-delivery+no-indexes,grouped,grouped+async-commit').split(',');

// Time every statement by its first words.
const stageOf = (text) => {
  const t = text.trim().toLowerCase();
  if (t.startsWith('begin') || t.startsWith('commit') || t.startsWith('rollback')) return t.split(/\s/)[0];
  if (t.includes('pgboss.')) return 'job insert (pg-boss)';
  const m = /^(select|insert into|update|with)\s+"?([\w.]+)"?/.exec(t);
  if (t.startsWith('select') && t.includes('"repositories"')) return 'select repository';
  if (t.startsWith('insert into "repositories"')) return 'insert repository';
  return m ? `${m[1]} ${m[2]}` : t.slice(0, 30);
};
const timer = timeStatements(stageOf);
const stages = timer.stages;


async function runVariant(variant, deliveries) {
  const dbName = `switchyard_bench_stages_${process.pid}`;
  const url = databaseUrl(dbName);
  await admin(`drop database if exists ${dbName} with (force)`);
  await admin(`create database ${dbName}`);
  if (variant.includes('+async-commit')) await admin(`alter database ${dbName} set synchronous_commit = off`);
  const db = openPostgres(url, POOL);
  const log = createLogger('warn');
  const queue = createPgBossQueue({ db, log, concurrency: 1, leaseSeconds: 300, retryBaseMs: 1000, poolSize: 2 });
  try {
    await migrateToLatest(db);
    if (variant.includes('+no-indexes')) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const idx = await c.query(`select indexname from pg_indexes where tablename = 'event_receipts' and indexname not in ('event_receipts_pkey', 'event_receipts_delivery_id_key')`);
      for (const { indexname } of idx.rows) await c.query(`drop index "${indexname}"`);
      await c.end();
    }
    await queue.start({ work: false, schedule: false });
    const perDelivery = variant.startsWith('per-delivery');
    const store = createPostgresReceiptStore({ db, queue, maxRetries: 5, ...(perDelivery ? { maxBatch: 1, batchesInFlight: POOL } : {}) });
    let next = 0;
    const one = () => {
      const d = deliveries[next++ % deliveries.length];
      return store.store({ deliveryId: crypto.randomUUID(), eventType: d.event, headers: { 'x-github-event': d.event }, body: d.body, fields: d.fields, receivedAt: nowIso() });
    };
    for (let i = 0; i < 200; i++) await one(); // warm-up
    stages.clear();
    timer.on = true;
    let done = 0;
    let totalMs = 0;
    const t0 = performance.now();
    const until = t0 + DURATION * 1000;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < until) {
          const s = performance.now();
          await one();
          totalMs += performance.now() - s;
          done++;
        }
      }),
    );
    timer.on = false;
    const wall = (performance.now() - t0) / 1000;
    const msPerDelivery = totalMs / done;
    const rows = [...stages].map(([name, s]) => ({ name, perDelivery: s.ms / done, perCall: s.ms / s.n, calls: s.n / done }));
    const inStatements = rows.reduce((a, r) => a + r.perDelivery, 0);
    console.log(`\n${variant}: ${(done / wall).toFixed(0)} stored/s, ${msPerDelivery.toFixed(1)} ms per delivery (load ${os.loadavg()[0].toFixed(1)})`);
    console.log('| stage | calls per delivery | ms per call | ms per delivery |\n|---|---:|---:|---:|');
    for (const r of rows.sort((a, b) => b.perDelivery - a.perDelivery)) console.log(`| ${r.name} | ${r.calls.toFixed(2)} | ${r.perCall.toFixed(2)} | ${r.perDelivery.toFixed(2)} |`);
    console.log(`| waiting for a connection (the rest) | | | ${(msPerDelivery - inStatements).toFixed(2)} |`);
    return { variant, perSecond: done / wall };
  } finally {
    await queue.stop().catch(() => undefined);
    await db.close();
    await admin(`drop database if exists ${dbName} with (force)`);
  }
}

const { deliveries: raw } = exampleDeliveries('x', { repos: 50 });
const deliveries = raw.map((d) => ({ ...d, fields: extractReceiptFields(d.event, JSON.parse(d.body.toString('utf8'))) }));
console.log(`pg-ingest-stages: ${CONNECTIONS} callers, pool ${POOL}, ${DURATION} s per variant, load ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}`);

for (const v of VARIANTS) await runVariant(v, deliveries);
