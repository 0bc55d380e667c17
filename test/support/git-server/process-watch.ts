/**
 * Watches the command lines of git child processes while they run: given the pid of each git the
 * mirror spawns, reads `/proc/<pid>/cmdline` of it and of every descendant (git-remote-http,
 * index-pack, pack-objects…) every few milliseconds until it exits. Linux only (`available`).
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
  private timers = new Set<NodeJS.Timeout>();

  /** Starts watching the process tree under `pid`. */
  watch(pid: number): void {
    const tick = () => {
      const stack = [pid];
      let alive = false;
      while (stack.length) {
        const p = stack.pop()!;
        const cmd = readCmdline(p);
        if (cmd !== null) {
          alive = true;
          this.seen.add(cmd);
        }
        stack.push(...childrenOf(p));
      }
      return alive;
    };
    tick();
    const timer = setInterval(() => {
      if (!tick()) {
        clearInterval(timer);
        this.timers.delete(timer);
      }
    }, 2);
    this.timers.add(timer);
  }

  stop(): string[] {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    return [...this.seen];
  }
}
