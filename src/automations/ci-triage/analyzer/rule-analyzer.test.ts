import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { digestLog } from './log-digest.js';
import { createRuleAnalyzer } from './rule-analyzer.js';
import type { LogAnalyzer } from './types.js';

const FAILING = [
  '$ npm test',
  '> app@1.0.0 test',
  '  1 passing (8ms)',
  '  1 failing',
  '',
  '  1) Calculator',
  '       adds:',
  '     AssertionError: expected 3 to equal 4',
  '      at Context.<anonymous> (test/calc.test.js:5:29)',
  '',
  'npm ERR! Test failed.  See above for more details.',
  'The command "npm test" exited with 1.',
];

describe('createRuleAnalyzer', () => {
  const analyzer: LogAnalyzer = createRuleAnalyzer();

  it('accepts a string, a Buffer, gzipped bytes and a stream, with the same answer', async () => {
    const text = FAILING.join('\n');
    const answers = await Promise.all([
      analyzer.analyze({ log: text }),
      analyzer.analyze({ log: Buffer.from(text) }),
      analyzer.analyze({ log: gzipSync(Buffer.from(text)) }),
      analyzer.analyze({ log: Readable.from([Buffer.from(text.slice(0, 50)), Buffer.from(text.slice(50))]) }),
    ]);
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0]!.failureLines).toEqual([[6, 9]]);
    expect(answers[0]!.category).toBe('test_failure');
    expect(answers[0]!.recommendedAction).toBe('fix_code');
    expect(answers[0]!.reason).toMatch(/line \d+/);
    expect(answers[0]!.rootCause).toContain('AssertionError: expected 3 to equal 4');
  });

  it('numbers lines broken by a lone \\r the way the labelled data does', async () => {
    const log = ['$ ./build.sh', 'Downloading 10%', 'Downloading 90%', "src/a.c:3:1: error: unknown type name 'foo'", 'The command "./build.sh" exited with 1.'].join('\r');
    const a = await analyzer.analyze({ log });
    expect(a.failureLines).toEqual([[4, 4]]);
    expect(a.category).toBe('compilation');
  });

  it('strips ANSI colours before reading lines and from the excerpt', async () => {
    const log = ['$ cargo build', '\x1b[0m\x1b[1m\x1b[38;5;9merror[E0425]\x1b[0m\x1b[0m\x1b[1m: cannot find value `x` in this scope\x1b[0m', 'The command "cargo build" exited with 101.'].join('\n');
    const a = await analyzer.analyze({ log });
    expect(a.failureLines).toEqual([[2, 2]]);
    expect(a.excerpt[0]!.text).toBe('error[E0425]: cannot find value `x` in this scope');
    expect(a.category).toBe('compilation');
  });

  it('explains a 5 MB log that is one line without a break', async () => {
    const a = await analyzer.analyze({ log: Buffer.from(`${'x'.repeat(5 * 1024 * 1024)} error: never ends`) });
    expect(a.category).toBe('unknown');
    expect(a.recommendedAction).toBe('none');
    expect(a.confidence).toBeLessThan(0.4);
  });

  it('says unknown, with low confidence, when no line reads as a failure', async () => {
    const a = await analyzer.analyze({ log: ['$ ./run.sh', 'all good here', 'The command "./run.sh" exited with 1.'].join('\n') });
    expect(a.category).toBe('unknown');
    expect(a.confidence).toBeLessThan(0.4);
    expect(a.recommendedAction).toBe('none');
    expect(a.failureLines.flat().every((n) => n >= 2 && n <= 3)).toBe(true);
  });

  it('calls a failure flaky only when history says the same commit passed on a rerun', async () => {
    const a = await analyzer.analyze({ log: FAILING.join('\n'), history: { sameShaPassedAfterFailure: true } });
    expect(a.category).toBe('flaky');
    expect(a.recommendedAction).toBe('rerun');
    const b = await analyzer.analyze({ log: FAILING.join('\n'), history: { sameShaPassedAfterFailure: false, recentFailureRate: 0.01 } });
    expect(b.category).toBe('test_failure');
  });

  it('uses the check run output and annotations when the log says little', async () => {
    const a = await analyzer.analyze({
      log: ['##[group]Run ./check.sh', 'checking', '##[error]Process completed with exit code 1.'].join('\n'),
      checkName: 'lint',
      annotations: [{ path: 'src/a.ts', start_line: 3, message: "'x' is assigned a value but never used (no-unused-vars)", annotation_level: 'failure' }],
    });
    expect(a.category).toBe('lint_format');
  });

  it('uses the passing log: every new error line is reported, shared lines are not', async () => {
    const passing = ['$ mvn test', '[INFO] Tests run: 5, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 1.2 s', '[INFO] BUILD SUCCESS', 'Finished: SUCCESS'];
    const failing = [
      '$ mvn test',
      '[ERROR] Tests run: 5, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 1.4 s <<< FAILURE! - in com.x.AppTest',
      '[ERROR] testAdd  Time elapsed: 0.01 s  <<< FAILURE!',
      'org.opentest4j.AssertionFailedError: expected: <3> but was: <4>',
      '\tat com.x.AppTest.testAdd(AppTest.java:12)',
      '[INFO] BUILD FAILURE',
      "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:3.0.0:test (default-test) on project app: There are test failures.",
      "Build step 'Execute shell' marked build as failure",
      'Finished: FAILURE',
    ];
    const a = await analyzer.analyze({ log: failing.join('\n'), passingLog: passing.join('\n') });
    const found = new Set(a.failureLines.flatMap(([s, e]) => Array.from({ length: e - s + 1 }, (_, i) => s + i)));
    for (const n of [2, 3, 4, 5, 7]) expect(found.has(n), `line ${n} in ${JSON.stringify(a.failureLines)}`).toBe(true);
    expect(found.has(1)).toBe(false);
    expect(a.category).toBe('test_failure');
  });
});

describe('digestLog', () => {
  it('keeps a bounded number of lines however many look like failures', async () => {
    const lines: string[] = ['$ make'];
    for (let i = 0; i < 60_000; i++) lines.push(i % 3 === 0 ? `src/f${i}.c:1:1: error: bad thing ${i}` : `  CC src/f${i}.o`);
    lines.push('The command "make" exited with 2.');
    const d = await digestLog(lines.join('\n'), { maxKept: 5_000, tail: 500 });
    expect(d.lineCount).toBe(60_002);
    expect(d.lines.length).toBeLessThanOrEqual(5_000 + 500);
    expect(d.lines.some((l) => l.n === 2)).toBe(true); // the first error stays
    expect(d.failedSteps[0]).toMatchObject({ start: 1, end: 60_002, exitCode: 2, command: 'make' });
    // lines stay in order and unique
    for (let i = 1; i < d.lines.length; i++) expect(d.lines[i]!.n).toBeGreaterThan(d.lines[i - 1]!.n);
  });

  it('reads a 20 MB log streamed in chunks and keeps a bounded digest', async () => {
    async function* generate(): AsyncGenerator<Buffer> {
      yield Buffer.from('$ make test\n');
      let i = 0;
      let bytes = 0;
      while (bytes < 20 * 1024 * 1024) {
        let chunk = '';
        for (let k = 0; k < 2000; k++, i++) chunk += i % 50 === 0 ? `src/m${i}.c:${i % 900}:3: warning: unused variable 'v${i}'\n` : `ok ${i} - case ${i} passes in ${i % 97} ms\r\n`;
        bytes += chunk.length;
        yield Buffer.from(chunk);
      }
      yield Buffer.from("src/parser.c:812:14: error: 'struct token' has no member named 'kind'\nThe command \"make test\" exited with 2.\n");
    }
    const d = await digestLog(generate(), { maxKept: 20_000 });
    expect(d.lineCount).toBeGreaterThan(400_000);
    expect(d.lines.length).toBeLessThanOrEqual(20_000 + 1_500);
    const a = await createRuleAnalyzer().analyze({ log: generate() });
    expect(a.failureLines).toEqual([[d.lineCount - 1, d.lineCount - 1]]);
    expect(a.category).toBe('compilation');
  }, 60_000);

  it('keeps only the first characters of each line', async () => {
    const d = await digestLog(`error: ${'y'.repeat(10_000)}\n`, { maxLineLength: 100 });
    expect(d.lines[0]!.text.length).toBe(100);
  });
});
