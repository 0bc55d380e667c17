/**
 * The embedded writer thread. `switchyard start` on SQLite writes webhook receipts from this
 * thread, on its own connection, so the main thread only receives, verifies and answers: SQLite's
 * synchronous writes and commits no longer take turns with HTTP on one event loop, and a wait for
 * the write lock blocks this thread, not the server.
 *
 * Messages, main → writer: `write` (a batch of receipts), `stop`. Writer → main: `ready`,
 * `written` (one outcome per receipt), `batch-failed` (the batch did not commit), `stopped`.
 */
import type { Config } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { startEmbeddedThread } from './embedded-thread.js';
import type { BatchWriter } from '../webhooks/index.js';

export interface EmbeddedWriter {
  write: BatchWriter;
  stop(): Promise<void>;
}

type FromWriter =
  | { type: 'written'; id: number; outcomes: Awaited<ReturnType<BatchWriter>> }
  | { type: 'batch-failed'; id: number; error: string };

/** Starts the writer thread on the (already migrated) SQLite database. */
export async function startEmbeddedWriter(config: Config, log: Logger): Promise<EmbeddedWriter> {
  const waiting = new Map<number, { resolve: (o: Awaited<ReturnType<BatchWriter>>) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const thread = await startEmbeddedThread<FromWriter>(
    'writer',
    new URL('./writer-thread-entry.js', import.meta.url),
    { config },
    log,
    (m) => {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.type === 'written') w?.resolve(m.outcomes);
      else w?.reject(new Error(m.error));
    },
    () => {
      for (const w of waiting.values()) w.reject(new Error('embedded writer exited'));
      waiting.clear();
    },
  );

  return {
    write(items) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        thread.post({ type: 'write', id, items });
      });
    },
    stop: () => thread.stop(),
  };
}
