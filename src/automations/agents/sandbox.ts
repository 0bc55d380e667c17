/**
 * Runs a project's declared commands (install, test, lint) for the agents, contained rather than
 * trusted: bubblewrap with no network (`--unshare-net` with every other namespace), the system
 * mounted read-only, only the worktree writable, an unprivileged uid, a clean environment (no
 * secret of Switchyard's reaches it), `prlimit` on CPU seconds, address space, processes and file
 * size, and a wall clock that kills the whole process group. Without bwrap nothing runs unless an
 * administrator chose `AGENTS_SANDBOX=none`.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../http/app-error.js';

export interface SandboxLimits {
  /** Wall clock; the process group is killed after it (default 10 minutes). */
  wallMs: number;
  cpuSeconds: number;
  memoryBytes: number;
  processes: number;
  fileBytes: number;
  /** Output kept (each of stdout and stderr). */
  outputBytes: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  wallMs: 10 * 60_000,
  cpuSeconds: 600,
  memoryBytes: 4 * 1024 ** 3,
  processes: 256,
  fileBytes: 256 * 1024 ** 2,
  outputBytes: 64 * 1024,
};

export interface SandboxResult {
  exitCode: number | null;
  signal: string | null;
  output: string;
  timedOut: boolean;
  durationMs: number;
}

export type SandboxKind = 'bwrap' | 'none';

export class SandboxUnavailable extends AppError {
  constructor() {
    super('SANDBOX_UNAVAILABLE', 503, 'bubblewrap (bwrap) is not installed: agents run no command without a sandbox unless an administrator sets AGENTS_SANDBOX=none');
  }
}

/** Where bwrap is, or null. */
export function findBwrap(): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':').concat(['/usr/bin', '/bin'])) {
    const p = path.join(dir, 'bwrap');
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}

/** What `switchyard doctor` says about the sandbox. */
export function describeSandbox(setting: SandboxKind): { ok: boolean; message: string } {
  if (setting === 'none') return { ok: true, message: 'AGENTS_SANDBOX=none: agents’ commands run WITHOUT a sandbox (an administrator’s choice)' };
  const bwrap = findBwrap();
  if (!bwrap) return { ok: false, message: 'bubblewrap (bwrap) is not installed: agents run no command (install Debian’s `bubblewrap`, or set AGENTS_SANDBOX=none)' };
  try {
    execFileSync(bwrap, [...bwrapArgs('/', 'true').slice(0, -1), 'true'], { stdio: 'ignore', timeout: 10_000 });
    return { ok: true, message: `bubblewrap sandbox (${bwrap}): no network, read-only system, limits` };
  } catch {
    return { ok: false, message: `bubblewrap (${bwrap}) cannot create namespaces here (user namespaces disabled?): agents run no command` };
  }
}

/** The unprivileged uid and gid commands run as. */
const NOBODY = 65534;

const SYSTEM_DIRS = ['/usr', '/bin', '/lib', '/lib64', '/lib32', '/sbin', '/etc/alternatives', '/etc/ssl', '/etc/ca-certificates'];

/** bwrap's arguments for a command in `workDir` (mounted at /work). */
function bwrapArgs(workDir: string, command: string): string[] {
  const args = ['--unshare-all', '--die-with-parent', '--new-session', '--cap-drop', 'ALL'];
  for (const d of SYSTEM_DIRS) if (fs.existsSync(d)) args.push('--ro-bind', d, d);
  // Node (the agents' projects are mostly JavaScript) wherever it is installed.
  const nodeDir = path.dirname(process.execPath);
  if (!SYSTEM_DIRS.some((d) => nodeDir === d || nodeDir.startsWith(`${d}/`))) args.push('--ro-bind', nodeDir, nodeDir);
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--bind', workDir, '/work', '--chdir', '/work');
  args.push('--uid', String(NOBODY), '--gid', String(NOBODY), '--clearenv');
  const env: Record<string, string> = { PATH: `${nodeDir}:/usr/local/bin:/usr/bin:/bin`, HOME: '/tmp', TMPDIR: '/tmp', LANG: 'C.UTF-8', CI: 'true', npm_config_cache: '/tmp/.npm', npm_config_offline: 'true' };
  for (const [k, v] of Object.entries(env)) args.push('--setenv', k, v);
  args.push('--', '/bin/sh', '-c', command);
  return args;
}

/**
 * bwrap, started as nobody, must reach the worktree: each directory above it gets search
 * permission for others (x, never read) where it lacks it. Nothing else of those directories
 * is mounted in the sandbox.
 */
function ensureTraversable(dir: string): void {
  let d = path.dirname(path.resolve(dir));
  while (d !== path.dirname(d)) {
    const st = fs.statSync(d);
    if ((st.mode & 0o001) === 0) fs.chmodSync(d, (st.mode & 0o7777) | 0o001);
    d = path.dirname(d);
  }
}

/** Runs `command` (a shell line the project declared) in `workDir`, contained. */
export async function runSandboxed(o: { kind: SandboxKind; workDir: string; command: string; limits?: Partial<SandboxLimits>; signal?: AbortSignal }): Promise<SandboxResult> {
  const limits = { ...DEFAULT_LIMITS, ...o.limits };
  let file: string;
  let args: string[];
  const prlimit = ['--cpu=' + limits.cpuSeconds, '--as=' + limits.memoryBytes, '--nproc=' + limits.processes, '--fsize=' + limits.fileBytes, '--core=0'];
  if (o.kind === 'bwrap') {
    const bwrap = findBwrap();
    if (!bwrap) throw new SandboxUnavailable();
    file = 'prlimit';
    args = [...prlimit, '--', bwrap, ...bwrapArgs(o.workDir, o.command)];
    if (process.getuid?.() === 0) {
      // The process limit counts per real uid and never applies to root: run as nobody, which
      // must then own the worktree (Switchyard's git reads it with safe.directory).
      execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, o.workDir]);
      ensureTraversable(o.workDir);
      args = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', file, ...args];
      file = 'setpriv';
    }
  } else {
    file = 'prlimit';
    args = [...prlimit, '--', '/bin/sh', '-c', o.command];
  }
  const started = Date.now();
  const child = spawn(file, args, {
    cwd: o.workDir,
    // Clean: nothing of Switchyard's environment (keys, tokens) reaches the command.
    env: o.kind === 'none' ? { PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, HOME: o.workDir, CI: 'true', LANG: 'C.UTF-8' } : { PATH: '/usr/bin:/bin' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let dropped = 0;
  const take = (d: Buffer) => {
    if (out.length < limits.outputBytes) out += d.toString('utf8').slice(0, limits.outputBytes - out.length);
    else dropped += d.length;
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  let timedOut = false;
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, limits.wallMs);
  o.signal?.addEventListener('abort', killGroup, { once: true });
  const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.on('close', (c, s) => resolve({ code: c, signal: s }));
    child.on('error', () => resolve({ code: null, signal: null }));
  });
  clearTimeout(timer);
  o.signal?.removeEventListener('abort', killGroup);
  // Anything the command left running in its group goes too.
  killGroup();
  return {
    exitCode: code,
    signal,
    output: dropped > 0 ? `${out}\n… (${dropped} more bytes of output not kept)` : out,
    timedOut,
    durationMs: Date.now() - started,
  };
}
