import { describe, expect, it } from 'vitest';
import { buildLineHistory } from './line-history.js';
import { createRuleAnalyzer } from './rule-analyzer.js';

/** A failure told in the project's own words, after an error-looking line that is not the cause. */
const log = (kb: number, pad: number) =>
  [
    '$ npm run check',
    ...Array.from({ length: pad }, (_, i) => `  chunk-${i}.js  ${10 + i} kB  within budget`),
    'Error: lint reported 3 warnings (treated as notes)',
    '  note: prefer const',
    `  vendor.js  ${kb} kB  exceeds its budget of 600 kB`,
    'Bundle budget check did not pass',
    'The command "npm run check" exited with 1.',
  ].join('\n');

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('per-repository line history', () => {
  it('ranks up the lines this repository confirmed before, on another line number and with other numbers', async () => {
    const first = log(612, 4).split('\n');
    const history = buildLineHistory([
      { text: first[lineOf(log(612, 4), 'vendor.js') - 1]!, weight: 1 },
      { text: first[lineOf(log(612, 4), 'Bundle budget') - 1]!, weight: 1 },
    ]);
    const next = log(655, 25);
    const analyzer = createRuleAnalyzer();
    const dayOne = await analyzer.analyze({ log: next });
    const learned = await analyzer.analyze({ log: next, lineHistory: history });
    const vendor = lineOf(next, 'vendor.js');
    expect(dayOne.historyLines).toEqual([]);
    expect(learned.failureLines).toEqual([[vendor, vendor + 1]]);
    expect(learned.historyLines).toEqual([vendor, vendor + 1]);
  });

  it('pushes down lines marked "not this", and an empty history changes nothing', async () => {
    const text = log(700, 3);
    const analyzer = createRuleAnalyzer();
    const dayOne = await analyzer.analyze({ log: text });
    expect(await analyzer.analyze({ log: text, lineHistory: buildLineHistory([]) })).toEqual(dayOne);
    const lines = text.split('\n');
    const rejected = dayOne.failureLines.flatMap(([a, b]) => lines.slice(a - 1, b)).map((t) => ({ text: t, weight: -1 }));
    const after = await analyzer.analyze({ log: text, lineHistory: buildLineHistory(rejected) });
    expect(after.failureLines).not.toEqual(dayOne.failureLines);
  });

  it('ignores lines too short to recognise', () => {
    expect(buildLineHistory([{ text: '}', weight: 1 }, { text: '   ', weight: 1 }]).size).toBe(0);
  });
});
