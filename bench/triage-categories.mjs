#!/usr/bin/env node
// Category benchmark: the category the offline analyzer names, against the hand-checked category
// labels of 150 logs of the shared CI-log data set (bench/triage-categories/labels.json; the rules
// that decided each label are in bench/triage-categories/README.md). Accuracy, agreement on the
// recommended action, and a confusion table, separately for the development repositories and the
// held-out third (the sha256 split of bench/triage.mjs).
//
//   npx tsc -p tsconfig.build.json && node bench/triage-categories.mjs   # writes bench/triage-categories/results.md
//   node bench/triage-categories.mjs --no-write
//   TRIAGE_DATASET=/path/to/ci-logs node bench/triage-categories.mjs
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATASET = process.env.TRIAGE_DATASET ?? path.resolve(REPO_ROOT, '../shared/datasets/ci-logs');
const LABELS = path.join(REPO_ROOT, 'bench', 'triage-categories', 'labels.json');
const RESULTS = path.join(REPO_ROOT, 'bench', 'triage-categories', 'results.md');
const args = process.argv.slice(2);

if (!fs.existsSync(path.join(DATASET, 'labels.jsonl'))) {
  console.log(`\n*** NOTICE: the CI log data set is missing (${DATASET}); no category to measure.\n`);
  process.exit(0);
}
const analyzerPath = ['dist/automations/ci-triage/analyzer/index.js', 'dist/src/automations/ci-triage/analyzer/index.js'].map((p) => path.join(REPO_ROOT, p)).find((p) => fs.existsSync(p));
if (!analyzerPath) {
  console.error('bench/triage-categories.mjs: the analyzer is not built; run `npx tsc -p tsconfig.build.json` (or `npm run build`) first.');
  process.exit(1);
}
const A = await import(pathToFileURL(analyzerPath).href);

const categoryLabels = A.parseCategoryLabels(JSON.parse(fs.readFileSync(LABELS, 'utf8')));
const datasetLabels = new Map(
  fs
    .readFileSync(path.join(DATASET, 'labels.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .map((l) => [l.log, l]),
);

const analyzer = A.createRuleAnalyzer();
const pairs = { dev: [], 'held-out': [] };
const misses = [];
const t0 = performance.now();
for (const [log, label] of categoryLabels) {
  const d = datasetLabels.get(log);
  if (!d) throw new Error(`${log}: labelled in labels.json but not in the data set`);
  const passing = d.passing_log ? fs.readFileSync(path.join(DATASET, d.passing_log)) : undefined;
  const a = await analyzer.analyze({ log: fs.readFileSync(path.join(DATASET, log)), passingLog: passing });
  const split = A.isHeldOutProject(A.projectOfLog(d)) ? 'held-out' : 'dev';
  pairs[split].push({ expected: label.category, predicted: a.category });
  if (split === 'dev' && a.category !== label.category) misses.push(`${log}: labelled ${label.category} (${label.rule}), named ${a.category} — ${a.reason.slice(0, 140)}`);
}
const seconds = (performance.now() - t0) / 1000;

const pct = (v) => `${(v * 100).toFixed(1)} %`;
const table = (headers, body) => {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map((_, i) => (i === 0 ? '---' : '---:'))), ...body.map(line)].join('\n');
};
const out = ['## CI failure categories (bench/triage-categories.mjs)', ''];
out.push(
  `Hand-checked category labels of ${categoryLabels.size} LogChunks logs (3 per repository; rules in bench/triage-categories/README.md). Accuracy = the named category equals the label; "same action" = the named category calls for the same recommended action (fix the code, rerun, update a dependency, fix the configuration, …). \`unknown\` counts as wrong.`,
);
out.push('');
const scores = Object.fromEntries(Object.entries(pairs).map(([k, v]) => [k, A.categoryAccuracy(v)]));
out.push(table(['part', 'logs', 'accuracy', 'same action'], Object.entries(scores).map(([k, s]) => [k, s.n, `${s.correct}/${s.n} = ${pct(s.accuracy)}`, pct(s.sameAction)])));
for (const [part, s] of Object.entries(scores)) {
  out.push('');
  out.push(`Confusion, ${part} (rows: label; columns: named by the analyzer):`);
  out.push('');
  const predicted = [...new Set([...s.confusion.values()].flatMap((row) => [...row.keys()]))].sort();
  const expected = [...s.confusion.keys()].sort();
  out.push(
    table(
      ['label \\ named', ...predicted, 'recall'],
      expected.map((e) => [e, ...predicted.map((p) => s.confusion.get(e)?.get(p) ?? '·'), pct(s.perCategory.get(e).recall)]),
    ),
  );
}
out.push('');
out.push(`(${seconds.toFixed(1)} s for ${categoryLabels.size} logs; Node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)})`);
const markdown = out.join('\n');
console.log(markdown);
if (args.includes('--misses')) console.error(`\nDevelopment misses:\n${misses.join('\n')}`);
if (!args.includes('--no-write')) {
  fs.writeFileSync(RESULTS, `${markdown}\n`);
  console.error(`\nwritten to ${path.relative(REPO_ROOT, RESULTS)}`);
}
