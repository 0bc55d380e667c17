#!/usr/bin/env node
// Repository pets: backfill throughput of the commit analyser over a whole repository, against
// `git log --numstat` over the same commits on the same machine (the floor).
//
//   npx tsc -p tsconfig.build.json && node bench/pets-backfill.mjs GIT_DIR [--rounds 1]
//   PETS_ANALYZER=path/to/analyzer/index.js node bench/pets-backfill.mjs GIT_DIR
//
// GIT_DIR: a local clone (bare or .git), e.g. a bare clone of rust-lang/cargo (~20,000 commits); none
// is fetched by this script. Each round runs the floor, then the analyser (whole history of HEAD,
// oldest first, every analysis consumed). Peak RSS is sampled every 100 ms from /proc: this process
// plus its git children (Linux only; elsewhere only this process's maxRSS). Targets (issue 14): the
// analyser within 5× the floor, RSS < 512 MB.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
let rounds = 1;
const dirs = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--rounds') rounds = Number(argv[++i]);
  else dirs.push(argv[i]);
}
if (dirs.length !== 1) {
  console.error('usage: node bench/pets-backfill.mjs GIT_DIR [--rounds N]');
  process.exit(2);
}
const gitDir = path.resolve(dirs[0]);
const ANALYZER_PATH = path.resolve(process.env.PETS_ANALYZER ?? path.join(REPO_ROOT, 'dist/automations/pets/analyzer/index.js'));
if (!fs.existsSync(ANALYZER_PATH)) {
  console.error(`no analyser build at ${ANALYZER_PATH}: run npx tsc -p tsconfig.build.json first`);
  process.exit(2);
}
const { analyzeCommits, ANALYZER_VERSION } = await import(pathToFileURL(ANALYZER_PATH).href);

/** Resident set of a pid in bytes (0 when gone). */
function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function childPids(pid) {
  const out = [];
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const c = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (c) out.push(...c.split(/\s+/).map(Number));
    }
  } catch {
    // not Linux, or gone
  }
  return out;
}

/** Samples peak RSS of this process and of its children (separately) until stopped. */
function sampleRss() {
  const peak = { self: 0, children: 0 };
  const t = setInterval(() => {
    peak.self = Math.max(peak.self, process.memoryUsage().rss);
    let c = 0;
    for (const pid of childPids(process.pid)) c += rssOf(pid);
    peak.children = Math.max(peak.children, c);
  }, 100);
  return () => {
    clearInterval(t);
    peak.self = Math.max(peak.self, process.memoryUsage().rss);
    return peak;
  };
}

function floor() {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const stop = sampleRss();
    const child = spawn('git', ['--git-dir', gitDir, 'log', '--numstat', '--format=%H', 'HEAD'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let bytes = 0;
    child.stdout.on('data', (d) => {
      bytes += d.length;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const peak = stop();
      if (code !== 0) reject(new Error(`git log exited ${code}`));
      else resolve({ seconds: (performance.now() - t0) / 1000, bytes, gitRss: peak.children });
    });
  });
}

async function analyse() {
  const t0 = performance.now();
  const stop = sampleRss();
  let commits = 0;
  let merges = 0;
  for await (const a of analyzeCommits({ gitDir })) {
    commits++;
    if (a.isMerge) merges++;
  }
  const peak = stop();
  return { seconds: (performance.now() - t0) / 1000, commits, merges, nodeRss: peak.self, gitRss: peak.children };
}

const results = [];
for (let r = 0; r < rounds; r++) {
  const f = await floor();
  const a = await analyse();
  results.push({ floor: f, analyser: a, ratio: a.seconds / f.seconds, commitsPerSecond: a.commits / a.seconds });
  console.error(`round ${r + 1}: floor ${f.seconds.toFixed(1)} s, analyser ${a.seconds.toFixed(1)} s (${a.commits} commits, ${a.merges} merges), ratio ${(a.seconds / f.seconds).toFixed(2)}×`);
}
const mb = (b) => `${(b / 1024 / 1024).toFixed(0)} MB`;
const name = gitDir.replace(/\/(repo|\.git)\/?$/, '').split('/').pop();
console.log(`| repository | round | commits | floor: git log --numstat | analyser | ratio | commits/s | RSS node | RSS git child |`);
console.log(`|---|---:|---:|---:|---:|---:|---:|---:|---:|`);
results.forEach((x, i) => {
  console.log(
    `| ${name} | ${i + 1} | ${x.analyser.commits} | ${x.floor.seconds.toFixed(1)} s | ${x.analyser.seconds.toFixed(1)} s | ${x.ratio.toFixed(2)}× | ${x.commitsPerSecond.toFixed(0)} | ${mb(x.analyser.nodeRss)} | ${mb(x.analyser.gitRss)} |`,
  );
});
// Load on a shared machine moves single rounds both ways: the summary is the ratio of the sums.
const floorSum = results.reduce((s, x) => s + x.floor.seconds, 0);
const analyserSum = results.reduce((s, x) => s + x.analyser.seconds, 0);
const commits = results.reduce((s, x) => s + x.analyser.commits, 0);
console.log(`| ${name} | all | | ${floorSum.toFixed(1)} s | ${analyserSum.toFixed(1)} s | **${(analyserSum / floorSum).toFixed(2)}×** | ${(commits / analyserSum).toFixed(0)} | ${mb(Math.max(...results.map((x) => x.analyser.nodeRss)))} | ${mb(Math.max(...results.map((x) => x.analyser.gitRss)))} |`);
const out = path.join(REPO_ROOT, 'bench', 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}-pets-backfill.json`);
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify({ gitDir, analyzerVersion: ANALYZER_VERSION, machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version }, rounds: results }, null, 2));
console.error(`wrote ${path.relative(REPO_ROOT, out)}`);
