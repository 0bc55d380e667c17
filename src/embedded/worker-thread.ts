/**
 * The embedded worker thread. `switchyard start` on SQLite runs the HTTP server in the main
 * thread and the job worker and scheduler in this thread, each with its own SQLite connection, so
 * ingestion and processing use both cores instead of sharing one event loop. This thread also
 * checkpoints the WAL in the background, so commits in the main thread never pay for a checkpoint.
 *
 * Messages, main → worker: `notify` (new receipts committed), `metrics` (reply with this thread's
 * metrics as JSON), `stop`. Worker → main: `ready`, `metrics`, `stopped`, `failed`.
 */
import { Worker } from 'node:worker_threads';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { Config } from '../config/index.js';
import type { Logger } from '../log/index.js';

export interface EmbeddedWorker {
  /** Wakes the worker's job runner (new jobs were committed). Coalesced: cheap to call often. */
  notify(): void;
  /** This thread's metrics, to merge into the main thread's scrape. */
  metrics(): Promise<MetricObjectWithValues<MetricValue<string>>[]>;
  stop(): Promise<void>;
}

type FromWorker =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'stopped' }
  | { type: 'metrics'; id: number; metrics: MetricObjectWithValues<MetricValue<string>>[] };

/** Starts the worker thread and resolves once its job runner and scheduler run. */
export async function startEmbeddedWorker(config: Config, log: Logger): Promise<EmbeddedWorker> {
  const worker = new Worker(new URL('./worker-thread-entry.js', import.meta.url), { workerData: { config } });
  let notifyPending = false;
  let nextId = 1;
  const waiting = new Map<number, (m: MetricObjectWithValues<MetricValue<string>>[]) => void>();
  let stopped: (() => void) | null = null;

  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`embedded worker exited with code ${code} before it was ready`));
    worker.once('exit', onExit);
    worker.once('error', reject);
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        worker.off('exit', onExit);
        resolve();
      } else if (m.type === 'failed') {
        reject(new Error(m.message));
      } else if (m.type === 'metrics') {
        waiting.get(m.id)?.(m.metrics);
        waiting.delete(m.id);
      } else if (m.type === 'stopped') {
        stopped?.();
      }
    });
  });
  worker.on('error', (err) => log.error({ err }, 'embedded worker failed'));
  worker.on('exit', (code) => {
    if (!stopped) {
      // The worker died on its own: nothing would process receipts. Stop the process so a
      // supervisor restarts it; every acknowledged receipt is in the database.
      log.fatal({ code }, 'embedded worker thread exited; stopping');
      process.exit(1);
    }
  });

  return {
    notify() {
      if (notifyPending) return;
      notifyPending = true;
      setImmediate(() => {
        notifyPending = false;
        worker.postMessage({ type: 'notify' });
      });
    },
    metrics() {
      const id = nextId++;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          resolve([]);
        }, 2000);
        waiting.set(id, (m) => {
          clearTimeout(timer);
          resolve(m);
        });
        worker.postMessage({ type: 'metrics', id });
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
