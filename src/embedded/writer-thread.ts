/**
 * The embedded writer thread. `switchyard start` on SQLite writes webhook receipts from this
 * thread, on its own connection, so the main thread only receives, verifies and answers: SQLite's
 * synchronous writes and commits no longer take turns with HTTP on one event loop, and a wait for
 * the write lock blocks this thread, not the server.
 *
 * Messages, main → writer: `write` (a batch of receipts), `stop`. Writer → main: `ready`,
 * `written` (one outcome per receipt), `failed` (the batch did not commit), `stopped`.
 */
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { BatchWriter } from '../webhooks/index.js';

export interface EmbeddedWriter {
  write: BatchWriter;
  stop(): Promise<void>;
}

type FromWriter =
  | { type: 'ready' }
  | { type: 'written'; id: number; outcomes: Awaited<ReturnType<BatchWriter>> }
  | { type: 'failed'; id: number; error: string }
  | { type: 'stopped' };

/** Starts the writer thread on the (already migrated) SQLite database. */
export async function startEmbeddedWriter(config: Config, log: Logger): Promise<EmbeddedWriter> {
  const worker = new Worker(new URL('./writer-thread-entry.js', import.meta.url), { workerData: { config } });
  const waiting = new Map<number, { resolve: (o: Awaited<ReturnType<BatchWriter>>) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let stopped: (() => void) | null = null;

  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`embedded writer exited with code ${code} before it was ready`));
    worker.once('exit', onExit);
    worker.once('error', reject);
    worker.on('message', (m: FromWriter) => {
      if (m.type === 'ready') {
        worker.off('exit', onExit);
        resolve();
      } else if (m.type === 'written') {
        waiting.get(m.id)?.resolve(m.outcomes);
        waiting.delete(m.id);
      } else if (m.type === 'failed') {
        waiting.get(m.id)?.reject(new Error(m.error));
        waiting.delete(m.id);
      } else if (m.type === 'stopped') {
        stopped?.();
      }
    });
  });
  worker.on('error', (err) => log.error({ err }, 'embedded writer failed'));
  worker.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error('embedded writer exited'));
    waiting.clear();
    if (!stopped) {
      log.fatal({ code }, 'embedded writer thread exited; stopping');
      process.exit(1);
    }
  });

  return {
    write(items) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ type: 'write', id, items });
      });
    },
    async stop() {
      await new Promise<void>((resolve) => {
        stopped = resolve;
        worker.postMessage({ type: 'stop' });
      });
      await worker.terminate();
    },
  };
}
