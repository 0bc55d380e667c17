#!/usr/bin/env node
// CI failure-diagnosis benchmark: how well the offline analyzer finds the failure lines of real failed
// build logs, next to simple baselines scored the same way, and how fast it explains a 20 MB log.
//
//   npx tsc -p tsconfig.build.json && node bench/triage.mjs          # quality + timing, writes bench/triage-results.md
//   node bench/triage.mjs --cv                                       # also leave-one-repository-out for the ranking weights
//   node bench/triage.mjs --no-timing | --no-write
//   TRIAGE_DATASET=/path/to/ci-logs node bench/triage.mjs
//   TRIAGE_ANALYZER=path/to/analyzer/index.js node bench/triage.mjs  # another build of the analyzer
//
// Data: ../shared/datasets/ci-logs (see its README.md): LogChunks (Brandt et al., MSR 2020) Travis logs
// and CiDiff (Hubner et al., ISSTA 2025) failing+passing pairs. Scoring, as its README says: per log,
// precision = found ∩ labelled / found, recall = found ∩ labelled / labelled, F1 their harmonic mean,
// best over a LogChunks chunk's occurrences; averaged over logs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATASET = process.env.TRIAGE_DATASET ?? path.resolve(REPO_ROOT, '../shared/datasets/ci-logs');
const RESULTS = path.join(REPO_ROOT, 'bench', 'triage-results.md');
const args = process.argv.slice(2);

async function loadAnalyzer() {
  if (process.env.TRIAGE_ANALYZER) return import(pathToFileURL(path.resolve(process.env.TRIAGE_ANALYZER)).href);
  for (const rel of ['dist/automations/ci-triage/analyzer/index.js', 'dist/src/automations/ci-triage/analyzer/index.js']) {
    const p = path.join(REPO_ROOT, rel);
    if (fs.existsSync(p)) return import(pathToFileURL(p).href);
  }
  console.error('bench/triage.mjs: the analyzer is not built; run `npx tsc -p tsconfig.build.json` (or `npm run build`) first.');
  process.exit(1);
}

// ── the timing child: explains one file and reports time and memory ─────────────────────────────
if (args[0] === '--time-child') {
  const A = await loadAnalyzer();
  const file = args[1];
  const analyzer = A.createRuleAnalyzer();
  const rss0 = process.resourceUsage().maxRSS;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await analyzer.analyze({ log: fs.createReadStream(file, { highWaterMark: 256 * 1024 }) });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const rss1 = process.resourceUsage().maxRSS;
  process.stdout.write(
    JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRssDeltaMb: (rss1 - rss0) / 1024, peakRssMb: rss1 / 1024, failureLines: result.failureLines, category: result.category }),
  );
  process.exit(0);
}

if (!fs.existsSync(path.join(DATASET, 'labels.jsonl'))) {
  console.log(`\n*** NOTICE: the CI log data set is missing (${DATASET}); nothing to measure.\n`);
  process.exit(0);
}

const A = await loadAnalyzer();
const labels = fs
  .readFileSync(path.join(DATASET, 'labels.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));

// ── the held-out split ──────────────────────────────────────────────────────────────────────────
// A repository (LogChunks: `repository`; CiDiff: the project, i.e. the folder name without its
// breakage number) is HELD OUT when the first 8 hex digits of sha256(name), read as a number, are
// divisible by 3: 15 of the 50 LogChunks repositories. No choice (rule, feature, weight, strength)
// may be made by looking at them; every tuning figure below is leave-one-repository-out on the
// development repositories only, and the held-out figure is reported once, separately.
const projectOf = (label) => A.projectOfLog(label);
const isHeldOut = (name) => A.isHeldOutProject(name);
const splitOf = (label) => (isHeldOut(projectOf(label)) ? 'held-out' : 'dev');

// ── scoring ─────────────────────────────────────────────────────────────────────────────────────
function lineSet(ranges) {
  const s = new Set();
  for (const [a, b] of ranges) for (let n = a; n <= b; n++) s.add(n);
  return s;
}

/** Per-log precision, recall, F1 (best over a LogChunks chunk's occurrences). */
function score(found, label) {
  const F = lineSet(found);
  const occurrences = label.source === 'cidiff' ? [label.failure_lines] : label.failure_lines.map((r) => [r]);
  let best = { p: 0, r: 0, f: 0 };
  for (const occ of occurrences) {
    const L = lineSet(occ);
    let inter = 0;
    for (const n of F) if (L.has(n)) inter++;
    const p = F.size ? inter / F.size : 0;
    const r = L.size ? inter / L.size : 0;
    const f = p + r ? (2 * p * r) / (p + r) : 0;
    if (f > best.f || (best.f === 0 && r > best.r)) best = { p, r, f };
  }
  return best;
}

function aggregate(rows) {
  const n = rows.length;
  if (n === 0) return null;
  const mean = (k) => rows.reduce((a, x) => a + x[k], 0) / n;
  return { n, p: mean('p'), r: mean('r'), f: mean('f'), all: rows.filter((x) => x.r === 1).length / n };
}

// ── baselines ───────────────────────────────────────────────────────────────────────────────────
const KEYWORD = /error|fail|exception/i;

async function keywordLines(buf) {
  const hits = [];
  let n = 0;
  await A.forEachLine(buf, (raw) => {
    n++;
    if (KEYWORD.test(A.cleanLine(raw))) hits.push(n);
  });
  return { hits, count: n };
}

function toRanges(nums) {
  const out = [];
  for (const n of [...new Set(nums)].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && last[1] === n - 1) last[1] = n;
    else out.push([n, n]);
  }
  return out;
}

function widen(hits, k, count) {
  const out = [];
  for (const h of hits) for (let n = Math.max(1, h - k); n <= Math.min(count, h + k); n++) out.push(n);
  return out;
}

// ── quality ─────────────────────────────────────────────────────────────────────────────────────
const analyzer = A.createRuleAnalyzer();
const rows = { analyzer: [], keyword: [], keyword2: [], diff: [] };
const categories = {};
const analyzedCategory = new Map();
const t0 = performance.now();
for (const label of labels) {
  const buf = fs.readFileSync(path.join(DATASET, label.log));
  const passing = label.passing_log ? fs.readFileSync(path.join(DATASET, label.passing_log)) : undefined;
  const repo = projectOf(label);
  const split = splitOf(label);
  const a = await analyzer.analyze({ log: buf, passingLog: passing });
  categories[a.category] = (categories[a.category] ?? 0) + 1;
  analyzedCategory.set(label.log, a.category);
  rows.analyzer.push({ source: label.source, repo, split, ...score(a.failureLines, label) });
  const { hits, count } = await keywordLines(buf);
  rows.keyword.push({ source: label.source, repo, ...score(toRanges(hits), label) });
  rows.keyword2.push({ source: label.source, repo, ...score(toRanges(widen(hits, 2, count)), label) });
  if (passing) {
    const filter = await A.buildPassingFilter(passing);
    rows.diff.push({ source: label.source, repo, ...score(await A.linesAbsentFromPassing(buf, filter), label) });
  }
}
const qualitySeconds = (performance.now() - t0) / 1000;

const f3 = (v) => (v === undefined || v === null ? '–' : v.toFixed(3));
const qualityRows = [];
for (const [name, key] of [
  ['analyzer (this)', 'analyzer'],
  ['keyword error|fail|exception', 'keyword'],
  ['keyword ±2 lines', 'keyword2'],
  ['lines absent from the passing log', 'diff'],
]) {
  for (const source of key === 'diff' ? ['cidiff'] : key === 'analyzer' ? ['logchunks', 'cidiff', 'overall', 'logchunks dev', 'logchunks held-out', 'cidiff dev', 'cidiff held-out'] : ['logchunks', 'cidiff', 'overall']) {
    const [src, split] = source.split(' ');
    const sel = source === 'overall' ? rows[key] : rows[key].filter((r) => r.source === src && (!split || r.split === split));
    const g = aggregate(sel);
    if (!g) continue;
    qualityRows.push([name, source, g.n, f3(g.p), f3(g.r), f3(g.f), f3(g.all)]);
  }
}

function macroOverRepos(list) {
  const by = new Map();
  for (const r of list) by.set(r.repo, [...(by.get(r.repo) ?? []), r.f]);
  const means = [...by.values()].map((fs_) => fs_.reduce((a, b) => a + b, 0) / fs_.length);
  return means.reduce((a, b) => a + b, 0) / means.length;
}

// ── cross-validation of the ranking weights (leave one repository out, development part only) ──
async function candidateTable() {
  const logs = [];
  for (const label of labels.filter((l) => l.source === 'logchunks')) {
    const d = await A.digestLog(fs.readFileSync(path.join(DATASET, label.log)));
    const cands = A.collectCandidates(d);
    logs.push({
      repo: label.repository,
      split: splitOf(label),
      cands: cands.map((c) => ({ f: c.features, y: score(A.toRanges(d.lines.slice(c.from, c.to + 1)), label).f })),
    });
  }
  return logs;
}

async function crossValidate() {
  const logs = await candidateTable();
  const keys = Object.keys(A.PRIOR_WEIGHTS);
  const X = logs.map((x) => ({ repo: x.repo, split: x.split, X: x.cands.map((c) => Float64Array.from(keys.map((k) => c.f[k] ?? 0))), y: x.cands.map((c) => c.y) }));
  const K = keys.length;
  const prior = Float64Array.from(keys.map((k) => A.PRIOR_WEIGHTS[k] ?? 0));
  const fit = (train, l2) => {
    // Softmax over each log's candidates, target share ∝ the candidate's F1; L2 towards the hand-set
    // prior; full-batch gradient descent (the procedure that produced the shipped weights).
    const w = Float64Array.from(prior);
    const g = new Float64Array(K);
    const usable = train.filter((x) => x.y.some((v) => v > 0));
    for (let it = 0; it < A.FIT.iterations; it++) {
      g.fill(0);
      for (const x of usable) {
        const Y = x.y.reduce((a, b) => a + b, 0);
        const s = x.X.map((f) => f.reduce((a, v, j) => a + v * w[j], 0));
        const m = Math.max(...s);
        const e = s.map((v) => Math.exp(v - m));
        const Z = e.reduce((a, b) => a + b, 0);
        x.X.forEach((f, i) => {
          const d = e[i] / Z - x.y[i] / Y;
          for (let j = 0; j < K; j++) g[j] += d * f[j];
        });
      }
      for (let j = 0; j < K; j++) w[j] -= A.FIT.learningRate * (g[j] / usable.length + l2 * (w[j] - prior[j]));
    }
    return w;
  };
  const evalW = (set, w) =>
    set.reduce((acc, x) => {
      let bi = -1;
      let bs = -Infinity;
      x.X.forEach((f, i) => {
        const s = f.reduce((a, v, j) => a + v * w[j], 0);
        if (s > bs) {
          bs = s;
          bi = i;
        }
      });
      return acc + (bi >= 0 ? x.y[bi] : 0);
    }, 0) / set.length;
  const dev = X.filter((x) => x.split === 'dev');
  const held = X.filter((x) => x.split === 'held-out');
  const devRepos = [...new Set(dev.map((x) => x.repo))];
  const loro = (l2) => {
    let sum = 0;
    for (const r of devRepos) {
      const test = dev.filter((x) => x.repo === r);
      sum += evalW(test, fit(dev.filter((x) => x.repo !== r), l2)) * test.length;
    }
    return sum / dev.length;
  };
  // The regularisation strength is chosen by leave-one-repository-out on the development part.
  const grid = args.includes('--l2-grid') ? [0.1, 0.25, 0.5, 1] : [A.FIT.l2TowardsPrior];
  const byL2 = grid.map((l2) => ({ l2, loro: loro(l2) }));
  const chosen = byL2.reduce((a, b) => (b.loro > a.loro ? b : a));
  const devFit = fit(dev, chosen.l2);
  const shipped = Float64Array.from(keys.map((k) => A.CANDIDATE_WEIGHTS[k] ?? 0));
  const oracle = (set) => set.reduce((a, x) => a + Math.max(0, ...x.y), 0) / set.length;
  if (args.includes('--print-weights')) {
    console.error(`weights fitted on the development repositories (L2 ${chosen.l2}):`);
    console.error(keys.map((k, j) => `  ${k}: ${Math.round(devFit[j] * 100) / 100},`).join('\n'));
  }
  return {
    byL2,
    chosen,
    devLogs: dev.length,
    heldLogs: held.length,
    devRepos: devRepos.length,
    heldRepos: new Set(held.map((x) => x.repo)).size,
    priorDev: evalW(dev, prior),
    priorHeld: evalW(held, prior),
    shippedDev: evalW(dev, shipped),
    shippedHeld: evalW(held, shipped),
    devFitHeld: evalW(held, devFit),
    oracleDev: oracle(dev),
    oracleHeld: oracle(held),
  };
}

// ── learning per repository: replay each repository's logs in order ───────────────────────────
// Each LogChunks repository's logs in job-id order (Travis job ids grow with time); before log k the
// analyzer is given a history built from logs 1..k−1 as a maintainer's corrections would have built
// it: the labelled lines confirmed (+1) and the lines it had reported that were not labelled
// rejected (−1). Scored against the day-one analyzer (no history) on the same logs.
async function textsOf(buf, ranges) {
  const out = [];
  let n = 0;
  await A.forEachLine(buf, (raw) => {
    n++;
    if (ranges.some(([a, b]) => a <= n && n <= b)) out.push(raw);
  });
  return out;
}

async function replayLearning() {
  const byRepo = new Map();
  for (const label of labels.filter((l) => l.source === 'logchunks')) byRepo.set(label.repository, [...(byRepo.get(label.repository) ?? []), label]);
  const jobId = (l) => Number(path.basename(l.log).replace(/\D+/g, '')) || 0;
  const at = new Map(); // position → { split → { day1: [], learned: [] } }
  const add = (pos, split, key, f) => {
    if (!at.has(pos)) at.set(pos, {});
    const o = at.get(pos);
    o[split] ??= { day1: [], learned: [] };
    o[split][key].push(f);
  };
  for (const [repo, list] of byRepo) {
    list.sort((a, b) => jobId(a) - jobId(b) || a.log.localeCompare(b.log));
    const split = isHeldOut(repo) ? 'held-out' : 'dev';
    const entries = [];
    for (let k = 0; k < list.length; k++) {
      const label = list[k];
      const buf = fs.readFileSync(path.join(DATASET, label.log));
      const day1 = await analyzer.analyze({ log: buf });
      const learned = entries.length ? await analyzer.analyze({ log: buf, lineHistory: A.buildLineHistory(entries) }) : day1;
      add(k + 1, split, 'day1', score(day1.failureLines, label).f);
      add(k + 1, split, 'learned', score(learned.failureLines, label).f);
      // What a maintainer's correction of this log teaches: the labelled lines (first occurrence),
      // and "not this" for what was reported outside them.
      const labelled = [label.failure_lines[0]];
      for (const t of await textsOf(buf, labelled)) entries.push({ text: t, weight: 1 });
      const wrong = learned.failureLines.flatMap(([a, b]) => {
        const out = [];
        for (let n = a; n <= b; n++) if (!labelled.some(([x, y]) => x <= n && n <= y)) out.push([n, n]);
        return out;
      });
      if (wrong.length) for (const t of await textsOf(buf, wrong)) entries.push({ text: t, weight: -1 });
    }
  }
  return at;
}

// ── timing: a generated 20 MB log and a 5 MB line without a break, each in a fresh process ─────
function generateLog(file, bytes) {
  // Deterministic pseudo-random build output: compile lines, passing tests, progress redraws (\r),
  // colours, warnings; one failure near the end, then the CI's exit marker.
  let seed = 42;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const fd = fs.openSync(file, 'w');
  let written = 0;
  let chunk = 'travis_fold:start:worker_info\r\n\x1b[33;1mWorker information\x1b[0m\n$ make test\n';
  let i = 0;
  let lines = 0;
  const count = (s) => {
    for (let k = 0; k < s.length; k++) {
      const c = s.charCodeAt(k);
      if (c === 10 || (c === 13 && s.charCodeAt(k + 1) !== 10)) lines++;
    }
  };
  while (written + chunk.length < bytes - 4096) {
    const r = rnd();
    if (r < 0.45) chunk += `  CC       src/module_${i % 997}/file_${i}.o\n`;
    else if (r < 0.8) chunk += `ok ${i} - suite_${i % 53} handles case ${i} (${Math.floor(rnd() * 900)} ms)\n`;
    else if (r < 0.9) chunk += `Downloading ${Math.floor(rnd() * 100)}%\rDownloading ${Math.floor(rnd() * 100)}%\r`;
    else if (r < 0.95) chunk += `\x1b[32m✓\x1b[0m renders component ${i}\n`;
    else if (r < 0.99) chunk += `src/module_${i % 97}/file_${i}.c:${i % 500}:7: warning: unused variable 'tmp${i}' [-Wunused-variable]\n`;
    else chunk += `[${new Date(1_600_000_000_000 + i * 1000).toISOString()}] INFO request served in ${Math.floor(rnd() * 50)}ms\n`;
    i++;
    if (chunk.length > 1 << 16) {
      count(chunk);
      fs.writeSync(fd, chunk);
      written += chunk.length;
      chunk = '';
    }
  }
  count(chunk);
  fs.writeSync(fd, chunk);
  const errorLine = lines + 1;
  chunk =
    "src/parser.c:812:14: error: 'struct token' has no member named 'kind'\n  812 |     if (tok->kind == TOKEN_EOF)\n      |              ^~~~\nmake: *** [Makefile:42: src/parser.o] Error 1\n" +
    'The command "make test" exited with 2.\n\nDone. Your build exited with 1.\n';
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  return { size: fs.statSync(file).size, errorLine };
}

function timeInChild(file) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--time-child', file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`timing child failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

let timing = null;
if (!args.includes('--no-timing')) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-bench-'));
  try {
    const big = path.join(dir, 'generated-20mb.log');
    const { size, errorLine } = generateLog(big, 20 * 1024 * 1024);
    const oneLine = path.join(dir, 'single-line-5mb.log');
    fs.writeFileSync(oneLine, `${'x'.repeat(5 * 1024 * 1024 - 40)} error: this line never ends`);
    const runs = [timeInChild(big), timeInChild(big), timeInChild(big)].sort((a, b) => a.wallMs - b.wallMs);
    // Three times the size: memory must stay flat (the digest is bounded), time grow linearly.
    const huge = path.join(dir, 'generated-60mb.log');
    const hugeInfo = generateLog(huge, 60 * 1024 * 1024);
    const hugeRun = timeInChild(huge);
    fs.rmSync(huge, { force: true });
    timing = { size, errorLine, big: runs[1], bigBest: runs[0], oneLine: timeInChild(oneLine), huge: { ...hugeInfo, run: hugeRun } };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const cv = args.includes('--cv') ? await crossValidate() : null;
const learning = args.includes('--learn') ? await replayLearning() : null;

// ── report ──────────────────────────────────────────────────────────────────────────────────────
function table(headers, body) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map((_, i) => (i < 2 ? '---' : '---:'))), ...body.map(line)].join('\n');
}

const out = [];
out.push('## CI failure diagnosis (bench/triage.mjs)');
out.push('');
out.push(`Data: ${labels.length} labelled failed logs (${rows.analyzer.filter((r) => r.source === 'logchunks').length} LogChunks, ${rows.analyzer.filter((r) => r.source === 'cidiff').length} CiDiff). Per-log P/R/F1 averaged over logs; "all" = share of logs with every labelled line found. CiDiff logs are analyzed with their passing log.`);
out.push('');
out.push(table(['method', 'source', 'logs', 'precision', 'recall', 'F1', 'all found'], qualityRows));
out.push('');
out.push(`Macro F1 over repositories (each repository weighs the same): analyzer ${f3(macroOverRepos(rows.analyzer))}, keyword ${f3(macroOverRepos(rows.keyword))}.`);
out.push(`Categories assigned: ${Object.entries(categories).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}. Quality pass: ${qualitySeconds.toFixed(1)} s for all logs.`);
if (cv) {
  out.push('');
  out.push(
    `Honest evaluation (LogChunks; held out = sha256(repository) first 8 hex digits mod 3 = 0: ${cv.heldRepos} repositories, ${cv.heldLogs} logs; development: ${cv.devRepos} repositories, ${cv.devLogs} logs). F1 of the chosen candidate:`,
  );
  out.push('');
  out.push(
    table(
      ['weights', 'part', 'F1'],
      [
        ...cv.byL2.map((x) => [`leave-one-repository-out, L2 ${x.l2}${x === cv.chosen ? ' (chosen)' : ''}`, 'dev', f3(x.loro)]),
        ['hand-set prior', 'dev', f3(cv.priorDev)],
        ['shipped', 'dev', f3(cv.shippedDev)],
        ['best candidate (upper bound)', 'dev', f3(cv.oracleDev)],
        ['**fitted on dev only, L2 ' + cv.chosen.l2 + '**', '**held-out**', `**${f3(cv.devFitHeld)}**`],
        ['shipped', 'held-out', f3(cv.shippedHeld)],
        ['hand-set prior', 'held-out', f3(cv.priorHeld)],
        ['best candidate (upper bound)', 'held-out', f3(cv.oracleHeld)],
      ],
    ),
  );
}
if (learning) {
  out.push('');
  out.push('Learning per repository (LogChunks, each repository replayed in job-id order, learning from the labels of its earlier logs as corrections would): mean F1 of the k-th log.');
  out.push('');
  const mean = (v) => (v && v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined);
  const body = [];
  for (const k of [1, 2, 5, 10, 20]) {
    const o = learning.get(k);
    if (!o) {
      body.push([`${k}`, '–', '–', '–', '–', '–', '– (no repository has that many logs)']);
      continue;
    }
    const both = { day1: [...(o.dev?.day1 ?? []), ...(o['held-out']?.day1 ?? [])], learned: [...(o.dev?.learned ?? []), ...(o['held-out']?.learned ?? [])] };
    body.push([`${k}`, `${both.day1.length}`, f3(mean(o.dev?.day1)), f3(mean(o.dev?.learned)), f3(mean(o['held-out']?.day1)), f3(mean(o['held-out']?.learned)), `${f3(mean(both.day1))} → ${f3(mean(both.learned))}`]);
  }
  out.push(table(['k-th log', 'repositories', 'dev day one', 'dev learned', 'held-out day one', 'held-out learned', 'all: day one → learned'], body));
}
if (timing) {
  out.push('');
  out.push(
    table(
      ['input', 'size', 'wall ms (median of 3)', 'cpu ms', 'peak RSS delta MB', 'failure lines reported'],
      [
        ['generated log', `${(timing.size / 1048576).toFixed(1)} MB`, timing.big.wallMs.toFixed(0), timing.big.cpuMs.toFixed(0), timing.big.peakRssDeltaMb.toFixed(1), `${JSON.stringify(timing.big.failureLines)} (injected error at line ${timing.errorLine}: ${timing.big.failureLines.some(([a, b]) => a <= timing.errorLine && timing.errorLine <= b) ? 'found' : 'MISSED'})`],
        [
          'generated log ×3 (memory check)',
          `${(timing.huge.size / 1048576).toFixed(1)} MB`,
          timing.huge.run.wallMs.toFixed(0),
          timing.huge.run.cpuMs.toFixed(0),
          timing.huge.run.peakRssDeltaMb.toFixed(1),
          timing.huge.run.failureLines.some(([a, b]) => a <= timing.huge.errorLine && timing.huge.errorLine <= b) ? 'injected error found' : 'MISSED',
        ],
        ['one 5 MB line', '5.0 MB', timing.oneLine.wallMs.toFixed(0), timing.oneLine.cpuMs.toFixed(0), timing.oneLine.peakRssDeltaMb.toFixed(1), JSON.stringify(timing.oneLine.failureLines)],
      ],
    ),
  );
  out.push(`(each in a fresh Node ${process.version} process reading the file as a stream; ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)} when measured)`);
}
const markdown = out.join('\n');
console.log(markdown);
if (!args.includes('--no-write')) {
  fs.writeFileSync(RESULTS, `${markdown}\n`);
  console.error(`\nwritten to ${path.relative(REPO_ROOT, RESULTS)}`);
}
