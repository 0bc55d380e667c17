// Load generator process for closed-loop runs: autocannon and nothing else in this process.
// Started by bench/lib/load.mjs with fork(); gets its job as JSON in argv[2] and sends the summary
// back over IPC.
//
// Every request carries the same ~21 KB body and the same X-Hub-Signature-256 (body constant →
// signature constant) and a fresh X-GitHub-Delivery UUID, set in `setupRequest`, which autocannon
// calls before building each request.
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { loadFixture } from './fixture.mjs';
import { WEBHOOK_PATH } from './config.mjs';
import { summarizeSamples } from './stats.mjs';

const job = JSON.parse(process.argv[2]);
const fixture = loadFixture(job.secret, job.fixtureFile);

// Per-request latencies (ms, from autocannon's hrtime-based responseTime), for exact percentiles
// that can be merged across rounds (autocannon's own histogram has 1 ms resolution).
let lat = new Float64Array(1 << 16);
let n = 0;
function record(ms) {
  if (n === lat.length) {
    const bigger = new Float64Array(lat.length * 2);
    bigger.set(lat);
    lat = bigger;
  }
  lat[n++] = ms;
}

const cpu0 = process.cpuUsage();
const t0 = performance.now();

const instance = autocannon({
  // The path must be part of the URL: autocannon takes the request path from it, not from `path`.
  url: `http://127.0.0.1:${job.port}${WEBHOOK_PATH}`,
  method: 'POST',
  connections: job.connections,
  duration: job.duration,
  timeout: job.timeout,
  pipelining: 1,
  body: fixture.body,
  headers: fixture.baseHeaders,
  requests: [
    {
      setupRequest(req) {
        req.headers['X-GitHub-Delivery'] = crypto.randomUUID();
        return req;
      },
    },
  ],
});
instance.on('response', (_client, _status, _bytes, responseTime) => record(responseTime));

const result = await instance;
const wallS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuS = (cpu.user + cpu.system) / 1e6;

const statusCounts = {};
for (const [code, { count }] of Object.entries(result.statusCodeStats || {})) statusCounts[code] = count;
const responses = result.requests.total;
const ok2xx = result['2xx'];

process.send(
  {
    tool: `autocannon ${job.autocannonVersion ?? ''}`.trim(),
    title: job.title,
    connections: job.connections,
    durationS: result.duration,
    sent: result.requests.sent,
    responses,
    ok2xx,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCounts,
    reqPerSec: responses / result.duration,
    okPerSec: ok2xx / result.duration,
    autocannon: {
      reqPerSecAvg: result.requests.average,
      reqPerSecStddev: result.requests.stddev,
      latencyMs: {
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        max: result.latency.max,
        mean: result.latency.average,
      },
    },
    latencyMs: summarizeSamples(lat.subarray(0, n)),
    latencySamplesB64: job.returnSamples ? Buffer.from(lat.buffer, 0, n * 8).toString('base64') : undefined,
    client: { cpuS, wallS, cpuPct: (100 * cpuS) / wallS },
  },
  () => process.exit(0),
);
