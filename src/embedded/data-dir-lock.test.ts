import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirInUse, lockDataDir } from './data-dir-lock.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-lock-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('the data dir lock', () => {
  it('lets one holder in, refuses a second at once, and is free again after release', () => {
    const dir = tempDir();
    const first = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirInUse);
    first.release();
    lockDataDir(dir).release();
  });

  it('is free as soon as a holder is killed with SIGKILL (no stale lock to wait out)', async () => {
    const dir = tempDir();
    // The built module (npm test builds before it runs the suite), in a process of its own.
    const built = new URL('../../dist/embedded/data-dir-lock.js', import.meta.url).pathname;
    const script = `import('${built}').then(m => { m.lockDataDir(process.argv[1]); console.log('locked'); setInterval(() => {}, 1000); })`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => (b.toString().includes('locked') ? resolve() : undefined));
      child.once('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
    });
    expect(() => lockDataDir(dir)).toThrow(DataDirInUse);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    lockDataDir(dir).release();
  });
});
