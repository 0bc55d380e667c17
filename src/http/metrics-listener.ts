/**
 * `METRICS_PORT`: /metrics on a listener of its own, bound to METRICS_HOST (127.0.0.1 by default),
 * without credentials, as Prometheus deployments commonly scrape a private port. Nothing else is
 * served there.
 */
import http from 'node:http';
import type { Logger } from '../log/index.js';
import type { Metrics } from './metrics.js';

export interface MetricsListener {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsListener(metrics: Metrics, o: { port: number; host: string; log: Logger }): Promise<MetricsListener> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics is served here\n');
      return;
    }
    metrics
      .render()
      .then((body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body))
      .catch((err: unknown) => {
        o.log.error({ err }, 'could not render the metrics');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('could not render the metrics\n');
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  o.log.info({ host: o.host, port }, 'metrics listener started');
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
