/** Entry point of the embedded worker thread (see worker-thread.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/index.js';
import { createLogger } from '../log/index.js';
import { createSwitchyard } from '../app.js';

const { config } = workerData as { config: Config };
const port = parentPort!;
const log = createLogger(config.logLevel).child({ thread: 'worker' });

try {
  // The process that started this thread holds the data dir's lock (cli/main.ts).
  const app = await createSwitchyard(config, log, { sqliteAutoCheckpoint: false, processMetrics: false, ownsDatabase: true });
  await app.start({ web: false, worker: true, scheduler: true });
  port.on('message', (m: { type: string; id?: number }) => {
    if (m.type === 'notify') app.webhooks.receiptsCommitted();
    else if (m.type === 'metrics') {
      void app.metrics.registry.getMetricsAsJSON().then((metrics) => port.postMessage({ type: 'metrics', id: m.id, metrics }));
    } else if (m.type === 'stop') {
      void app
        .stop()
        .catch((err) => log.error({ err }, 'error while stopping the worker'))
        .finally(() => port.postMessage({ type: 'stopped' }));
    }
  });
  port.postMessage({ type: 'ready' });
} catch (err) {
  port.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
}
