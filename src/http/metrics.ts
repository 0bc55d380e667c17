/**
 * Prometheus metrics (`GET /metrics`): one registry per process, passed to the slices that count.
 * Gauges that describe the database (queue depth, dead receipts) are read when scraped.
 */
import client from 'prom-client';

export interface Metrics {
  registry: client.Registry;
  /** Webhook deliveries by event and outcome (received, duplicate, unauthorized, bad_request, error). */
  deliveries: client.Counter<'event' | 'outcome'>;
  /** Seconds from receipt to processed. */
  processingLag: client.Histogram<'event'>;
  /** Receipt processing outcomes (processed, retry, dead). */
  processed: client.Counter<'event' | 'outcome'>;
  /** Retries scheduled after a failed processing attempt. */
  retries: client.Counter<'event'>;
  /** HTTP request duration by route and status code. */
  httpDuration: client.Histogram<'method' | 'route' | 'status'>;
  /** Metrics of other threads of this process (the embedded worker), merged into every scrape. */
  remoteSources: Array<() => Promise<client.MetricObjectWithValues<client.MetricValue<string>>[]>>;
  /** The Prometheus text of this registry merged with the remote sources. */
  render(): Promise<string>;
  /** Registers a gauge whose value is computed at scrape time (from the database: counted once). */
  addCollectedGauge(name: string, help: string, labelNames: string[], collect: () => Promise<Array<{ labels: Record<string, string>; value: number }>>): void;
}

/** Creates a metrics registry; `processMetrics: false` in a second thread of the same process. */
export function createMetrics(options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new client.Registry();
  if (options.processMetrics !== false) client.collectDefaultMetrics({ register: registry, prefix: 'switchyard_' });
  const m: Metrics = {
    registry,
    deliveries: new client.Counter({
      name: 'switchyard_webhook_deliveries_total',
      help: 'Webhook deliveries received, by event and outcome',
      labelNames: ['event', 'outcome'],
      registers: [registry],
    }),
    processingLag: new client.Histogram({
      name: 'switchyard_processing_lag_seconds',
      help: 'Time from a delivery being received to it being processed',
      labelNames: ['event'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    processed: new client.Counter({
      name: 'switchyard_receipts_processed_total',
      help: 'Receipt processing outcomes',
      labelNames: ['event', 'outcome'],
      registers: [registry],
    }),
    retries: new client.Counter({
      name: 'switchyard_receipt_retries_total',
      help: 'Retries scheduled after a failed processing attempt',
      labelNames: ['event'],
      registers: [registry],
    }),
    httpDuration: new client.Histogram({
      name: 'switchyard_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    remoteSources: [],
    async render() {
      if (m.remoteSources.length === 0) return registry.metrics();
      const all = [await registry.getMetricsAsJSON(), ...(await Promise.all(m.remoteSources.map((s) => s().catch(() => []))))];
      return client.AggregatorRegistry.aggregate(all).metrics();
    },
    addCollectedGauge(name, help, labelNames, collect) {
      new client.Gauge({
        name,
        help,
        labelNames,
        // Every thread reads the same database: merged scrapes keep one value, not the sum.
        aggregator: 'first',
        registers: [registry],
        async collect() {
          this.reset();
          for (const { labels, value } of await collect()) this.set(labels, value);
        },
      });
    },
  };
  return m;
}
