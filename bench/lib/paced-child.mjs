// Load generator process for the steady-rate test: an open-loop, constant-rate sender (wrk2-like).
// Started by bench/lib/load.mjs with fork(); gets its job as JSON in argv[2]; sends the summary back
// over IPC. Nothing else runs in this process.
//
// How the rate is held: request i is *scheduled* at a fixed time (start + warm-up + i/rate in the
// measured part), whatever happened to earlier requests. A timer wakes up at (about) each scheduled
// time and sends every request that is due, on a keep-alive pool of `connections` sockets (node:http Agent). A slow answer therefore never delays
// the next send (no coordinated omission) unless all sockets are busy, in which case the request
// waits in the agent's queue, and that wait is part of its latency. Latency is measured from the
// scheduled time (like wrk2's corrected latency); the time from the actual send is reported too, and
// so is how late the sender itself was (send lag), which shows whether the client kept up.
import crypto from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { loadFixture } from './fixture.mjs';
import { WEBHOOK_PATH } from './config.mjs';
import { summarizeSamples, round } from './stats.mjs';

const job = JSON.parse(process.argv[2]);
const fixture = loadFixture(job.secret, job.fixtureFile);
const rate = job.rate;
const intervalMs = 1000 / rate;
// Warm-up: the rate ramps linearly from 0 to `rate` over `warmup` seconds (rate·W/2 requests; a
// cold server is not hit at full rate at once), then holds `rate` for the measured `duration`.
const warmupMs = (job.warmup || 0) * 1000;
const warmupN = Math.round((rate * (job.warmup || 0)) / 2);
/** Offset (ms from start) at which request i is scheduled. */
const ratePerMs = rate / 1000;
function offsetOf(i) {
  if (i < warmupN) return Math.sqrt((2 * warmupMs * i) / ratePerMs);
  return warmupMs + (i - warmupN) * intervalMs;
}
/** How many requests are due by `elapsed` ms. */
function dueBy(elapsed) {
  if (elapsed < warmupMs) return Math.min(warmupN, Math.floor((ratePerMs * elapsed * elapsed) / (2 * warmupMs)) + 1);
  return warmupN + Math.floor((elapsed - warmupMs) / intervalMs) + 1;
}
const measuredN = Math.round(job.duration * rate);
const total = warmupN + measuredN;
const timeoutMs = job.timeout * 1000;

const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections, maxFreeSockets: job.connections, scheduling: 'fifo' });

const fromSchedule = new Float64Array(measuredN); // ms, response end - scheduled time
const fromSend = new Float64Array(measuredN); // ms, response end - actual send
const sendLag = new Float64Array(measuredN); // ms, actual send - scheduled time
const done = new Uint8Array(measuredN);
const statusCounts = {};
const errors = {};
let completed = 0;
let ok2xx = 0;
let non2xx = 0;
let errorCount = 0;
let timeouts = 0;
let inflight = 0;
const warm = { sent: 0, completed: 0, ok2xx: 0, other: 0 };
const perSecond = []; // by scheduled second: { sent, ok, non2xx, errors, lat: [] }

function bucket(i) {
  const s = Math.floor((i - warmupN) / rate);
  return (perSecond[s] ??= { second: s + 1, sent: 0, ok: 0, non2xx: 0, errors: 0, lat: [] });
}

let start = 0;
function fire(i) {
  const scheduled = start + offsetOf(i);
  const sentAt = performance.now();
  const measured = i >= warmupN;
  const k = i - warmupN;
  if (measured) {
    sendLag[k] = sentAt - scheduled;
    bucket(i).sent++;
  } else {
    warm.sent++;
  }
  inflight++;
  let finished = false;
  const finish = (status, err) => {
    if (finished) return;
    finished = true;
    inflight--;
    const end = performance.now();
    if (!measured) {
      warm.completed += status ? 1 : 0; // answered with an HTTP status
      if (status >= 200 && status < 300) warm.ok2xx++;
      else warm.other++;
      return;
    }
    completed++;
    done[k] = 1;
    const b = bucket(i);
    if (status) {
      statusCounts[status] = (statusCounts[status] || 0) + 1;
      if (status >= 200 && status < 300) {
        ok2xx++;
        b.ok++;
      } else {
        non2xx++;
        b.non2xx++;
      }
      fromSchedule[k] = end - scheduled;
      fromSend[k] = end - sentAt;
      b.lat.push(end - scheduled);
    } else {
      errorCount++;
      b.errors++;
      const key = err?.code || err?.message || 'error';
      errors[key] = (errors[key] || 0) + 1;
      if (err?.code === 'TIMEOUT') {
        // A timeout is a very slow answer: it stays in the latency figures (as the time waited).
        timeouts++;
        fromSchedule[k] = end - scheduled;
        fromSend[k] = end - sentAt;
        b.lat.push(end - scheduled);
      } else {
        fromSchedule[k] = NaN;
        fromSend[k] = NaN;
      }
    }
  };
  const req = http.request(
    {
      host: '127.0.0.1',
      port: job.port,
      path: WEBHOOK_PATH,
      method: 'POST',
      agent,
      headers: { ...fixture.baseHeaders, 'X-GitHub-Delivery': crypto.randomUUID(), 'Content-Length': fixture.bytes },
    },
    (res) => {
      res.on('data', () => {});
      res.on('end', () => finish(res.statusCode));
      res.on('error', (err) => finish(0, err));
    },
  );
  const timer = setTimeout(() => {
    const err = new Error('timeout');
    err.code = 'TIMEOUT';
    finish(0, err);
    req.destroy(err);
  }, timeoutMs);
  req.on('close', () => clearTimeout(timer));
  req.on('error', (err) => finish(0, err));
  req.end(fixture.body);
}

const cpu0 = process.cpuUsage();
let next = 0;
let measureStartWall = null;
await new Promise((resolve) => {
  start = performance.now();
  const tick = () => {
    const now = performance.now();
    const due = Math.min(total, dueBy(now - start));
    while (next < due) {
      if (next === warmupN) measureStartWall = new Date().toISOString();
      fire(next++);
    }
    if (next < total) {
      setTimeout(tick, Math.max(0, start + offsetOf(next) - performance.now()));
    } else {
      resolve();
    }
  };
  tick();
});
const sendEnd = performance.now();
// Let the last requests finish (each has its own timeout).
while (inflight > 0 && performance.now() - sendEnd < timeoutMs + 1000) {
  await new Promise((r) => setTimeout(r, 20));
}
const cpu = process.cpuUsage(cpu0);
const wallS = (performance.now() - start) / 1000;
agent.destroy();

const okLat = (arr) => arr.filter((v, idx) => done[idx] && Number.isFinite(v));
const measuredSendS = (measuredN - 1) * intervalMs / 1000 || job.duration;
const timeline = perSecond.map((b) => {
  const s = summarizeSamples(b.lat);
  return { second: b.second, sent: b.sent, ok: b.ok, non2xx: b.non2xx, errors: b.errors, p50: s.p50, p99: s.p99, max: s.max };
});

process.send(
  {
    tool: 'bench/lib/paced-child.mjs (open loop, node:http keep-alive pool)',
    rate,
    connections: job.connections,
    warmupS: job.warmup || 0,
    durationS: job.duration,
    measureStart: measureStartWall,
    warmupCounts: warm,
    scheduled: measuredN,
    completed,
    // No HTTP answer (timed out, connection error, or still in flight at the end): the server may or
    // may not have stored these.
    unanswered: measuredN - ok2xx - non2xx,
    ok2xx,
    non2xx,
    errors: errorCount,
    timeouts,
    errorKinds: errors,
    statusCounts,
    achievedSendRate: round(measuredN / measuredSendS, 1),
    okPerSec: round(ok2xx / job.duration, 1),
    latencyMs: summarizeSamples(okLat(fromSchedule)),
    latencyFromSendMs: summarizeSamples(okLat(fromSend)),
    sendLagMs: summarizeSamples(sendLag),
    timeline,
    client: { cpuS: (cpu.user + cpu.system) / 1e6, wallS, cpuPct: round((100 * (cpu.user + cpu.system)) / 1e6 / wallS, 1) },
  },
  () => process.exit(0),
);
