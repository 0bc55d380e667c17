/**
 * One small synthetic failed build per tool family: the analyzer must report the lines marked `»`
 * (and not much more), the expected category and its action.
 */
import { describe, expect, it } from 'vitest';
import { createRuleAnalyzer } from './rule-analyzer.js';
import { ACTION_FOR_CATEGORY, type FailureCategory } from './types.js';

interface Case {
  name: string;
  cmd: string;
  body: string[];
  category: FailureCategory;
  /** GitHub Actions layout instead of Travis. */
  actions?: boolean;
}

const NOISE_BEFORE = [
  'travis_fold:start:worker_info',
  '\x1b[33;1mWorker information\x1b[0m',
  'hostname: 6a1f9c2e-7d1b-4b7a-9d0f-1c2b3a4d5e6f@1.worker-org-5d8.gce-production-3',
  'travis_fold:end:worker_info',
  'travis_fold:start:git.checkout',
  '$ git clone --depth=50 https://github.com/example/app.git example/app',
  "Cloning into 'example/app'...",
  'remote: Enumerating objects: 120, done.',
  'Receiving objects: 100% (120/120), 45.10 KiB | 4.51 MiB/s, done.',
  'travis_fold:end:git.checkout',
  '$ ./ci/install.sh',
  'Using cached dependencies, nothing to install.',
  'The command "./ci/install.sh" exited with 0.',
];

/** A Travis (or GitHub Actions) log around `body`; returns the log and the lines marked `»`. */
function buildLog(c: Case): { log: string; expected: number[] } {
  const lines: string[] = [];
  const expected: number[] = [];
  const push = (l: string) => {
    if (l.startsWith('»')) {
      lines.push(l.slice(1));
      expected.push(lines.length);
    } else lines.push(l);
  };
  if (c.actions) {
    const ts = (i: number) => `2024-03-01T10:00:${String(i % 60).padStart(2, '0')}.1234567Z `;
    const body = ['##[group]Run actions/checkout@v4', 'Syncing repository: example/app', '##[endgroup]', `##[group]Run ${c.cmd}`, ...c.body, '##[error]Process completed with exit code 1.', 'Post job cleanup.', '[command]/usr/bin/git version'];
    body.forEach((l, i) => push(l.startsWith('»') ? `»${ts(i)}${l.slice(1)}` : ts(i) + l));
  } else {
    NOISE_BEFORE.forEach(push);
    push('travis_time:start:0a1b2c3d');
    push(`$ ${c.cmd}`);
    c.body.forEach(push);
    push('travis_time:end:0a1b2c3d:start=1,finish=2,duration=1');
    push(`The command "${c.cmd}" exited with 1.`);
    push('');
    push('Done. Your build exited with 1.');
  }
  return { log: lines.join('\n'), expected };
}

const CASES: Case[] = [
  // ── compilers ──
  { name: 'gcc', cmd: 'make', category: 'compilation', body: ['gcc -c -Wall -O2 src/util.c -o src/util.o', "src/foo.c: In function 'main':", "»src/foo.c:12:5: error: 'count' undeclared (first use in this function)", '»   12 |     count = 1;', '»      |     ^~~~~', 'make: *** [Makefile:3: src/foo.o] Error 1'] },
  { name: 'clang', cmd: 'cmake --build build', category: 'compilation', body: ['[ 50%] Building CXX object CMakeFiles/app.dir/main.cpp.o', "»/home/travis/app/main.cpp:3:10: fatal error: 'boost/asio.hpp' file not found", '»#include <boost/asio.hpp>', '»         ^~~~~~~~~~~~~~~~', '1 error generated.', 'make[2]: *** [CMakeFiles/app.dir/main.cpp.o] Error 1'] },
  { name: 'javac (Maven)', cmd: 'mvn -B verify', category: 'compilation', body: ['[INFO] Compiling 12 source files to /home/travis/app/target/classes', '[INFO] -------------------------------------------------------------', '[ERROR] COMPILATION ERROR : ', '[INFO] -------------------------------------------------------------', '»[ERROR] /home/travis/app/src/main/java/App.java:[10,5] cannot find symbol', '»  symbol:   variable total', '»  location: class com.example.App', '[INFO] 1 error', '[INFO] BUILD FAILURE', '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.8.1:compile (default-compile) on project app: Compilation failure', '[ERROR] -> [Help 1]'] },
  { name: 'rustc', cmd: 'cargo build --verbose', category: 'compilation', body: ['   Compiling app v0.1.0 (/home/travis/app)', '»error[E0425]: cannot find value `x` in this scope', '» --> src/main.rs:2:13', '»  |', '»2 |     let y = x;', '»  |             ^ not found in this scope', '', 'error: aborting due to previous error', 'error: could not compile `app`.'] },
  { name: 'go build', cmd: 'go build ./...', category: 'compilation', body: ['go: downloading github.com/pkg/errors v0.9.1', '# github.com/example/app', '»./main.go:5:2: undefined: fmt.Printx'] },
  { name: 'tsc', cmd: 'npx tsc --noEmit', category: 'type_check', body: ['»src/index.ts(3,7): error TS2322: Type \'string\' is not assignable to type \'number\'.', '', 'Found 1 error.'] },
  { name: 'scalac (sbt)', cmd: 'sbt compile', category: 'compilation', body: ['[info] compiling 3 Scala sources to /home/travis/app/target/scala-2.13/classes ...', '»[error] /home/travis/app/src/main/scala/A.scala:3:7: type mismatch;', '»[error]  found   : String("x")', '»[error]  required: Int', '[error] one error found', '[error] (Compile / compileIncremental) Compilation failed', '[error] Total time: 4 s, completed Mar 1, 2024 10:00:00 AM'] },
  { name: 'kotlinc (Gradle)', cmd: './gradlew build', category: 'compilation', body: ['> Task :compileKotlin', '»e: /home/travis/app/src/main/kotlin/A.kt: (3, 7): Unresolved reference: total', '', '> Task :compileKotlin FAILED', '', 'FAILURE: Build failed with an exception.', '', '* What went wrong:', "Execution failed for task ':compileKotlin'.", '> Compilation error. See log for more details'] },
  // ── test runners ──
  { name: 'JUnit (Surefire)', cmd: 'mvn -B test', category: 'test_failure', body: ['Running com.example.AppTest', 'Tests run: 2, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.05 sec <<< FAILURE!', '»testAdd(com.example.AppTest)  Time elapsed: 0.01 sec  <<< FAILURE!', '»java.lang.AssertionError: expected:<3> but was:<4>', '»\tat org.junit.Assert.fail(Assert.java:88)', '»\tat com.example.AppTest.testAdd(AppTest.java:12)', '', 'Results :', '', 'Failed tests: ', '  AppTest.testAdd:12 expected:<3> but was:<4>', '', 'Tests run: 2, Failures: 1, Errors: 0, Skipped: 0', '[INFO] BUILD FAILURE'] },
  { name: 'Gradle test', cmd: './gradlew test', category: 'test_failure', body: ['> Task :test', '', '»com.example.AppTest > adds FAILED', '»    java.lang.AssertionError at AppTest.java:12', '', '2 tests completed, 1 failed', '', '> Task :test FAILED', '', 'FAILURE: Build failed with an exception.'] },
  { name: 'pytest', cmd: 'pytest', category: 'test_failure', body: ['tests/test_a.py .F.                                                    [100%]', '', '=================================== FAILURES ===================================', '»___________________________________ test_add ___________________________________', '»', '»    def test_add():', '»>       assert add(1, 2) == 4', '»E       assert 3 == 4', '»', '»tests/test_a.py:4: AssertionError', '=========================== short test summary info ============================', 'FAILED tests/test_a.py::test_add - assert 3 == 4', '========================= 1 failed, 2 passed in 0.12s =========================='] },
  { name: 'unittest', cmd: 'python -m unittest', category: 'test_failure', body: ['..F', '======================================================================', '»FAIL: test_add (tests.test_math.MathTest)', '»----------------------------------------------------------------------', '»Traceback (most recent call last):', '»  File "tests/test_math.py", line 5, in test_add', '»    self.assertEqual(add(1, 2), 4)', '»AssertionError: 3 != 4', '', '----------------------------------------------------------------------', 'Ran 3 tests in 0.001s', '', 'FAILED (failures=1)'] },
  { name: 'RSpec', cmd: 'bundle exec rspec', category: 'test_failure', body: ['..F', '', 'Failures:', '', '»  1) Calculator adds', '»     Failure/Error: expect(add(1, 2)).to eq(4)', '»', '»       expected: 4', '»            got: 3', '»     # ./spec/calc_spec.rb:5:in `block (2 levels) in <top (required)>\'', '', 'Finished in 0.01 seconds (files took 0.1 seconds to load)', '3 examples, 1 failure', '', 'Failed examples:', '', 'rspec ./spec/calc_spec.rb:4 # Calculator adds'] },
  { name: 'minitest', cmd: 'bundle exec rake test', category: 'test_failure', body: ['Run options: --seed 1234', '', '# Running:', '', '..F', '', 'Finished in 0.001s, 3000.0 runs/s.', '', '»  1) Failure:', '»CalculatorTest#test_add [test/calc_test.rb:6]:', '»Expected: 4', '»  Actual: 3', '', '3 runs, 3 assertions, 1 failures, 0 errors, 0 skips'] },
  { name: 'Jest', cmd: 'npm test', category: 'test_failure', body: ['> app@1.0.0 test', '> jest', '', 'FAIL src/calc.test.js', '»  ● Calculator › adds', '»', '»    expect(received).toBe(expected) // Object.is equality', '»', '»    Expected: 4', '»    Received: 3', '', 'Tests:       1 failed, 2 passed, 3 total'] },
  { name: 'mocha', cmd: 'npm test', category: 'test_failure', body: ['  Calculator', '    ✓ subtracts', '    1) adds', '', '  1 passing (8ms)', '  1 failing', '', '»  1) Calculator', '»       adds:', '»     AssertionError: expected 3 to equal 4', '»      at Context.<anonymous> (test/calc.test.js:5:29)', '', 'npm ERR! Test failed.  See above for more details.'] },
  { name: 'go test', cmd: 'go test ./...', category: 'test_failure', body: ['=== RUN   TestAdd', '»--- FAIL: TestAdd (0.00s)', '»    calc_test.go:8: add(1, 2) = 3, want 4', 'FAIL', 'FAIL\tgithub.com/example/calc\t0.002s', 'ok  \tgithub.com/example/other\t0.003s'] },
  { name: 'cargo test', cmd: 'cargo test', category: 'test_failure', body: ['running 2 tests', 'test tests::subtracts ... ok', 'test tests::adds ... FAILED', '', 'failures:', '', '»---- tests::adds stdout ----', "»thread 'tests::adds' panicked at 'assertion failed: `(left == right)`", '»  left: `3`,', "» right: `4`', src/lib.rs:9:9", '', 'failures:', '    tests::adds', '', 'test result: FAILED. 1 passed; 1 failed; 0 ignored'] },
  { name: 'PHPUnit', cmd: 'vendor/bin/phpunit', category: 'test_failure', body: ['PHPUnit 9.5.0 by Sebastian Bergmann and contributors.', '', '..F', '', 'There was 1 failure:', '', '»1) CalculatorTest::testAdd', '»Failed asserting that 3 matches expected 4.', '»', '»/home/travis/app/tests/CalculatorTest.php:9', '', 'FAILURES!', 'Tests: 3, Assertions: 3, Failures: 1.'] },
  { name: 'CTest', cmd: 'ctest --output-on-failure', category: 'test_failure', body: ['1/3 Test #1: parse_test .......................   Passed    0.01 sec', '»2/3 Test #2: calc_test ........................***Failed    0.01 sec', '3/3 Test #3: io_test ..........................   Passed    0.01 sec', '', '67% tests passed, 1 tests failed out of 3', '', 'The following tests FAILED:', '\t  2 - calc_test (Failed)', 'Errors while running CTest'] },
  // ── linters and formatters ──
  { name: 'ESLint', cmd: 'npx eslint .', category: 'lint_format', body: ['', '/home/travis/app/src/a.js', "»  3:7  error  'x' is assigned a value but never used  no-unused-vars", '»  5:1  error  Expected indentation of 2 spaces but found 4  indent', '', '✖ 2 problems (2 errors, 0 warnings)'] },
  { name: 'RuboCop', cmd: 'bundle exec rubocop', category: 'lint_format', body: ['Inspecting 12 files', '..C.........', '', 'Offenses:', '', '»app/models/user.rb:3:5: C: Style/StringLiterals: Prefer single-quoted strings when you don\'t need string interpolation or special symbols.', '»    name = "x"', '»           ^^^', '', '12 files inspected, 1 offense detected'] },
  { name: 'flake8', cmd: 'flake8 app', category: 'lint_format', body: ['»./app/main.py:12:80: E501 line too long (88 > 79 characters)', "»./app/main.py:15:1: F401 'os' imported but unused"] },
  { name: 'Checkstyle', cmd: './gradlew checkstyleMain', category: 'lint_format', body: ['> Task :checkstyleMain', '»[ant:checkstyle] [ERROR] /home/travis/app/src/main/java/A.java:12:5: Missing a Javadoc comment. [JavadocMethod]', '', '> Task :checkstyleMain FAILED'] },
  { name: 'gofmt (golangci-lint)', cmd: 'golangci-lint run', category: 'lint_format', body: ['»main.go:5: File is not `gofmt`-ed with `-s` (gofmt)', '»import (', "level=info msg=\"Execution took 1.2s\""] },
  { name: 'black', cmd: 'black --check .', category: 'lint_format', body: ['»would reformat src/app.py', '»Oh no! 💥 💔 💥', '1 file would be reformatted, 12 files would be left unchanged.'] },
  { name: 'Prettier', cmd: 'npx prettier --check .', category: 'lint_format', body: ['Checking formatting...', '[warn] src/app.js', '»[warn] Code style issues found in the above file. Forgot to run Prettier?'] },
  // ── package managers ──
  { name: 'npm', cmd: 'npm ci', category: 'dependency_resolution', body: ['npm ERR! code E404', '»npm ERR! 404 Not Found - GET https://registry.npmjs.org/left-padd - Not found', "npm ERR! 404  'left-padd@^1.0.0' is not in this registry.", 'npm ERR! A complete log of this run can be found in:'] },
  { name: 'yarn', cmd: 'yarn install --frozen-lockfile', category: 'dependency_resolution', body: ['yarn install v1.22.19', '[1/4] Resolving packages...', '»error Couldn\'t find package "left-padd@^1.0.0" required by "app@1.0.0" on the "npm" registry.', 'info Visit https://yarnpkg.com/en/docs/cli/install for documentation about this command.'] },
  { name: 'pip', cmd: 'pip install -r requirements.txt', category: 'dependency_resolution', body: ['Collecting requestz==9.9', '»ERROR: Could not find a version that satisfies the requirement requestz==9.9 (from versions: none)', '»ERROR: No matching distribution found for requestz==9.9'] },
  { name: 'Bundler', cmd: 'bundle install --jobs=3', category: 'dependency_resolution', body: ['Fetching gem metadata from https://rubygems.org/.........', '»Could not find gem \'railz (~> 9.0)\' in any of the gem sources listed in your Gemfile.'] },
  { name: 'Maven dependencies', cmd: 'mvn -B package', category: 'dependency_resolution', body: ['[INFO] BUILD FAILURE', '»[ERROR] Failed to execute goal on project app: Could not resolve dependencies for project com.example:app:jar:1.0: Could not find artifact com.example:lib:jar:9.9 in central (https://repo.maven.apache.org/maven2) -> [Help 1]', '[ERROR] '] },
  // ── Docker, shell, CI services ──
  { name: 'Docker build step', cmd: 'docker build -t app .', category: 'configuration', body: ['Step 4/7 : RUN make', ' ---> Running in 3f2c1b0a9e8d', '»/bin/sh: 1: make: not found', "The command '/bin/sh -c make' returned a non-zero code: 127"] },
  { name: 'Docker pull denied', cmd: 'docker run example/private:latest', category: 'credentials_permissions', body: ["»docker: Error response from daemon: pull access denied for example/private, repository does not exist or may require 'docker login': denied: requested access to the resource is denied."] },
  { name: 'shell command not found', cmd: './ci/lint.sh', category: 'configuration', body: ['Running shell checks', '»./ci/lint.sh: line 3: shellcheckx: command not found'] },
  { name: 'GitHub Actions runner shutdown', cmd: 'npm test', actions: true, category: 'infrastructure', body: ['> app@1.0.0 test', '»##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped, or a manually started runner is canceled.'] },
  { name: 'GitHub Actions unknown action', cmd: 'actions/setup-node@v9', actions: true, category: 'configuration', body: ["»Error: Unable to resolve action `actions/setup-node@v9`, unable to find version `v9`"] },
  // ── platform trouble ──
  { name: 'disk full', cmd: './gradlew assemble', category: 'infrastructure', body: ['> Task :compileJava', '»java.io.IOException: No space left on device', '»\tat java.io.FileOutputStream.writeBytes(Native Method)'] },
  { name: 'out of memory', cmd: 'npm run build', category: 'infrastructure', body: ['> webpack --mode production', '<--- Last few GCs --->', '»FATAL ERROR: Ineffective mark-compacts near heap limit Allocation failed - JavaScript heap out of memory'] },
  { name: 'DNS failure', cmd: 'git submodule update --init', category: 'network_timeout', body: ["Cloning into '/home/travis/app/vendor/lib'...", "»fatal: unable to access 'https://github.com/example/lib.git/': Could not resolve host: github.com"] },
  { name: 'SSH key refused', cmd: 'git push deploy main', category: 'credentials_permissions', body: ['»git@github.com: Permission denied (publickey).', '»fatal: Could not read from remote repository.', '', 'Please make sure you have the correct access rights'] },
  { name: 'npm audit', cmd: 'npm audit --audit-level=high', category: 'security_scan', body: ['# npm audit report', '', 'lodash  <4.17.21', 'Severity: high', 'Prototype Pollution - https://github.com/advisories/GHSA-p6mc-m468-83gw', '»found 3 vulnerabilities (1 moderate, 2 high)', '  run `npm audit fix` to fix them, or `npm audit` for details'] },
  { name: 'invalid workflow file', cmd: 'echo', actions: true, category: 'configuration', body: ['»Invalid workflow file: .github/workflows/ci.yml#L12: Unexpected value \'runs_on\''] },
  // ── added with the category labels (bench/triage-categories): formats the development repositories' logs showed ──
  { name: 'CMake missing package', cmd: './scripts/configure.sh', category: 'dependency_resolution', body: ['-- Found PythonInterp: /usr/bin/python2.7', '»CMake Error at /usr/share/cmake-3.2/Modules/FindPackageHandleStandardArgs.cmake:138 (message):', '»  Could NOT find Foo (missing: FOO_ROOT_DIR FOO_LIBRARIES)', '-- Configuring incomplete, errors occurred!'] },
  { name: 'shared library missing', cmd: '$EMACS --batch -l check.el', category: 'dependency_resolution', body: ['»/tmp/emacs/bin/emacs: error while loading shared libraries: libgnutls.so.26: cannot open shared object file: No such file or directory'] },
  { name: 'html-proofer dead links', cmd: 'bash cibuild.sh', category: 'lint_format', body: ['Checking 120 external links...', 'Ran on 40 files!', '', '- ./_site/guide/index.html', '»  *  External link https://example.org/old-page failed: 404 No error', '»htmlproofer 3.0.6 | Error:  HTML-Proofer found 1 failure!'] },
  { name: 'Sass', cmd: 'npm run build-css', category: 'compilation', body: ['> app@1.0.0 build-css', '> node-sass sass/app.sass css/app.css', '»Error: Invalid CSS after "2.3em": expected expression (e.g. 1px, bold), was ";"', '»        on line 86 of sass/components/dropdown.sass'] },
  { name: 'Karma browser disconnected', cmd: 'npm run test:browsers', category: 'network_timeout', body: ['Chrome 75.0.3770 (Mac OS X 10.13.6): Executed 0 of 120 SUCCESS (0 secs / 0 secs)', '»Chrome 75.0.3770 (Mac OS X 10.13.6) ERROR', '»  Disconnected, because no message in 30000 ms.'] },
];

describe('the analyzer on one synthetic build per tool family', () => {
  const analyzer = createRuleAnalyzer();
  for (const c of CASES) {
    it(`${c.name}: reports the failure lines and classifies it as ${c.category}`, async () => {
      const { log, expected } = buildLog(c);
      const a = await analyzer.analyze({ log });
      const found = new Set<number>();
      for (const [s, e] of a.failureLines) for (let n = s; n <= e; n++) found.add(n);
      const hit = expected.filter((n) => found.has(n));
      expect(hit.length, `expected lines ${expected.join(',')} in ${JSON.stringify(a.failureLines)}`).toBeGreaterThanOrEqual(Math.ceil(expected.length / 2));
      expect(found.has(expected[0]!), `first marked line ${expected[0]} in ${JSON.stringify(a.failureLines)}`).toBe(true);
      expect(found.size, `reported ${JSON.stringify(a.failureLines)} for ${expected.length} lines`).toBeLessThanOrEqual(expected.length * 2 + 3);
      expect(a.category, a.reason).toBe(c.category);
      expect(a.recommendedAction).toBe(ACTION_FOR_CATEGORY[c.category]);
      expect(a.confidence).toBeGreaterThanOrEqual(0.4);
      expect(a.rootCause.length).toBeGreaterThan(40);
      expect(a.excerpt.map((e) => e.line)).toContain(expected[0]);
    });
  }
});
