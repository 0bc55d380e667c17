/** `switchyard triage explain` (src/cli/triage-commands.ts), run against temporary log files. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTriageCommands, triageExplain, type ExplainIo } from '../../../cli/triage-commands.js';

const LOG = ['$ go test ./...', '=== RUN   TestAdd', '--- FAIL: TestAdd (0.00s)', '    calc_test.go:8: add(1, 2) = 3, want 4', 'FAIL', 'The command "go test ./..." exited with 1.'].join('\n');

function capture(color = false): ExplainIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), color };
}

describe('triage explain', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-cli-'));
    fs.writeFileSync(path.join(dir, 'build.log'), LOG);
    fs.writeFileSync(path.join(dir, 'build.log.gz'), gzipSync(LOG));
    fs.writeFileSync(path.join(dir, 'renamed-gzip.txt'), gzipSync(LOG));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints one JSON object per log, one per line, for plain and gzipped logs (detected by content)', async () => {
    const io = capture();
    const files = ['build.log', 'build.log.gz', 'renamed-gzip.txt'].map((f) => path.join(dir, f));
    expect(await triageExplain(files, { json: true }, io)).toBe(0);
    expect(io.stdout).toHaveLength(3);
    const objects = io.stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const [i, o] of objects.entries()) {
      expect(Object.keys(o)).toEqual(['file', 'failure_lines', 'category', 'confidence', 'root_cause', 'recommended_action']);
      expect(o.file).toBe(files[i]);
      expect(o.failure_lines).toEqual([[3, 4]]);
      expect(o.category).toBe('test_failure');
      expect(o.recommended_action).toBe('fix_code');
    }
  });

  it('prints a readable report with the failure lines marked and a little context, without colour when not a TTY', async () => {
    const io = capture(false);
    expect(await triageExplain([path.join(dir, 'build.log')], {}, io)).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toContain('test_failure');
    expect(text).toContain('> 3 | --- FAIL: TestAdd (0.00s)');
    expect(text).toContain('  2 | === RUN   TestAdd');
    expect(text).not.toContain('\x1b[');
  });

  it('highlights the failure lines in bold red on a terminal', async () => {
    const io = capture(true);
    await triageExplain([path.join(dir, 'build.log')], {}, io);
    expect(io.stdout.join('\n')).toContain('\x1b[1;31m> 3 | --- FAIL');
  });

  it('exits 2 with a clear message for a missing file, and analyzes nothing', async () => {
    const io = capture();
    expect(await triageExplain([path.join(dir, 'build.log'), path.join(dir, 'missing.log')], { json: true }, io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/missing\.log: no such file/);
    expect(io.stdout).toHaveLength(0);
  });

  it('exits 2 for a missing passing log too', async () => {
    const io = capture();
    expect(await triageExplain([path.join(dir, 'build.log')], { passing: path.join(dir, 'nope.log') }, io)).toBe(2);
  });

  it('registers `triage explain <log...>` with --passing and --json', () => {
    const program = new Command('switchyard');
    registerTriageCommands(program);
    const explain = program.commands.find((c) => c.name() === 'triage')?.commands.find((c) => c.name() === 'explain');
    expect(explain).toBeDefined();
    expect(explain!.options.map((o) => o.long)).toEqual(['--passing', '--json']);
  });
});
