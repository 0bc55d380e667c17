#!/usr/bin/env node
// "Due for polling" at 10,000 repositories: the CI-triage poller's query (dueRepositories, from
// dist/) answers in p99 < 100 ms on both databases. Repositories get a realistic spread: most
// active and polled within the last five minutes, some due now, some in error with backoff,
// some suspended or deleted.
//
//   node bench/polling.mjs [sqlite|postgres|both]   (run `npm run build` first)
//
// Settings: BENCH_POLL_REPOS (10000), BENCH_POLL_ITERATIONS (500).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { describeMachine, machineLine } from './lib/machine.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPOS = Number(process.env.BENCH_POLL_REPOS ?? 10_000);
const ITERATIONS = Number(process.env.BENCH_POLL_ITERATIONS ?? 500);
const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const TARGET_MS = 100;
const which = (process.argv[2] ?? 'both') === 'both' ? ['sqlite', 'postgres'] : [process.argv[2]];

const dist = (p) => import(pathToFileURL(path.join(ROOT, 'dist', p)).href);
const db = await dist('db/index.js');
const triage = await dist('automations/ci-triage/index.js');

function rows(now) {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const out = [];
  for (let i = 0; i < REPOS; i++) {
    const r = rnd();
    const status = r < 0.9 ? 'active' : r < 0.95 ? 'error' : 'suspended';
    // Active: next poll spread over the next 5 minutes, 3% overdue; error: backoff up to an hour.
    const next = status === 'active' ? now + (rnd() < 0.03 ? -rnd() * 60_000 : rnd() * 300_000) : now + (rnd() - 0.2) * 3_600_000;
    const iso = new Date(now - 86_400_000).toISOString();
    out.push({
      id: db.newId(),
      github_id: 1_000_000 + i,
      owner: `org${i % 97}`,
      name: `repo${i}`,
      full_name: `org${i % 97}/repo${i}`,
      installation_id: 5000 + (i % 50),
      is_private: false,
      is_archived: false,
      is_fork: false,
      is_deleted: rnd() < 0.01,
      event_count: 0,
      status,
      failure_count: status === 'error' ? 5 : 0,
      next_poll_at: new Date(next).toISOString(),
      created_at: iso,
      updated_at: iso,
    });
  }
  return out;
}

async function measure(database) {
  const now = Date.now();
  const data = rows(now);
  for (let i = 0; i < data.length; i += 500) await database.kysely.insertInto('repositories').values(data.slice(i, i + 500)).execute();
  const at = new Date(now);
  const due = await triage.dueRepositories(database, at, 200);
  for (let i = 0; i < 50; i++) await triage.dueRepositories(database, at, 200);
  const samples = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = performance.now();
    await triage.dueRepositories(database, at, 200);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  return { repositories: REPOS, due: due.length, p50: q(0.5), p99: q(0.99), max: samples.at(-1) };
}

const results = [];
for (const kind of which) {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-poll-'));
    const d = db.openSqlite(path.join(dir, 'switchyard.db'));
    try {
      await db.migrateToLatest(d);
      results.push({ database: 'sqlite', ...(await measure(d)) });
    } finally {
      await d.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } else {
    const name = `switchyard_bench_${crypto.randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const u = new URL(ADMIN_URL);
    u.pathname = `/${name}`;
    const d = db.openPostgres(u.toString());
    try {
      await db.migrateToLatest(d);
      results.push({ database: 'postgres', ...(await measure(d)) });
    } finally {
      await d.close();
      await admin.query(`drop database ${name}`);
      await admin.end();
    }
  }
}

console.log(`\n## Due for polling (${REPOS.toLocaleString('en-US')} repositories, ${ITERATIONS} calls)\n`);
console.log(machineLine(describeMachine()));
console.log('\n| database | due now (limit 200) | p50 ms | p99 ms | max ms | target p99 < 100 ms |');
console.log('|---|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.database} | ${r.due} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(2)} | ${r.p99 < TARGET_MS ? 'met' : 'MISSED'} |`);
