import { describe, expect, it } from 'vitest';
import { bannerStyle, detailKind, lineSignal, LINE_RULES, looksLikeCommand } from './line-signals.js';
import { gateOf, gateOfWords, GateSet, groupByFirstCharacter } from './rule-gate.js';

describe('lineSignal', () => {
  it.each([
    ['src/foo.c:12:5: error: expected ‘;’ before ‘}’ token', 'error', 'compilation'],
    ['error[E0425]: cannot find value `x` in this scope', 'error', 'compilation'],
    ["src/index.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.", 'error', 'type_check'],
    ['--- FAIL: TestAdd (0.00s)', 'header', 'test_failure'],
    ['com.example.AppTest > adds FAILED', 'header', 'test_failure'],
    ['npm ERR! 404 Not Found - GET https://registry.npmjs.org/left-padd', 'error', 'dependency_resolution'],
    ["fatal: unable to access 'https://github.com/x/y/': Could not resolve host: github.com", 'error', 'network_timeout'],
    ['java.io.IOException: No space left on device', 'error', 'infrastructure'],
    ['git@github.com: Permission denied (publickey).', 'error', 'credentials_permissions'],
    ['./ci.sh: line 3: shellcheckx: command not found', 'error', 'configuration'],
  ])('reads %j as %s (%s)', (line, kind, category) => {
    const s = lineSignal(line);
    expect(s.kind).toBe(kind);
    expect(s.category).toBe(category);
    expect(s.score).toBeGreaterThanOrEqual(4);
  });

  it('treats consequences as summaries, whatever error words they contain', () => {
    for (const line of ['make: *** [Makefile:3: foo.o] Error 1', 'npm ERR! code ELIFECYCLE', 'The command "make test" exited with 2.', 'Tests run: 3, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.1 sec <<< FAILURE!', '[ERROR] -> [Help 1]']) {
      expect(lineSignal(line).kind, line).toBe('summary');
    }
  });

  it('ignores passing tests and zero counts', () => {
    for (const line of ['ok 12 - handles errors', '✓ raises an error on bad input', 'Tests run: 10, Failures: 0, Errors: 0, Skipped: 0', 'test_error_path PASSED', 'unknown option fallback:    OK']) {
      expect(lineSignal(line).score, line).toBe(0);
    }
  });

  it('does not take error words in commands, flags and file names for failures', () => {
    expect(lineSignal('$ gcc -Werror -c error.c -o error.o').score).toBeLessThan(2);
    expect(lineSignal('[ 42 of 147] Compiling Text.Pandoc.Error ( src/Text/Pandoc/Error.hs )').score).toBeLessThan(2);
  });

  it('keeps warnings weak unless nothing else is there', () => {
    expect(lineSignal('src/a.c:3:1: warning: unused variable ‘x’').score).toBeLessThanOrEqual(2.5);
    expect(lineSignal('WARNING: no certificate subject alternative name matches').score).toBeLessThanOrEqual(2.5);
  });

  it('gives nothing for empty lines and plain output', () => {
    expect(lineSignal('').score).toBe(0);
    expect(lineSignal('Compiling 12 source files to target/classes').score).toBe(0);
  });

  it('caps the text it matches, so a huge line costs no more than a short one', () => {
    const s = lineSignal(`${'a'.repeat(1_000_000)} error: late`);
    expect(s.score).toBe(0);
  });

  it('survives inputs that make naive patterns backtrack', () => {
    const evil = [`${'a.'.repeat(3000)}!`, `${':1'.repeat(3000)}x`, `${'_'.repeat(5000)}`, `${'-- '.repeat(2000)}`, `${'a:'.repeat(3000)}error`];
    const t0 = performance.now();
    for (const e of evil) lineSignal(e);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('line shapes', () => {
  it('recognises stack frames, carets, code excerpts and notes as details', () => {
    for (const l of ['    at com.x.App.main(App.java:3)', '  File "a.py", line 3, in <module>', '         ^~~~', '  |', '12 |     let y = x;', '= note: see issue #1', "/app/lib/x.rb:12:in `block in run'"]) {
      expect(detailKind(l), l).toBe(true);
    }
    expect(detailKind('plain text')).toBe(false);
  });

  it('recognises banners and command echoes', () => {
    expect(bannerStyle('_____ test_add _____')).toBe('_');
    expect(bannerStyle('---- tests::adds stdout ----')).toBe('-');
    expect(bannerStyle('--------------------')).toBeNull();
    expect(looksLikeCommand('$ make test')).toBe(true);
    expect(looksLikeCommand('gcc -Wall -Werror -O2 -c x.c')).toBe(true);
    expect(looksLikeCommand('error: something broke')).toBe(false);
  });
});

describe('rule gates', () => {
  const samples = [
    'src/foo.c:12:5: error: boom',
    'ERROR: Could not find a version that satisfies the requirement x',
    'FATAL ERROR: Ineffective mark-compacts near heap limit Allocation failed - JavaScript heap out of memory',
    'fatal: unable to access https://x: Could not resolve host: github.com',
    'Caused by: java.net.ConnectException: Connection refused',
    'npm ERR! code E404',
    'tests/test_a.py:4: AssertionError',
    '  1) Calculator adds',
    'E       assert 3 == 4',
    '[error] /a/B.scala:3:7: type mismatch;',
    'docker: Error response from daemon: pull access denied for x',
    'The command "make" exited with 2.',
    'CVE-2021-44228 log4j-core CRITICAL',
    'Permission Denied (PublicKey)',
    'Timeout of 2000ms exceeded',
  ];

  it('never skip a rule that would match (checked on every rule and sample)', () => {
    const gates = new GateSet(LINE_RULES.map((r) => (r.words ? gateOfWords(r.words) : gateOf(r.re))));
    for (const line of samples) {
      gates.prepare(line);
      LINE_RULES.forEach((r, i) => {
        if (r.re.test(line)) expect(gates.mayMatch(i), `${r.rule} on ${line}`).toBe(true);
      });
    }
  });

  it('grouping an alternation by first character changes no answer', () => {
    const re = /[Ee]rr|ERR|[Ff]ail|FAIL|xception|[Nn]ot (?:found|ok)|MD\d{3}\/|E40[134]/;
    const grouped = groupByFirstCharacter(re);
    expect(grouped.source).not.toBe(re.source);
    for (const s of [...samples, 'Not ok', 'nothing here', 'MD012/no-multiple-blanks', 'E403', 'exceptional', 'fail', 'ok']) expect(grouped.test(s), s).toBe(re.test(s));
  });

  it('read first characters and literal words from a pattern, and give up on what they cannot read', () => {
    expect(gateOf(/^The command|^" exited/)?.firstChars).toEqual(new Set(['T', '"']));
    expect(gateOf(/\bCould not (?:find|resolve) artifact\b/)?.needles).toEqual(['Could not ']);
    expect(gateOf(/\b(?:502 Bad Gateway|[Tt]oo many)\b/)?.needles).toEqual(['502 Bad Gateway', 'Too many', 'too many']);
    expect(gateOf(/\d+ failing/)).toBeNull();
    expect(gateOf(/ab?c/)).toBeNull();
  });
});
