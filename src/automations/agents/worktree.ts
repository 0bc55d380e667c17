/**
 * The git worktree of one conversation: a clone of the repository on branch
 * `switchyard/issue-<n>`, where the coder's edits land. Switchyard commits each turn and pushes
 * only that branch, with the installation token in git's environment (src/git/run-git.ts), never
 * in a URL, argv or the clone's config.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runGit, type GitCredential } from '../../git/run-git.js';

export interface Worktree {
  /** The files the agents edit (mounted in the sandbox). */
  dir: string;
  /**
   * The repository itself, outside the sandbox's reach: every git run names it explicitly, so a
   * command that rewrites the worktree's `.git` file or plants config and hooks changes nothing.
   */
  gitDir: string;
  branch: string;
  remoteUrl: string;
  credential: () => Promise<GitCredential>;
  git: string;
}

/** Safe-directory: after a sandboxed command the files belong to nobody (see sandbox.ts). */
const G = ['-c', 'safe.directory=*', '-c', 'core.hooksPath=/dev/null', '-c', 'user.name=Switchyard', '-c', 'user.email=switchyard@users.noreply.github.com'];

async function git(w: Worktree, args: string[], o: { input?: string; credential?: boolean } = {}) {
  return runGit({ git: w.git, args: [...G, `--git-dir=${w.gitDir}`, `--work-tree=${w.dir}`, ...args], cwd: w.dir, input: o.input, credential: o.credential ? await w.credential() : null, lowSpeed: { limit: 1000, time: 60 } });
}

/**
 * Makes sure the clone exists and is on the branch: the remote branch when it exists (a restart
 * continues where the last push left), else a new branch from the default branch.
 */
export async function ensureWorktree(w: Worktree, baseBranch: string): Promise<void> {
  if (!fs.existsSync(path.join(w.gitDir, 'HEAD'))) {
    fs.rmSync(w.dir, { recursive: true, force: true });
    fs.rmSync(w.gitDir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(w.dir), { recursive: true });
    await runGit({ git: w.git, args: [...G, 'clone', '--quiet', '--no-tags', `--separate-git-dir=${w.gitDir}`, '--branch', baseBranch, w.remoteUrl, w.dir], credential: await w.credential(), lowSpeed: { limit: 1000, time: 60 } });
  }
  const current = (await git(w, ['rev-parse', '--abbrev-ref', 'HEAD'])).stdout.trim();
  if (current === w.branch) return;
  const remote = await git(w, ['ls-remote', '--heads', w.remoteUrl, w.branch], { credential: true });
  if (remote.stdout.trim()) {
    await git(w, ['fetch', '--quiet', w.remoteUrl, `+refs/heads/${w.branch}:refs/remotes/origin/${w.branch}`], { credential: true });
    await git(w, ['checkout', '--quiet', '-B', w.branch, `refs/remotes/origin/${w.branch}`]);
  } else {
    await git(w, ['checkout', '--quiet', '-B', w.branch]);
  }
}

/** The commit a ref points at in the clone (null when it does not exist). */
export async function revParse(w: Worktree, ref: string): Promise<string | null> {
  try {
    return (await git(w, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).stdout.trim() || null;
  } catch {
    return null;
  }
}

export async function headSha(w: Worktree): Promise<string> {
  return (await git(w, ['rev-parse', 'HEAD'])).stdout.trim();
}

/** Stages everything; returns the staged paths. */
export async function stageAll(w: Worktree): Promise<string[]> {
  await git(w, ['add', '-A']);
  return (await git(w, ['diff', '--cached', '--name-only', '-z'])).stdout.split('\0').filter(Boolean);
}

export async function stagedDiff(w: Worktree): Promise<string> {
  return (await git(w, ['diff', '--cached', '--no-color', '--no-ext-diff'])).stdout;
}

/** Drops staged and unstaged changes to these paths (or all, when none given). */
export async function discard(w: Worktree, paths?: string[]): Promise<void> {
  if (paths && paths.length > 0) {
    await git(w, ['reset', '--quiet', '--', ...paths]);
    await git(w, ['checkout', '--quiet', 'HEAD', '--', ...paths]).catch(() => undefined);
    await git(w, ['clean', '-fdq', '--', ...paths]);
    return;
  }
  await git(w, ['reset', '--quiet', '--hard', 'HEAD']);
  await git(w, ['clean', '-fdq']);
}

export async function commit(w: Worktree, message: string): Promise<string> {
  await git(w, ['commit', '--quiet', '--no-verify', '-F', '-'], { input: message });
  return headSha(w);
}

/** Pushes the branch (fast-forward only: nothing else writes it). */
export async function push(w: Worktree): Promise<void> {
  await git(w, ['push', '--quiet', w.remoteUrl, `HEAD:refs/heads/${w.branch}`], { credential: true });
}

/** The branch's changes against the base (for the reviewer). */
export async function diffAgainst(w: Worktree, baseBranch: string, maxChars = 60_000): Promise<string> {
  const base = (await git(w, ['merge-base', 'HEAD', `refs/remotes/origin/${baseBranch}`]).catch(() => null))?.stdout.trim();
  const d = (await git(w, ['diff', '--no-color', '--no-ext-diff', base || 'HEAD~0'])).stdout;
  return d.length > maxChars ? `${d.slice(0, maxChars)}\n… (diff clipped)` : d;
}

/** Tracked files under a directory of the worktree. */
export async function listFiles(w: Worktree, under = ''): Promise<string[]> {
  const out = (await git(w, ['ls-files', '-z', '--', under || '.'])).stdout;
  return out.split('\0').filter(Boolean);
}
