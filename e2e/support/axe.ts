/**
 * Accessibility checks for the browser tests: axe-core (the engine behind Lighthouse's and the
 * browsers' accessibility audits) run inside the page against WCAG 2.1 A and AA plus axe's best
 * practices. A page passes when axe finds nothing of impact "serious" or "critical" and the page has
 * a `main` landmark. The dashboard's Content-Security-Policy refuses injected <script> tags, so
 * axe's source is evaluated in the page (once per page load) instead of added as a script.
 *
 * `expectAccessible(page, label)` checks the page as it is; `expectAccessibleInBothSchemes` checks
 * it in light and in dark (the system colour scheme, which the dashboard follows), and
 * `a11yProblemsInBothSchemes` returns the problems instead of failing, to report many pages at once.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

const require = createRequire(import.meta.url);
let source: string | null = null;
/** axe.min.js, read once per test file. */
function axeSource(): string {
  source ??= fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  return source;
}

/** The rule sets run: WCAG 2.0 and 2.1, levels A and AA, and axe's best practices. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const FAILING_IMPACTS = new Set(['serious', 'critical']);

/** One finding, in words a person can act on. */
export interface A11yFinding {
  rule: string;
  impact: string;
  help: string;
  targets: string[];
  summary: string;
}

interface AxeNode {
  target: unknown[];
  failureSummary?: string;
}
interface AxeResult {
  id: string;
  impact?: string | null;
  help: string;
  nodes: AxeNode[];
}

/** Runs axe on the page as it is now; returns its serious and critical findings, and whether the page has a main landmark. */
export async function findA11yProblems(page: Page): Promise<{ findings: A11yFinding[]; hasMain: boolean }> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  // Evaluated as a script (a string), so it defines window.axe as it would from a <script> tag.
  if (!loaded) await page.evaluate(axeSource());
  const violations = await page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return JSON.parse(JSON.stringify(result.violations)) as unknown[];
  }, AXE_TAGS);
  const findings: A11yFinding[] = [];
  for (const v of violations as AxeResult[]) {
    if (!v.impact || !FAILING_IMPACTS.has(v.impact)) continue;
    findings.push({
      rule: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.slice(0, 5).map((n) => n.target.map(String).join(' ')),
      summary: (v.nodes[0]?.failureSummary ?? '').replace(/\s+/g, ' ').trim(),
    });
  }
  const hasMain = await page.evaluate(() => document.querySelectorAll('main, [role="main"]').length === 1);
  return { findings, hasMain };
}

/** The findings as a readable list: rule, impact, what it asks for, where, and why it failed. */
export function formatFindings(label: string, findings: A11yFinding[]): string {
  if (findings.length === 0) return `${label}: no serious or critical finding`;
  return [`${label}: ${findings.length} serious or critical accessibility finding(s)`, ...findings.map((f) => `  - ${f.rule} (${f.impact}): ${f.help}\n      at ${f.targets.join(' | ')}\n      ${f.summary}`)].join('\n');
}

/** Fails with a readable list when axe finds anything serious or critical on the page, or the page has no (or more than one) `main` landmark. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  const { findings, hasMain } = await findA11yProblems(page);
  expect(hasMain, `${label}: one main landmark`).toBe(true);
  expect(findings, formatFindings(label, findings)).toEqual([]);
}

/** Checks the page in light and in dark (the emulated system colour scheme) and leaves it in the scheme it was in; returns every problem as text (none: an empty list). */
export async function a11yProblemsInBothSchemes(page: Page, label: string): Promise<string[]> {
  const before = (await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches)) ? 'dark' : 'light';
  const problems: string[] = [];
  try {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const { findings, hasMain } = await findA11yProblems(page);
      if (!hasMain) problems.push(`${label} (${scheme}): no main landmark, or more than one`);
      if (findings.length) problems.push(formatFindings(`${label} (${scheme})`, findings));
    }
  } finally {
    await page.emulateMedia({ colorScheme: before });
  }
  return problems;
}

/** Fails with a readable list when the page has a serious or critical finding, or not exactly one main landmark, in light or in dark. */
export async function expectAccessibleInBothSchemes(page: Page, label: string): Promise<void> {
  const problems = await a11yProblemsInBothSchemes(page, label);
  expect(problems, problems.join('\n')).toEqual([]);
}
