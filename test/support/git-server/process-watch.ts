/**
 * Reads the command lines of this process's descendants while they run: every few milliseconds,
 * `/proc/<pid>/cmdline` of every process below the root (git, git-remote-http, index-pack,
 * pack-objects… when Switchyard runs in the test process). Sampling can miss a process that starts
 * and exits between two ticks, so a test must not count on seeing a particular one (the exec
 * recorder, exec-recorder.ts, records every git call without a race); what it does see is checked.
 * Linux only (`procAvailable`).
 */
import fs from 'node:fs';

export const procAvailable = fs.existsSync('/proc/self/cmdline');

function readCmdline(pid: number): string | null {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`);
    return raw.length ? raw.toString('utf8').split('\0').filter(Boolean).join(' ') : null;
  } catch {
    return null;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // gone
  }
  return out;
}

export class CommandLineWatch {
  readonly seen = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  /** Samples the process tree under `root` (default: this process) every `intervalMs` until stop(). */
  watch(root = process.pid, intervalMs = 3): void {
    const tick = () => {
      const stack = childrenOf(root);
      while (stack.length) {
        const p = stack.pop()!;
        const cmd = readCmdline(p);
        if (cmd !== null) this.seen.add(cmd);
        stack.push(...childrenOf(p));
      }
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
  }

  stop(): string[] {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return [...this.seen];
  }
}
