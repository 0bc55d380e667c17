// The 1M-receipt data set of the event-log filter benchmark, generated once and kept: a SQLite
// file and a PostgreSQL database with fixed names, made by bench/queries/data.mjs (the "queries at
// scale" generator: Zipf repositories and installations, the event type/action mix, 97.3% processed,
// 2% failed, 0.7% dead, UUIDv7 ids for each received_at) and loaded by its loaders. Later runs find
// them and only migrate them to the latest schema (timing any new index built on the way).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { buildDataset } from '../queries/data.mjs';
import { loadSqlite } from '../queries/sqlite.mjs';
import { ADMIN_URL, loadPostgres } from '../queries/postgres.mjs';

/** The data set's clock: fixed, so both databases (and every later run) hold the same rows. */
export const DATA_NOW = Date.parse('2026-12-01T12:00:00Z');

export const cacheDir = () => process.env.BENCH_EF_DIR || path.join(os.tmpdir(), 'switchyard-bench-event-filters');
const sqliteFile = (receipts) => path.join(cacheDir(), `receipts-${receipts}.db`);
const pgName = (receipts) => `switchyard_bench_ef_${receipts}`;
const pgUrl = (receipts) => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${pgName(receipts)}`;
  return u.toString();
};

function dataset(receipts) {
  // Few pull requests, no check runs: this benchmark reads the event log only.
  return buildDataset({ receipts, pulls: 2000, checkRuns: 0, now: DATA_NOW });
}

/** Migrations applied to an open database, timed (the new indexes are built on the full table). */
async function migrate(dist, db, log) {
  const pending = await dist.db.pendingMigrations(db);
  if (pending.length === 0) return [];
  const t0 = performance.now();
  await dist.db.migrateToLatest(db);
  const ms = performance.now() - t0;
  log(`    migrated ${pending.join(', ')} in ${(ms / 1000).toFixed(1)} s`);
  return [{ migrations: pending, ms }];
}

/** Opens (creating and loading it the first time) the SQLite data set. */
export async function openSqliteDataset(dist, receipts, log) {
  fs.mkdirSync(cacheDir(), { recursive: true });
  const file = sqliteFile(receipts);
  const info = { file, loadedNow: false, migrations: [] };
  if (!fs.existsSync(`${file}.ready`)) {
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    log(`  sqlite: generating and loading ${receipts.toLocaleString('en-US')} receipts into ${file}…`);
    const db = dist.db.openSqlite(file);
    await dist.db.migrateToLatest(db);
    const t0 = performance.now();
    const load = await loadSqlite({ db }, dataset(receipts), log);
    info.loadMs = performance.now() - t0;
    info.load = load;
    await db.close();
    fs.writeFileSync(`${file}.ready`, JSON.stringify({ receipts, now: DATA_NOW, loadedAt: new Date().toISOString(), loadMs: info.loadMs }));
    info.loadedNow = true;
  }
  const db = dist.db.openSqlite(file);
  info.migrations = await migrate(dist, db, log);
  if (info.migrations.length) db.sqlite.exec('ANALYZE');
  return { db, info };
}

async function admin(fn) {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Opens (creating and loading it the first time) the PostgreSQL data set. */
export async function openPostgresDataset(dist, receipts, log) {
  const name = pgName(receipts);
  const url = pgUrl(receipts);
  const info = { database: name, loadedNow: false, migrations: [] };
  const exists = await admin(async (c) => (await c.query('select 1 from pg_database where datname = $1', [name])).rowCount > 0);
  let ready = false;
  if (exists) {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      ready = (await c.query("select 1 from information_schema.tables where table_name = 'bench_ready'")).rowCount > 0;
    } finally {
      await c.end();
    }
  }
  if (!ready) {
    await admin((c) => c.query(`drop database if exists ${name} with (force)`));
    await admin((c) => c.query(`create database ${name}`));
    log(`  postgres: generating and loading ${receipts.toLocaleString('en-US')} receipts into ${name}…`);
    const db = dist.db.openPostgres(url);
    await dist.db.migrateToLatest(db);
    await db.close();
    const t0 = performance.now();
    info.load = await loadPostgres({ url }, dataset(receipts), log);
    info.loadMs = performance.now() - t0;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('create table bench_ready (receipts int, now bigint)');
    await c.query('insert into bench_ready values ($1, $2)', [receipts, DATA_NOW]);
    await c.end();
    info.loadedNow = true;
  }
  const db = dist.db.openPostgres(url);
  info.migrations = await migrate(dist, db, log);
  if (info.migrations.length) {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('vacuum (analyze) event_receipts');
    await c.end();
  }
  return { db, info, url };
}

/** Drops the kept data sets (node bench/event-filters.mjs --drop). */
export async function dropDatasets(receipts) {
  for (const f of [sqliteFile(receipts), `${sqliteFile(receipts)}-wal`, `${sqliteFile(receipts)}-shm`, `${sqliteFile(receipts)}.ready`]) fs.rmSync(f, { force: true });
  await admin((c) => c.query(`drop database if exists ${pgName(receipts)} with (force)`));
}
