/**
 * Measuring the category the analyzer names against hand-checked labels
 * (`bench/triage-categories/labels.json`, rules in its README): reading the labels file, the
 * development / held-out split of the shared data set, and accuracy with a confusion table.
 *
 * ### Examples
 * ```ts
 * const labels = parseCategoryLabels(JSON.parse(fs.readFileSync('bench/triage-categories/labels.json', 'utf8')));
 * const score = categoryAccuracy([{ expected: 'compilation', predicted: 'compilation' }, { expected: 'lint_format', predicted: 'unknown' }]);
 * score.accuracy; // 0.5
 * score.confusion.get('lint_format')?.get('unknown'); // 1
 * ```
 */
import { createHash } from 'node:crypto';
import { ACTION_FOR_CATEGORY, type FailureCategory } from './types.js';

/** Categories a label may carry: every category but `flaky` (one log cannot show it) and `unknown`. */
export const LABEL_CATEGORIES: readonly FailureCategory[] = [
  'compilation',
  'test_failure',
  'lint_format',
  'type_check',
  'security_scan',
  'infrastructure',
  'network_timeout',
  'dependency_resolution',
  'credentials_permissions',
  'configuration',
];

/** The labelling rules of `bench/triage-categories/README.md`, by id. */
export const LABEL_RULES = ['R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7', 'R8', 'R9', 'R10'] as const;

export interface CategoryLabel {
  category: FailureCategory;
  /** Which labelling rule decided. */
  rule: (typeof LABEL_RULES)[number];
}

/** Checks and reads a labels file: `{ "<log path in the data set>": { "category": …, "rule": "R…" } }`. */
export function parseCategoryLabels(json: unknown): Map<string, CategoryLabel> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('category labels: expected an object keyed by log path');
  const out = new Map<string, CategoryLabel>();
  for (const [log, value] of Object.entries(json as Record<string, unknown>)) {
    if (!/^[\w.-]+\/[^\s]+\.log\.gz$/.test(log)) throw new Error(`category labels: '${log}' is not a log path of the data set`);
    const v = value as Partial<Record<string, unknown>> | null;
    if (typeof v !== 'object' || v === null) throw new Error(`category labels: '${log}' has no label object`);
    const extra = Object.keys(v).filter((k) => k !== 'category' && k !== 'rule');
    if (extra.length) throw new Error(`category labels: '${log}' has unknown fields ${extra.join(', ')}`);
    if (!LABEL_CATEGORIES.includes(v.category as FailureCategory)) throw new Error(`category labels: '${log}' has category '${String(v.category)}', not one of ${LABEL_CATEGORIES.join(', ')}`);
    if (!LABEL_RULES.includes(v.rule as CategoryLabel['rule'])) throw new Error(`category labels: '${log}' has rule '${String(v.rule)}', not one of ${LABEL_RULES.join(', ')}`);
    out.set(log, { category: v.category as FailureCategory, rule: v.rule as CategoryLabel['rule'] });
  }
  return out;
}

/**
 * The project a log of the shared data set belongs to: LogChunks' `repository`, or for CiDiff the
 * folder name without its breakage number.
 */
export function projectOfLog(label: { repository?: string; log: string }): string {
  return label.repository ?? (label.log.split('/')[1] ?? '').replace(/_\d+$/, '');
}

/**
 * The held-out third of the shared data set: a project whose sha256(name), first 8 hex digits read
 * as a number, is divisible by 3. No choice may be made by looking at these projects.
 */
export function isHeldOutProject(name: string): boolean {
  return Number.parseInt(createHash('sha256').update(name).digest('hex').slice(0, 8), 16) % 3 === 0;
}

export interface CategoryScore {
  n: number;
  correct: number;
  accuracy: number;
  /** Share whose predicted category calls for the same action (rerun, fix the code, …) as the label's. */
  sameAction: number;
  /** expected → predicted → count. */
  confusion: Map<FailureCategory, Map<FailureCategory, number>>;
  /** Per expected category: how many, and the share predicted right (recall). */
  perCategory: Map<FailureCategory, { n: number; recall: number }>;
}

/** Accuracy, action agreement and the confusion table of predicted against expected categories. */
export function categoryAccuracy(pairs: ReadonlyArray<{ expected: FailureCategory; predicted: FailureCategory }>): CategoryScore {
  const confusion = new Map<FailureCategory, Map<FailureCategory, number>>();
  let correct = 0;
  let sameAction = 0;
  for (const { expected, predicted } of pairs) {
    if (expected === predicted) correct++;
    if (ACTION_FOR_CATEGORY[expected] === ACTION_FOR_CATEGORY[predicted]) sameAction++;
    const row = confusion.get(expected) ?? new Map<FailureCategory, number>();
    row.set(predicted, (row.get(predicted) ?? 0) + 1);
    confusion.set(expected, row);
  }
  const perCategory = new Map<FailureCategory, { n: number; recall: number }>();
  for (const [expected, row] of confusion) {
    const n = [...row.values()].reduce((a, b) => a + b, 0);
    perCategory.set(expected, { n, recall: (row.get(expected) ?? 0) / n });
  }
  const n = pairs.length;
  return { n, correct, accuracy: n ? correct / n : 0, sameAction: n ? sameAction / n : 0, confusion, perCategory };
}
