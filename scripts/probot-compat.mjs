#!/usr/bin/env node
/**
 * Runs real Probot apps' own test suites twice, once on real `probot@14.3.2` and once with `probot`
 * replaced by this repository's package (packages/probot, packed and installed as `probot`), and
 * compares the outcome of every test. Not run in CI: it needs the apps' sources (see
 * docs/probot-compat.md for how to get them).
 *
 *   node scripts/probot-compat.mjs [--out <dir>] [--work <dir>] [--reuse] <app-dir>[=<name>] ...
 *
 * For each app directory (left untouched), two copies are made under the work directory; in each,
 * package.json's `probot` (dependencies, devDependencies or peerDependencies) becomes `14.3.2` or
 * `file:<the packed package>`, an npm `overrides` entry makes any dependency that needs `probot` get
 * the same one, `npm install` runs, then the suite runs with a machine-readable reporter (vitest and
 * jest: JSON; node-tap: TAP). Writes <out>/probot-compat.json and <out>/probot-compat.md and exits 1
 * when a test that passes on real Probot does not pass on the package.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REAL_PROBOT = '14.3.2';
const say = (line) => process.stderr.write(`${line}\n`);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const options = { out: join(repoRoot, 'bench/results/tmp/probot-compat'), work: '/tmp/switchyard-probot-compat', reuse: false, apps: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out') options.out = resolve(argv[++i]);
    else if (arg === '--work') options.work = resolve(argv[++i]);
    else if (arg === '--reuse') options.reuse = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: node scripts/probot-compat.mjs [--out <dir>] [--work <dir>] [--reuse] <app-dir>[=<name>] ...\n');
      process.exit(0);
    } else {
      const [dir, name] = arg.split('=');
      options.apps.push({ dir: resolve(dir), name: name ?? basename(resolve(dir)) });
    }
  }
  if (options.apps.length === 0) throw new Error('give at least one app directory (see --help)');
  for (const app of options.apps) if (!existsSync(join(app.dir, 'package.json'))) throw new Error(`${app.dir} has no package.json`);
  return options;
}

function run(cmd, args, cwd, extraEnv = {}) {
  const result = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1', ...extraEnv } });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/** Builds packages/probot and packs it; returns the tarball's path. */
function packPackage(work) {
  execFileSync('npx', ['tsc', '-p', 'packages/probot/tsconfig.json'], { cwd: repoRoot, stdio: 'inherit' });
  const dest = join(work, 'pack');
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const name = execFileSync('npm', ['pack', './packages/probot', '--pack-destination', dest, '--silent'], { cwd: repoRoot, encoding: 'utf8' }).trim().split('\n').pop();
  return join(dest, name);
}

/** Rewrites the copy's package.json so that `probot` is `spec` everywhere in its tree. */
function pinProbot(dir, spec) {
  const file = join(dir, 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  let declared = false;
  for (const field of ['dependencies', 'devDependencies']) {
    if (pkg[field]?.probot !== undefined) {
      pkg[field].probot = spec;
      declared = true;
    }
  }
  if (!declared) pkg.devDependencies = { ...pkg.devDependencies, probot: spec };
  if (pkg.peerDependencies?.probot !== undefined) delete pkg.peerDependencies.probot;
  // The package itself depends on real probot: inside it, `probot` stays real.
  pkg.overrides = { ...pkg.overrides, probot: spec.startsWith('file:') ? { '.': '$probot', probot: REAL_PROBOT } : '$probot' };
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
}

function detectRunner(pkg) {
  const script = pkg.scripts?.test ?? '';
  if (/\bvitest\b/.test(script)) return { kind: 'vitest', script };
  if (/\bjest\b/.test(script)) return { kind: 'jest', script };
  if (/\btap\b/.test(script)) return { kind: 'tap', script };
  throw new Error(`cannot tell the test runner from scripts.test: ${JSON.stringify(script)} (vitest, jest and node-tap are supported)`);
}

/** Runs the suite; returns { tests: Map<name, 'passed'|'failed'|'skipped'>, log }. */
function runSuite(dir, runner) {
  const report = join(dir, '.probot-compat-report.json');
  rmSync(report, { force: true });
  if (runner.kind === 'vitest') {
    const r = run('node', ['node_modules/vitest/vitest.mjs', 'run', '--reporter=json', `--outputFile=${report}`, '--coverage.enabled=false'], dir);
    return { tests: fromJestLikeJson(dir, report), log: r.stdout + r.stderr };
  }
  if (runner.kind === 'jest') {
    const nodeFlags = (runner.script.match(/^node\s+((?:--\S+\s+)*)/)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
    const r = run('node', [...nodeFlags, 'node_modules/jest/bin/jest.js', '--ci', '--json', `--outputFile=${report}`, '--coverage=false'], dir);
    return { tests: fromJestLikeJson(dir, report), log: r.stdout + r.stderr };
  }
  const args = runner.script.replace(/^.*?\btap\b/, '').trim().split(/\s+/).filter(Boolean);
  const r = run('node_modules/.bin/tap', ['--reporter=tap', '--disable-coverage', '--allow-incomplete-coverage', ...args], dir);
  return { tests: fromTap(r.stdout), log: r.stdout + r.stderr };
}

function fromJestLikeJson(dir, report) {
  const tests = new Map();
  if (!existsSync(report)) return tests;
  const json = JSON.parse(readFileSync(report, 'utf8'));
  for (const file of json.testResults ?? []) {
    const fileName = relative(dir, file.name ?? file.testFilePath ?? '');
    const assertions = file.assertionResults ?? file.testResults ?? [];
    if (assertions.length === 0 && file.status === 'failed') tests.set(`${fileName} > (the file failed to run)`, 'failed');
    for (const a of assertions) {
      const base = `${fileName} > ${a.fullName ?? [...(a.ancestorTitles ?? []), a.title].join(' ')}`;
      let name = base;
      for (let n = 2; tests.has(name); n++) name = `${base} #${n}`;
      tests.set(name, a.status === 'passed' ? 'passed' : a.status === 'failed' ? 'failed' : 'skipped');
    }
  }
  return tests;
}

/**
 * TAP 14 as node-tap prints it: `# Subtest: name` opens a subtest, the `ok n - name` line at the same
 * indentation closes it. A test is a subtest with no subtests of its own (its other lines are its
 * assertions); a group that fails with no failing test in it (a file that does not load) counts as
 * one failed test.
 */
function fromTap(text) {
  const tests = new Map();
  const open = [];
  const path = (upTo) => open.slice(0, upTo).map((o) => o.name).join(' > ');
  for (const line of text.split('\n')) {
    const subtest = line.match(/^(\s*)# Subtest: (.*)$/);
    if (subtest) {
      const depth = subtest[1].length;
      while (open.length && open.at(-1).depth >= depth) open.pop();
      if (open.length) open.at(-1).hasSubtests = true;
      open.push({ depth, name: subtest[2].trim(), hasSubtests: false, failures: 0 });
      continue;
    }
    const result = line.match(/^(\s*)(not )?ok \d+(?: - ([^#]*))?(?:#\s*(.*))?$/);
    if (!result) continue;
    const depth = result[1].length;
    while (open.length && open.at(-1).depth > depth) open.pop();
    if (!open.length || open.at(-1).depth !== depth) continue; // an assertion inside a test
    const closing = open.at(-1);
    const status = /^(SKIP|TODO)\b/i.test(result[4] ?? '') ? 'skipped' : result[2] ? 'failed' : 'passed';
    if (!closing.hasSubtests) tests.set(path(open.length), status);
    else if (status === 'failed' && closing.failures === 0) tests.set(`${path(open.length)} > (the group failed)`, 'failed');
    if (status === 'failed') for (const o of open) o.failures++;
    open.pop();
  }
  return tests;
}

/**
 * Not in the app's suite, but in its package.json: a start script that runs the `probot` command
 * (`probot run ./index.js`) needs the installed `probot` to provide it.
 */
function cliCheck(dir, pkg) {
  const uses = Object.entries(pkg.scripts ?? {}).find(([, script]) => /(^|[\s;&|])probot\s+(run|receive)\b/.test(script));
  if (!uses) return undefined;
  const r = run(join(dir, 'node_modules/.bin/probot'), ['--help'], dir);
  return { name: `package.json > scripts.${uses[0]} runs the probot command (\`probot --help\`)`, status: r.status === 0 && r.stdout.includes('Usage: probot') ? 'passed' : 'failed' };
}

function installedProbot(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'node_modules/probot/package.json'), 'utf8'));
  return `${pkg.name}@${pkg.version}`;
}

/**
 * The package's copy starts from the lock file npm wrote for the real-probot copy, less `probot`'s
 * own entries: every other dependency resolves to the same version in both runs.
 */
function reuseLock(fromDir, dir) {
  const lockFile = join(fromDir, 'package-lock.json');
  if (!existsSync(lockFile)) return;
  const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
  for (const key of Object.keys(lock.packages ?? {})) {
    if (key === 'node_modules/probot' || key.startsWith('node_modules/probot/')) delete lock.packages[key];
  }
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
}

/** --reuse: the installed copies stay, but the package is this checkout's (unpacked over the old one). */
function refreshPackage(dir, tarball) {
  const target = join(dir, 'node_modules/probot');
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
  const bin = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8')).bin?.probot;
  const link = join(dir, 'node_modules/.bin/probot');
  if (bin && !existsSync(link)) {
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join('..', 'probot', bin), link);
  }
}

function prepare(app, variant, spec, work, reuse) {
  const dir = join(work, app.name, variant);
  if (reuse && existsSync(join(dir, 'node_modules/probot/package.json'))) {
    if (variant === 'package') refreshPackage(dir, spec.slice('file:'.length));
    return dir;
  }
  rmSync(dir, { recursive: true, force: true });
  cpSync(app.dir, dir, { recursive: true, filter: (src) => !/(^|\/)(node_modules|\.git|coverage)$/.test(src) });
  rmSync(join(dir, 'yarn.lock'), { force: true });
  pinProbot(dir, spec);
  if (variant === 'package') reuseLock(join(work, app.name, 'probot'), dir);
  const install = () => run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', '--legacy-peer-deps'], dir);
  let r = install();
  if (r.status !== 0 && variant === 'probot' && existsSync(join(dir, 'package-lock.json'))) {
    // A locked version the registry no longer serves: resolve afresh (both copies then share that lock).
    say(`[${app.name}] ${variant}: npm install failed with the app's lock file; resolving without it`);
    rmSync(join(dir, 'package-lock.json'));
    r = install();
  }
  if (r.status !== 0) throw new Error(`npm install failed in ${dir}:\n${r.stderr.slice(-4000)}`);
  return dir;
}

function compareApp(app, tarball, work, reuse) {
  const pkg = JSON.parse(readFileSync(join(app.dir, 'package.json'), 'utf8'));
  const runner = detectRunner(pkg);
  const declared = pkg.dependencies?.probot ?? pkg.devDependencies?.probot ?? pkg.peerDependencies?.probot ?? '(none)';
  const outcome = { app: app.name, source: app.dir, declaredProbot: declared, runner: runner.kind, variants: {} };
  for (const [variant, spec] of [
    ['probot', REAL_PROBOT],
    ['package', `file:${tarball}`],
  ]) {
    say(`[${app.name}] ${variant}: installing ${variant === 'package' ? basename(tarball) : `probot@${spec}`} ...`);
    const dir = prepare(app, variant, spec, work, reuse);
    say(`[${app.name}] ${variant}: running the ${runner.kind} suite with ${installedProbot(dir)} ...`);
    const { tests, log } = runSuite(dir, runner);
    const cli = cliCheck(dir, pkg);
    if (cli) tests.set(cli.name, cli.status);
    writeFileSync(join(dir, '.probot-compat.log'), log);
    outcome.variants[variant] = { installed: installedProbot(dir), dir, tests: Object.fromEntries([...tests].sort(([a], [b]) => a.localeCompare(b))) };
  }
  const real = outcome.variants.probot.tests;
  const ours = outcome.variants.package.tests;
  const names = [...new Set([...Object.keys(real), ...Object.keys(ours)])].sort();
  const count = (t, s) => Object.values(t).filter((v) => v === s).length;
  outcome.summary = {
    tests: names.length,
    passedOnProbot: count(real, 'passed'),
    passedOnPackage: count(ours, 'passed'),
    failedOnProbot: count(real, 'failed'),
    failedOnPackage: count(ours, 'failed'),
    passedOnProbotOnly: names.filter((n) => real[n] === 'passed' && ours[n] !== 'passed'),
    passedOnPackageOnly: names.filter((n) => ours[n] === 'passed' && real[n] !== 'passed'),
  };
  return outcome;
}

function markdown(results) {
  const lines = [
    `| App | Runner | Declares | Tests | Pass on probot@${REAL_PROBOT} | Pass on @switchyard/probot | Pass on probot only |`,
    '|---|---|---|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    if (r.error) {
      lines.push(`| ${r.app} | | | | error: ${r.error.split('\n')[0]} | | |`);
      continue;
    }
    const s = r.summary;
    lines.push(`| ${r.app} | ${r.runner} | probot ${r.declaredProbot} | ${s.tests} | ${s.passedOnProbot} | ${s.passedOnPackage} | ${s.passedOnProbotOnly.length} |`);
  }
  for (const r of results) {
    if (!r.summary?.passedOnProbotOnly.length) continue;
    lines.push('', `Passing on probot only in ${r.app}:`, ...r.summary.passedOnProbotOnly.map((n) => `- ${n}`));
  }
  return `${lines.join('\n')}\n`;
}

const options = parseArgs(process.argv.slice(2));
mkdirSync(options.work, { recursive: true });
mkdirSync(options.out, { recursive: true });
const tarball = packPackage(options.work);
const results = [];
for (const app of options.apps) {
  try {
    results.push(compareApp(app, tarball, options.work, options.reuse));
  } catch (err) {
    say(`[${app.name}] ${err.message}`);
    results.push({ app: app.name, source: app.dir, error: err.message });
  }
}
const table = markdown(results);
writeFileSync(join(options.out, 'probot-compat.json'), `${JSON.stringify({ node: process.version, date: new Date().toISOString(), probot: REAL_PROBOT, results }, null, 2)}\n`);
writeFileSync(join(options.out, 'probot-compat.md'), table);
process.stdout.write(table);
say(`written: ${join(options.out, 'probot-compat.json')} and probot-compat.md (work trees under ${options.work})`);
const regressions = results.some((r) => r.error || r.summary.passedOnProbotOnly.length > 0);
process.exit(regressions ? 1 : 0);
