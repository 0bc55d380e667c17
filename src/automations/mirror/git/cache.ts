/**
 * The mirror cache: one bare repository per mirror, `<MIRROR_CACHE_DIR>/<target id>/<GitHub
 * repository id>.git`, so renames on GitHub change nothing on disk. It holds GitHub's branches and
 * tags (fetched with --prune) and the backups of overwritten or deleted target refs under
 * `refs/switchyard/backup/…`. Its config never holds a remote or a credential: URLs are passed
 * per command.
 */
import fs from 'node:fs';
import path from 'node:path';

export function cachePath(cacheDir: string, targetId: string, repositoryGithubId: number): string {
  return path.join(cacheDir, targetId, `${repositoryGithubId}.git`);
}

/** True when a bare repository is there. */
export function cacheExists(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'HEAD')) && fs.existsSync(path.join(dir, 'objects'));
}

/**
 * Removes lock files a killed git left behind. Only call while holding the mirror's lease: then no
 * other git can be working in this cache.
 */
export function removeStaleLocks(dir: string): number {
  let removed = 0;
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.lock')) {
        fs.rmSync(p, { force: true });
        removed++;
      }
    }
  };
  for (const f of ['packed-refs.lock', 'config.lock', 'shallow.lock', 'HEAD.lock', 'index.lock']) {
    if (fs.existsSync(path.join(dir, f))) {
      fs.rmSync(path.join(dir, f), { force: true });
      removed++;
    }
  }
  walk(path.join(dir, 'refs'));
  return removed;
}

/** Bytes used under a directory (0 when it does not exist). */
export function diskUsage(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        try {
          total += fs.statSync(p).size;
        } catch {
          // removed meanwhile
        }
      }
    }
  };
  walk(dir);
  return total;
}

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} bytes` : `${v.toFixed(1)} ${units[i]}`;
}
