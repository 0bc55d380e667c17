// First mirror of a large repository: Switchyard's first sync (create nothing on a plain git
// target, clone from "GitHub" into its cache, push every branch and tag) next to what a person
// would do by hand on the same machine, `git clone --mirror` + `git push --mirror`, over the same
// git servers, runs interleaved. Target (issue 7): Switchyard ≤ 1.1 × the plain git time.
//
//   npm run build && node bench/mirror-first.mjs
//
// The repository (BENCH_MIRROR_COMMITS = 20,000 commits, about BENCH_MIRROR_MB = 200 MB of
// history: every commit rewrites one of 100 binary files with fresh random bytes, so nothing
// deltas or compresses away; 5 branches, 50 tags) is generated once with `git fast-import` and
// cached in $TMPDIR/switchyard-bench-bigrepo-<commits>-<mb>/ (about a minute the first time).
// BENCH_MIRROR_RUNS (3) runs of each; BENCH_MIRROR_LARGE=0 skips the whole benchmark.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_DIR } from './lib/config.mjs';
import { describeMachine, machineLine } from './lib/machine.mjs';
import { table, writeResult } from './lib/report.mjs';
import { api, deliver, git, initBare, startGitHubApi, startGitServer, startSwitchyard, until } from './mirror/world.mjs';

if (process.env.BENCH_MIRROR_LARGE === '0') {
  console.log('mirror-first: skipped (BENCH_MIRROR_LARGE=0)');
  process.exit(0);
}
const COMMITS = Number(process.env.BENCH_MIRROR_COMMITS ?? 20_000);
const MB = Number(process.env.BENCH_MIRROR_MB ?? 200);
const RUNS = Number(process.env.BENCH_MIRROR_RUNS ?? 3);
const CACHE = path.join(os.tmpdir(), `switchyard-bench-bigrepo-${COMMITS}-${MB}`);
const INSTALLATION = 78;

/** Generates the repository with git fast-import (once; cached). */
async function bigRepository() {
  const bare = path.join(CACHE, 'acme', 'big.git');
  if (fs.existsSync(path.join(CACHE, 'done'))) return bare;
  fs.rmSync(CACHE, { recursive: true, force: true });
  initBare(bare);
  const t0 = Date.now();
  console.log(`generating ${COMMITS.toLocaleString('en-US')} commits, ~${MB} MB (cached in ${CACHE})…`);
  const child = spawn('git', ['-C', bare, 'fast-import', '--quiet', '--depth=0'], { stdio: ['pipe', 'inherit', 'inherit'] });
  const write = (chunk) => (child.stdin.write(chunk) ? Promise.resolve() : new Promise((r) => child.stdin.once('drain', r)));
  const blobSize = Math.round((MB * 1024 * 1024) / COMMITS);
  const when = 1_700_000_000;
  const branches = ['main', 'release', 'develop', 'feature-a', 'feature-b'];
  let mark = 0;
  let last = null;
  for (let i = 0; i < COMMITS; i++) {
    const blob = ++mark;
    const data = randomBytes(blobSize);
    await write(`blob\nmark :${blob}\ndata ${data.length}\n`);
    await write(data);
    const commit = ++mark;
    const msg = `commit ${i}: rewrite data/${String(i % 100).padStart(3, '0')}.bin`;
    await write(`\ncommit refs/heads/main\nmark :${commit}\ncommitter Bench <bench@example.com> ${when + i * 60} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}\n${last ? `from :${last}\n` : ''}M 100644 :${blob} data/${String(i % 100).padStart(3, '0')}.bin\n\n`);
    last = commit;
    if (i % 400 === 399) await write(`tag v${(i + 1) / 400}\nfrom :${commit}\ntagger Bench <bench@example.com> ${when + i * 60} +0000\ndata 7\nrelease\n`);
    const b = Math.floor((i / COMMITS) * branches.length);
    if (i % Math.floor(COMMITS / branches.length) === Math.floor(COMMITS / branches.length) - 1 && branches[b] !== 'main') await write(`reset refs/heads/${branches[b]}\nfrom :${commit}\n\n`);
  }
  child.stdin.end();
  await new Promise((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import exited ${code}`)))));
  git(['-C', bare, 'repack', '-a', '-d', '-q']);
  fs.writeFileSync(path.join(CACHE, 'done'), new Date().toISOString());
  console.log(`generated in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return bare;
}

function du(dir) {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? du(p) : fs.statSync(p).size;
  }
  return total;
}

function run(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err = (err + d).slice(-2000)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

/** Flushes dirty pages (the previous run's writes) and pauses, so each run starts from the same state. */
async function settle() {
  await run('sync', []);
  await new Promise((r) => setTimeout(r, 500));
}

const basicHeader = (user, token) => `Authorization: Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;

const bare = await bigRepository();
const commits = Number(git(['-C', bare, 'rev-list', '--count', '--all']));
const sizeMb = du(bare) / 2 ** 20;
const refs = git(['-C', bare, 'for-each-ref', '--format=%(refname)']).split('\n').length;
const machine = describeMachine({ packages: ['execa'] });
console.log(`mirror-first: ${commits.toLocaleString('en-US')} commits, ${sizeMb.toFixed(0)} MB packed, ${refs} refs; ${RUNS} runs each\n${machineLine(machine)}`);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-first-'));
const sourceRoot = path.join(root, 'github');
fs.mkdirSync(path.join(sourceRoot, 'acme'), { recursive: true });
fs.symlinkSync(bare, path.join(sourceRoot, 'acme', 'big.git'));
const targetRoot = path.join(root, 'target');
const github = await startGitHubApi();
const source = await startGitServer(sourceRoot, (token, _r, write) => !write && (github.tokens.has(token) || token === 'plain-token'));
const target = await startGitServer(targetRoot, (token) => token === 'target-token');
const dataDir = path.join(root, 'switchyard');
fs.mkdirSync(dataDir);
const sy = await startSwitchyard({
  dataDir,
  logFile: path.join(root, 'switchyard.log'),
  env: { APP_ID: String(github.appId), PRIVATE_KEY: github.privateKey, GITHUB_URL: github.url, GITHUB_API_URL: github.url, GITHUB_GIT_URL: source.url, MIRROR_ALLOWED_ADDRESSES: '127.0.0.0/8' },
});
const results = { plain: [], plainClone: [], plainPush: [], switchyard: [], switchyardOwn: [], switchyardClone: [], switchyardPush: [] };
try {
  const status = await deliver(sy.url, 'installation_repositories', {
    action: 'added',
    installation: { id: INSTALLATION, node_id: 'I_78' },
    repository_selection: 'selected',
    repositories_added: [{ id: 5000, node_id: 'R_5000', name: 'big', full_name: 'acme/big', private: true }],
    repositories_removed: [],
    requester: null,
    sender: { login: 'acme', id: 900, type: 'Organization' },
  });
  if (status !== 202) throw new Error(`delivery answered ${status}`);
  await until('the repository to be known', async () => (await api(sy.url, '/api/repositories')).items.length > 0, 60_000);

  const plainRun = async (i) => {
    // Plain git, as a person would do it.
    const plainTarget = path.join(targetRoot, `plain-${i}`, 'big.git');
    initBare(plainTarget);
    const clone = path.join(root, `clone-${i}.git`);
    await settle();
    const t0 = performance.now();
    await run('git', ['-c', `http.extraHeader=${basicHeader('x-access-token', 'plain-token')}`, 'clone', '--quiet', '--mirror', `${source.url}/acme/big.git`, clone]);
    const cloned = performance.now();
    await run('git', ['-C', clone, '-c', `http.extraHeader=${basicHeader('git', 'target-token')}`, 'push', '--quiet', '--mirror', `${target.url}/plain-${i}/big.git`]);
    const plain = performance.now() - t0;
    results.plain.push(plain);
    results.plainClone.push(cloned - t0);
    results.plainPush.push(plain - (cloned - t0));
    fs.rmSync(clone, { recursive: true, force: true });
    fs.rmSync(path.dirname(plainTarget), { recursive: true, force: true });
    return plain;
  };
  const switchyardRun = async (i) => {
    // Switchyard: a new target each run (so its cache starts cold), a rule, wait for completed.
    const name = `run-${i}`;
    initBare(path.join(targetRoot, name, 'big.git'));
    await api(sy.url, '/api/mirror/targets', { name, kind: 'git', base_url: `${target.url}/${name}/{path}.git`, token: 'target-token' });
    await settle();
    const t0 = performance.now();
    await api(sy.url, `/api/mirror/targets/${name}/rules`, { kind: 'repositories', repositories: ['acme/big'] });
    const m = await until(
      'the first sync',
      async () => {
        const item = (await api(sy.url, `/api/mirror/repositories/acme/big?target=${name}`)).items[0];
        if (item?.sync_status === 'failed' || item?.sync_status === 'permanent_failure') throw new Error(`sync failed: ${item.error_message}`);
        return item?.sync_status === 'completed' ? item : null;
      },
      1_800_000,
      50,
    );
    const mine = performance.now() - t0;
    results.switchyard.push(mine);
    results.switchyardOwn.push(m.last_duration_ms);
    const steps = (await api(sy.url, `/api/mirror/repositories/acme/big/logs?target=${name}&limit=50`)).items;
    results.switchyardClone.push(steps.find((l) => l.event === 'clone_completed')?.duration_ms ?? null);
    results.switchyardPush.push(steps.find((l) => l.event === 'push_completed')?.duration_ms ?? null);
    const want = git(['-C', bare, 'for-each-ref', '--format=%(objectname) %(refname)']);
    const got = git(['-C', path.join(targetRoot, name, 'big.git'), 'for-each-ref', '--format=%(objectname) %(refname)']);
    if (want !== got) throw new Error('the target differs from the source');
    await api(sy.url, `/api/mirror/targets/${name}`, undefined, 'DELETE');
    fs.rmSync(path.join(targetRoot, name), { recursive: true, force: true });
    return mine;
  };
  for (let i = 0; i < RUNS; i++) {
    // Alternate who goes first, so neither always pays for the other's disk writes.
    const order = i % 2 === 0 ? [plainRun, switchyardRun] : [switchyardRun, plainRun];
    for (const f of order) await f(i);
    console.log(
      `  run ${i + 1}/${RUNS}: plain git ${(results.plain.at(-1) / 1000).toFixed(1)} s (clone ${(results.plainClone.at(-1) / 1000).toFixed(1)}, push ${(results.plainPush.at(-1) / 1000).toFixed(1)}), Switchyard ${(results.switchyard.at(-1) / 1000).toFixed(1)} s (its sync ${(results.switchyardOwn.at(-1) / 1000).toFixed(1)}: clone ${(results.switchyardClone.at(-1) / 1000).toFixed(1)}, push ${(results.switchyardPush.at(-1) / 1000).toFixed(1)})`,
    );
  }
} finally {
  await sy.stop();
  await source.close();
  await target.close();
  await github.close();
  fs.rmSync(root, { recursive: true, force: true });
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const ratio = median(results.switchyard) / median(results.plain);
const s = (v) => `${(v / 1000).toFixed(1)} s`;
const md = [
  `## Mirror: first mirror of a large repository (${new Date().toISOString()})`,
  '',
  machineLine(machine),
  '',
  `${commits.toLocaleString('en-US')} commits, ${sizeMb.toFixed(0)} MB packed, ${refs} refs (5 branches, ${refs - 5} tags); both over the same local git http-backend servers with token auth; ${RUNS} interleaved runs each, cold every time.`,
  '',
  table(
    ['', 'median', 'runs'],
    [
      ['plain `git clone --mirror` + `git push --mirror`', s(median(results.plain)), results.plain.map(s).join(', ')],
      ['Switchyard: rule added → mirror completed', s(median(results.switchyard)), results.switchyard.map(s).join(', ')],
      ['(Switchyard’s own sync duration)', s(median(results.switchyardOwn)), results.switchyardOwn.map(s).join(', ')],
      ['plain: clone / push', `${s(median(results.plainClone))} / ${s(median(results.plainPush))}`, ''],
      ['Switchyard: clone / push steps', `${s(median(results.switchyardClone))} / ${s(median(results.switchyardPush))}`, ''],
    ],
  ),
  '',
  `- ratio Switchyard / plain git: **${ratio.toFixed(2)}×** (target ≤ 1.1×: ${ratio <= 1.1 ? 'met' : 'MISSED'})`,
].join('\n');
console.log(`\n${md}`);
console.log(`\nwrote ${writeResult(path.join(BENCH_DIR, 'results'), 'mirror-first', { machine, commits, sizeMb, refs, runs: RUNS, results, ratio }, md)}`);
