#!/usr/bin/env node
// Repository pets: badge latency and freshness.
//
//   npx tsc -p tsconfig.build.json && node bench/pets-badge.mjs
//   BENCH_PETS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/pets-badge.mjs   # PostgreSQL too
//
// 1. Badge latency: 10,000 pets (BENCH_PETS_COUNT) of public repositories, written straight into
//    the database of a running `switchyard start` (SQLite) or `switchyard web` + `worker`
//    (PostgreSQL); then an open loop at 500 requests/s (BENCH_PETS_RATE) for BENCH_PETS_SECONDS (20)
//    against `/pets/<owner>/<name>/badge.svg` of random pets over 16 keep-alive connections:
//    once without `If-None-Match` (200s), once with the ETag each pet answered before (304s).
//    Latency is measured from the moment a request was due (not when it was sent), so a stalled
//    server cannot hide its queue (no coordinated omission). Targets (issue 14): p99 < 5 ms (200),
//    < 2 ms (304).
// 2. Push → updated badge: a real repository on a local git server, a pet with its history
//    analysed; each round sets health to 50, pushes a commit the analyser scores below zero
//    (a debug leftover and a TODO), sends the push webhook, and polls the badge (If-None-Match,
//    every 20 ms) until its ETag changes. Target: p50 < 5 s.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { BENCH_DIR, REPO_ROOT } from './lib/config.mjs';
import { describeMachine, machineLine } from './lib/machine.mjs';
import { ms, table, writeResult } from './lib/report.mjs';
import { summarizeSamples } from './lib/stats.mjs';
import { api, deliver, git, initBare, repoJson, startGitHubApi, startGitServer, startSwitchyard, until } from './mirror/world.mjs';

const COUNT = Number(process.env.BENCH_PETS_COUNT ?? 10_000);
const RATE = Number(process.env.BENCH_PETS_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_PETS_SECONDS ?? 20);
const ROUNDS = Number(process.env.BENCH_PETS_ROUNDS ?? 10);
const CONNECTIONS = 16;
const INSTALLATION = 88;
const LIVE_ID = 990_001;

const { openSqlite, openPostgres, newId } = await import(path.join(REPO_ROOT, 'dist/db/index.js'));

/** Writes COUNT public repositories with a pet each (random health), in batches. */
async function seed(db) {
  const now = new Date().toISOString();
  const names = [];
  for (let start = 0; start < COUNT; start += 500) {
    const repos = [];
    const pets = [];
    for (let i = start; i < Math.min(COUNT, start + 500); i++) {
      const id = newId();
      const owner = `org${i % 50}`;
      const name = `repo-${i}`;
      names.push(`${owner}/${name}`);
      repos.push({ id, github_id: 100_000 + i, owner, name, full_name: `${owner}/${name}`, installation_id: INSTALLATION, default_branch: 'main', is_private: false, is_archived: false, is_fork: false, is_deleted: false, event_count: 0, status: 'active', failure_count: 0, created_at: now, updated_at: now });
      const health = (i * 37) % 101;
      pets.push({ id: newId(), repository_id: id, github_repository_id: 100_000 + i, name: `Pet ${i}`, entity_type: ['robot', 'plant', 'pet', 'golem', 'blob'][i % 5], type_overridden: false, health, life_state: health < 20 ? 'dying' : 'alive', generation: 1, born_at: now, version: 1, requested_seq: 0, synced_seq: 0, sync_status: 'idle', sync_failures: 0, backfill_status: 'done', backfill_done: 0, created_at: now, updated_at: now });
    }
    await db.kysely.insertInto('repositories').values(repos).execute();
    await db.kysely.insertInto('entities').values(pets).execute();
  }
  return names;
}

/** An HTTP GET on a keep-alive agent; resolves with status, etag and when the body ended. */
function get(agent, url, headers) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, etag: res.headers.etag }));
    });
    req.on('error', reject);
  });
}

/** Open loop: a request due every 1000/RATE ms for SECONDS; latency from when it was due. */
async function paced(baseUrl, names, etags, fixedPath) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  // Warm the connections and the server (1 s worth, not measured).
  await Promise.all(Array.from({ length: RATE }, (_, i) => get(agent, `${baseUrl}/pets/${names[i % names.length]}/badge.svg`, {})));
  const total = RATE * SECONDS;
  const samples = new Float64Array(total);
  const statuses = new Map();
  const t0 = performance.now() + 20;
  let done = 0;
  await new Promise((resolve, reject) => {
    let i = 0;
    const tick = () => {
      const now = performance.now();
      while (i < total && t0 + (i * 1000) / RATE <= now) {
        const k = i++;
        const due = t0 + (k * 1000) / RATE;
        const name = names[Math.floor(Math.random() * names.length)];
        const headers = etags && !fixedPath ? { 'if-none-match': etags.get(name) } : {};
        get(agent, fixedPath ? `${baseUrl}${fixedPath}` : `${baseUrl}/pets/${name}/badge.svg`, headers).then((r) => {
          samples[k] = performance.now() - due;
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (++done === total) resolve();
        }, reject);
      }
      if (i < total) setImmediate(tick);
    };
    tick();
  });
  agent.destroy();
  return { summary: summarizeSamples(samples), statuses: Object.fromEntries(statuses) };
}

/** Closed loop, one connection: each request waits for the previous one (service time, no queueing). */
async function sequential(baseUrl, names, etags, n = 2000) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const name = names[Math.floor(Math.random() * names.length)];
    const t = performance.now();
    await get(agent, `${baseUrl}/pets/${name}/badge.svg`, etags ? { 'if-none-match': etags.get(name) } : {});
    samples[i] = performance.now() - t;
  }
  agent.destroy();
  return summarizeSamples(samples);
}

/** A commit on main in a bare repository whose only file is a JavaScript file with a debug leftover. */
function badCommit(bare, n) {
  const parent = git(['-C', bare, 'rev-parse', '--verify', '--quiet', 'refs/heads/main'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const body = `export function f${n}(x) {\n  console.log("debug", x);\n  // TODO: remove ${randomUUID()}\n  if (x > 1 && x < 9) return x;\n  return 0;\n}\n`;
  const blob = git(['-C', bare, 'hash-object', '-w', '--stdin'], { input: body });
  const tree = git(['-C', bare, 'mktree'], { input: `100644 blob ${blob}\tdebug-${n}.js\n` });
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.com' };
  const sha = git(['-C', bare, 'commit-tree', tree, '-p', parent, '-m', `debug ${n}`], { env });
  git(['-C', bare, 'update-ref', 'refs/heads/main', sha]);
  return sha;
}

async function pushToBadge(sy, bare) {
  const repo = repoJson(LIVE_ID, 'acme', 'live');
  repo.private = false;
  const installation = { id: INSTALLATION, node_id: 'I_88' };
  const status = await deliver(sy.url, 'installation_repositories', { action: 'added', installation, repository_selection: 'selected', repositories_added: [{ id: LIVE_ID, node_id: `R_${LIVE_ID}`, name: 'live', full_name: 'acme/live', private: false }], repositories_removed: [], requester: null, sender: { login: 'acme', id: 900, type: 'Organization' } });
  if (status !== 202) throw new Error(`installation_repositories answered ${status}`);
  // The repository's public flag and default branch come with a push or repository event; send one push first.
  const first = git(['-C', bare, 'rev-parse', 'refs/heads/main']);
  await deliver(sy.url, 'push', { ref: 'refs/heads/main', before: '0'.repeat(40), after: first, repository: repo, pusher: { name: 'acme', email: null }, sender: { login: 'acme', id: 900, type: 'Organization' }, installation, created: true, deleted: false, forced: false, base_ref: null, compare: '', commits: [], head_commit: null });
  await until('the live pet’s history', async () => (await api(sy.url, '/api/pets/acme/live').catch(() => null))?.backfill?.status === 'done', 120_000);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const samples = [];
  for (let round = 0; round < ROUNDS; round++) {
    await api(sy.url, '/api/pets/acme/live', { health: 50 }, 'PATCH');
    const before = await get(agent, `${sy.url}/pets/acme/live/badge.svg`, {});
    const parent = git(['-C', bare, 'rev-parse', 'refs/heads/main']);
    const sha = badCommit(bare, round);
    const sent = performance.now();
    const s = await deliver(sy.url, 'push', { ref: 'refs/heads/main', before: parent, after: sha, repository: repo, pusher: { name: 'acme', email: null }, sender: { login: 'acme', id: 900, type: 'Organization' }, installation, created: false, deleted: false, forced: false, base_ref: null, compare: '', commits: [], head_commit: null });
    if (s !== 202) throw new Error(`push answered ${s}`);
    await until(`round ${round}: the badge to change`, async () => (await get(agent, `${sy.url}/pets/acme/live/badge.svg`, { 'if-none-match': before.etag })).status === 200, 60_000, 20);
    samples.push(performance.now() - sent);
    process.stdout.write(`  push → badge round ${round + 1}/${ROUNDS}: ${ms(samples.at(-1))} ms\n`);
  }
  agent.destroy();
  return summarizeSamples(samples);
}

async function scenario(label, { databaseUrl } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-pets-'));
  const sourceRoot = path.join(root, 'github');
  const github = await startGitHubApi();
  const source = await startGitServer(sourceRoot, (token, _repo, write) => !write && github.tokens.has(token));
  const bare = path.join(sourceRoot, 'acme', 'live.git');
  initBare(bare);
  // A short history to backfill.
  for (let i = 0; i < 5; i++) {
    const blob = git(['-C', bare, 'hash-object', '-w', '--stdin'], { input: `export const v${i} = ${i};\n` });
    const tree = git(['-C', bare, 'mktree'], { input: `100644 blob ${blob}\tv.js\n` });
    let parent = '';
    try {
      parent = git(['-C', bare, 'rev-parse', '--verify', '--quiet', 'refs/heads/main'], { stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      // first commit
    }
    const sha = git(['-C', bare, 'commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', `v${i}`], { env: { ...process.env, GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.com' } });
    git(['-C', bare, 'update-ref', 'refs/heads/main', sha]);
  }
  const dataDir = path.join(root, 'switchyard');
  fs.mkdirSync(dataDir);
  let dbName = null;
  if (databaseUrl) {
    dbName = `switchyard_bench_pets_${process.pid}`;
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    await c.query(`drop database if exists ${dbName} with (force)`);
    await c.query(`create database ${dbName}`);
    await c.end();
  }
  const dbUrl = dbName ? Object.assign(new URL(databaseUrl), { pathname: `/${dbName}` }).toString() : undefined;
  const sy = await startSwitchyard({
    dataDir,
    databaseUrl: dbUrl,
    logFile: path.join(root, 'switchyard.log'),
    env: { APP_ID: String(github.appId), PRIVATE_KEY: github.privateKey, GITHUB_URL: github.url, GITHUB_API_URL: github.url, GITHUB_GIT_URL: source.url },
  });
  const db = dbUrl ? openPostgres(dbUrl, 2) : openSqlite(path.join(dataDir, 'switchyard.db'));
  try {
    const seedStart = Date.now();
    const names = await seed(db);
    console.log(`  ${label}: ${COUNT} pets written in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);
    // The floor: the HTTP stack's own health check at the same rate, on the same machine, now.
    const floor = await paced(sy.url, names, null, '/healthz');
    console.log(`  ${label} /healthz (floor): p50 ${ms(floor.summary.p50)} ms, p99 ${ms(floor.summary.p99)} ms`);
    const fresh = await paced(sy.url, names);
    console.log(`  ${label} 200s: p50 ${ms(fresh.summary.p50)} ms, p99 ${ms(fresh.summary.p99)} ms ${JSON.stringify(fresh.statuses)}`);
    const etags = new Map();
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    for (let i = 0; i < names.length; i += 200) {
      await Promise.all(names.slice(i, i + 200).map(async (n) => etags.set(n, (await get(agent, `${sy.url}/pets/${n}/badge.svg`, {})).etag)));
    }
    agent.destroy();
    const cached = await paced(sy.url, names, etags);
    console.log(`  ${label} 304s: p50 ${ms(cached.summary.p50)} ms, p99 ${ms(cached.summary.p99)} ms ${JSON.stringify(cached.statuses)}`);
    const serviceFresh = await sequential(sy.url, names, null);
    const serviceCached = await sequential(sy.url, names, etags);
    console.log(`  ${label} one at a time: 200 p50 ${ms(serviceFresh.p50)} / p99 ${ms(serviceFresh.p99)} ms, 304 p50 ${ms(serviceCached.p50)} / p99 ${ms(serviceCached.p99)} ms`);
    const push = await pushToBadge(sy, bare);
    return { label, database: databaseUrl ? 'postgres' : 'sqlite', pets: COUNT, rate: RATE, seconds: SECONDS, floor, fresh, cached, serviceFresh, serviceCached, push, loadavg: os.loadavg() };
  } finally {
    await db.close();
    await sy.stop();
    await source.close();
    await github.close();
    if (dbName) {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      await c.query(`drop database if exists ${dbName} with (force)`);
      await c.end();
    }
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const machine = describeMachine({ packages: ['fastify', 'better-sqlite3', 'pg'] });
console.log(`pets badge: ${COUNT} pets, ${RATE} requests/s for ${SECONDS} s; push → badge ${ROUNDS} rounds\n${machineLine(machine)}`);
const results = [await scenario('sqlite (switchyard start)')];
if (process.env.BENCH_PETS_DATABASE_URL) results.push(await scenario('postgres (web + worker)', { databaseUrl: process.env.BENCH_PETS_DATABASE_URL }));

const rows = results.flatMap((r) => [
  [r.label, '/healthz (floor: the HTTP stack alone)', r.floor.summary.count, ms(r.floor.summary.p50), ms(r.floor.summary.p90), ms(r.floor.summary.p99), ms(r.floor.summary.max), ''],
  [r.label, '200 (no If-None-Match)', r.fresh.summary.count, ms(r.fresh.summary.p50), ms(r.fresh.summary.p90), ms(r.fresh.summary.p99), ms(r.fresh.summary.max), r.fresh.summary.p99 < 5 ? 'met (< 5 ms)' : 'MISSED (< 5 ms)'],
  [r.label, '304 (If-None-Match)', r.cached.summary.count, ms(r.cached.summary.p50), ms(r.cached.summary.p90), ms(r.cached.summary.p99), ms(r.cached.summary.max), r.cached.summary.p99 < 2 ? 'met (< 2 ms)' : 'MISSED (< 2 ms)'],
]);
const serviceRows = results.flatMap((r) => [
  [r.label, '200', r.serviceFresh.count, ms(r.serviceFresh.p50), ms(r.serviceFresh.p90), ms(r.serviceFresh.p99), ms(r.serviceFresh.max)],
  [r.label, '304', r.serviceCached.count, ms(r.serviceCached.p50), ms(r.serviceCached.p90), ms(r.serviceCached.p99), ms(r.serviceCached.max)],
]);
const pushRows = results.map((r) => [r.label, r.push.count, ms(r.push.p50), ms(r.push.p90), ms(r.push.max), r.push.p50 < 5000 ? 'met (< 5,000 ms)' : 'MISSED (< 5,000 ms)']);
const md = [
  `### Badge latency and freshness (${new Date().toISOString()})`,
  '',
  machineLine(machine),
  '',
  `${COUNT} pets, open loop at ${RATE} requests/s for ${SECONDS} s over ${CONNECTIONS} keep-alive connections, random pets; latency from when each request was due to the end of its answer.`,
  '',
  table(['Switchyard', 'answer', 'requests', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'target'], rows),
  '',
  `Load average after each run: ${results.map((r) => `${r.label} ${r.loadavg.map((x) => x.toFixed(1)).join(' / ')}`).join('; ')} (2 cores shared with other work: compare with the /healthz floor).`,
  '',
  'One request at a time over one connection (service time without queueing, same pets):',
  '',
  table(['Switchyard', 'answer', 'requests', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'], serviceRows),
  '',
  `Push → updated badge (webhook sent → the badge's ETag changes; health set to 50 before each round), ${ROUNDS} rounds:`,
  '',
  table(['Switchyard', 'pushes', 'p50 ms', 'p90 ms', 'max ms', 'target'], pushRows),
].join('\n');
console.log(`\n${md}`);
const file = writeResult(path.join(BENCH_DIR, 'results'), 'pets-badge', { machine, results }, md);
console.log(`\nwrote ${file}`);
