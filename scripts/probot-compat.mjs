#!/usr/bin/env node
/**
 * Runs real Probot apps' own test suites twice, once on real `probot@14.3.2` and once with `probot`
 * replaced by this repository's package (packages/probot, packed and installed as `probot`), and
 * compares the outcome of every test. Not run in CI: it needs the apps' sources (see
 * docs/probot-compat.md for how to get them).
 *
 *   node scripts/probot-compat.mjs [--out <dir>] [--work <dir>] <app-dir>[=<name>] ...
 *
 * For each app directory (left untouched), two copies are made under the work directory; in each,
 * package.json's `probot` (dependencies, devDependencies or peerDependencies) becomes `14.3.2` or
 * `file:<the packed package>`, an npm `overrides` entry makes any dependency that needs `probot` get
 * the same one, `npm install` runs, then the suite runs with a machine-readable reporter (vitest and
 * jest: JSON; node-tap: TAP). Writes <out>/probot-compat.json and <out>/probot-compat.md and exits 1
 * when a test that passes on real Probot does not pass on the package.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REAL_PROBOT = '14.3.2';
const say = (line) => process.stderr.write(`${line}\n`);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const options = { out: join(repoRoot, 'bench/results/tmp/probot-compat'), work: '/tmp/switchyard-probot-compat', apps: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out') options.out = resolve(argv[++i]);
    else if (arg === '--work') options.work = resolve(argv[++i]);
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: node scripts/probot-compat.mjs [--out <dir>] [--work <dir>] <app-dir>[=<name>] ...\n');
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

/** TAP 14 as node-tap prints it: `# Subtest: name` opens a level, `ok n - name` closes one. */
function fromTap(text) {
  const tests = new Map();
  const open = [];
  for (const line of text.split('\n')) {
    const subtest = line.match(/^(\s*)# Subtest: (.*)$/);
    if (subtest) {
      const depth = subtest[1].length;
      while (open.length && open.at(-1).depth >= depth) open.pop();
      open.push({ depth, name: subtest[2].trim() });
      continue;
    }
    const result = line.match(/^(\s*)(not )?ok \d+(?: - ([^#]*))?(?:#\s*(SKIP|TODO)\b.*)?$/i);
    if (!result) continue;
    const depth = result[1].length;
    while (open.length && open.at(-1).depth > depth) open.pop();
    // The closing line of a subtest repeats its name at the subtest's depth: it is a group, not a test.
    if (open.length && open.at(-1).depth === depth) {
      const group = open.pop();
      const hasChildren = [...tests.keys()].some((k) => k.startsWith(`${[...open.map((o) => o.name), group.name].join(' > ')} > `));
      if (hasChildren) {
        if (result[2]) tests.set(`${[...open.map((o) => o.name), group.name].join(' > ')} > (group)`, 'failed');
        continue;
      }
    }
    const name = [...open.map((o) => o.name), (result[3] ?? '').trim() || '(unnamed)'].join(' > ');
    tests.set(name, result[4] ? 'skipped' : result[2] ? 'failed' : 'passed');
  }
  return tests;
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

function prepare(app, variant, spec, work) {
  const dir = join(work, app.name, variant);
  rmSync(dir, { recursive: true, force: true });
  cpSync(app.dir, dir, { recursive: true, filter: (src) => !/(^|\/)(node_modules|\.git|coverage)$/.test(src) });
  rmSync(join(dir, 'yarn.lock'), { force: true });
  pinProbot(dir, spec);
  if (variant === 'package') reuseLock(join(work, app.name, 'probot'), dir);
  const r = run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', '--legacy-peer-deps'], dir);
  if (r.status !== 0) throw new Error(`npm install failed in ${dir}:\n${r.stderr.slice(-4000)}`);
  return dir;
}

function compareApp(app, tarball, work) {
  const pkg = JSON.parse(readFileSync(join(app.dir, 'package.json'), 'utf8'));
  const runner = detectRunner(pkg);
  const declared = pkg.dependencies?.probot ?? pkg.devDependencies?.probot ?? pkg.peerDependencies?.probot ?? '(none)';
  const outcome = { app: app.name, source: app.dir, declaredProbot: declared, runner: runner.kind, variants: {} };
  for (const [variant, spec] of [
    ['probot', REAL_PROBOT],
    ['package', `file:${tarball}`],
  ]) {
    say(`[${app.name}] ${variant}: installing ${variant === 'package' ? basename(tarball) : `probot@${spec}`} ...`);
    const dir = prepare(app, variant, spec, work);
    say(`[${app.name}] ${variant}: running the ${runner.kind} suite with ${installedProbot(dir)} ...`);
    const { tests, log } = runSuite(dir, runner);
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
    results.push(compareApp(app, tarball, options.work));
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
