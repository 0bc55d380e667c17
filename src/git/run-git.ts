/**
 * Runs real git as a child process (execa), the one way Switchyard touches git (the mirror, the pets and the agents).
 *
 * Credentials never appear in a URL, an argument list, a repository's config or a log: each run
 * gets them through its environment only, as `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/
 * `GIT_CONFIG_VALUE_n` entries that set `http.<origin>/.extraHeader` (a Basic authorization sent
 * only to that origin). Every run also gets `GIT_TERMINAL_PROMPT=0` (a refused credential fails
 * instead of waiting for a prompt), no askpass program, no credential helper (so nothing is
 * stored), the low-speed limits, and a cancel signal (timeouts and shutdown kill the child).
 *
 * Progress: with `--progress`, git reports phases on stderr ("Receiving objects:  45% (…), 1.2 MiB");
 * `onProgress` gets each (phase, percent), and the result carries the bytes git reported.
 */
import { execa } from 'execa';
import { scrubSecrets } from '../log/index.js';

/** HTTP Basic credentials for one origin (scheme://host:port). */
export interface GitCredential {
  /** Any URL on the origin the credential is for; only its origin is used. */
  url: string;
  username: string;
  password: string;
}

export interface GitProgress {
  phase: string;
  percent: number;
}

export interface GitRunOptions {
  /** The git executable. */
  git: string;
  args: string[];
  cwd?: string;
  /** Written to the child's stdin (otherwise stdin is closed). */
  input?: string;
  credential?: GitCredential | null;
  signal?: AbortSignal;
  lowSpeed?: { limit: number; time: number };
  onProgress?: (p: GitProgress) => void;
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** Bytes git reported receiving or writing (0 when it did not say). */
  bytes: number;
}

/** A git run that exited non-zero; `stderr` is scrubbed of the run's credential. */
export class GitCommandFailed extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly stdout: string,
    readonly canceled: boolean,
  ) {
    super(`git ${command} failed${exitCode === null ? '' : ` (exit ${exitCode})`}: ${lastLines(stderr) || '(no output)'}`);
    this.name = 'GitCommandFailed';
  }
}

function lastLines(text: string, n = 6): string {
  return text
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter((l) => l && !/^(remote: )?(Counting|Compressing|Receiving|Resolving|Writing|Enumerating) objects:/.test(l))
    .slice(-n)
    .join(' | ')
    .slice(0, 1500);
}

/** `Authorization: Basic …` for a credential. */
export function basicAuthorization(c: GitCredential): string {
  return `Authorization: Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

/** The environment a git child runs with: the parent's, minus anything git-specific, plus ours. */
export function gitEnvironment(opts: Pick<GitRunOptions, 'credential' | 'lowSpeed'>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (k.startsWith('GIT_') || k === 'SSH_ASKPASS') continue;
    env[k] = v;
  }
  const config: Array<[string, string]> = [
    ['credential.helper', ''],
    ['core.askPass', ''],
    ['gc.autoDetach', 'false'],
    ['advice.detachedHead', 'false'],
  ];
  if (opts.lowSpeed) {
    config.push(['http.lowSpeedLimit', String(opts.lowSpeed.limit)], ['http.lowSpeedTime', String(opts.lowSpeed.time)]);
  }
  if (opts.credential) {
    const origin = new URL(opts.credential.url).origin;
    config.push([`http.${origin}/.extraHeader`, basicAuthorization(opts.credential)]);
  }
  env.GIT_TERMINAL_PROMPT = '0';
  env.GIT_ASKPASS = '';
  env.GCM_INTERACTIVE = 'never';
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return env;
}

const PROGRESS = /^(?:remote: )?(Enumerating objects|Counting objects|Compressing objects|Receiving objects|Resolving deltas|Writing objects):\s+(\d+)%(?:\s+\(\d+\/\d+\))?(?:,\s+([\d.]+)\s+(bytes|KiB|MiB|GiB))?/;
const UNITS: Record<string, number> = { bytes: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** Parses git's progress lines; keeps the largest byte count reported by a transfer phase. */
export function createProgressParser(onProgress?: (p: GitProgress) => void): { push(chunk: string): void; bytes(): number } {
  let buffer = '';
  let bytes = 0;
  let last = '';
  return {
    push(chunk) {
      buffer += chunk;
      const parts = buffer.split(/[\r\n]/);
      buffer = parts.pop() ?? '';
      for (const line of parts) {
        const m = PROGRESS.exec(line.trim());
        if (!m) continue;
        const phase = m[1]!.toLowerCase();
        const percent = Number(m[2]);
        if (m[3] && m[4] && (phase === 'receiving objects' || phase === 'writing objects')) {
          bytes = Math.max(bytes, Math.round(Number(m[3]) * (UNITS[m[4]] ?? 1)));
        }
        const key = `${phase}:${percent}`;
        if (key !== last) {
          last = key;
          onProgress?.({ phase, percent });
        }
      }
    },
    bytes: () => bytes,
  };
}

/** Process groups exist (POSIX): each git runs in its own, so it can be stopped with its helpers. */
const GROUPS = process.platform !== 'win32';

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Runs git; resolves with its output, or throws GitCommandFailed (scrubbed of the credential). */
export async function runGit(opts: GitRunOptions): Promise<GitResult> {
  const env = gitEnvironment(opts);
  const parser = createProgressParser(opts.onProgress);
  const secrets = opts.credential ? [opts.credential.password, Buffer.from(`${opts.credential.username}:${opts.credential.password}`).toString('base64')] : [];
  const child = execa(opts.git, opts.args, {
    cwd: opts.cwd,
    env,
    extendEnv: false,
    ...(opts.input === undefined ? { stdin: 'ignore' as const } : { input: opts.input }),
    reject: false,
    cancelSignal: opts.signal,
    forceKillAfterDelay: 3000,
    maxBuffer: 256 * 1024 * 1024,
    stripFinalNewline: false,
    // Its own process group: a timeout or shutdown stops git *and* its helpers (git-remote-http
    // keeps git's pipes open while it waits on a stalled connection).
    detached: GROUPS,
  });
  const pid = child.pid;
  let killTimer: NodeJS.Timeout | undefined;
  const killGroup = () => {
    if (!GROUPS || pid === undefined) return;
    signalGroup(pid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), 2000);
  };
  opts.signal?.addEventListener('abort', killGroup, { once: true });
  child.stderr?.on('data', (d: Buffer) => parser.push(d.toString('utf8')));
  const r = await child.finally(() => {
    opts.signal?.removeEventListener('abort', killGroup);
    clearTimeout(killTimer);
  });
  const stderr = scrubSecrets(String(r.stderr ?? ''), secrets);
  const stdout = String(r.stdout ?? '');
  const command = opts.args.find((a) => !a.startsWith('-')) ?? 'git';
  if (r.exitCode !== 0 || r.isCanceled || r.failed) {
    throw new GitCommandFailed(command, r.exitCode ?? null, stderr || scrubSecrets(r.shortMessage ?? '', secrets), stdout, r.isCanceled === true);
  }
  return { stdout, stderr, exitCode: 0, bytes: parser.bytes() };
}
