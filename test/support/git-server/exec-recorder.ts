/**
 * Records the command line of every git process the mirror starts, and of the helpers git itself
 * starts for HTTP remotes (git-remote-http/https), without racing them.
 *
 * How: a `git` wrapper (pass it as `MIRROR_GIT`) appends its arguments to a log file and execs the
 * real git with `GIT_EXEC_PATH` pointing at a copy of git's exec directory in which every entry is
 * a symlink to the real one, except the remote helpers, which are wrappers that log too. Sampling
 * `/proc/<pid>/cmdline` instead is racy: a short-lived git can fork, exec and exit between samples,
 * and right after fork the child still shows node's command line.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ExecRecorder {
  /** The wrapper to run instead of git (`MIRROR_GIT`). */
  git: string;
  /** Every command line recorded so far, one string each (arguments joined by spaces). */
  commandLines(): string[];
  close(): void;
}

const REMOTE_HELPERS = ['git-remote-http', 'git-remote-https', 'git-remote-ftp', 'git-remote-ftps'];

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A POSIX sh script that logs `$name $@` as one line, then execs `target` with the same arguments. */
function wrapper(log: string, name: string, target: string, extraEnv = ''): string {
  return [
    '#!/bin/sh',
    // One write per invocation with O_APPEND: lines from concurrent gits do not interleave.
    `line=$(printf '%s ' ${shellQuote(name)} "$@")`,
    `printf '%s\\n' "$line" >> ${shellQuote(log)}`,
    `${extraEnv}exec ${shellQuote(target)} "$@"`,
    '',
  ].join('\n');
}

export function createExecRecorder(realGit = 'git'): ExecRecorder {
  const gitPath = execFileSync('sh', ['-c', `command -v ${shellQuote(realGit)}`], { encoding: 'utf8' }).trim();
  const realExecPath = execFileSync(gitPath, ['--exec-path'], { encoding: 'utf8' }).trim();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-git-exec-'));
  const log = path.join(root, 'command-lines.log');
  fs.writeFileSync(log, '');
  const execDir = path.join(root, 'exec-path');
  fs.mkdirSync(execDir);
  for (const entry of fs.readdirSync(realExecPath)) {
    const target = path.join(realExecPath, entry);
    if (REMOTE_HELPERS.includes(entry)) {
      // Resolve symlinks (git-remote-https → git-remote-http) so the helper sees the real binary.
      fs.writeFileSync(path.join(execDir, entry), wrapper(log, entry, fs.realpathSync(target)), { mode: 0o755 });
    } else {
      fs.symlinkSync(target, path.join(execDir, entry));
    }
  }
  const git = path.join(root, 'git');
  fs.writeFileSync(git, wrapper(log, 'git', gitPath, `GIT_EXEC_PATH=${shellQuote(execDir)} `), { mode: 0o755 });
  return {
    git,
    commandLines: () =>
      fs
        .readFileSync(log, 'utf8')
        .split('\n')
        .map((l) => l.trimEnd())
        .filter(Boolean),
    close: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
