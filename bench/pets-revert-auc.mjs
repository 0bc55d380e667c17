#!/usr/bin/env node
// Repository pets: does overall_quality_score rank commits that were later reverted below commits
// that were kept? ROC AUC per repository and overall, next to the size-only and tests-touched-only
// baselines, on size-matched samples (as the issue's judge does).
//
//   npx tsc -p tsconfig.build.json && node bench/pets-revert-auc.mjs GIT_DIR...
//   PETS_ANALYZER=path/to/analyzer/index.js node bench/pets-revert-auc.mjs GIT_DIR...
//   node bench/pets-revert-auc.mjs --k 3 --json out.json --dump sample.jsonl GIT_DIR...   (--dump: the matched commits, for tuning)
//
// GIT_DIRs are local clones (bare or .git) of real repositories; none is fetched by this script.
// For each: every commit of HEAD is analysed once, oldest first (`analyzeCommits`, whole history, so a
// score only ever sees the commit and what came before it: never the revert). Reverted commits are
// the non-merge commits named by a later "This reverts commit <sha>" message. Each is matched to the
// K kept commits (not reverted, not reverts, not merges) closest in changed lines (log scale), then
// files changed; each kept commit is used once. AUC = P(score(kept) > score(reverted)), ties ½.
// Baselines on the same pairs: size only (fewer changed lines ranks higher), tests touched only.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
let K = 3;
let jsonOut = null;
let dumpOut = null;
const dirs = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--k') K = Number(argv[++i]);
  else if (argv[i] === '--json') jsonOut = argv[++i];
  else if (argv[i] === '--dump') dumpOut = argv[++i];
  else dirs.push(argv[i]);
}
if (dirs.length === 0) {
  console.error('usage: node bench/pets-revert-auc.mjs [--k 3] [--json out.json] GIT_DIR...');
  process.exit(2);
}

const ANALYZER_PATH = path.resolve(process.env.PETS_ANALYZER ?? path.join(REPO_ROOT, 'dist/automations/pets/analyzer/index.js'));

async function loadAnalyzer() {
  if (!fs.existsSync(ANALYZER_PATH)) {
    console.error(`no analyser build at ${ANALYZER_PATH}: run npx tsc -p tsconfig.build.json first`);
    process.exit(2);
  }
  const analyzer = await import(pathToFileURL(ANALYZER_PATH).href);
  const { classifyPath } = await import(pathToFileURL(path.join(path.dirname(ANALYZER_PATH), 'classify-path.js')).href);
  return { analyzer, classifyPath };
}

function git(gitDir, args) {
  const r = spawnSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`git ${args[0]} failed in ${gitDir}: ${r.stderr}`);
  return r.stdout;
}

/** sha → the set of commits it names as reverted (full shas, resolved). */
function revertedShas(gitDir) {
  const out = git(gitDir, ['log', '--no-merges', '--format=%x1e%H%x00%B', '--grep=This reverts commit', 'HEAD']);
  const named = new Set();
  for (const rec of out.split('\x1e')) {
    if (!rec) continue;
    const body = rec.slice(rec.indexOf('\0') + 1);
    for (const m of body.matchAll(/This reverts commit ([0-9a-f]{7,40})/g)) named.add(m[1]);
  }
  const full = new Set();
  for (const s of named) {
    const r = spawnSync('git', ['--git-dir', gitDir, 'rev-parse', '--verify', '--quiet', `${s}^{commit}`], { encoding: 'utf8' });
    if (r.status === 0) full.add(r.stdout.trim());
  }
  return full;
}

/** sha → touched a test file (by the analyser's own path rules). */
function testsTouched(gitDir, classifyPath) {
  const out = git(gitDir, ['-c', 'core.quotePath=false', 'log', '--no-merges', '--no-renames', '--format=%x1e%H', '--name-only', 'HEAD']);
  const map = new Map();
  for (const rec of out.split('\x1e')) {
    if (!rec) continue;
    const lines = rec.split('\n').filter(Boolean);
    map.set(lines[0], lines.slice(1).some((p) => classifyPath(p).kind === 'test'));
  }
  return map;
}

/** AUC of `score` for kept (positive) over reverted (negative): P(kept > reverted), ties ½. */
function auc(pos, neg) {
  if (pos.length === 0 || neg.length === 0) return NaN;
  const all = [...pos.map((s) => [s, 1]), ...neg.map((s) => [s, 0])].sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j][0] === all[i][0]) j++;
    const avg = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (all[k][1] === 1) rankSum += avg;
    i = j;
  }
  return (rankSum - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

const size = (c) => c.additions + c.deletions;

function matchSample(commits, reverted) {
  const bad = commits.filter((c) => reverted.has(c.sha) && !c.isMerge && size(c) > 0);
  const pool = commits.filter((c) => !reverted.has(c.sha) && !c.isMerge && size(c) > 0 && !/^Revert\b/.test(c.subject));
  const used = new Set();
  const kept = [];
  const groups = [];
  for (const b of bad) {
    const ls = Math.log2(1 + size(b));
    const lf = Math.log2(1 + b.filesChanged);
    const ranked = pool
      .filter((c) => !used.has(c.sha))
      .map((c) => [Math.abs(Math.log2(1 + size(c)) - ls) + 0.25 * Math.abs(Math.log2(1 + c.filesChanged) - lf), c])
      .sort((x, y) => x[0] - y[0] || (x[1].sha < y[1].sha ? -1 : 1))
      .slice(0, K);
    for (const [, c] of ranked) {
      used.add(c.sha);
      kept.push(c);
    }
    groups.push({ bad: b, kept: ranked.map(([, c]) => c) });
  }
  return { bad, kept, groups };
}

const { analyzer, classifyPath } = await loadAnalyzer();

const rows = [];
const pooled = { score: [[], []], size: [[], []], tests: [[], []], comp: {}, groups: [] };

/** 95 % interval of the pooled AUC: 1,000 bootstrap resamples of the matched groups (a reverted commit and its kept ones). */
function bootstrapInterval(groups) {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const values = [];
  for (let r = 0; r < 1000; r++) {
    const pos = [];
    const neg = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[Math.floor(rand() * groups.length)];
      neg.push(g.bad.score);
      for (const k of g.kept) pos.push(k.score);
    }
    values.push(auc(pos, neg));
  }
  values.sort((a, b) => a - b);
  return [values[25], values[974]];
}
for (const dir of dirs) {
  const name = dir.replace(/\/(repo|\.git)\/?$/, '').split('/').pop();
  const t0 = Date.now();
  let reverted, tests;
  const commits = [];
  try {
    reverted = revertedShas(dir);
    tests = testsTouched(dir, classifyPath);
    for await (const a of analyzer.analyzeCommits({ gitDir: dir })) {
      commits.push({ reasons: dumpOut ? Object.fromEntries(Object.entries(a.breakdown).map(([k, v]) => [k, v.reason])) : undefined, metrics: dumpOut ? a.metrics : undefined, sha: a.sha, isMerge: a.isMerge, subject: a.subject, additions: a.additions, deletions: a.deletions, filesChanged: a.filesChanged, score: a.overall_quality_score, delta: a.health_delta, points: Object.fromEntries(Object.entries(a.breakdown).map(([k, v]) => [k, v.points])) });
    }
  } catch (err) {
    console.error(`${name}: skipped (${String(err.message ?? err).split('\n')[0]})`);
    continue;
  }
  const { bad, kept, groups } = matchSample(commits, reverted);
  pooled.groups.push(...groups);
  if (dumpOut) {
    for (const [label, list] of [[0, bad], [1, kept]]) {
      for (const c of list) fs.appendFileSync(dumpOut, `${JSON.stringify({ repo: name, label, tests: tests.get(c.sha) ?? false, ...c })}\n`);
    }
  }
  const s = (arr, f) => arr.map(f);
  const row = {
    repo: name,
    commits: commits.length,
    reverted: bad.length,
    kept: kept.length,
    auc: auc(s(kept, (c) => c.score), s(bad, (c) => c.score)),
    size: auc(s(kept, (c) => -size(c)), s(bad, (c) => -size(c))),
    tests: auc(s(kept, (c) => (tests.get(c.sha) ? 1 : 0)), s(bad, (c) => (tests.get(c.sha) ? 1 : 0))),
    seconds: (Date.now() - t0) / 1000,
    components: {},
  };
  for (const comp of Object.keys(commits.find((c) => !c.isMerge)?.points ?? {})) {
    row.components[comp] = auc(s(kept, (c) => c.points[comp] ?? 0), s(bad, (c) => c.points[comp] ?? 0));
    pooled.comp[comp] ??= [[], []];
    pooled.comp[comp][0].push(...s(kept, (c) => c.points[comp] ?? 0));
    pooled.comp[comp][1].push(...s(bad, (c) => c.points[comp] ?? 0));
  }
  pooled.score[0].push(...s(kept, (c) => c.score));
  pooled.score[1].push(...s(bad, (c) => c.score));
  pooled.size[0].push(...s(kept, (c) => -size(c)));
  pooled.size[1].push(...s(bad, (c) => -size(c)));
  pooled.tests[0].push(...s(kept, (c) => (tests.get(c.sha) ? 1 : 0)));
  pooled.tests[1].push(...s(bad, (c) => (tests.get(c.sha) ? 1 : 0)));
  rows.push(row);
  console.error(`${name}: ${commits.length} commits, ${bad.length} reverted, AUC ${row.auc.toFixed(3)} (size ${row.size.toFixed(3)}, tests ${row.tests.toFixed(3)}) in ${row.seconds.toFixed(0)} s`);
}
const overall = {
  interval: pooled.groups.length > 0 ? bootstrapInterval(pooled.groups) : null,
  reverted: pooled.score[1].length,
  kept: pooled.score[0].length,
  auc: auc(...pooled.score),
  size: auc(...pooled.size),
  tests: auc(...pooled.tests),
  components: Object.fromEntries(Object.entries(pooled.comp).map(([k, v]) => [k, auc(...v)])),
};
const f = (x) => (Number.isNaN(x) ? 'n/a' : x.toFixed(3));
console.log(`| repository | commits | reverted | kept (matched) | AUC score | AUC size only | AUC tests touched |`);
console.log(`|---|---:|---:|---:|---:|---:|---:|`);
for (const r of rows) console.log(`| ${r.repo} | ${r.commits} | ${r.reverted} | ${r.kept} | ${f(r.auc)} | ${f(r.size)} | ${f(r.tests)} |`);
console.log(`| **overall (pooled)** | | ${overall.reverted} | ${overall.kept} | **${f(overall.auc)}** | ${f(overall.size)} | ${f(overall.tests)} |`);
const meanAuc = rows.filter((r) => !Number.isNaN(r.auc)).reduce((s, r) => s + r.auc, 0) / rows.filter((r) => !Number.isNaN(r.auc)).length;
console.log(`\npooled AUC 95 % bootstrap interval (matched groups resampled): ${overall.interval ? overall.interval.map(f).join('–') : 'n/a'}`);
console.log(`mean of per-repository AUCs: ${f(meanAuc)}`);
console.log(`per-component AUC (pooled): ${Object.entries(overall.components).map(([k, v]) => `${k} ${f(v)}`).join(', ')}`);
if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify({ k: K, rows, overall, meanAuc }, null, 2));
