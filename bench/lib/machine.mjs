// What the numbers were measured on.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { REPO_ROOT } from './config.mjs';

const require = createRequire(path.join(REPO_ROOT, 'package.json'));

function version(pkg) {
  try {
    return require(`${pkg}/package.json`).version;
  } catch {
    return null;
  }
}

/** Filesystem type and device holding `dir` (Linux, best effort). */
function filesystemOf(dir) {
  try {
    const real = fs.realpathSync(dir);
    let best = null;
    for (const line of fs.readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [dev, mnt, type] = line.split(' ');
      if (!mnt) continue;
      const m = mnt.replace(/\\040/g, ' ');
      if ((real === m || real.startsWith(m.endsWith('/') ? m : `${m}/`)) && (!best || m.length > best.mount.length)) {
        best = { device: dev, mount: m, type };
      }
    }
    return best;
  } catch {
    return null;
  }
}

const HARNESS_PACKAGES = ['probot', '@octokit/webhooks', 'autocannon', 'better-sqlite3'];

/** The machine, Node and the versions of `packages` (default: the ingestion harness's). */
export function describeMachine({ dataRoot, packages = HARNESS_PACKAGES } = {}) {
  const cpus = os.cpus();
  const dataDir = dataRoot || os.tmpdir();
  return {
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAvgAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
    dataDir: { path: dataDir, filesystem: filesystemOf(dataDir) },
    packages: Object.fromEntries(packages.map((p) => [p, version(p)])),
  };
}

export function machineLine(m) {
  const fsx = m.dataDir.filesystem ? `, data dir on ${m.dataDir.filesystem.type} (${m.dataDir.filesystem.device})` : '';
  return `${m.cpuModel} × ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.os}, Node ${m.node}${fsx}; load avg at start ${m.loadAvgAtStart.join(' / ')}${m.busyPctBeforeStart !== undefined ? `, CPU busy before start ${m.busyPctBeforeStart}% of a core` : ''}`;
}
