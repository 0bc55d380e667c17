import { describe, expect, it } from 'vitest';
import { collectCandidates } from './candidate-blocks.js';
import { selectFailureLines } from './failure-lines.js';
import { digestLog } from './log-digest.js';
import { buildPassingFilter } from './passing-diff.js';

const lines = (...xs: string[]) => xs.join('\n');

describe('selectFailureLines', () => {
  it('reports the error of the step that failed, not what the after_failure dump prints later', async () => {
    const log = lines(
      '$ ./configure',
      'checking for gcc... gcc',
      'The command "./configure" exited with 0.',
      '$ make check',
      'CC src/a.o',
      "src/a.c:7:3: error: implicit declaration of function 'frob'",
      'make: *** [src/a.o] Error 1',
      'The command "make check" exited with 2.',
      'travis_fold:start:after_failure',
      '$ cat config.log',
      'configure:1234: error: C compiler cannot create executables',
      'conftest.c:1:10: fatal error: missing.h: No such file or directory',
    );
    const sel = selectFailureLines(await digestLog(log));
    expect(sel.focus).toEqual({ start: 4, end: 8 });
    expect(sel.ranges).toEqual([[6, 6]]);
  });

  it('focuses on the last step when no step reports an exit code (a truncated log)', async () => {
    const log = lines('$ npm ci', 'added 120 packages', '$ npm test', '  1 failing', '', '  1) adds:', '     AssertionError: expected 3 to equal 4');
    const sel = selectFailureLines(await digestLog(log));
    expect(sel.focus).toEqual({ start: 3, end: 7 });
    expect(sel.ranges).toEqual([[6, 7]]);
  });

  it('with a passing log, reports every new error cluster, bridged over stack frames both runs print', async () => {
    const passing = lines('$ mvn test', '[INFO] Running com.x.ATest', '\tat org.junit.runners.Suite.run(Suite.java:1)', '\tat org.apache.maven.surefire.Booter.main(Booter.java:2)', '[INFO] BUILD SUCCESS');
    const failing = lines(
      '$ mvn test',
      '[INFO] Running com.x.ATest',
      'java.lang.IllegalStateException: pool exhausted',
      '\tat org.junit.runners.Suite.run(Suite.java:1)',
      '\tat org.apache.maven.surefire.Booter.main(Booter.java:2)',
      'Caused by: java.net.ConnectException: Connection refused',
      '[INFO] Downloading https://repo/x.pom',
      '[INFO] Downloaded https://repo/x.pom',
      '[INFO] Finished at: 2024-03-01T10:00:00Z',
    );
    const d = await digestLog(failing, { passing: await buildPassingFilter(passing) });
    const sel = selectFailureLines(d);
    expect(sel.ranges).toEqual([[3, 6]]);
  });

  it('offers the whole list under a "Failures:" heading as a candidate', async () => {
    const log = lines('$ rake test', 'Failures:', '', '  1) A fails', '     expected 1', '', '  2) B fails', '     expected 2', '', '2 examples, 2 failures', 'The command "rake test" exited with 1.');
    const cands = collectCandidates(await digestLog(log));
    const list = cands.find((c) => c.source === 'list');
    expect(list).toBeDefined();
    expect([list!.anchor.n]).toEqual([4]);
  });

  it("ends a non-banner header's section where the indentation comes back to the header's", async () => {
    const log = lines(
      '$ sbt test',
      '[info] CalcSpec:',
      '[info] - adds *** FAILED ***',
      '[info]   3 did not equal 4 (CalcSpec.scala:7)',
      '[info] - subtracts',
      '[info] - multiplies',
      '[info] Run completed in 1 second.',
      'The command "sbt test" exited with 1.',
    );
    const d = await digestLog(log);
    const fromHeader = collectCandidates(d).filter((c) => c.anchor.n === 3 && (c.source === 'section' || c.source === 'block'));
    expect(fromHeader.map((c) => d.lines[c.to]!.n)).not.toContain(6);
    expect(Math.max(...fromHeader.map((c) => d.lines[c.to]!.n))).toBe(4);
    expect(selectFailureLines(d).ranges).toEqual([[3, 4]]);
  });

  it("keeps a line nested under a test's header in its block even when it reads as a pass", async () => {
    const log = lines('$ npm test', 'ok 1 loads', 'not ok 2 no errors', '  ---', '    operator: notOk', '    stack: |-', '      Error: no errors', '          at Test.run (test.js:9:3)', '  ...', 'ok 3 saves', 'The command "npm test" exited with 1.');
    const d = await digestLog(log);
    const block = collectCandidates(d).find((c) => c.source === 'block' && c.anchor.n === 3);
    expect(block && [d.lines[block.from]!.n, d.lines[block.to]!.n]).toEqual([3, 9]);
  });

  it("offers an error's paragraph, with the unindented reason lines a tool prints under it", async () => {
    const log = lines('$ make docs', 'Error: Parse error on line 12:', '...the sourcedir.**Common**...', "Expecting 'BACKTICK', got 'TEXT'", '', 'make: *** [docs] Error 1', 'The command "make docs" exited with 2.');
    const d = await digestLog(log);
    const para = collectCandidates(d).find((c) => c.source === 'paragraph');
    expect(para && [d.lines[para.from]!.n, d.lines[para.to]!.n]).toEqual([2, 4]);
  });

  it('prefers the first of several failures of the same kind in the failing step', async () => {
    const log = lines(
      '$ ./gradlew test',
      'com.x.ATest > first FAILED',
      '    java.lang.AssertionError at ATest.java:10',
      '',
      'com.x.BTest > second FAILED',
      '    java.lang.AssertionError at BTest.java:20',
      '',
      'com.x.CTest > third FAILED',
      '    java.lang.AssertionError at CTest.java:30',
      '',
      '3 tests completed, 3 failed',
      'The command "./gradlew test" exited with 1.',
    );
    const d = await digestLog(log);
    const ranks = collectCandidates(d)
      .filter((c) => c.source === 'block')
      .map((c) => [c.anchor.n, c.features.ruleRank]);
    expect(ranks.slice(0, 3)).toEqual([
      [2, 0],
      [5, 1],
      [8, Math.log2(3)],
    ]);
    const [first] = selectFailureLines(d).ranges;
    expect(first?.[0]).toBe(2);
  });
});
