// Closed-loop sender for bench/pg-ingest.mjs, in its own process: `connections` keep-alive
// connections spread over the given ports, each sending its next delivery as soon as the previous
// one is answered, for `duration` seconds. Deliveries are the real examples of
// example-deliveries.mjs, in turn, each with a fresh X-GitHub-Delivery. Reports 2xx/non-2xx counts
// and latency percentiles over IPC.
import crypto from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { exampleDeliveries } from './example-deliveries.mjs';
import { summarizeSamples } from './stats.mjs';

const job = JSON.parse(process.argv[2]);
const { deliveries } = exampleDeliveries(job.secret, { repos: job.repos });
const agents = job.ports.map((port) => ({ port, agent: new http.Agent({ keepAlive: true, maxSockets: job.connections }) }));
let next = 0;
let ok2xx = 0;
let non2xx = 0;
let errors = 0;
const statusCounts = {};
const lat = [];

function send({ port, agent }) {
  const d = deliveries[next++ % deliveries.length];
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/github/webhooks',
        agent,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': d.body.length,
          'User-Agent': 'GitHub-Hookshot/bench',
          'X-GitHub-Event': d.event,
          'X-GitHub-Delivery': crypto.randomUUID(),
          'X-GitHub-Hook-ID': '123456789',
          'X-Hub-Signature-256': d.signature,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          lat.push(performance.now() - t0);
          statusCounts[res.statusCode] = (statusCounts[res.statusCode] ?? 0) + 1;
          if (res.statusCode >= 200 && res.statusCode < 300) ok2xx++;
          else non2xx++;
          resolve();
        });
      },
    );
    req.on('error', () => {
      errors++;
      resolve();
    });
    req.end(d.body);
  });
}

const t0 = performance.now();
const until = t0 + job.duration * 1000;
await Promise.all(
  Array.from({ length: job.connections }, async (_, i) => {
    const target = agents[i % agents.length];
    while (performance.now() < until) await send(target);
  }),
);
const durationS = (performance.now() - t0) / 1000;
for (const a of agents) a.agent.destroy();
process.send({ durationS, ok2xx, non2xx, errors, statusCounts, okPerSec: ok2xx / durationS, latencyMs: summarizeSamples(Float64Array.from(lat)) });
