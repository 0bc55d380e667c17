#!/usr/bin/env node
// Where the time of one durable delivery goes, stage by stage, measured in one process on the built
// code (npm run build first):
//
//   verify   HMAC-SHA256 of the 21 KB body and the constant-time compare (verifySignature)
//   parse    JSON.parse of the body and extractReceiptFields
//   write    one group-commit batch of BENCH_STAGES_BATCH (32) receipts written and committed
//            (writeReceiptBatch: receipt, payload, repository upsert, job; one transaction) —
//            the time the write lock is held per receipt
//   process  the worker draining a backlog of receipts (projection, automation jobs, marked
//            processed), wall and CPU time per receipt, no other load
//
// The per-request commit wait under load (how long a request waits for the group commit that
// carries it) is not a CPU cost: it is measured by `node bench/run.mjs ingest` (p50 latency).
//
//   node bench/ingest-stages.mjs                   # 4,000 receipts on a fresh database
//   BENCH_STAGES_RECEIPTS=8000 node bench/ingest-stages.mjs
//
// Prints one JSON object (µs per receipt) and a Markdown table.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { loadFixture } from './lib/fixture.mjs';
import { REPO_ROOT } from './lib/config.mjs';

// BENCH_STAGES_DIST: another build's dist/ (a same-run A/B with a copy of the previous commit's).
const distDir = process.env.BENCH_STAGES_DIST || path.join(REPO_ROOT, 'dist');
const dist = (p) => import(path.join(distDir, p));
const { loadConfig } = await dist('config/index.js');
const { createLogger } = await dist('log/index.js');
const { createSwitchyard } = await dist('app.js');
const { writeReceiptBatch, extractReceiptFields } = await dist('webhooks/index.js');
const { verifySignature } = await dist('webhooks/verify-signature.js');

const N = Number(process.env.BENCH_STAGES_RECEIPTS ?? 4000);
const BATCH = Number(process.env.BENCH_STAGES_BATCH ?? 32);
const secret = 'switchyard-bench-secret';
const fixture = loadFixture(secret);
const text = fixture.body.toString('utf8');

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
function timeLoop(n, fn) {
  for (let i = 0; i < Math.min(200, n); i++) fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - t0) * 1000) / n;
}

const verifyUs = await (async () => {
  for (let i = 0; i < 200; i++) await verifySignature(secret, text, fixture.signature);
  const t0 = performance.now();
  for (let i = 0; i < 2000; i++) await verifySignature(secret, text, fixture.signature);
  return ((performance.now() - t0) * 1000) / 2000;
})();
const parseUs = timeLoop(2000, () => extractReceiptFields('pull_request', JSON.parse(text)));

const dataDir = fs.mkdtempSync(path.join(process.env.BENCH_DATA_ROOT || os.tmpdir(), 'switchyard-stages-'));
const quiet = createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() }));
const config = loadConfig({ SWITCHYARD_DATA_DIR: dataDir, WEBHOOK_SECRET: secret, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
const fields = extractReceiptFields('pull_request', JSON.parse(text));
const { newId } = await dist('db/ids.js');
const item = () => {
  const deliveryId = randomUUID();
  return {
    // Receipt ids are UUIDv7 as the server makes them (time-ordered: each index appends at its end).
    id: newId(),
    storage: null,
    delivery: { deliveryId, eventType: 'pull_request', headers: { 'x-github-event': 'pull_request', 'x-github-delivery': deliveryId, 'content-type': 'application/json' }, body: fixture.body, fields, receivedAt: new Date().toISOString() },
  };
};

// 1. Writing: batches on a database with no worker running.
// As `switchyard start` runs: no checkpoint inside commits (its checkpointer thread does them).
const writer = await createSwitchyard(config, quiet, { sqliteAutoCheckpoint: false });
writer.db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
const sqlite = writer.db.sqlite;
const batchMs = [];
const w0 = cpuMs();
for (let done = 0; done < N; done += BATCH) {
  const items = Array.from({ length: Math.min(BATCH, N - done) }, item);
  const t0 = performance.now();
  writeReceiptBatch(sqlite, items, config.receiptMaxRetries);
  batchMs.push(performance.now() - t0);
}
const writeCpuMs = cpuMs() - w0;
const walFrames = sqlite.pragma('wal_checkpoint(PASSIVE)')[0];
await writer.stop();

// 2. Processing: a fresh process-like app with its worker drains the backlog.
const worker = await createSwitchyard(config, quiet, { sqliteAutoCheckpoint: false });
worker.db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
const count = () => Number(worker.db.sqlite.prepare("select count(*) from event_receipts where processing_status in ('received','processing','failed')").pluck().get());
const c0 = cpuMs();
const p0 = performance.now();
await worker.start({ web: false, worker: true, scheduler: false });
while (count() > 0) await new Promise((r) => setTimeout(r, 20));
const processMs = performance.now() - p0;
const processCpuMs = cpuMs() - c0;
const processWal = worker.db.sqlite.pragma('wal_checkpoint(PASSIVE)')[0];
await worker.stop();
fs.rmSync(dataDir, { recursive: true, force: true });

batchMs.sort((a, b) => a - b);
const median = batchMs[Math.floor(batchMs.length / 2)];
const result = {
  receipts: N,
  batch: BATCH,
  load: os.loadavg().map((x) => Math.round(x * 100) / 100),
  verifyUs: Math.round(verifyUs),
  parseUs: Math.round(parseUs),
  writeUsPerReceipt: Math.round((median * 1000) / BATCH),
  writeBatchMsMedian: Math.round(median * 100) / 100,
  writeCpuUsPerReceipt: Math.round((writeCpuMs * 1000) / N),
  walFramesPerReceipt: walFrames ? Math.round((10 * walFrames.log) / N) / 10 : null,
  processWalFramesPerReceipt: processWal ? Math.round((10 * processWal.log) / N) / 10 : null,
  processUsPerReceipt: Math.round((processMs * 1000) / N),
  processCpuUsPerReceipt: Math.round((processCpuMs * 1000) / N),
};
console.log(JSON.stringify(result));
console.log(`
| stage | µs per delivery |
|---|---:|
| verify (HMAC) | ${result.verifyUs} |
| parse (JSON.parse + fields) | ${result.parseUs} |
| write (in a batch of ${BATCH}, lock held) | ${result.writeUsPerReceipt} (batch median ${result.writeBatchMsMedian} ms) |
| process (worker, wall / CPU) | ${result.processUsPerReceipt} / ${result.processCpuUsPerReceipt} |
| WAL frames (4 KB) per receipt: write / process | ${result.walFramesPerReceipt} / ${result.processWalFramesPerReceipt} |
load average ${result.load.join(' / ')}`);
process.exit(0);
