/**
 * The embedded worker thread. `switchyard start` on SQLite runs the HTTP server in the main
 * thread and the job worker and scheduler in this thread, each with its own SQLite connection, so
 * ingestion and processing use both cores instead of sharing one event loop.
 *
 * Messages, main → worker: `notify` (new receipts committed), `metrics` (reply with this thread's
 * metrics as JSON), `stop`. Worker → main: `ready`, `metrics`, `stopped`, `failed`.
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { Config } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { startEmbeddedThread } from './embedded-thread.js';

export interface EmbeddedWorker {
  /** Wakes the worker's job runner (new jobs were committed). Coalesced: cheap to call often. */
  notify(): void;
  /** This thread's metrics, to merge into the main thread's scrape. */
  metrics(): Promise<MetricObjectWithValues<MetricValue<string>>[]>;
  stop(): Promise<void>;
}

type FromWorker = { type: 'metrics'; id: number; metrics: MetricObjectWithValues<MetricValue<string>>[] };

/** Starts the worker thread and resolves once its job runner and scheduler run. */
export async function startEmbeddedWorker(config: Config, log: Logger): Promise<EmbeddedWorker> {
  let notifyPending = false;
  let nextId = 1;
  const waiting = new Map<number, (m: MetricObjectWithValues<MetricValue<string>>[]) => void>();
  const thread = await startEmbeddedThread<FromWorker>('worker', new URL('./worker-thread-entry.js', import.meta.url), { config }, log, (m) => {
    waiting.get(m.id)?.(m.metrics);
    waiting.delete(m.id);
  });

  return {
    notify() {
      if (notifyPending) return;
      notifyPending = true;
      setImmediate(() => {
        notifyPending = false;
        thread.post({ type: 'notify' });
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
        thread.post({ type: 'metrics', id });
      });
    },
    stop: () => thread.stop(),
  };
}
