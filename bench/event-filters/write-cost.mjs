// What the filter indexes cost at ingestion: receipts stored one per transaction (event_receipts +
// event_payloads, status `received`) and then marked `processed` (one transaction each), as the
// webhook route and processing do, timed per statement group, into a table already holding
// `prefill` receipts — with every index (migration 0016) and with 0016's indexes dropped, in
// alternating rounds on fresh databases of each kind.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { buildDataset } from '../queries/data.mjs';
import { ADMIN_URL, bulkInserter } from '../queries/postgres.mjs';
import { DATA_NOW } from './dataset.mjs';

const ROUNDS = 4;

const isNew = (name) => /^event_receipts_(failing_|inst_type|inst_action|repo_inst)/.test(name);

function rowsFor(receipts) {
  const data = buildDataset({ receipts, pulls: 2000, checkRuns: 0, now: DATA_NOW });
  return data;
}

export async function measureWriteCost(kind, dist, receipts, log, prefill = 100_000) {
  const data = rowsFor(prefill + receipts * ROUNDS);
  const all = data.tables.event_receipts.columns;
  const payloadAt = all.indexOf('raw_payload');
  const cols = all.filter((c) => c !== 'raw_payload');
  const strip = (r) => r.filter((_, i) => i !== payloadAt);
  const batches = data.tables.event_receipts.batches(5000);
  const prefillRows = [];
  const measured = [];
  for (const b of batches) for (const r of b) (prefillRows.length < prefill ? prefillRows : measured).push(r);
  const variants = [
    { name: 'every index (0016)', drop: false },
    { name: '0001 indexes only', drop: true },
  ];
  const results = variants.map((v) => ({ ...v, insert: [], update: [] }));
  const envs = [];
  try {
    for (const v of results) envs.push(await (kind === 'sqlite' ? sqliteEnv : postgresEnv)(dist, data, cols, strip, prefillRows, v.drop));
    for (let round = 0; round < ROUNDS; round++) {
      const slice = measured.slice(round * receipts, (round + 1) * receipts);
      for (const [i, v] of results.entries()) {
        const r = await envs[i].run(slice);
        v.insert.push(r.insertUs);
        v.update.push(r.updateUs);
        v.indexes = envs[i].indexCount;
      }
    }
  } finally {
    for (const e of envs) await e.close();
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const out = { receipts, prefill, rounds: ROUNDS, variants: results.map((v) => ({ name: v.name, indexes: `${v.indexes} indexes`, insertUs: median(v.insert), updateUs: median(v.update), rounds: { insert: v.insert, update: v.update } })) };
  for (const v of out.variants) log(`    ${v.name}: store ${v.insertUs.toFixed(0)} µs, mark processed ${v.updateUs.toFixed(0)} µs per receipt`);
  return out;
}

async function sqliteEnv(dist, data, cols, strip, prefillRows, dropNew) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-ef-write-'));
  const file = path.join(dir, 'switchyard.db');
  const db = dist.db.openSqlite(file);
  await dist.db.migrateToLatest(db);
  const s = db.sqlite;
  s.pragma('foreign_keys = OFF'); // repositories are not loaded here
  if (dropNew) for (const n of s.prepare("select name from sqlite_master where type = 'index' and tbl_name = 'event_receipts'").pluck().all()) if (isNew(n)) s.exec(`drop index ${n}`);
  const indexCount = s.prepare("select count(*) from sqlite_master where type = 'index' and tbl_name = 'event_receipts'").pluck().get();
  const ins = s.prepare(`insert into event_receipts (${cols.join(', ')}) values (${cols.map(() => '?').join(', ')})`);
  const insPayload = s.prepare('insert into event_payloads (receipt_id, body) values (?, ?)');
  const payloadAt = data.tables.event_receipts.columns.indexOf('raw_payload');
  const statusAt = data.tables.event_receipts.columns.indexOf('processing_status');
  s.transaction(() => {
    for (const r of prefillRows) {
      ins.run(strip(r));
      insPayload.run(r[0], r[payloadAt]);
    }
  })();
  s.exec('ANALYZE');
  const store = s.transaction((r) => {
    ins.run(strip(r));
    insPayload.run(r[0], r[payloadAt]);
  });
  const mark = s.prepare("update event_receipts set processing_status = 'processed', processed_at = ?, updated_at = ? where id = ?");
  return {
    indexCount,
    async run(rows) {
      const received = rows.map((r) => {
        const c = [...r];
        c[statusAt] = 'received';
        return c;
      });
      let t0 = performance.now();
      for (const r of received) store(r);
      const insertUs = ((performance.now() - t0) * 1000) / rows.length;
      const now = new Date().toISOString();
      t0 = performance.now();
      for (const r of received) s.transaction(() => mark.run(now, now, r[0]))();
      const updateUs = ((performance.now() - t0) * 1000) / rows.length;
      return { insertUs, updateUs };
    },
    async close() {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresEnv(dist, data, cols, strip, prefillRows, dropNew) {
  const name = `switchyard_bench_efw_${crypto.randomBytes(4).toString('hex')}`;
  const adminClient = new pg.Client({ connectionString: ADMIN_URL });
  await adminClient.connect();
  await adminClient.query(`create database ${name}`);
  await adminClient.end();
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  const db = dist.db.openPostgres(u.toString());
  await dist.db.migrateToLatest(db);
  await db.close();
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  // Repositories are not loaded here: receipts keep their repository ids without the foreign key.
  const fk = await c.query("select conname from pg_constraint where conrelid = 'event_receipts'::regclass and contype = 'f'");
  for (const r of fk.rows) await c.query(`alter table event_receipts drop constraint ${r.conname}`);
  if (dropNew) for (const r of (await c.query("select indexname from pg_indexes where tablename = 'event_receipts'")).rows) if (isNew(r.indexname)) await c.query(`drop index ${r.indexname}`);
  const indexCount = Number((await c.query("select count(*) from pg_indexes where tablename = 'event_receipts'")).rows[0].count);
  const payloadAt = data.tables.event_receipts.columns.indexOf('raw_payload');
  const statusAt = data.tables.event_receipts.columns.indexOf('processing_status');
  const bulk = await bulkInserter(c, 'event_receipts', cols);
  const bulkPayloads = await bulkInserter(c, 'event_payloads', ['receipt_id', 'body']);
  for (let i = 0; i < prefillRows.length; i += 5000) {
    const chunk = prefillRows.slice(i, i + 5000);
    await bulk(chunk.map(strip));
    await bulkPayloads(chunk.map((r) => [r[0], r[payloadAt]]));
  }
  await c.query('vacuum (analyze) event_receipts');
  const insertText = `insert into event_receipts (${cols.join(', ')}) values (${cols.map((_, i) => `$${i + 1}`).join(', ')})`;
  return {
    indexCount,
    async run(rows) {
      const received = rows.map((r) => {
        const x = [...r];
        x[statusAt] = 'received';
        return x;
      });
      let t0 = performance.now();
      for (const r of received) {
        await c.query('begin');
        await c.query({ name: 'ins', text: insertText, values: strip(r) });
        await c.query({ name: 'insp', text: 'insert into event_payloads (receipt_id, body) values ($1, $2)', values: [r[0], r[payloadAt]] });
        await c.query('commit');
      }
      const insertUs = ((performance.now() - t0) * 1000) / rows.length;
      const now = new Date().toISOString();
      t0 = performance.now();
      for (const r of received) await c.query({ name: 'upd', text: "update event_receipts set processing_status = 'processed', processed_at = $1, updated_at = $1 where id = $2", values: [now, r[0]] });
      const updateUs = ((performance.now() - t0) * 1000) / rows.length;
      return { insertUs, updateUs };
    },
    async close() {
      await c.end();
      const a = new pg.Client({ connectionString: ADMIN_URL });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}
