/**
 * The hand-checked category labels (bench/triage-categories/labels.json) and the accuracy the
 * category benchmark computes from them. The labels' log paths are checked against the shared data
 * set when it is on this machine; without it that part is skipped with a notice.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { categoryAccuracy, isHeldOutProject, LABEL_RULES, parseCategoryLabels, projectOfLog } from '../src/automations/ci-triage/analyzer/category-accuracy.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LABELS_FILE = path.join(REPO_ROOT, 'bench', 'triage-categories', 'labels.json');
const README_FILE = path.join(REPO_ROOT, 'bench', 'triage-categories', 'README.md');

/** TRIAGE_DATASET, else `shared/datasets/ci-logs` beside the repository or beside one of its parents (worktrees). */
function findDataset(): string | null {
  if (process.env.TRIAGE_DATASET) return fs.existsSync(path.join(process.env.TRIAGE_DATASET, 'labels.jsonl')) ? process.env.TRIAGE_DATASET : null;
  for (let dir = REPO_ROOT; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(path.dirname(dir), 'shared', 'datasets', 'ci-logs');
    if (fs.existsSync(path.join(candidate, 'labels.jsonl'))) return candidate;
  }
  return null;
}
const DATASET = findDataset();
if (!DATASET) console.warn('*** NOTICE: the shared CI log data set (shared/datasets/ci-logs) is not on this machine; the check of the category labels against it is skipped.');

describe('category labels file', () => {
  const labels = parseCategoryLabels(JSON.parse(fs.readFileSync(LABELS_FILE, 'utf8')));

  it('labels 150 logs with a known category and the rule that decided, every rule described in the README', () => {
    expect(labels.size).toBe(150);
    const readme = fs.readFileSync(README_FILE, 'utf8');
    for (const rule of LABEL_RULES) expect(readme).toMatch(new RegExp(`^\\| ${rule} \\|`, 'm'));
    expect(new Set([...labels.values()].map((l) => l.category)).has('flaky' as never)).toBe(false);
  });

  it('rejects a malformed label with a message that names the log', () => {
    expect(() => parseCategoryLabels([])).toThrow(/object keyed by log path/);
    expect(() => parseCategoryLabels({ 'logchunks/C/x/1.log.gz': { category: 'flaky', rule: 'R9' } })).toThrow(/1\.log\.gz' has category 'flaky'/);
    expect(() => parseCategoryLabels({ 'logchunks/C/x/1.log.gz': { category: 'compilation', rule: 'R99' } })).toThrow(/rule 'R99'/);
    expect(() => parseCategoryLabels({ 'logchunks/C/x/1.log.gz': { category: 'compilation', rule: 'R8', note: 1 } })).toThrow(/unknown fields note/);
    expect(() => parseCategoryLabels({ '/etc/passwd': { category: 'compilation', rule: 'R8' } })).toThrow(/not a log path/);
  });

  it.skipIf(!DATASET)('names logs of the shared data set, three per LogChunks repository, split into development and held-out repositories', () => {
    const dataset = new Map(
      fs
        .readFileSync(path.join(DATASET!, 'labels.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { log: string; repository?: string; source: string })
        .map((l) => [l.log, l]),
    );
    const perRepository = new Map<string, number>();
    for (const log of labels.keys()) {
      const d = dataset.get(log);
      expect(d, `${log} is not in the data set`).toBeDefined();
      expect(d!.source).toBe('logchunks');
      perRepository.set(projectOfLog(d!), (perRepository.get(projectOfLog(d!)) ?? 0) + 1);
    }
    expect(perRepository.size).toBe(50);
    expect([...perRepository.values()].every((n) => n === 3)).toBe(true);
    expect([...perRepository.keys()].filter(isHeldOutProject)).toHaveLength(15);
  });
});

describe('categoryAccuracy', () => {
  it('counts exact matches, same-action matches and a confusion table by label', () => {
    const s = categoryAccuracy([
      { expected: 'compilation', predicted: 'compilation' },
      { expected: 'compilation', predicted: 'type_check' },
      { expected: 'network_timeout', predicted: 'infrastructure' },
      { expected: 'lint_format', predicted: 'unknown' },
    ]);
    expect(s.n).toBe(4);
    expect(s.correct).toBe(1);
    expect(s.accuracy).toBe(0.25);
    // compilation/type_check are both "fix the code", network_timeout/infrastructure both "rerun"; unknown is no action.
    expect(s.sameAction).toBe(0.75);
    expect(s.confusion.get('compilation')?.get('type_check')).toBe(1);
    expect(s.confusion.get('lint_format')?.get('unknown')).toBe(1);
    expect(s.perCategory.get('compilation')).toEqual({ n: 2, recall: 0.5 });
    expect(categoryAccuracy([]).accuracy).toBe(0);
  });

  it('splits projects by sha256 as the benchmarks do (LogChunks repository, or a CiDiff folder without its number)', () => {
    expect(projectOfLog({ log: 'cidiff/apache-kafka_12/failing.log.gz' })).toBe('apache-kafka');
    expect(projectOfLog({ repository: 'git/git', log: 'logchunks/C/git@git/1.log.gz' })).toBe('git/git');
    // Fixed points of the split (sha256 first 8 hex digits mod 3).
    expect(['Microsoft/TypeScript', 'jekyll/jekyll', 'vim/vim', 'git/git'].map(isHeldOutProject)).toEqual([true, true, false, false]);
  });
});
