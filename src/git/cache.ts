/**
 * Bare repository caches on disk, shared by the automations that keep one (the mirror, the pets):
 * whether one is there, clearing lock files a killed git left behind, and disk usage. Where a
 * cache lives is each automation's own decision. A cache's config never holds a remote or a
 * credential: URLs are passed per command.
 */
import fs from 'node:fs';
import path from 'node:path';

/** True when a bare repository is there. */
export function cacheExists(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'HEAD')) && fs.existsSync(path.join(dir, 'objects'));
}

/**
 * Removes lock files a killed git left behind. Only call while holding the cache's lease (or its only user's lock): then no
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
