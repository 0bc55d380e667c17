// SQLite side of the queries benchmark: a temp database file made by the project's own
// openSqlite + migrateToLatest, bulk-loaded through the raw better-sqlite3 handle.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export async function createSqlite(dist, { keep }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-queries-'));
  const file = path.join(dir, 'switchyard.db');
  const db = dist.db.openSqlite(file);
  try {
    await dist.db.migrateToLatest(db);
  } catch (e) {
    await db.close().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    name: 'sqlite',
    file,
    db,
    async reopen() {
      await this.db.close();
      this.db = dist.db.openSqlite(file);
      return this.db;
    },
    version() {
      return `SQLite ${this.db.sqlite.prepare('select sqlite_version()').pluck().get()} (better-sqlite3)`;
    },
    async cleanup() {
      try {
        await this.db.close();
      } catch {
        /* already closed */
      }
      if (keep) {
        console.log(`  kept SQLite database: ${file}`);
        return;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
    sizeBytes() {
      let total = 0;
      for (const f of fs.readdirSync(dir)) total += fs.statSync(path.join(dir, f)).size;
      return total;
    },
  };
}

function insertStatement(sqlite, table, columns) {
  return sqlite.prepare(`insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`);
}

/** Loads the data set; returns per-table row counts and timings (ms). */
export async function loadSqlite(target, data, log) {
  const sqlite = target.db.sqlite;
  // Loading only: a big page cache and no fsync. The measurement reopens with the project's settings.
  sqlite.pragma('synchronous = OFF');
  sqlite.pragma('cache_size = -1048576');
  const timings = {};
  const counts = {};
  const t = data.tables;

  const simple = (table) => {
    const stmt = insertStatement(sqlite, table, t[table].columns);
    const rows = t[table].rows();
    sqlite.transaction(() => rows.forEach((r) => stmt.run(r)))();
    counts[table] = rows.length;
  };
  let t0 = performance.now();
  simple('installations');
  simple('repositories');
  simple('installation_repositories');
  timings.repositories = performance.now() - t0;

  t0 = performance.now();
  // The payload bytes go where this schema keeps them: event_receipts.raw_payload (first schema)
  // or the event_payloads table (receipt_id, body).
  const present = new Set(sqlite.prepare("select name from pragma_table_info('event_receipts')").pluck().all());
  const payloadTable = Boolean(sqlite.prepare("select 1 from sqlite_master where type = 'table' and name = 'event_payloads'").get());
  const all = t.event_receipts.columns;
  const payloadAt = all.indexOf('raw_payload');
  const inline = present.has('raw_payload');
  const keep = all.map((c, i) => i).filter((i) => inline || i !== payloadAt);
  const missing = keep.map((i) => all[i]).filter((c) => !present.has(c));
  if (missing.length) throw new Error(`event_receipts has no column(s) ${missing.join(', ')}: update bench/queries/data.mjs`);
  const ins = insertStatement(sqlite, 'event_receipts', keep.map((i) => all[i]));
  const insPayload = !inline && payloadTable ? sqlite.prepare('insert into event_payloads (receipt_id, body) values (?, ?)') : null;
  counts.payloadsIn = inline ? 'event_receipts.raw_payload' : payloadTable ? 'event_payloads.body' : 'nowhere (schema has no payload column)';
  const insertMany = sqlite.transaction((rows) => {
    for (const r of rows) {
      ins.run(inline ? r : keep.map((i) => r[i]));
      if (insPayload) insPayload.run(r[0], r[payloadAt]);
    }
  });
  let n = 0;
  for (const batch of t.event_receipts.batches(50_000)) {
    insertMany(batch);
    n += batch.length;
    if (n % 200_000 === 0) log(`    event_receipts ${n.toLocaleString('en-US')} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  counts.event_receipts = n;
  if (insPayload) counts.event_payloads = n;
  const upd = sqlite.prepare('update repositories set event_count = ?, last_event_at = ?, last_commit_sha = ?, pushed_at = ?, updated_at = ? where id = ?');
  sqlite.transaction(() => data.repositoryCounters().forEach((r) => upd.run(r)))();
  timings.event_receipts = performance.now() - t0;

  t0 = performance.now();
  const insPr = insertStatement(sqlite, 'pull_requests', t.pull_requests.columns);
  const insHist = insertStatement(sqlite, 'pr_state_history', t.pr_state_history.columns);
  const insCheck = insertStatement(sqlite, 'check_runs', t.check_runs.columns);
  const insertPrs = sqlite.transaction((b) => {
    for (const r of b.prs) insPr.run(r);
    for (const r of b.history) insHist.run(r);
    for (const r of b.checks) insCheck.run(r);
  });
  counts.pull_requests = counts.pr_state_history = counts.check_runs = 0;
  for (const b of data.pullRequests(10_000)) {
    insertPrs(b);
    counts.pull_requests += b.prs.length;
    counts.pr_state_history += b.history.length;
    counts.check_runs += b.checks.length;
  }
  timings.pull_requests = performance.now() - t0;

  t0 = performance.now();
  sqlite.exec('ANALYZE');
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  timings.analyze = performance.now() - t0;
  return { counts, timings };
}

/** EXPLAIN QUERY PLAN of a compiled query, plus its time when run alone (ms). */
export function explainSqlite(target, compiled) {
  const sqlite = target.db.sqlite;
  const params = compiled.parameters.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p instanceof Date ? p.toISOString() : p));
  const plan = sqlite.prepare(`explain query plan ${compiled.sql}`).all(params);
  const byId = new Map();
  const lines = [];
  for (const row of plan) {
    const depth = row.parent === 0 ? 0 : (byId.get(row.parent) ?? 0) + 1;
    byId.set(row.id, depth);
    lines.push(`${'  '.repeat(depth)}${row.detail}`);
  }
  const stmt = sqlite.prepare(compiled.sql);
  const t0 = performance.now();
  const rows = stmt.all(params);
  const ms = performance.now() - t0;
  return { plan: lines.join('\n'), ms, rows: rows.length };
}
