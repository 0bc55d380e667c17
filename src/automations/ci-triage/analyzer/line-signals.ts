/**
 * What one build-log line says on its own: how strongly it reads as a failure message, what kind of
 * line it is, and which failure category and tool its wording points at.
 *
 * Glossary (line kinds):
 * - `error`: a message that states a failure (compiler error, exception, assertion, lint finding);
 * - `header`: the title a test runner prints above a failure's details (`1) test name`, `--- FAIL:`);
 * - `summary`: a consequence printed after the real message (`npm ERR! code ELIFECYCLE`,
 *   `make: *** [all] Error 1`, `The command "x" exited with 1.`); it locates the failure but rarely is it;
 * - `detail`: a line that belongs to the message above it (stack frame, caret, diff, `E   ` line);
 * - `pass`: a line reporting success (`ok`, `PASSED`, `0 failures`);
 * - `plain`: anything else.
 *
 * Every pattern is a tool's published output format or common error wording, never a project's own
 * text. The patterns are anchored or start with a literal, and lines are capped before matching, so
 * no pattern can backtrack badly.
 */
import { GateSet, gateOf, gateOfWords, groupByFirstCharacter } from './rule-gate.js';
import type { FailureCategory } from './types.js';

export type LineKind = 'error' | 'header' | 'summary' | 'detail' | 'pass' | 'plain';

export interface LineSignal {
  /** 0 for ordinary lines; about 1 (weak wording) to 5 (a tool's error format). */
  score: number;
  kind: LineKind;
  /** The rule that decided, for `reason` (e.g. "javac 'cannot find symbol'"). */
  rule: string | null;
  /** The category the wording points at, with how sure the rule is (0..1). */
  category: FailureCategory | null;
  categoryWeight: number;
  /** The deciding rule is plain wording rather than a tool's format. */
  generic: boolean;
}

export interface Rule {
  re: RegExp;
  score: number;
  kind: LineKind;
  rule: string;
  category?: FailureCategory;
  /** How sure a match is of the category, 0..1 (default 0.6). */
  certainty?: number;
  /** Plain wording rather than a tool's format: a summary rule on the same line wins over it. */
  generic?: boolean;
  /** A consequence line whatever else it contains (`Tests run: 3, Failures: 1 … <<< FAILURE!`). */
  final?: boolean;
  /** Words one of which every match contains, when the pattern's own source does not say (speed only). */
  words?: string[];
}

/** Lines are matched on at most this many characters. */
export const MATCH_LENGTH = 600;

const C = (category: FailureCategory, certainty = 0.6) => ({ category, certainty });

/**
 * Rules that identify a line. All are tried; the highest score sets the line's score and kind, the
 * most certain category rule sets its category.
 */
const RULES: Rule[] = [
  // ── CI services' own markers ──────────────────────────────────────────────────────────────────
  { re: /^The command ".*" (?:failed and )?exited with [1-9]\d*|^" (?:failed and )?exited with [1-9]\d*/, score: 1.2, kind: 'summary', rule: "Travis 'The command … exited with' (non-zero)", final: true },
  { re: /^The command ".*" failed \d+ times/, score: 1.2, kind: 'summary', rule: "Travis 'The command … failed N times'" },
  { re: /^Done\. Your build exited with/, score: 0.2, kind: 'summary', rule: 'Travis build end' },
  { re: /^(?:##\[error\])?Process completed with exit code/, score: 1, kind: 'summary', rule: "GitHub Actions 'Process completed with exit code'", final: true },
  { re: /^Error: Process completed with exit code/, score: 1, kind: 'summary', rule: "GitHub Actions 'Process completed with exit code'" },
  { re: /^Build step '.*' marked build as failure/, score: 1, kind: 'summary', rule: "Jenkins 'marked build as failure'" },
  { re: /^ERROR: script returned exit code/, score: 1, kind: 'summary', rule: "Jenkins 'script returned exit code'" },
  { re: /^Finished: (?:FAILURE|UNSTABLE|ABORTED)/, score: 0.2, kind: 'summary', rule: 'Jenkins build end' },
  { re: /^No output has been received in the last \d+m/, score: 4, kind: 'error', rule: 'Travis no-output timeout', ...C('infrastructure', 0.9) },
  { re: /^The job exceeded the maximum (?:time|log length) limit/, score: 4, kind: 'error', rule: 'CI job limit exceeded', ...C('infrastructure', 0.9) },
  { re: /The runner has received a shutdown signal/, score: 5, kind: 'error', rule: 'GitHub Actions runner shutdown', ...C('infrastructure', 0.95) },
  { re: /lost communication with the server|The hosted runner .* lost|runner .* (?:lost|disconnected)/i, score: 5, kind: 'error', rule: 'runner lost', ...C('infrastructure', 0.9) },
  { re: /The operation was canceled\.?$/, score: 2, kind: 'error', rule: 'operation cancelled', ...C('infrastructure', 0.7) },
  { re: /\bUnable to resolve action\b|\bCan't find 'action\.ya?ml'|\bUnrecognized named-value\b|\bThe template is not valid\b/, score: 5, kind: 'error', rule: 'GitHub Actions workflow error', ...C('configuration', 0.9) },
  { re: /^Invalid workflow file|The workflow is not valid|^\.github\/workflows\/\S+ \(Line: \d+/i, score: 5, kind: 'error', rule: 'invalid workflow file', ...C('configuration', 0.95) },

  // ── compilers ─────────────────────────────────────────────────────────────────────────────────
  { re: /:\d+:(?:\d+:)? (?:fatal )?error:/, score: 5, kind: 'error', rule: "compiler 'file:line: error:'", ...C('compilation', 0.75) },
  { re: /:\d+:(?:\d+:)? error\b/, score: 4.5, kind: 'error', rule: "compiler 'file:line: error'", ...C('compilation', 0.65) },
  { re: /^(?:\S+ )?(?:fatal )?error(?:\[E\d+\])?: /, score: 4.5, kind: 'error', rule: "'error:' message" },
  { re: /^error\[E\d{4}\]/, score: 5, kind: 'error', rule: 'rustc error[E…]', ...C('compilation', 0.9) },
  { re: /\(\d+,\d+\): error (?:CS|FS|BC)\d+/, score: 5, kind: 'error', rule: 'C# compiler error', ...C('compilation', 0.9) },
  { re: /\(\d+,\d+\): error TS\d+|: error TS\d+:/, score: 5, kind: 'error', rule: 'tsc error TS…', ...C('type_check', 0.9) },
  { re: /\.(?:java|kt|scala):\[\d+,\d+\]/, score: 4.5, kind: 'error', rule: 'javac/kotlinc (Maven) file:[line,col]', ...C('compilation', 0.8) },
  { re: /^e: \S+\.kts?: \(\d+, \d+\)/, score: 5, kind: 'error', rule: 'kotlinc error', ...C('compilation', 0.9) },
  { re: /\berror: cannot find symbol|\bcannot find symbol\b/, score: 5, kind: 'error', rule: "javac 'cannot find symbol'", ...C('compilation', 0.9) },
  { re: /\bundefined reference to\b|\bld returned \d+ exit status|\bUndefined symbols? for architecture/, score: 5, kind: 'error', rule: 'linker error', ...C('compilation', 0.9) },
  { re: /\b(?:undeclared identifier|was not declared in this scope|has no member named|no matching function for call|expected ['"`;]|unknown type name)/, score: 4.5, kind: 'error', rule: 'C/C++ compiler error', ...C('compilation', 0.85) },
  { re: /^\*\* \(CompileError\)|^== Compilation error/, score: 5, kind: 'error', rule: 'Elixir compile error', ...C('compilation', 0.9) },
  { re: /\bCOMPILATION ERROR\b|\bCompilation failure\b|\bcompilation failed\b|\bCompilation failed\b|\bCompile failed\b/, score: 2.5, kind: 'summary', rule: 'compilation failed', ...C('compilation', 0.8) },
  { re: /^\[error\] \S+\.(?:scala|java):\d+:/, score: 5, kind: 'error', rule: 'sbt compile error', ...C('compilation', 0.85) },
  { re: /^(?:make|gmake|mingw32-make)(?:\[\d+\])?: \*\*\* |^\S+\.mk:\d+: recipe for target .* failed$|^\S*[Mm]akefile:\d+: recipe for target .* failed$/, score: 1.5, kind: 'summary', rule: "make '*** … Error'", final: true },
  { re: /^ninja: build stopped|^FAILED: /, score: 1.5, kind: 'summary', rule: 'ninja failure' },
  { re: /^-- /, score: 0.5, kind: 'plain', rule: 'CMake status', final: true },
  { re: /^CMake Error\b/, score: 5, kind: 'error', rule: 'CMake Error', ...C('configuration', 0.45) },
  { re: /\bCould NOT find \w+|\bUnable to find the requested \w+ librar|\bCould not find a package configuration file provided by\b/, score: 4, kind: 'error', rule: "CMake 'Could NOT find'", ...C('dependency_resolution', 0.85) },
  { re: /^-- Configuring incomplete, errors occurred/, score: 1, kind: 'summary', rule: 'CMake configure failed' },
  { re: /\bSyntaxError\b|\bsyntax error\b|\bParse error\b|\bparse error\b/, score: 4, kind: 'error', rule: 'syntax error', ...C('compilation', 0.6) },

  // ── test runners ──────────────────────────────────────────────────────────────────────────────
  { re: /<<< (?:FAILURE|ERROR)!/, score: 4.5, kind: 'header', rule: 'JUnit/Surefire <<< FAILURE!', ...C('test_failure', 0.9) },
  { re: /^(?:\[(?:ERROR|INFO|WARNING)\] )?Tests run: \d+, Failures: \d+, Errors: \d+/, score: 1, kind: 'summary', rule: 'Surefire summary', ...C('test_failure', 0.6), final: true },
  { re: /^(?:\[ERROR\] )?(?:Failed tests|Tests in error|Failures|Errors): ?$/, score: 2, kind: 'header', rule: 'Surefire failed tests list', ...C('test_failure', 0.85) },
  { re: /^(?:\[ERROR\] )?\s+\w[\w.$]*[.#]\w+:\d+(?:->\S+)* /, score: 3, kind: 'error', rule: 'Surefire failed test entry', ...C('test_failure', 0.6) },
  { re: / > [^>]+ FAILED$/, score: 4.5, kind: 'header', rule: 'Gradle test FAILED', ...C('test_failure', 0.9) },
  { re: /^> Task \S+ FAILED$/, score: 1.5, kind: 'summary', rule: 'Gradle task FAILED' },
  { re: /^\* What went wrong:/, score: 1.5, kind: 'header', rule: "Gradle 'What went wrong'" },
  { re: /^Execution failed for task /, score: 4, kind: 'error', rule: 'Gradle execution failed' },
  { re: /^There were failing tests\b/, score: 2, kind: 'summary', rule: 'Gradle failing tests', ...C('test_failure', 0.9) },
  { re: /\b(?:AssertionError|AssertionFailedError|ComparisonFailure|AssertFailedException|Assertion failed|assertion failed|ExpectationNotMetError|Minitest::Assertion|Test::Unit::AssertionFailedError)\b/, score: 4.5, kind: 'error', rule: 'assertion failed', ...C('test_failure', 0.85) },
  { re: /\bexpected:? ?<.*> but was:? ?<|\bexpected:? .* but (?:was|got)\b|\bExpected .* (?:to (?:be|equal|have|contain|match)|but (?:got|was))\b/, score: 4, kind: 'error', rule: 'expected/actual mismatch', ...C('test_failure', 0.8) },
  { re: /\) failed: \(|\bis not equal to\b|\bXCTAssert\w*\b.*\bfailed\b/, score: 4, kind: 'error', rule: 'XCTest assertion', ...C('test_failure', 0.8) },
  { re: /^\s*(?:Expected|Actual|Received|expected|actual|received)\s*(?:value)?\s*:/, score: 2.5, kind: 'detail', rule: 'expected/actual line', ...C('test_failure', 0.6) },
  { re: /^_{3,} .+ _{3,}$/, score: 3.5, kind: 'header', rule: 'pytest failure header', ...C('test_failure', 0.7) },
  { re: /^={3,} (?:FAILURES|ERRORS) ={3,}$/, score: 1.5, kind: 'summary', rule: 'pytest FAILURES section', ...C('test_failure', 0.9) },
  { re: /^(?:FAILED|ERROR) \S+::\S+/, score: 3, kind: 'error', rule: 'pytest short summary', ...C('test_failure', 0.9) },
  { re: /^E {1,3}\S/, score: 3.5, kind: 'error', rule: "pytest 'E' line", ...C('test_failure', 0.7) },
  { re: /^={3,} .*\b\d+ (?:failed|errors?)\b.* ={3,}$/, score: 1.5, kind: 'summary', rule: 'pytest result line', ...C('test_failure', 0.9) },
  { re: /^(?:FAIL|ERROR): \w+ \(/, score: 4.5, kind: 'header', rule: 'unittest FAIL:', ...C('test_failure', 0.85) },
  { re: /^(?:FAIL|ERROR): [\w.]+$/, score: 4, kind: 'header', rule: 'nose FAIL:', ...C('test_failure', 0.8) },
  { re: /^FAILED \((?:failures|errors)=\d+/, score: 1.5, kind: 'summary', rule: 'unittest FAILED (failures=…)', ...C('test_failure', 0.9) },
  { re: /^Traceback \(most recent call last\):/, score: 4, kind: 'error', rule: 'Python traceback' },
  { re: /^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Failure|Interrupt|Exit): |^\S+:\d+: (?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception)$/, score: 4.5, kind: 'error', rule: 'exception message' },
  { re: /^Exception in thread /, score: 4.5, kind: 'error', rule: 'Java uncaught exception' },
  { re: /^Caused by: /, score: 2.5, kind: 'detail', rule: 'Java Caused by' },
  { re: /^--- FAIL: /, score: 4.5, kind: 'header', rule: 'go test --- FAIL:', ...C('test_failure', 0.9) },
  { re: /^FAIL\s+\S+\s+[\d.]+s$|^FAIL$/, score: 1.5, kind: 'summary', rule: 'go test FAIL', ...C('test_failure', 0.8) },
  { re: /^panic: /, score: 4.5, kind: 'error', rule: 'Go panic' },
  { re: /^---- .+ stdout ----$/, score: 4, kind: 'header', rule: 'cargo test failure output', ...C('test_failure', 0.85) },
  { re: /\bpanicked at\b/, score: 4.5, kind: 'error', rule: 'Rust panic' },
  { re: /^test result: FAILED\b/, score: 1.5, kind: 'summary', rule: 'cargo test result FAILED', ...C('test_failure', 0.9) },
  { re: /^test \S+ \.\.\. FAILED$/, score: 2.5, kind: 'error', rule: 'cargo test … FAILED', ...C('test_failure', 0.85) },
  { re: /^failures:$/, score: 1, kind: 'summary', rule: 'cargo failures list', ...C('test_failure', 0.8) },
  { re: /^There (?:was|were) \d+ (?:failures?|errors?|risky tests?):?$/, score: 2, kind: 'summary', rule: 'PHPUnit failures list', ...C('test_failure', 0.9) },
  { re: /^FAILURES!$|^ERRORS!$/, score: 1.5, kind: 'summary', rule: 'PHPUnit FAILURES!', ...C('test_failure', 0.9) },
  { re: /^Failed asserting that\b/, score: 4.5, kind: 'error', rule: 'PHPUnit assertion', ...C('test_failure', 0.9) },
  { re: /^\s*\d+\) \S/, score: 3, kind: 'header', rule: 'numbered failure (mocha/rspec/phpunit/ExUnit)', ...C('test_failure', 0.6) },
  { re: /^\s*\d+ (?:failing|failed|failures?)\b/, score: 1.5, kind: 'summary', rule: 'failing count', ...C('test_failure', 0.8) },
  { re: /^\s*Failure\/Error: /, score: 4.5, kind: 'error', rule: 'RSpec Failure/Error', ...C('test_failure', 0.9) },
  { re: /^rspec \.\/\S+:\d+ # /, score: 2.5, kind: 'error', rule: 'RSpec failed example', ...C('test_failure', 0.9) },
  { re: /^\s*(?:Failure|Error):$/, score: 3, kind: 'header', rule: 'minitest Failure:', ...C('test_failure', 0.7) },
  { re: /^\s*\d+ (?:runs|tests), \d+ assertions, [1-9]\d* (?:failures|errors)/, score: 1.5, kind: 'summary', rule: 'minitest summary', ...C('test_failure', 0.9) },
  { re: /^\s*● /, score: 4, kind: 'header', rule: 'Jest failure', ...C('test_failure', 0.85) },
  { re: /^\s*❌\s+\S+\.(?:swift|m|mm|c|cc|cpp|h|hpp):\d+:\d+: /, score: 5, kind: 'error', rule: 'xcpretty compile error', ...C('compilation', 0.85) },
  { re: /^Error: (?:Invalid CSS after\b|Undefined (?:variable|mixin)\b|File to import not found\b)/, score: 4.5, kind: 'error', rule: 'Sass error', ...C('compilation', 0.85) },
  { re: /^\s*(?:✕|✗|×|✖|❌|✘)\s*\S/, score: 3.5, kind: 'error', rule: 'failure mark', ...C('test_failure', 0.5) },
  { re: /^not ok \d+/, score: 4, kind: 'header', rule: 'TAP not ok', ...C('test_failure', 0.85) },
  { re: /^#\s+Failed test\b|^# Looks like you failed/, score: 3.5, kind: 'error', rule: 'Perl Test::More failure', ...C('test_failure', 0.9) },
  { re: /\bDubious, test returned [1-9]|^Failed \d+\/\d+ (?:subtests|test programs)/, score: 4, kind: 'error', rule: 'prove failure', ...C('test_failure', 0.9) },
  { re: /\*\*\* FAILED \*\*\*/, score: 4.5, kind: 'header', rule: 'ScalaTest *** FAILED ***', ...C('test_failure', 0.9) },
  { re: /\[FAIL\]$|\[FAIL\] /, score: 4, kind: 'header', rule: 'xUnit [FAIL]', ...C('test_failure', 0.85) },
  { re: /^\s*\[-\] /, score: 4, kind: 'header', rule: 'Pester [-]', ...C('test_failure', 0.85) },
  { re: /\bThe following tests FAILED:|\d+% tests passed, [1-9]\d* tests? failed/, score: 2.5, kind: 'summary', rule: 'CTest failed', ...C('test_failure', 0.9) },
  { re: /^\s*\d+\/\d+ Test +#\d+: .*\*\*\*(?:Failed|Exception)/, score: 4, kind: 'error', rule: 'CTest test failed', ...C('test_failure', 0.9) },
  { re: /^\s+\d+\) test .* \([\w.]+\)$/, score: 4, kind: 'header', rule: 'ExUnit failure', ...C('test_failure', 0.9) },
  { re: /^\*\* \(\w+(?:\.\w+)*\) /, score: 4.5, kind: 'error', rule: 'Elixir exception' },
  { re: /\bfailed on line \d+$/, score: 4, kind: 'error', rule: 'Common Test failure', ...C('test_failure', 0.8) },
  { re: /^\s*(?:[\w.]+)?Test\w*\.\w+:\d+ /, score: 2.5, kind: 'error', rule: 'test location' },
  { re: /\bFAILED\b/, score: 2.5, kind: 'error', rule: "'FAILED'", generic: true },
  { re: /\bFAIL\b/, score: 2.5, kind: 'error', rule: "'FAIL'", generic: true },
  { re: /\btests? failed\b|\bTests? failed\b|\bTest failures?\b|\btest failures?\b/, score: 2, kind: 'summary', rule: "'tests failed'", ...C('test_failure', 0.75) },

  // ── linters and formatters ────────────────────────────────────────────────────────────────────
  { re: /^\d+:\d+\s+error\s+\S/, score: 4, kind: 'error', rule: 'ESLint error', ...C('lint_format', 0.9) },
  { re: /^\d+:\d+\s+warning\s+\S/, score: 2, kind: 'error', rule: 'ESLint warning', ...C('lint_format', 0.7) },
  { re: /^✖ \d+ problems? \(/, score: 1.5, kind: 'summary', rule: 'ESLint problem count', ...C('lint_format', 0.95) },
  { re: /^\S+:\d+:\d+: [A-Z]{1,3}\d{2,4}\b/, score: 4.5, kind: 'error', rule: 'flake8/pycodestyle finding', ...C('lint_format', 0.9) },
  { re: /^\S+:\d+:\d+: [CWEFR]: /, score: 4.5, kind: 'error', rule: 'RuboCop offense', ...C('lint_format', 0.95) },
  { re: /^\S+:\d+: \[[CRWEF]\d{4}/, score: 4.5, kind: 'error', rule: 'pylint message', ...C('lint_format', 0.9) },
  { re: /^Offenses:$|\d+ files? inspected, [1-9]\d* offenses? detected/, score: 2.5, kind: 'header', rule: 'RuboCop offenses', ...C('lint_format', 0.95) },
  { re: /\((?:prettier\/prettier|[a-z-]+\/[a-z-]+|no-[a-z-]+|[a-z]+-[a-z-]+)\)$/, score: 2.5, kind: 'error', rule: 'lint rule id', ...C('lint_format', 0.7), words: [')'] },
  { re: /\bis not `?(?:gofmt|goimports?)`?-?ed\b|^Diff of \S+\.go|\bgofmt\b.*\bneeds? formatting/, score: 4, kind: 'error', rule: 'gofmt', ...C('lint_format', 0.95) },
  { re: /^would reformat |^Oh no! .*💥|\bwould be reformatted\b/, score: 4, kind: 'error', rule: 'black', ...C('lint_format', 0.95) },
  { re: /Code style issues (?:found|were found)|Forgot to run Prettier\?/, score: 3, kind: 'error', rule: 'Prettier', ...C('lint_format', 0.9) },
  { re: /\bMD\d{3}\/[a-z-]+/, score: 4, kind: 'error', rule: 'markdownlint', ...C('lint_format', 0.95), words: ['MD'] },
  { re: /\bSC\d{4}\b.*:|^In \S+ line \d+:$/, score: 3.5, kind: 'error', rule: 'ShellCheck', ...C('lint_format', 0.9), words: ['SC', 'In '] },
  { re: /\[ant:checkstyle\]|\bcheckstyle\b.*\b(?:violations?|errors?)\b|Checkstyle violations/i, score: 4, kind: 'error', rule: 'Checkstyle', ...C('lint_format', 0.9) },
  { re: /\bwarning: .* Violation: /, score: 4, kind: 'error', rule: 'SwiftLint', ...C('lint_format', 0.9) },
  { re: /\bmix format failed\b|--check-formatted|\bnot formatted\b|\bformatting (?:issues|errors|check failed)|\bclang-format\b/i, score: 4, kind: 'error', rule: 'formatter check', ...C('lint_format', 0.85) },
  { re: /\b(?:[Ll]ine (?:is )?(?:too long|longer than \d+)|[Tt]railing whitespace|[Mm]issing (?:final )?newline)\b/, score: 3.5, kind: 'error', rule: 'style finding', ...C('lint_format', 0.85) },
  { re: /^\S+:\d+:\d*:? ?(?:[Ww]arning|style|convention|refactor)\b/, score: 2.5, kind: 'error', rule: "'file:line: warning'", ...C('lint_format', 0.4) },
  { re: /^\s*\d+\. \[L\d+\] \d{3} https?:\/\/|\bHTML-Proofer found \d+ failures?\b|^\s*\*\s+External link \S+ failed\b|\binternally linking to \S+, which does not exist\b|\bDetected \d+ broken links?\b|\b(?:broken|dead) links? (?:found|detected)\b/, score: 4, kind: 'error', rule: 'link checker finding', ...C('lint_format', 0.85) },
  { re: /^Overfull \\hbox|^LaTeX Warning:|^! LaTeX Error:|^! Undefined control sequence/, score: 3, kind: 'error', rule: 'LaTeX' },

  // ── security scanners ─────────────────────────────────────────────────────────────────────────
  { re: /\b[1-9]\d* (?:\w+ )?(?:severity )?vulnerabilit(?:y|ies)\b|\bfound [1-9]\d* vulnerabilit/i, score: 2, kind: 'error', rule: 'vulnerabilities found', ...C('security_scan', 0.9), words: ['ulnerabilit', 'ULNERABILIT'] },
  { re: /\bCVE-\d{4}-\d{4,}|\bGHSA-\w{4}-\w{4}-\w{4}\b/, score: 3, kind: 'error', rule: 'CVE id', ...C('security_scan', 0.85) },
  { re: /\b(?:trivy|snyk|grype|bandit|gosec|semgrep|npm audit|bundle[- ]audit|safety check|cargo audit|CodeQL)\b/i, score: 1, kind: 'plain', rule: 'security scanner', ...C('security_scan', 0.5) },

  // ── dependency resolution ─────────────────────────────────────────────────────────────────────
  { re: /\bCould not resolve dependencies\b|\bCould not (?:find|resolve) artifact\b|\bFailure to find \S+ in\b|\bunresolved dependenc/i, score: 5, kind: 'error', rule: 'Maven/Gradle/sbt unresolved dependency', ...C('dependency_resolution', 0.9) },
  { re: /\bCould not resolve all (?:files|dependencies) for configuration\b|\bCould not find \S+:\S+:\S+\./, score: 5, kind: 'error', rule: 'Gradle could not resolve', ...C('dependency_resolution', 0.9) },
  { re: /^npm ERR! (?:code )?(?:E404|ERESOLVE|ETARGET|EINTEGRITY)|^npm ERR! 404 |No matching version found for|^npm ERR! notarget/, score: 5, kind: 'error', rule: 'npm cannot resolve', ...C('dependency_resolution', 0.9) },
  { re: /^npm ERR! (?:peer dep|Could not resolve dependency|Conflicting peer dependency)/, score: 4, kind: 'error', rule: 'npm peer dependency conflict', ...C('dependency_resolution', 0.9) },
  { re: /\bCould not find a version that satisfies the requirement\b|\bNo matching distribution found for\b|\bResolutionImpossible\b|\bconflicting dependencies\b/i, score: 5, kind: 'error', rule: 'pip cannot resolve', ...C('dependency_resolution', 0.9) },
  { re: /\bPackagesNotFoundError\b|\bUnsatisfiableError\b|\bnothing provides\b/, score: 5, kind: 'error', rule: 'conda cannot resolve', ...C('dependency_resolution', 0.9) },
  { re: /\bCould not find gem\b|\bBundler could not find compatible versions\b|\bCould not find \S+ in (?:any of the sources|locally installed gems)|\bGem::(?:MissingSpecError|LoadError|ConflictError)/, score: 5, kind: 'error', rule: 'Bundler cannot resolve', ...C('dependency_resolution', 0.9) },
  { re: /\bCouldn't find (?:package|any versions for|a package\.json)|\bCouldn't find match for\b|^error Package ".*" refers to a non-existing file/, score: 5, kind: 'error', rule: 'yarn cannot resolve', ...C('dependency_resolution', 0.85) },
  { re: /\bfailed to select a version for\b|\bno matching package named\b|\bversion solving failed\b|\bcannot find package\b|\bunknown revision\b|\bmissing go\.sum entry\b|\bcannot find module providing package\b/, score: 5, kind: 'error', rule: 'package manager cannot resolve', ...C('dependency_resolution', 0.9) },
  { re: /^E: Unable to locate package|^E: Package '.*' has no installation candidate|^E: Unable to correct problems|has unmet dependencies/, score: 5, kind: 'error', rule: 'apt cannot install', ...C('dependency_resolution', 0.85) },
  { re: /\bCannot find module ['"]|\bModuleNotFoundError\b|\bNo module named\b|\bImportError\b|\bcannot load such file\b|\bthere is no package called\b|\bPackage required but not available\b|\bCan't locate \S+\.pm in @INC/, score: 4.5, kind: 'error', rule: 'module not found', ...C('dependency_resolution', 0.6) },
  { re: /\bcan't find crate for\b|\bunresolved import\b/, score: 4.5, kind: 'error', rule: 'rustc missing crate', ...C('dependency_resolution', 0.55) },
  { re: /\bAn error occured while installing\b|\bAn error occurred while installing\b|\bFailed to install\b|\bInstallation failed\b|\bfailed to (?:download|fetch|install)\b/i, score: 4, kind: 'error', rule: 'install failed', ...C('dependency_resolution', 0.6) },

  // ── network ──────────────────────────────────────────────────────────────────────────────────
  { re: /\bCould not resolve host\b|\bTemporary failure in name resolution\b|\bName or service not known\b|\bgetaddrinfo\b|\bENOTFOUND\b|\bEAI_AGAIN\b/, score: 5, kind: 'error', rule: 'DNS failure', ...C('network_timeout', 0.9) },
  { re: /\bETIMEDOUT\b|\bESOCKETTIMEDOUT\b|\bECONNRESET\b|\bECONNREFUSED\b|\bConnection (?:timed out|refused|reset)\b|\bconnection reset by peer\b|\bConnect timeout\b|\bRead timed out\b|\bi\/o timeout\b|\bTLS handshake timeout\b|\bNetwork is unreachable\b|\bOperation timed out\b|\bSocketTimeoutException\b|\bConnectException\b|\bUnknownHostException\b/i, score: 5, kind: 'error', rule: 'network error', ...C('network_timeout', 0.85) },
  { re: /\bSSL connect error\b|\bSSL_ERROR_|\bhandshake failure\b|\bcertificate verify failed\b|\bno certificate subject alternative name\b|\bunable to get local issuer certificate\b/i, score: 4.5, kind: 'error', rule: 'TLS error', ...C('network_timeout', 0.7) },
  { re: /\bfatal: unable to access '|\bEmpty reply from server\b|\bfailed to connect to\b|\bCould not connect to\b|\bremote end hung up unexpectedly\b|\bearly EOF\b|\bRPC failed\b/i, score: 5, kind: 'error', rule: 'remote unreachable', ...C('network_timeout', 0.85) },
  { re: /\b(?:502 Bad Gateway|503 Service Unavailable|504 Gateway Time-?out|429 Too Many Requests|toomanyrequests)\b|\b(?:API )?rate limit exceeded\b/i, score: 4.5, kind: 'error', rule: 'service unavailable or rate limited', ...C('network_timeout', 0.85), words: ['Bad Gateway', 'Unavailable', 'Gateway Time', 'Too Many', 'toomanyrequests', 'ate limit', 'ATE LIMIT'] },
  { re: /\bDisconnected, because no message in \d+ ?ms\b|\bExecuted \d+ of \d+ DISCONNECTED\b/, score: 4, kind: 'error', rule: 'Karma browser disconnected', ...C('network_timeout', 0.8) },
  { re: /\bCould not transfer artifact\b/, score: 4.5, kind: 'error', rule: 'Maven transfer failed', ...C('dependency_resolution', 0.6) },
  { re: /\btimed out\b|\bTimeoutException\b|\btimeout of \d+\s*m?s exceeded|\bTimeout exceeded\b/, score: 3, kind: 'error', rule: "'timed out'", ...C('network_timeout', 0.35) },

  // ── credentials and permissions ──────────────────────────────────────────────────────────────
  { re: /\bPermission denied \(publickey|\bHost key verification failed\b|\bcould not read Username\b|\bAuthentication failed\b|\bauthentication required\b|\bBad credentials\b|\binvalid credentials\b|\bincorrect username or password\b/i, score: 5, kind: 'error', rule: 'authentication failed', ...C('credentials_permissions', 0.9) },
  { re: /\b401 Unauthorized\b|\b403 Forbidden\b|\bunauthorized: |\bdenied: requested access to the resource is denied\b|\bpull access denied\b|\bResource not accessible by integration\b|^npm ERR! code E40[13]\b/i, score: 5, kind: 'error', rule: 'access denied by service', ...C('credentials_permissions', 0.85), words: ['nauthori', 'NAUTHORI', 'orbidden', 'ORBIDDEN', 'denied', 'Resource not accessible', 'E40'] },
  { re: /\b(?:Access|Secret) key (?:cannot be null|is not set|id you provided does not exist)|\bInvalidAccessKeyId\b|\bSignatureDoesNotMatch\b|\bsecurity token included in the request is invalid\b|\b(?:token|secret|credentials?) (?:is |are )?(?:missing|not set|not found|expired|invalid)\b|\bNo credentials\b/i, score: 5, kind: 'error', rule: 'missing or invalid credentials', ...C('credentials_permissions', 0.85) },
  { re: /\bPermission denied\b|\bEACCES\b|\bEPERM\b|\bOperation not permitted\b|\bAccess (?:is )?denied\b/i, score: 4, kind: 'error', rule: 'permission denied', ...C('credentials_permissions', 0.45) },

  // ── runner and resources ─────────────────────────────────────────────────────────────────────
  { re: /\bNo space left on device\b|\bENOSPC\b|\bDisk quota exceeded\b|\bnot enough (?:disk )?space\b/i, score: 5, kind: 'error', rule: 'disk full', ...C('infrastructure', 0.95) },
  { re: /\bOutOfMemoryError\b|\bout of memory\b|\bCannot allocate memory\b|\bJavaScript heap out of memory\b|\bMemoryError\b|\bOOMKilled\b|\bKilled\s+signal 9\b|\bKilled$|\bexit code 137\b|\bexited with 137\b/i, score: 5, kind: 'error', rule: 'out of memory / killed', ...C('infrastructure', 0.85) },
  { re: /\bCannot connect to the Docker daemon\b|\bdocker: Error response from daemon\b|\berror during connect\b/i, score: 5, kind: 'error', rule: 'Docker daemon error', ...C('infrastructure', 0.75) },
  { re: /\bexited with 124\b|\bexit code 124\b|\bexceeded the (?:maximum )?(?:time|timeout)\b|\bjob (?:was )?cancel+ed\b/i, score: 3, kind: 'error', rule: 'job timed out', ...C('infrastructure', 0.7) },

  // ── configuration and environment ────────────────────────────────────────────────────────────
  { re: /: command not found\b|: not found$|\bis not recognized as an internal or external command\b|\bexecutable file not found in \$PATH\b/, score: 5, kind: 'error', rule: "shell 'command not found'", ...C('configuration', 0.8) },
  { re: /\berror while loading shared libraries: |\bThe program '.*' is currently not installed\b/, score: 5, kind: 'error', rule: 'library or program not installed', ...C('dependency_resolution', 0.85) },
  { re: /\bNo such file or directory\b|\bENOENT\b|\bcannot find the path specified\b|\bdoes not exist\b/i, score: 4, kind: 'error', rule: "'No such file or directory'", ...C('configuration', 0.45) },
  { re: /^npm ERR! missing script: |^error Command ".*" not found|\bMissing script: /i, score: 5, kind: 'error', rule: 'npm missing script', ...C('configuration', 0.9) },
  { re: /\bNo Rakefile found\b|\bNo rule to make target\b|\bno targets specified and no makefile found\b|\bCould not find (?:a )?(?:Gemfile|package\.json|pom\.xml|build\.gradle|Cargo\.toml|setup\.py|requirements\.txt)\b/i, score: 5, kind: 'error', rule: 'build file or target missing', ...C('configuration', 0.85) },
  { re: /\bflag provided but not defined\b|\bunknown (?:option|flag|command|argument)\b|\bunrecognized (?:option|arguments?)\b|\binvalid option\b|\bUnknown lifecycle phase\b|\bUnknown task\b|\bTask '.*' not found\b/i, score: 4.5, kind: 'error', rule: 'unknown option or task', ...C('configuration', 0.75) },
  { re: /\bUnable to find a destination matching\b|\binvalid (?:configuration|config)\b|\bconfiguration (?:error|is invalid)\b|\bunknown key\b|\bUnexpected value '|\byaml: line \d+|\bmapping values are not allowed\b|\bfound character that cannot start any token\b|\bdid not find expected\b/i, score: 4.5, kind: 'error', rule: 'configuration error', ...C('configuration', 0.8) },
  { re: /\bunsafe repository \(|\bdetected dubious ownership in repository\b|\bsafe\.directory\b/, score: 4.5, kind: 'error', rule: "git 'unsafe repository' (safe.directory)", ...C('configuration', 0.85) },
  { re: /\bUnsupported (?:class file )?(?:major|version)\b|\bclass file has wrong version\b|\brequires (?:Python|Ruby|Node|node|Java|PHP|Go) (?:version )?[>=]*\s*\d/i, score: 4.5, kind: 'error', rule: 'toolchain version mismatch', ...C('configuration', 0.7) },

  // ── package manager consequences ─────────────────────────────────────────────────────────────
  { re: /^npm ERR! (?:code ELIFECYCLE|errno \d|Exit status \d|Failed at the |This is probably not a problem with npm|A complete log of this run|\s*\/\S+-debug\.log$|\s*$|Test failed\.|[\w@./-]+ \w+: `|Linux |Darwin |argv |node v|npm {1,2}v|You can get (?:information|their info)|Make sure you have|Tell the author|not with npm itself|\s+\S+ \S+$|\s{4})/, score: 0.8, kind: 'summary', rule: 'npm lifecycle failure', final: true },
  { re: /^npm ERR! /, score: 2.5, kind: 'error', rule: 'npm ERR!', generic: true },
  { re: /^error Command failed with exit code \d+|^info Visit https:\/\/yarnpkg\.com/, score: 0.8, kind: 'summary', rule: 'yarn command failed', final: true },
  { re: /^ERROR: ".*" exited with \d+\.$|^Error! The '.*' .* non-zero exit code|^Warning: Task ".*" failed\. Use --force to continue\.$|^Aborted due to warnings\.$/, score: 0.8, kind: 'summary', rule: 'task runner exited', final: true },
  { re: /^\[ERROR\] (?:-> \[Help 1\]|To see the full stack trace|Re-run Maven using|For more information about the errors|\[Help 1\] http|After correcting the problems|\s*mvn <args> -rf|\s*$)/, score: 0.6, kind: 'summary', rule: 'Maven help text', final: true },
  { re: /^\[ERROR\] Failed to execute goal /, score: 3, kind: 'error', rule: "Maven 'Failed to execute goal'" },
  { re: /^\[INFO\] BUILD FAILURE|^BUILD FAILED\b|^FAILURE: Build failed with an exception|^\* Try:$|^Run with --(?:stacktrace|info|debug|scan)|^BUILD FAILED in /, score: 1.2, kind: 'summary', rule: 'build failed', final: true },
  { re: /^\[ERROR\] /, score: 3, kind: 'error', rule: '[ERROR]', generic: true },
  { re: /^\[error\] (?:Total time:|\(\S+\) |\s*$)/, score: 1, kind: 'summary', rule: 'sbt error summary', final: true },
  { re: /^\[error\] /, score: 3, kind: 'error', rule: 'sbt [error]', generic: true },
  { re: /\breturned (?:a )?non-zero (?:exit )?(?:code|status)\b|\bexited with (?:code |status )?[1-9]\d*\b|\bexit (?:code|status) [1-9]\d*\b|\bfailed with exit code\b/i, score: 1.2, kind: 'summary', rule: 'non-zero exit' },
  { re: /^rake aborted!$/, score: 3.5, kind: 'error', rule: 'rake aborted' },
  { re: /^Error: /, score: 4, kind: 'error', rule: "'Error:' message", generic: true },
  { re: /^(?:ERROR|FATAL|Fatal|FATAL ERROR)\b:?/, score: 4, kind: 'error', rule: "'ERROR' message", generic: true },
  { re: /^fatal: /, score: 4.5, kind: 'error', rule: "git 'fatal:'" },
  { re: /\bSegmentation fault\b|\bSIGSEGV\b|\bSIGABRT\b|\bcore dumped\b|\bAddressSanitizer\b|\bstack overflow\b|\bAborted\b/, score: 4.5, kind: 'error', rule: 'crash' },

  { re: /^[\w./-]+\.[A-Za-z]\w{0,5}:\d+(?::\d+)?: ?(?!\d|in [`'])\S/, score: 3.5, kind: 'error', rule: "'file:line: message'", generic: true },
  { re: /^(?:Failures|Errors|Failed tests|Failing tests|Tests in error|Failed examples|Failed specs|Summary of all failing tests|failures)\s*:\s*$|^There (?:was|were) \d+ (?:failures?|errors?):$|^\d+ failing$/, score: 2, kind: 'summary', rule: 'list of failures', ...C('test_failure', 0.8), final: true, words: ['ail', 'rror', 'failing'] },
  // ── generic wording ──────────────────────────────────────────────────────────────────────────
  { re: /(?:^|[\s:([])(?:ERROR|Error|error|ERRORS|Errors|errors)(?=$|[\s:!)\],])/, score: 2.5, kind: 'error', rule: "'error'", generic: true, words: ['ERROR', 'Error', 'error'] },
  { re: /(?:^|\s)(?:Exception|exception)(?=$|[\s:])/, score: 2.2, kind: 'error', rule: "'exception'", generic: true, words: ['xception'] },
  { re: /(?:^|[\s:([])(?:[Ff]ailed|[Ff]ailure|[Ff]ails|[Ff]ail:|FAIL:)(?=$|[\s:!.)\],])/, score: 2, kind: 'error', rule: "'failed'", generic: true, words: ['ail', 'FAIL'] },
  { re: /\b(?:[Cc]annot|[Cc]an't|[Cc]ould not|[Cc]ouldn't|[Uu]nable to|[Ff]ailed to)\b/, score: 2, kind: 'error', rule: "'cannot'", generic: true },
  { re: /\b(?:[Nn]ot found|[Nn]o such|[Ii]nvalid|[Mm]issing|[Uu]ndefined|[Uu]nexpected|[Ii]ncompatible|[Mm]ismatch|[Dd]id not|[Dd]oesn't|[Uu]nsupported|[Vv]iolation|[Ff]orbidden|[Dd]enied|[Bb]roken|[Ww]rong)\b/, score: 1.5, kind: 'error', rule: 'problem wording', generic: true },
  { re: /\b(?:[Ww]arning|WARNING|WARN)\b/, score: 0.8, kind: 'error', rule: "'warning'", generic: true, words: ['arning', 'WARN'] },
];

/** The rules, in order (read-only; exported for tests). */
export const LINE_RULES: ReadonlyArray<Readonly<Rule>> = RULES;

/** Each rule's pre-check (null: always run the pattern). */
const GATES = new GateSet(RULES.map((r) => (r.words ? gateOfWords(r.words) : gateOf(r.re))));

/** Success and noise wording: any of these makes a line a `pass` line unless a strong rule fired. */
const PASS_RULES: RegExp[] = [
  /^ok\b|\bok$|\.\.\. ok\b|\bPASS(?:ED)?\b|\bpassed\b|^\s*✓|^\s*✔|^\s*√/,
  /(?:^|[\s:])OK$|:\s+OK\b/,
  /\b(?:Failures|Errors|failures|errors|failed|Failed|Skipped): 0\b|\b0 (?:failures|errors|failed|failing)\b|\bno (?:errors|failures|offenses)\b|\bErrors: 0\b|\bFailures: 0, Errors: 0\b/,
];

/** A count of failures above zero: a line with one is never a pass line. */
const NONZERO_COUNT = /\b(?:Failures|Errors|failures|errors|failed|Failed|FAILED): [1-9]|\b[1-9]\d* (?:failures?|errors?|failed|failing)\b|<<< (?:FAILURE|ERROR)!/;

/** Lines that mention errors without reporting one: compiler flags, file names, config echoes. */
const BENIGN: RegExp[] = [
  /-Werror\b|-Wno-error|--fail-fast|fail_fast|failFast|errorprone|error_reporting|error-prone|continue-on-error|set -e\b|ignore[-_ ]?errors?\b/i,
  /^\s*(?:CC|CXX|LD|AR|CCLD|CXXLD|Compiling|Building|Linking|Installing|Downloading|Downloaded|Fetching|Collecting|Requirement already satisfied|Using|Resolving|Get:\d+|Hit:\d+|Unpacking|Setting up|Selecting previously|Preparing to unpack|remote:|Receiving objects|Resolving deltas|Processing)\b/,
];

/**
 * Quick rejection, case-sensitive on purpose (it is the per-line cost of the whole analysis): a line
 * with none of these words and no structural marker (see `mayMatchStructure`) matches no rule.
 */
const VOCABULARY_WORDS =
  /[Ee]rr|ERR|[Ff]ail|FAIL|[Ff]atal|FATAL|xception|[Ww]arn|WARN|[Ee]xpect|[Aa]ssert|[Cc]annot|[Cc]an't|[Cc]ould|COULD|[Uu]nable|[Nn]ot (?:found|ok|installed|equal|recognized|satisf|defined|permitted|allowed|supported|in scope)|[Nn]o (?:such|space|module|matching|rule|package|tests|credentials|output|Rakefile|targets)|[Dd]enied|[Tt]ime(?:d ?out|out)|TIMEDOUT|[Pp]anic|[Aa]bort|[Ii]nvalid|[Mm]issing|ndefined|nknown|nrecognized|nresolved|nsupported|nsatisf|nexpected|[Kk]ill|Traceback|[Rr]efused|[Dd]ubious|[Oo]verfull|[Oo]ffens|[Vv]ulnerab|CVE-|GHSA-|reformat|[Cc]heckstyle|gofmt|goimport|[Tt]oo long|longer than|[Tt]railing whitespace|went wrong|[Cc]aused by|[Ee]xit(?:ed)? (?:with|code|status)|non-zero|[Ss]egmentation|SIG(?:SEGV|ABRT|KILL|TERM|BUS|ILL)|core dumped|[Ss]anitizer|[Ss]tack overflow|[Oo]ut of memory|llocate memory|MemoryError|heap|OOM|shutdown signal|[Cc]ancel|[Ee]xceeded|[Ll]ost comm|ENOENT|EACCES|EPERM|ENOSPC|ECONN|ENOTFOUND|EAI_AGAIN|EINTEGRITY|ERESOLVE|E40[134]|[Cc]onnection|resolve (?:host|dependenc)|ResolveException|[Hh]andshake|SSL|ertificate (?:verify|has|subject|problem)|[Uu]nreachable|[Uu]nauthori|[Ff]orbidden|[Pp]ermission|uthentication (?:failed|required)|[Cc]redential|ecret key|[Aa]ccess key|oken (?:is|not|expired)|publickey|Username|Bad Gateway|Unavailable|Too Many|[Rr]ate limit|toomanyrequests|[Ii]ncompatible|[Mm]ismatch|[Ww]rong|[Bb]roken|[Cc]onflict|yaml:|YAML|[Mm]apping values|did not|doesn't|does not|[Dd]estination match|flag provided|make target|ImportError|[Pp]ackage required|nothing provides|PackagesNotFound|MD\d{3}\/|SC\d{4}|[Vv]iolation|[Aa]ctual|[Rr]eceived|rspec \.\/|clang-format|not formatted|[Ff]ormatting|aborted|Forgot|[Cc]ode style|[Ww]ould be|[Mm]alformed|[Ss]yntax|[Uu]nmet|[Rr]eject|[Pp]roblem|Could NOT|Call Stack|Offenses|[Ff]lak|[Dd]isconnect|DISCONNECT|HTML-Proofer|\[L\d+\] \d{3} /;

const VOCABULARY = groupByFirstCharacter(VOCABULARY_WORDS);

const DIGIT_START = /^\d+\) |^\d+ (?:failing|failed|failures?|tests?|runs|examples?|errors?)\b|^\d+:\d+\s+(?:error|warning)\b|^\d+\/\d+ Test +#/;
const LOCATION_START = /^[\w./\\-]*\.\w+:\d/;

/** Lines whose shape (not wording) can match a rule: banners, marks, numbered failures, `file:line`. */
function mayMatchStructure(t: string): boolean {
  const c = t.charCodeAt(0);
  if (c >= 128) return true; // ✗ ✖ ❌ ● × …
  if (c >= 48 && c <= 57) return DIGIT_START.test(t);
  if (c === 95 || c === 61) return bannerStyle(t) !== null; // _ =
  if (c === 42) return bannerStyle(t) !== null || t.startsWith('** ('); // * (Elixir `** (RuntimeError)`)
  if (c === 45) return bannerStyle(t) !== null || t.startsWith('-- '); // -
  if (c === 35) return bannerStyle(t) !== null || t.startsWith('##['); // #
  if (c === 91) return t.startsWith('[-]') || t.startsWith('[FAIL') || t.startsWith('[!!]'); // [
  if (c === 69 && t.charCodeAt(1) === 32) return true; // "E   " (pytest)
  if (c === 58) return t.startsWith('::error'); // :
  return LOCATION_START.test(t);
}

/** `____ name ____`, `---- name stdout ----`, `==== name ====`: a banner that titles a section; its fill character. */
export function bannerStyle(text: string): string | null {
  const t = text.trim();
  if (t.length < 8) return null;
  const c = t[0]!;
  if (c !== '_' && c !== '-' && c !== '=' && c !== '*' && c !== '#') return null;
  let i = 0;
  while (i < t.length && t[i] === c) i++;
  if (i < 2 || i === t.length) return null;
  let j = t.length - 1;
  while (j > i && t[j] === c) j--;
  if (t.length - 1 - j < 2) return null;
  return c;
}

const EMPTY: LineSignal = { score: 0, kind: 'plain', rule: null, category: null, categoryWeight: 0, generic: false };

/** A line that calls itself a warning: never a strong failure signal on its own. */
const WARNING_PREFIX = /^(?:WARNING|WARN|Warning|warning)\b|^\[(?:WARNING|WARN|warn|warning)\]/;
const WARNING_WORD = /\b(?:warning|Warning|WARNING)\b/;
const ERROR_WORD = /\b(?:error|Error|ERROR|failed|FAILED|fatal)\b/;

/** Test runners' success lines: never a failure, whatever words they contain. */
const STRONG_PASS = /^(?:ok \d+\b|ok\s+\S+\s+[\d.]+s\b|✓|✔|√|PASS\b|PASSED\b|\[ +OK +\]|\[PASS\])|[\s:]OK\s*$|\bPASSED\s*(?:\[\s*\d+%\])?\s*$/;

const DETAIL: LineSignal = { ...EMPTY, kind: 'detail' };

/** Matches one clean line (ANSI and CI timestamp removed) against the rules. */
export function lineSignal(clean: string): LineSignal {
  const text = clean.length > MATCH_LENGTH ? clean.slice(0, MATCH_LENGTH) : clean;
  if (text.length === 0) return EMPTY;
  const t = text.trimStart();
  if (t.length === 0) return EMPTY;
  // GitHub Actions annotations wrap a tool's message: read the message, and it counts as an error.
  if (t.startsWith('##[error]') || t.startsWith('::error')) {
    const inner = t.startsWith('##[error]') ? t.slice(9) : t.slice(t.indexOf('::', 2) + 2);
    const sub = inner.length > 0 && inner !== t ? lineSignal(inner) : EMPTY;
    if (sub.kind === 'summary') return sub;
    return { ...sub, kind: sub.kind === 'header' ? 'header' : 'error', score: Math.max(4, sub.score), rule: sub.rule ?? 'GitHub Actions error annotation' };
  }
  if (!VOCABULARY.test(t) && !mayMatchStructure(t)) return detailKind(text) ? DETAIL : EMPTY;
  const detail = detailKind(text);
  if (STRONG_PASS.test(t)) return { ...EMPTY, kind: 'pass' };
  let best: Rule | null = null;
  let summary: Rule | null = null;
  let finalRule: Rule | null = null;
  let cat: Rule | null = null;
  GATES.prepare(t);
  for (let i = 0; i < RULES.length; i++) {
    const r = RULES[i]!;
    if (!GATES.mayMatch(i) || !r.re.test(t)) continue;
    if (!best || r.score > best.score) best = r;
    if (r.kind === 'summary' && (!summary || r.score > summary.score)) summary = r;
    if (r.final && r.kind !== 'summary' && !finalRule) finalRule = r;
    if (r.category && (!cat || (r.certainty ?? 0.6) > (cat.certainty ?? 0.6))) cat = r;
  }
  // "npm ERR! Test failed", "make: *** [all] Error 1": the consequence wording wins over the generic words in it.
  if (summary && best && best !== summary && (best.generic || summary.final)) best = summary;
  if (finalRule) best = finalRule;
  if (!best) return detail ? DETAIL : EMPTY;
  let score = best.score;
  let kind: LineKind = best.kind;
  if (score > 2.5 && (WARNING_PREFIX.test(t) || (WARNING_WORD.test(t) && !ERROR_WORD.test(t) && (best.generic || /warn/i.test(best.rule))))) score = 2.5;
  if (best.generic && looksLikeCommand(t)) {
    score *= 0.3;
    kind = 'plain';
  }
  if (score < 4.5 && (best.generic || kind === 'summary')) {
    if (PASS_RULES.some((re) => re.test(text)) && !NONZERO_COUNT.test(text)) return { ...EMPTY, kind: 'pass' };
    if (BENIGN.some((re) => re.test(text))) {
      score = Math.min(score, 0.5);
      kind = 'plain';
    }
  }
  if (detail && kind === 'error' && score < 3) kind = 'detail';
  return {
    score,
    kind,
    rule: best.rule,
    category: cat?.category ?? null,
    categoryWeight: cat ? (cat.certainty ?? 0.6) : 0,
    generic: Boolean(best.generic),
  };
}

/** A shell command echo or tool invocation (`$ make`, `+ ./run`, `> node x.js`, many `-flags`). */
export function looksLikeCommand(t: string): boolean {
  if (t.startsWith('$ ') || t.startsWith('> ') || t.startsWith('[command]')) return true;
  let flags = 0;
  for (let i = 1; i < t.length - 1; i++) {
    if (t.charCodeAt(i) === 45 /* - */ && t.charCodeAt(i - 1) === 32) {
      const c = t.charCodeAt(i + 1);
      if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45) flags++;
      if (flags >= 3) return true;
    }
  }
  return false;
}

/**
 * Lines that continue a message above them: stack frames, carets and code excerpts, diff lines,
 * `note:`/`help:` lines.
 */
export function detailKind(text: string): boolean {
  const t = text.trimStart();
  if (t.length === 0) return false;
  const indented = text.length > t.length;
  switch (t[0]) {
    case 'a':
      return t.startsWith('at ');
    case 'F':
      return t.startsWith('File "');
    case 'f':
      return t.startsWith('from ');
    case 'i':
      return t.startsWith('in ');
    case 'C':
      return t.startsWith('Caused by') || t.startsWith('Call Stack (most recent call first)');
    case 's':
      return t.startsWith('stack traceback:') || t.startsWith('stacktrace:');
    case 'S':
      return t.startsWith('Stack Trace:');
    case 'n':
      return t.startsWith('note:');
    case 'h':
      return t.startsWith('help:');
    case '=':
      return t.startsWith('= note') || t.startsWith('= help');
    case '.':
      return t.startsWith('...');
    case '^':
    case '|':
      return true;
    case '-':
      return indented || t.startsWith('-->') || t.startsWith('--- ') || (t.length > 1 && t[1] !== '-' && t[1] !== ' ');
    case '+':
      return indented || t.startsWith('+++ ') || (t.length > 1 && t[1] !== '+' && t[1] !== ' ');
    case '@':
      return indented || t.startsWith('@@ ');
    case '~':
    case '>':
    case '#':
      return indented;
    default: {
      const c = t.charCodeAt(0);
      if (c >= 48 && c <= 57) return NUMBERED_SOURCE.test(t);
      return t.includes(':in ') && RUBY_FRAME.test(t);
    }
  }
}

/** `12 | code` (rustc, GHC, TypeScript code excerpts). */
const NUMBERED_SOURCE = /^\d+ +\|/;
/** `path/file.rb:12:in `method'` (Ruby backtrace). */
const RUBY_FRAME = /^\S+:\d+:in [`']/;
