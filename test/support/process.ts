/** Runs the built `switchyard` command as real child processes (for crash and scale-out tests). */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/switchyard.js');

/** Builds dist/ once if it is missing (npm test builds it before vitest runs). */
export function ensureBuilt(): void {
  if (!fs.existsSync(path.join(ROOT, 'dist/cli/main.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  port: number | null;
  output: string[];
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Spawns `switchyard <command>` with env; for web roles, waits until /healthz answers. */
export async function spawnSwitchyard(command: 'start' | 'web' | 'worker', env: Record<string, string>, port: number | null): Promise<ServerProcess> {
  ensureBuilt();
  const child = spawn(process.execPath, [BIN, command], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env, ...(port ? { PORT: String(port) } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (d) => output.push(String(d)));
  child.stderr?.on('data', (d) => output.push(String(d)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const proc: ServerProcess = {
    child,
    port,
    output,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  if (port) {
    // Generous: at load average 25+ on two cores a start (migrations, four threads) took 35 s.
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`switchyard ${command} exited early:\n${output.join('')}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await proc.kill();
        throw new Error(`switchyard ${command} did not become ready:\n${output.join('')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } else {
    await new Promise((r) => setTimeout(r, 1500));
    if (child.exitCode !== null) throw new Error(`switchyard ${command} exited early:\n${output.join('')}`);
  }
  return proc;
}
