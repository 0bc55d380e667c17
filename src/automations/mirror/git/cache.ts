/**
 * The mirror cache: one bare repository per mirror, `<MIRROR_CACHE_DIR>/<target id>/<GitHub
 * repository id>.git`, so renames on GitHub change nothing on disk. It holds GitHub's branches and
 * tags (fetched with --prune) and the backups of overwritten or deleted target refs under
 * `refs/switchyard/backup/…`. Handling caches in general lives in src/git.
 */
import path from 'node:path';

export function cachePath(cacheDir: string, targetId: string, repositoryGithubId: number): string {
  return path.join(cacheDir, targetId, `${repositoryGithubId}.git`);
}
