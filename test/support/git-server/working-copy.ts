/**
 * A working copy to make history with in tests: commits, branches, tags, force pushes and
 * deletions, pushed straight into a bare repository on disk (no HTTP, no credentials).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

export class WorkingCopy {
  readonly dir: string;
  private n = 0;

  constructor(
    readonly bare: string,
    readonly defaultBranch = 'main',
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-wc-'));
    this.git('init', '--quiet', `--initial-branch=${defaultBranch}`);
    this.git('config', 'commit.gpgsign', 'false');
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, env: ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).trim();
  }

  /** Commits a change on the current branch; returns the new commit's sha. */
  commit(message = `change ${++this.n}`, file = 'README.md'): string {
    fs.appendFileSync(path.join(this.dir, file), `${message}\n`);
    this.git('add', file);
    this.git('commit', '--quiet', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  checkout(branch: string, create = false): void {
    if (create) this.git('checkout', '--quiet', '-b', branch);
    else this.git('checkout', '--quiet', branch);
  }

  head(ref = 'HEAD'): string {
    return this.git('rev-parse', ref);
  }

  /** Pushes refspecs to the bare repository. */
  push(...refspecs: string[]): void {
    this.git('push', '--quiet', this.bare, ...refspecs);
  }

  close(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
