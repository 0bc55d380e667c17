// Child processes: start each in its own process group, wait for its port, stop it (and only it)
// by its id, and read how much CPU its group has used.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const live = new Set();

/** Kills every child this process started that is still running. Safe to call more than once. */
export function killAllChildren(signal = 'SIGKILL') {
  for (const child of live) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  }
}

let hooksInstalled = false;
function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => killAllChildren('SIGKILL'));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      console.error(`\n[bench] ${sig}: stopping child processes`);
      killAllChildren('SIGTERM');
      setTimeout(() => process.exit(130), 300).unref();
    });
  }
}

/** A free TCP port on 127.0.0.1 (there is a small window before the child binds it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `cmd args` as a detached process group. Its output goes to `logFile` (if given) and the last
 * lines are kept in memory for error messages.
 */
export function startProcess({ name, cmd, args, env, cwd, logFile }) {
  installExitHooks();
  const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = [];
  const log = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : null;
  const onData = (stream) => (chunk) => {
    log?.write(chunk);
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      tail.push(`[${name}${stream === 'stderr' ? ' stderr' : ''}] ${line}`);
      if (tail.length > 40) tail.shift();
    }
  };
  child.stdout.on('data', onData('stdout'));
  child.stderr.on('data', onData('stderr'));
  const handle = {
    name,
    child,
    pid: child.pid,
    exited: false,
    exitCode: null,
    exitSignal: null,
    tail,
    exitPromise: null,
  };
  handle.exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      handle.exited = true;
      handle.exitCode = code;
      handle.exitSignal = signal;
      live.delete(child);
      log?.end();
      resolve();
    });
    child.on('error', (err) => {
      tail.push(`[${name}] spawn error: ${err.message}`);
      handle.exited = true;
      live.delete(child);
      resolve();
    });
  });
  if (child.pid) live.add(child);
  return handle;
}

/** Stops a started process group: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(handle, graceMs = 5000) {
  if (!handle || handle.exited) return;
  try {
    process.kill(-handle.pid, 'SIGTERM');
  } catch {
    /* gone */
  }
  const done = await Promise.race([handle.exitPromise.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done) {
    try {
      process.kill(-handle.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await Promise.race([handle.exitPromise, sleep(2000)]);
  }
  // Anything left in the group (a grandchild that ignored SIGTERM) goes too.
  try {
    process.kill(-handle.pid, 'SIGKILL');
  } catch {
    /* group empty */
  }
}

function tryConnect(port, host) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** Waits until `port` accepts connections, the process exits, or `timeoutMs` passes. */
export async function waitForPort(handle, port, { host = '127.0.0.1', timeoutMs = 30000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (handle.exited) {
      return { ok: false, reason: `exited (code ${handle.exitCode}, signal ${handle.exitSignal}) before listening` };
    }
    if (await tryConnect(port, host)) return { ok: true };
    await sleep(100);
  }
  return { ok: false, reason: `did not listen on ${host}:${port} within ${Math.round(timeoutMs / 1000)} s` };
}

const CLK_TCK = 100; // Linux USER_HZ

/** CPU seconds (user+system) used so far by every live process in the group led by `pgid`. */
export function groupCpuSeconds(pgid) {
  if (process.platform !== 'linux') return null;
  let ticks = 0;
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name (which may contain spaces) start at index 2 (state).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(rest[2]);
    if (pgrp !== pgid) continue;
    ticks += Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]); // utime stime cutime cstime
  }
  return ticks / CLK_TCK;
}

/** Resident memory (MB) of the group's processes. */
export function groupRssMb(pgid) {
  if (process.platform !== 'linux') return null;
  let kb = 0;
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) !== pgid) continue;
      const status = fs.readFileSync(`/proc/${e}/status`, 'utf8');
      const m = /VmRSS:\s+(\d+)/.exec(status);
      if (m) kb += Number(m[1]);
    } catch {
      continue;
    }
  }
  return Math.round(kb / 1024);
}

/** Busy CPU seconds of the whole machine so far (all cores; /proc/stat), or null. */
export function machineBusyCpuSeconds() {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, _idle, _iowait, irq, softirq, steal] = v;
    return (user + nice + system + irq + softirq + (steal || 0)) / CLK_TCK;
  } catch {
    return null;
  }
}
