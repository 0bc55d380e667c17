// PostgreSQL side of the queries benchmark: a throwaway database switchyard_bench_<random>,
// migrated by the project's migrateToLatest, bulk-loaded with INSERT … SELECT FROM unnest($1::uuid[], …)
// (one statement per 5,000 rows, one array parameter per column), dropped at the end.
import crypto from 'node:crypto';
import pg from 'pg';

export const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

function urlFor(dbName) {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${dbName}`;
  return u.toString();
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

export async function createPostgres(dist, { keep }) {
  const dbName = `switchyard_bench_${crypto.randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`create database ${dbName}`));
  const url = urlFor(dbName);
  const target = {
    name: 'postgres',
    dbName,
    url,
    db: null,
    dropped: false,
    async reopen() {
      if (this.db) await this.db.close();
      this.db = dist.db.openPostgres(url);
      return this.db;
    },
    async version() {
      const r = await this.raw('show server_version');
      return `PostgreSQL ${r.rows[0].server_version}`;
    },
    /** A raw query on a single dedicated client (explains, sizes). */
    async raw(text, params) {
      if (!this.client) {
        this.client = new pg.Client({ connectionString: url });
        await this.client.connect();
      }
      return this.client.query(text, params);
    },
    async sizeBytes() {
      const r = await this.raw('select pg_database_size(current_database())::text as s');
      return Number(r.rows[0].s);
    },
    async cleanup() {
      try {
        if (this.db) await this.db.close();
      } catch {
        /* ignore */
      }
      try {
        if (this.client) await this.client.end();
      } catch {
        /* ignore */
      }
      this.client = null;
      if (keep) {
        console.log(`  kept PostgreSQL database: ${url}`);
        return;
      }
      if (this.dropped) return;
      await admin((c) => c.query(`drop database if exists ${dbName} with (force)`));
      this.dropped = true;
    },
  };
  try {
    target.db = dist.db.openPostgres(url);
    await dist.db.migrateToLatest(target.db);
  } catch (e) {
    await target.cleanup().catch(() => {});
    throw e;
  }
  return target;
}

/** Column types of a table, for the unnest casts. */
export async function columnTypes(client, table) {
  const r = await client.query('select column_name, udt_name from information_schema.columns where table_schema = current_schema() and table_name = $1', [table]);
  return new Map(r.rows.map((x) => [x.column_name, x.udt_name]));
}

export async function bulkInserter(client, table, columns) {
  const types = await columnTypes(client, table);
  const casts = columns.map((c, i) => {
    const udt = types.get(c);
    if (!udt) throw new Error(`${table}.${c}: no such column`);
    return { udt, param: `$${i + 1}::${udt}[]` };
  });
  const text = `insert into ${table} (${columns.join(', ')}) select * from unnest(${casts.map((c) => c.param).join(', ')})`;
  return async (rows) => {
    if (rows.length === 0) return;
    const cols = columns.map(() => new Array(rows.length));
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      for (let j = 0; j < columns.length; j++) {
        const v = r[j];
        cols[j][i] = casts[j].udt === 'bool' && typeof v === 'number' ? v !== 0 : v;
      }
    }
    await client.query(text, cols);
  };
}

/** Loads the data set; returns per-table row counts and timings (ms). */
export async function loadPostgres(target, data, log) {
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  const timings = {};
  const counts = {};
  const t = data.tables;
  try {
    await client.query('set synchronous_commit = off');
    const chunked = async (insert, rows, size = 5000) => {
      for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size));
    };

    let t0 = performance.now();
    for (const table of ['installations', 'repositories', 'installation_repositories']) {
      const rows = t[table].rows();
      await chunked(await bulkInserter(client, table, t[table].columns), rows);
      counts[table] = rows.length;
    }
    timings.repositories = performance.now() - t0;

    t0 = performance.now();
    // The payload bytes go where this schema keeps them: event_receipts.raw_payload (first schema)
    // or the event_payloads table (receipt_id, body).
    const present = await columnTypes(client, 'event_receipts');
    const payloadTable = (await columnTypes(client, 'event_payloads')).size > 0;
    const all = t.event_receipts.columns;
    const payloadAt = all.indexOf('raw_payload');
    const inline = present.has('raw_payload');
    const keep = all.map((c, i) => i).filter((i) => inline || i !== payloadAt);
    const insEvents = await bulkInserter(client, 'event_receipts', keep.map((i) => all[i]));
    const insPayloads = !inline && payloadTable ? await bulkInserter(client, 'event_payloads', ['receipt_id', 'body']) : null;
    counts.payloadsIn = inline ? 'event_receipts.raw_payload' : payloadTable ? 'event_payloads.body' : 'nowhere (schema has no payload column)';
    let n = 0;
    for (const batch of t.event_receipts.batches(5000)) {
      await insEvents(inline ? batch : batch.map((r) => keep.map((i) => r[i])));
      if (insPayloads) await insPayloads(batch.map((r) => [r[0], r[payloadAt]]));
      n += batch.length;
      if (n % 200_000 === 0) log(`    event_receipts ${n.toLocaleString('en-US')} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
    counts.event_receipts = n;
    if (insPayloads) counts.event_payloads = n;
    const counters = data.repositoryCounters();
    await client.query(
      `update repositories r set event_count = u.c, last_event_at = u.l, last_commit_sha = u.s, pushed_at = u.p, updated_at = u.up
         from unnest($1::int8[], $2::timestamptz[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::uuid[]) as u(c, l, s, p, up, id)
        where r.id = u.id`,
      [0, 1, 2, 3, 4, 5].map((j) => counters.map((r) => r[j])),
    );
    timings.event_receipts = performance.now() - t0;

    t0 = performance.now();
    const insPr = await bulkInserter(client, 'pull_requests', t.pull_requests.columns);
    const insHist = await bulkInserter(client, 'pr_state_history', t.pr_state_history.columns);
    const insCheck = await bulkInserter(client, 'check_runs', t.check_runs.columns);
    counts.pull_requests = counts.pr_state_history = counts.check_runs = 0;
    for (const b of data.pullRequests(5000)) {
      await insPr(b.prs);
      await chunked(insHist, b.history);
      await chunked(insCheck, b.checks);
      counts.pull_requests += b.prs.length;
      counts.pr_state_history += b.history.length;
      counts.check_runs += b.checks.length;
    }
    timings.pull_requests = performance.now() - t0;

    t0 = performance.now();
    // VACUUM sets the visibility map (what autovacuum would have done by the time a table holds a
    // month of events), so index-only scans are possible; ANALYZE gives the planner statistics.
    await client.query('vacuum (analyze)');
    // Flush the load's dirty pages now, so the checkpointer is not writing them during the measurement.
    await client.query('checkpoint').catch(() => {});
    timings.analyze = performance.now() - t0;
  } finally {
    await client.end();
  }
  return { counts, timings };
}

/** EXPLAIN (ANALYZE, BUFFERS) of a compiled query, plus its time when run alone (ms). */
export async function explainPostgres(target, compiled) {
  const params = [...compiled.parameters];
  const r = await target.raw(`explain (analyze, buffers) ${compiled.sql}`, params);
  const plan = r.rows.map((x) => x['QUERY PLAN']).join('\n');
  const t0 = performance.now();
  const rows = await target.raw(compiled.sql, params);
  const ms = performance.now() - t0;
  return { plan, ms, rows: rows.rowCount };
}
