/**
 * Runs git as a child process and streams its stdout as lines, with bounded memory: a line longer
 * than `maxLineBytes` is cut there (the rest is dropped and the line is flagged `truncated`).
 *
 * Credentials never go on the argument list: the caller's `env` (e.g. GIT_CONFIG_COUNT/KEY/VALUE
 * entries) is the only way in, as in the mirror's runner. Git-specific variables of the parent are
 * dropped so a stray GIT_DIR cannot redirect the run; no prompt, no askpass, no credential helper.
 */
import { execa } from 'execa';
import { AnalyzerGitFailed } from './errors.js';

/** One line of git's output, without its newline. */
export interface GitLine {
  bytes: Buffer;
  truncated: boolean;
}

export interface GitLinesOptions {
  git: string;
  gitDir: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  maxLineBytes?: number;
  /** Written to git's stdin (otherwise stdin is closed). */
  input?: Buffer;
}

/** The environment a git child runs with: the parent's minus GIT_*, plus the caller's, no prompts. */
export function analyzerGitEnv(extra?: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('GIT_') || k === 'SSH_ASKPASS') continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra ?? {})) if (v !== undefined) env[k] = v;
  env.GIT_TERMINAL_PROMPT = '0';
  env.GIT_ASKPASS = '';
  env.LC_ALL = 'C';
  // Never fetch a missing object over the network (partial clones): the analyser works offline.
  env.GIT_NO_LAZY_FETCH = '1';
  return env;
}

/** Streams git's stdout line by line; throws AnalyzerGitFailed when git exits non-zero. */
export async function* gitLines(opts: GitLinesOptions): AsyncGenerator<GitLine> {
  const maxLine = opts.maxLineBytes ?? 16 * 1024;
  const child = execa(opts.git, ['--git-dir', opts.gitDir, ...opts.args], {
    env: analyzerGitEnv(opts.env),
    extendEnv: false,
    ...(opts.input === undefined ? { stdin: 'ignore' as const } : { input: opts.input }),
    buffer: { stdout: false, stderr: true },
    maxBuffer: { stderr: 1024 * 1024 },
    reject: false,
    cancelSignal: opts.signal,
    forceKillAfterDelay: 2000,
    stripFinalNewline: false,
  });
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let truncated = false;
  let finished = false;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(10, start);
        const end = nl === -1 ? chunk.length : nl;
        if (end > start) {
          const room = maxLine - pendingLength;
          if (room > 0) {
            const piece = chunk.subarray(start, Math.min(end, start + room));
            pending.push(piece);
            pendingLength += piece.length;
          }
          if (end - start > room) truncated = true;
        }
        if (nl === -1) break;
        const bytes = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingLength);
        yield { bytes, truncated };
        pending = [];
        pendingLength = 0;
        truncated = false;
        start = nl + 1;
      }
      // Keep partial pieces independent of the chunk (which the stream may reuse).
      if (pending.length > 0) pending = [Buffer.from(Buffer.concat(pending, pendingLength))];
    }
    if (pendingLength > 0) yield { bytes: Buffer.concat(pending, pendingLength), truncated };
    finished = true;
  } finally {
    if (!finished) {
      // The reader stopped early (or failed): stop git and reap it.
      child.kill();
      await child;
    }
  }
  const r = await child;
  if (r.exitCode !== 0 || r.isCanceled) throw new AnalyzerGitFailed(r.exitCode ?? null, String(r.stderr ?? ''));
}
