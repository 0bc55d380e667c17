/**
 * Git LFS: objects are mirrored when `git-lfs` is installed (`git lfs fetch --all` from GitHub,
 * `git lfs push --all` to the target, with the same environment-only credentials); otherwise the
 * sync log says they were skipped. A repository uses LFS when its default branch's
 * `.gitattributes` mentions `filter=lfs`.
 */
import { runGit, type GitRunOptions } from './run-git.js';

const available = new Map<string, Promise<boolean>>();

/** True when `<git> lfs version` works (checked once per process and git binary). */
export function lfsAvailable(git: string): Promise<boolean> {
  let p = available.get(git);
  if (!p) {
    p = runGit({ git, args: ['lfs', 'version'] }).then(
      () => true,
      () => false,
    );
    available.set(git, p);
  }
  return p;
}

/** True when the cache's `ref` has a .gitattributes that routes files through LFS. */
export async function usesLfs(opts: Pick<GitRunOptions, 'git' | 'cwd'>, ref: string): Promise<boolean> {
  try {
    const r = await runGit({ ...opts, args: ['cat-file', '-p', `${ref}:.gitattributes`] });
    return /filter=lfs/.test(r.stdout);
  } catch {
    return false;
  }
}
