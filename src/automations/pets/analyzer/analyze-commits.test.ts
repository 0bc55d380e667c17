import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYZER_VERSION, analyzeCommits, type CommitAnalysis } from './index.js';
import { petsAnalyze } from '../../../cli/pets-analyze-command.js';

// An AWS-key-shaped string, built at run time so that no secret-shaped literal sits in this file.
const AWS_KEY = ['AK', 'IA', 'QZ7WX', 'R2TYU', 'MNB4V', 'L'].join('');

let dir: string;
let gitDir: string;
let tick = 0;
const shas: Record<string, string> = {};

function git(...args: string[]): string {
  tick++;
  const date = `2024-01-01T00:${String(Math.floor(tick / 60)).padStart(2, '0')}:${String(tick % 60).padStart(2, '0')}Z`;
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      GIT_AUTHOR_NAME: 'Ada',
      GIT_AUTHOR_EMAIL: 'ada@example.org',
      GIT_COMMITTER_NAME: 'Ada',
      GIT_COMMITTER_EMAIL: 'ada@example.org',
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
      GIT_CONFIG_NOSYSTEM: '1',
    },
  }).trim();
}

function write(rel: string, content: string | Buffer): void {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
}

function commit(name: string, message: string): string {
  git('add', '-A');
  git('commit', '-q', '--no-verify', '-m', message);
  shas[name] = git('rev-parse', 'HEAD');
  return shas[name]!;
}

function branchyCode(name: string, n: number): string {
  const lines = [`export function ${name}(a: number, b: number, s: string): number {`, '  let r = 0;'];
  for (let i = 0; i < n; i++) {
    lines.push(`  if (a > ${i} && b < ${i}) {`, `    r += ${i};`, `  } else if (s === "if (x || y)") {`, `    r -= a > b ? ${i} : 1; // while || for`, '  }');
  }
  lines.push('  return r;', '}');
  return lines.join('\n') + '\n';
}

function plainCode(name: string, n: number): string {
  const lines = [`export function ${name}(values: number[]): number[] {`, '  const out: number[] = [];'];
  for (let i = 0; i < n; i++) lines.push(`  out.push(values.length * ${i} + ${i});`);
  lines.push('  return out;', '}');
  return lines.join('\n') + '\n';
}

const byName = new Map<string, CommitAnalysis>();
const all: CommitAnalysis[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pets-analyzer-'));
  git('init', '-q', '-b', 'main');
  write('README.md', '# demo\n');
  write('src/app.ts', plainCode('app', 3));
  commit('init', 'Initial commit of the demo');

  write('src/branchy.ts', branchyCode('branchy', 12));
  commit('branchy', 'Add the branchy rules engine');

  write('src/calc.ts', plainCode('calc', 30));
  write('src/calc.test.ts', Array.from({ length: 30 }, (_, i) => `it('case ${i}', () => expect(calc([${i}])).toBeDefined());`).join('\n') + '\n');
  commit('tested', 'Add calc with its tests');

  write('src/calc.ts', plainCode('calc', 45).replace('export function', '/**\n * Computes the calc values.\n * One per index.\n */\nexport function'));
  write('docs/calc.md', '# calc\n\nWhat calc computes, and why.\n');
  commit('docs', 'Document calc and extend it');

  write('src/config.ts', `export const region = 'eu-west-1';\nexport const awsKeyId = '${AWS_KEY}';\n`);
  commit('secret', 'Add the cloud configuration');

  write('assets/logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 0, 1, 2, 3, 0, 0xff, 0, 0]));
  commit('binary', 'Add the logo');

  // 20 MB of text in one file: counted from the patch, not parsed.
  const row = `${'x'.repeat(99)}\n`;
  write('data/big.txt', row.repeat(200_000));
  commit('big', 'Add the big data file');

  write('src/debug.ts', 'export function dbg(v: number): number {\n  console.log(v);\n  debugger;\n  // TODO: remove this\n  return v;\n}\n<<<<<<< HEAD\n');
  write('package-lock.json', '{"lockfileVersion": 3}\n');
  commit('hygiene', 'Add debugging helper');

  write('src/latin1.ts', Buffer.concat([Buffer.from('export const s = "caf'), Buffer.from([0xe9, 0xff]), Buffer.from('";\nif (a) { b(); }\n')]));
  write('media/video.bin', 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n');
  commit('odd', 'Add latin1 constant and an LFS video');

  for (let i = 0; i < 1001; i++) write(`gen/many/f${i}.ts`, `export const v${i} = ${i};\n`);
  commit('many', 'Add many generated constants');

  git('revert', '--no-edit', shas.branchy!);
  shas.revert = git('rev-parse', 'HEAD');

  git('checkout', '-q', '-b', 'side');
  write('src/side.ts', plainCode('side', 5));
  commit('side', 'Add the side feature');
  git('checkout', '-q', 'main');
  write('src/main.ts', plainCode('main', 4));
  commit('mainline', 'Add the main feature');
  git('merge', '-q', '--no-ff', '--no-edit', 'side');
  shas.merge = git('rev-parse', 'HEAD');

  gitDir = path.join(dir, '.git');
  for await (const a of analyzeCommits({ gitDir })) all.push(a);
  for (const [name, sha] of Object.entries(shas)) {
    const a = all.find((x) => x.sha === sha);
    if (a) byName.set(name, a);
  }
}, 60_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function get(name: string): CommitAnalysis {
  const a = byName.get(name);
  if (!a) throw new Error(`no analysis for ${name}`);
  return a;
}

describe('analyzeCommits on a fixture repository', () => {
  it('streams every commit once, oldest first, with the analyser version', () => {
    const count = Number(git('rev-list', '--count', 'HEAD'));
    expect(all).toHaveLength(count);
    expect(new Set(all.map((a) => a.sha)).size).toBe(count);
    expect(all[0]!.sha).toBe(shas.init);
    expect(all.at(-1)!.sha).toBe(shas.merge);
    for (const a of all) expect(a.analyzerVersion).toBe(ANALYZER_VERSION);
    expect(get('init').authoredAt).toMatch(/^2024-01-01T00:00:\d\d\.000Z$/);
  });

  it('adds the components up to health_delta (clamped) and keeps the score in 0–100', () => {
    for (const a of all) {
      const total = Object.values(a.breakdown).reduce((s, c) => s + c.points, 0);
      expect(a.health_delta).toBe(Math.max(-20, Math.min(20, total)));
      expect(Number.isInteger(a.health_delta)).toBe(true);
      expect(a.overall_quality_score).toBeGreaterThanOrEqual(0);
      expect(a.overall_quality_score).toBeLessThanOrEqual(100);
      for (const c of Object.values(a.breakdown)) {
        expect(Number.isInteger(c.points)).toBe(true);
        expect(c.reason.length).toBeGreaterThan(0);
      }
    }
  });

  it('marks a branchy function without tests down for complexity and tests', () => {
    const a = get('branchy');
    expect(a.breakdown.complexity!.points).toBeLessThan(0);
    expect(a.breakdown.complexity!.reason).toMatch(/decision points/);
    // 12 × (if, &&, else if, ?:) = 48 decisions; the strings and comments add none.
    expect(a.metrics?.decisionsAdded).toBe(48);
    expect(a.breakdown.tests!.points).toBeLessThan(0);
    expect(a.breakdown.tests!.reason).toMatch(/no test lines/);
  });

  it('rewards code that comes with tests', () => {
    const a = get('tested');
    expect(a.breakdown.tests!.points).toBeGreaterThanOrEqual(2);
    expect(a.metrics?.testLinesAdded).toBe(30);
    expect(a.breakdown.complexity!.points).toBe(0);
    expect(a.health_delta).toBeGreaterThan(get('branchy').health_delta);
  });

  it('rewards docs touched with the code', () => {
    const a = get('docs');
    expect(a.breakdown.docs!.points).toBeGreaterThan(0);
    expect(a.breakdown.docs!.reason).toMatch(/doc file/);
    expect(a.metrics?.docCommentsAdded).toBeGreaterThanOrEqual(3);
    expect(get('branchy').breakdown.docs!.points).toBe(0);
  });

  it('finds an AWS key and never shows it', () => {
    const a = get('secret');
    expect(a.breakdown.secrets!.points).toBeLessThanOrEqual(-10);
    const f = a.findings.find((x) => x.rule === 'aws-access-token');
    expect(f).toMatchObject({ component: 'secrets', file: 'src/config.ts', line: 2 });
    expect(f!.preview).toContain('[REDACTED]');
    const text = JSON.stringify(a);
    expect(text).not.toContain(AWS_KEY);
    expect(text).not.toContain(AWS_KEY.slice(4));
    expect(a.overall_quality_score).toBeLessThan(get('tested').overall_quality_score);
  });

  it('counts a binary file without parsing it', () => {
    const a = get('binary');
    expect(a.filesChanged).toBe(1);
    expect(a.notes.join('\n')).toMatch(/assets\/logo\.png: binary, counted not parsed/);
  });

  it('counts a 20 MB file from the patch and does not parse it', () => {
    const a = get('big');
    expect(a.additions).toBe(200_000);
    expect(a.notes.join('\n')).toMatch(/data\/big\.txt: 200,000 changed lines, counted not parsed/);
    expect(a.breakdown.size!.points).toBeLessThan(0);
    expect(a.findings).toHaveLength(0);
  });

  it('marks conflict markers, debug leftovers, TODOs and a lockfile without its manifest', () => {
    const a = get('hygiene');
    expect(a.breakdown.hygiene!.points).toBeLessThanOrEqual(-8);
    const rules = a.findings.map((f) => f.rule);
    expect(rules).toContain('conflict-marker');
    expect(rules.filter((r) => r === 'debug-leftover')).toHaveLength(2);
    expect(rules).toContain('lockfile-without-manifest');
    expect(a.breakdown.hygiene!.reason).toMatch(/TODO/);
    expect(a.findings.find((f) => f.rule === 'conflict-marker')).toMatchObject({ file: 'src/debug.ts', line: 7 });
  });

  it('counts invalid UTF-8 and LFS pointers without parsing them', () => {
    const a = get('odd');
    const notes = a.notes.join('\n');
    expect(notes).toMatch(/src\/latin1\.ts: .*not valid UTF-8/);
    expect(notes).toMatch(/media\/video\.bin: .*LFS pointer/);
    expect(a.metrics?.decisionsAdded).toBe(0);
  });

  it('counts a commit over 1,000 files without parsing it', () => {
    const a = get('many');
    expect(a.filesChanged).toBe(1001);
    expect(a.additions).toBe(1001);
    expect(a.notes[0]).toMatch(/1,001 files changed \(over 1,000\): counted, not parsed/);
    expect(a.metrics?.codeAdded).toBe(0);
  });

  it('scores a revert as removing the decision points it brought', () => {
    const a = get('revert');
    expect(a.subject).toMatch(/^Revert "Add the branchy rules engine"/);
    expect(a.breakdown.message!.reason).toMatch(/reverts/);
    expect(a.breakdown.complexity!.points).toBeGreaterThan(0);
    expect(a.metrics?.decisionsRemoved).toBe(48);
  });

  it('records a merge with health_delta 0 and counts its commits individually', () => {
    const m = get('merge');
    expect(m.isMerge).toBe(true);
    expect(m.parents).toHaveLength(2);
    expect(m.health_delta).toBe(0);
    expect(Object.keys(m.breakdown)).toEqual(['merge']);
    expect(all.some((a) => a.sha === shas.side && !a.isMerge)).toBe(true);
  });

  it('gives a commit the same analysis alone, in a range, and in the whole history', async () => {
    const alone: CommitAnalysis[] = [];
    for await (const a of analyzeCommits({ gitDir, range: shas.docs })) alone.push(a);
    const ranged: CommitAnalysis[] = [];
    for await (const a of analyzeCommits({ gitDir, range: `${shas.tested}..${shas.hygiene}` })) ranged.push(a);
    expect(alone).toEqual([get('docs')]);
    expect(ranged.map((a) => a.sha)).toEqual([shas.docs, shas.secret, shas.binary, shas.big, shas.hygiene]);
    expect(ranged).toEqual(ranged.map((a) => all.find((x) => x.sha === a.sha)));
  });

  it('refuses a range that would read as an option', async () => {
    const it = analyzeCommits({ gitDir, range: '--output=/tmp/x' })[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toThrow(/invalid range/);
  });
});

describe('switchyard pets analyze', () => {
  it('prints one JSON line per commit with the score, delta and breakdown', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await petsAnalyze({ gitDir, range: `${shas.init}..${shas.secret}`, json: true }, { out: (l) => void out.push(l), err: (t) => void err.push(t) });
    expect(code).toBe(0);
    expect(err).toEqual([]);
    const rows = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => r.sha)).toEqual([shas.branchy, shas.tested, shas.docs, shas.secret]);
    for (const r of rows) expect(Object.keys(r)).toEqual(expect.arrayContaining(['sha', 'overall_quality_score', 'health_delta', 'breakdown']));
    expect(out.join('\n')).not.toContain(AWS_KEY);
  });

  it('exits 2 with a message for a missing git dir or a bad range', async () => {
    const err: string[] = [];
    expect(await petsAnalyze({ gitDir: path.join(dir, 'nope') }, { out: () => undefined, err: (t) => void err.push(t) })).toBe(2);
    expect(err.join('')).toMatch(/no such directory/);
    expect(await petsAnalyze({ gitDir, range: 'deadbeef..HEAD' }, { out: () => undefined, err: (t) => void err.push(t) })).toBe(2);
    expect(err.join('')).toMatch(/git failed/);
  });
});

describe('analyzeCommits on a damaged repository', () => {
  it('analyses a commit whose blob is missing from its tree changes, and the others whole', async () => {
    const saved = dir;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pets-analyzer-missing-'));
    try {
      git('init', '-q', '-b', 'main');
      write('src/a.ts', plainCode('a', 3));
      commit('m1', 'Add a');
      write('src/lost.ts', branchyCode('lost', 2));
      commit('m2', 'Add lost');
      write('src/b.ts', branchyCode('b', 1));
      commit('m3', 'Add b');
      const blob = git('rev-parse', `${shas.m2}:src/lost.ts`);
      fs.rmSync(path.join(dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
      const out: CommitAnalysis[] = [];
      for await (const a of analyzeCommits({ gitDir: path.join(dir, '.git') })) out.push(a);
      expect(out.map((a) => a.sha)).toEqual([shas.m1, shas.m2, shas.m3]);
      expect(out[1]!.notes.join('\n')).toMatch(/src\/lost\.ts: content missing from the repository/);
      expect(out[1]!.filesChanged).toBe(1);
      expect(out[2]!.metrics?.decisionsAdded).toBe(4);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      dir = saved;
    }
  });
});

describe('analyzeCommits on an empty repository', () => {
  it('yields nothing', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'pets-analyzer-empty-'));
    try {
      execFileSync('git', ['init', '-q', '--bare', empty]);
      const out: CommitAnalysis[] = [];
      for await (const a of analyzeCommits({ gitDir: empty })) out.push(a);
      expect(out).toEqual([]);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('stopping', () => {
  it('stops git when the reader stops early or the signal aborts', async () => {
    const first: CommitAnalysis[] = [];
    for await (const a of analyzeCommits({ gitDir })) {
      first.push(a);
      break;
    }
    expect(first.map((a) => a.sha)).toEqual([shas.init]);
    const controller = new AbortController();
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const a of analyzeCommits({ gitDir, signal: controller.signal })) {
          seen.push(a.sha);
          controller.abort();
        }
      })(),
    ).rejects.toThrow();
    expect(seen.length).toBeLessThan(all.length);
  });

  it('prints a readable line per commit without --json', async () => {
    const out: string[] = [];
    expect(await petsAnalyze({ gitDir, range: shas.branchy }, { out: (l) => void out.push(l), err: () => undefined })).toBe(0);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(new RegExp(`^${shas.branchy!.slice(0, 10)}\\s+[\\d.]+\\s+-\\d+\\s+Add the branchy rules engine\\s+\\[complexity -\\d, tests -\\d`));
  });
});
