// Push → mirrored latency: from the moment a push webhook is sent to Switchyard to the moment the
// target has the new commit, with BENCH_MIRROR_REPOS repositories (20) receiving a push at the
// same moment, BENCH_MIRROR_ROUNDS times (10). Targets (issue 7): p50 < 2 s, p99 < 10 s.
// Pull-mirror anchors (Gitea/GitLab pull mirrors, OneDev's) sync every 1–8 hours.
//
//   npm run build && node bench/mirror-latency.mjs
//   BENCH_MIRROR_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/mirror-latency.mjs   # web + worker on PostgreSQL too
//
// Everything runs on this machine: "GitHub" is a git http-backend server with a minimal App API
// (installation tokens), the target is another git http-backend server (a `git` target), and
// Switchyard is the built `switchyard start` (SQLite) with its default mirror settings unless
// BENCH_MIRROR_ENV adds some (e.g. BENCH_MIRROR_ENV=MIRROR_TARGET_CONCURRENCY=4).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { BENCH_DIR } from './lib/config.mjs';
import { describeMachine, machineLine } from './lib/machine.mjs';
import { ms, table, writeResult } from './lib/report.mjs';
import { summarizeSamples } from './lib/stats.mjs';
import { api, commitInBare, deliver, git, initBare, repoJson, startGitHubApi, startGitServer, startSwitchyard, until } from './mirror/world.mjs';

const REPOS = Number(process.env.BENCH_MIRROR_REPOS ?? 20);
const ROUNDS = Number(process.env.BENCH_MIRROR_ROUNDS ?? 10);
const EXTRA_ENV = Object.fromEntries((process.env.BENCH_MIRROR_ENV ?? '').split(',').filter(Boolean).map((kv) => kv.split('=')));
const INSTALLATION = 77;

function readRef(bare, ref = 'refs/heads/main') {
  try {
    return fs.readFileSync(path.join(bare, ref), 'utf8').trim();
  } catch {
    try {
      const packed = fs.readFileSync(path.join(bare, 'packed-refs'), 'utf8');
      return packed.split('\n').find((l) => l.endsWith(` ${ref}`))?.split(' ')[0] ?? null;
    } catch {
      return null;
    }
  }
}

async function scenario(label, { databaseUrl } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-mirror-'));
  const sourceRoot = path.join(root, 'github');
  const targetRoot = path.join(root, 'target');
  const github = await startGitHubApi();
  const source = await startGitServer(sourceRoot, (token, _repo, write) => !write && github.tokens.has(token));
  const target = await startGitServer(targetRoot, (token) => token === 'target-token');
  const repos = [];
  for (let i = 0; i < REPOS; i++) {
    const name = `repo-${String(i).padStart(2, '0')}`;
    const bare = path.join(sourceRoot, 'acme', `${name}.git`);
    initBare(bare);
    commitInBare(bare, 'refs/heads/main', 'first');
    commitInBare(bare, 'refs/heads/main', 'second');
    commitInBare(bare, 'refs/heads/dev', 'dev');
    initBare(path.join(targetRoot, 'acme', `${name}.git`));
    repos.push({ id: 1000 + i, name, bare, copy: path.join(targetRoot, 'acme', `${name}.git`) });
  }
  const dataDir = path.join(root, 'switchyard');
  fs.mkdirSync(dataDir);
  let db = null;
  if (databaseUrl) {
    db = `switchyard_bench_mirror_${process.pid}`;
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    await c.query(`drop database if exists ${db} with (force)`);
    await c.query(`create database ${db}`);
    await c.end();
  }
  const dbUrl = db ? Object.assign(new URL(databaseUrl), { pathname: `/${db}` }).toString() : undefined;
  const sy = await startSwitchyard({
    dataDir,
    databaseUrl: dbUrl,
    logFile: path.join(root, 'switchyard.log'),
    env: { APP_ID: String(github.appId), PRIVATE_KEY: github.privateKey, GITHUB_URL: github.url, GITHUB_API_URL: github.url, GITHUB_GIT_URL: source.url, MIRROR_ALLOWED_ADDRESSES: '127.0.0.0/8', ...EXTRA_ENV },
  });
  try {
    // Switchyard learns the repositories, then a rule mirrors the whole installation.
    const installation = { id: INSTALLATION, node_id: 'I_77' };
    const status = await deliver(sy.url, 'installation_repositories', {
      action: 'added',
      installation,
      repository_selection: 'selected',
      repositories_added: repos.map((r) => ({ id: r.id, node_id: `R_${r.id}`, name: r.name, full_name: `acme/${r.name}`, private: true })),
      repositories_removed: [],
      requester: null,
      sender: { login: 'acme', id: 900, type: 'Organization' },
    });
    if (status !== 202) throw new Error(`installation_repositories delivery answered ${status}`);
    await until('the repositories to be known', async () => (await api(sy.url, '/api/repositories?limit=200').catch(() => ({ items: [] }))).items.length >= REPOS, 60_000);
    await api(sy.url, '/api/mirror/targets', { name: 'target', kind: 'git', base_url: `${target.url}/{path}.git`, token: 'target-token', name_template: '{owner}/{name}' });
    await api(sy.url, '/api/mirror/targets/target/rules', { kind: 'installation', installation_id: INSTALLATION });
    const firstStart = Date.now();
    await until('the first syncs', async () => (await api(sy.url, '/api/mirror/status')).totals.completed === REPOS, 180_000);
    const firstSyncs = Date.now() - firstStart;

    const samples = [];
    const perRound = [];
    for (let round = 0; round < ROUNDS; round++) {
      const shas = repos.map((r) => commitInBare(r.bare, 'refs/heads/main', `round ${round}`));
      const sent = new Array(REPOS);
      const landed = new Array(REPOS).fill(null);
      await Promise.all(
        repos.map(async (r, i) => {
          const payload = {
            ref: 'refs/heads/main',
            before: '0'.repeat(40),
            after: shas[i],
            repository: repoJson(r.id, 'acme', r.name),
            pusher: { name: 'acme', email: null },
            sender: { login: 'acme', id: 900, type: 'Organization' },
            installation,
            created: false,
            deleted: false,
            forced: false,
            base_ref: null,
            compare: '',
            commits: [],
            head_commit: null,
          };
          sent[i] = performance.now();
          const s = await deliver(sy.url, 'push', payload);
          if (s !== 202) throw new Error(`push delivery answered ${s}`);
        }),
      );
      await until(
        `round ${round} to reach the target`,
        async () => {
          const now = performance.now();
          for (let i = 0; i < REPOS; i++) if (landed[i] === null && readRef(repos[i].copy) === shas[i]) landed[i] = now;
          return landed.every((l) => l !== null);
        },
        120_000,
        10,
      );
      const lat = landed.map((l, i) => l - sent[i]);
      samples.push(...lat);
      perRound.push(summarizeSamples(lat));
      process.stdout.write(`  ${label} round ${round + 1}/${ROUNDS}: p50 ${ms(perRound.at(-1).p50)} ms, max ${ms(perRound.at(-1).max)} ms\n`);
      await new Promise((r) => setTimeout(r, 300));
    }
    // Sanity: every branch of every repository is on the target.
    for (const r of repos) {
      const want = git(['-C', r.bare, 'for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads', 'refs/tags']);
      const got = git(['-C', r.copy, 'for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads', 'refs/tags']);
      if (want !== got) throw new Error(`${r.name}: the target differs from the source`);
    }
    return { label, database: databaseUrl ? 'postgres' : 'sqlite', repos: REPOS, rounds: ROUNDS, env: EXTRA_ENV, firstSyncsMs: firstSyncs, summary: summarizeSamples(samples), perRound };
  } finally {
    await sy.stop();
    await source.close();
    await target.close();
    await github.close();
    if (db) {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      await c.query(`drop database if exists ${db} with (force)`);
      await c.end();
    }
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const machine = describeMachine({ packages: ['execa', 'better-sqlite3', 'pg-boss'] });
console.log(`mirror latency: ${REPOS} repositories pushed at once, ${ROUNDS} rounds\n${machineLine(machine)}`);
const results = [await scenario('sqlite (switchyard start)')];
if (process.env.BENCH_MIRROR_DATABASE_URL) results.push(await scenario('postgres (web + worker)', { databaseUrl: process.env.BENCH_MIRROR_DATABASE_URL }));

const rows = results.map((r) => [r.label, r.summary.count, ms(r.summary.p50), ms(r.summary.p90), ms(r.summary.p99), ms(r.summary.max), ms(r.summary.mean), `${(r.firstSyncsMs / 1000).toFixed(1)} s`]);
const verdict = results.map((r) => `${r.label}: p50 ${ms(r.summary.p50)} ms (target < 2,000: ${r.summary.p50 < 2000 ? 'met' : 'MISSED'}), p99 ${ms(r.summary.p99)} ms (target < 10,000: ${r.summary.p99 < 10000 ? 'met' : 'MISSED'})`);
const md = [
  `## Mirror: push → mirrored latency (${new Date().toISOString()})`,
  '',
  machineLine(machine),
  '',
  `${REPOS} repositories, each pushed to at the same moment, ${ROUNDS} rounds; latency = push webhook sent → the target's ref equals the new commit (read from the target's disk every 10 ms). Settings: defaults${Object.keys(EXTRA_ENV).length ? ` + ${JSON.stringify(EXTRA_ENV)}` : ''}.`,
  '',
  table(['Switchyard', 'samples', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'mean ms', `first sync of all ${REPOS}`], rows),
  '',
  ...verdict.map((v) => `- ${v}`),
].join('\n');
console.log(`\n${md}`);
const file = writeResult(path.join(BENCH_DIR, 'results'), 'mirror-latency', { machine, results }, md);
console.log(`\nwrote ${file}`);
