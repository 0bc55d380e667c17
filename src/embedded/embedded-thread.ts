/**
 * What the embedded threads share: start a thread, wait for its `ready` (or `failed`), route its
 * other messages, stop it with a `stop` → `stopped` handshake, and stop the whole process if the
 * thread dies on its own (a supervisor restarts it; every acknowledged receipt is in the database).
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log/index.js';

/** Messages every embedded thread sends; thread-specific ones pass to `onMessage`. */
type LifecycleMessage = { type: 'ready' } | { type: 'failed'; message: string } | { type: 'stopped' };

export interface EmbeddedThread {
  post(message: object): void;
  stop(): Promise<void>;
}

/** Starts the embedded checkpoint thread (checkpoint-thread-entry.ts). */
export function startEmbeddedCheckpointer(config: object, log: Logger): Promise<EmbeddedThread> {
  return startEmbeddedThread('checkpointer', new URL('./checkpoint-thread-entry.js', import.meta.url), { config }, log, () => undefined);
}

/** Starts `entry` (a module URL) with `workerData` and resolves once it says it is ready. */
export async function startEmbeddedThread<M extends { type: string }>(
  name: string,
  entry: URL,
  workerData: object,
  log: Logger,
  onMessage: (m: M) => void,
  onExit: () => void = () => undefined,
): Promise<EmbeddedThread> {
  const worker = new Worker(entry, { workerData });
  let stopped: (() => void) | null = null;
  await new Promise<void>((resolve, reject) => {
    const early = (code: number) => reject(new Error(`embedded ${name} exited with code ${code} before it was ready`));
    worker.once('exit', early);
    worker.once('error', reject);
    worker.on('message', (m: LifecycleMessage | M) => {
      if (m.type === 'ready') {
        worker.off('exit', early);
        resolve();
      } else if (m.type === 'failed') reject(new Error((m as { message: string }).message));
      else if (m.type === 'stopped') stopped?.();
      else onMessage(m as M);
    });
  });
  worker.on('error', (err) => log.error({ err }, `embedded ${name} failed`));
  worker.on('exit', (code) => {
    onExit();
    if (!stopped) {
      log.fatal({ code }, `embedded ${name} thread exited; stopping`);
      process.exit(1);
    }
  });
  return {
    post: (message) => worker.postMessage(message),
    async stop() {
      await new Promise<void>((resolve) => {
        stopped = resolve;
        worker.postMessage({ type: 'stop' });
      });
      await worker.terminate();
    },
  };
}
