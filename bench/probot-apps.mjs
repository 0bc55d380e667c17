#!/usr/bin/env node
// A Probot app on real `probot run` (probot@14.3.2) and hosted by Switchyard (SQLite and
// PostgreSQL), same machine, same run, the real 21 KB pull_request payload (bench/fixtures).
//
// The app's handler makes one API call (`GET /repos/{owner}/{repo}/pulls/{pull_number}`) to a
// local fake GitHub in this process, which records when each call for each delivery arrived
// (Probot's Octokit sends `x-github-delivery` on every request made for an event).
//
// Per target:
// - throughput: BENCH_APPS_DELIVERIES deliveries (default 1000) from BENCH_APPS_CONNECTIONS
//   concurrent senders (default 16): acknowledged deliveries/s (sent → last 2xx), handler
//   completions/s (first send → last API call), p50/p99 from the send to the handler's API call;
// - kill -9: BENCH_APPS_KILL deliveries (default 400), SIGKILL after half are acknowledged, then
//   (Switchyard) a restart: what was acknowledged but never handled is lost, and so is what was in
//   flight (sent, not acknowledged: GitHub records a failed delivery and does not retry it).
//
//   node bench/probot-apps.mjs            (npm run build first; PostgreSQL at BENCH_PG_URL or
//                                           postgres://postgres@127.0.0.1:5432/postgres)
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { BENCH_DIR, REPO_ROOT } from './lib/config.mjs';
import { loadFixture } from './lib/fixture.mjs';
import { freePort, startProcess, stopProcess } from './lib/processes.mjs';
import { sendDelivery } from './lib/http.mjs';

const SECRET = 'bench-probot-apps-secret';
const DELIVERIES = Number(process.env.BENCH_APPS_DELIVERIES || 1000);
const CONNECTIONS = Number(process.env.BENCH_APPS_CONNECTIONS || 16);
const KILL_DELIVERIES = Number(process.env.BENCH_APPS_KILL || 400);
const PG_ADMIN = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const fixture = loadFixture(SECRET);
const log = (m) => process.stderr.write(`[probot-apps ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

const APP = `module.exports = (app) => {
  app.on('pull_request', async (context) => {
    await context.octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', context.pullRequest());
  });
};
`;

/** The fake GitHub: tokens for anyone, one small pull request, and when each delivery's call arrived. */
async function startFakeGitHub() {
  const calls = new Map(); // delivery id -> [arrival ms, …]
  const server = http.createServer((req, res) => {
    const at = Date.now();
    req.resume();
    req.on('end', () => {
      const headers = { 'content-type': 'application/json', 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': String(Math.floor(at / 1000) + 3600) };
      if (req.method === 'POST' && /\/app\/installations\/\d+\/access_tokens$/.test(req.url)) {
        res.writeHead(201, headers).end(JSON.stringify({ token: `ghs_${crypto.randomBytes(18).toString('hex')}`, expires_at: new Date(at + 3600_000).toISOString(), permissions: { pull_requests: 'read' }, repository_selection: 'all' }));
        return;
      }
      if (req.method === 'GET' && /\/repos\/[^/]+\/[^/]+\/pulls\/\d+$/.test(req.url)) {
        const id = req.headers['x-github-delivery'];
        if (typeof id === 'string') calls.set(id, [...(calls.get(id) ?? []), at]);
        res.writeHead(200, headers).end(JSON.stringify({ number: 2, state: 'open', title: 'bench' }));
        return;
      }
      res.writeHead(404, headers).end(JSON.stringify({ message: 'Not Found' }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, calls, close: () => new Promise((r) => server.close(r)) };
}

function loadAverage() {
  return os.loadavg().map((v) => v.toFixed(1)).join(' / ');
}

function pct(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Sends `ids` from `CONNECTIONS` senders; returns send times, acks (2xx) and the time of the last ack. */
async function send(port, ids, { onAck } = {}) {
  const sentAt = new Map();
  const acked = new Set();
  let next = 0;
  const t0 = Date.now();
  let lastAck = t0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < ids.length) {
        const id = ids[next++];
        sentAt.set(id, Date.now());
        const r = await sendDelivery(port, fixture, { deliveryId: id, timeoutMs: 60_000 });
        if (r.status >= 200 && r.status < 300) {
          acked.add(id);
          lastAck = Date.now();
          await onAck?.(acked.size);
        } else if (r.status === 0) {
          return; // the target is gone (killed)
        }
      }
    }),
  );
  return { t0, sentAt, acked, lastAck };
}

async function waitFor(fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

async function waitReady(port, timeoutMs = 240_000) {
  return waitFor(async () => {
    const r = await sendDelivery(port, fixture, { deliveryId: `probe-${crypto.randomUUID()}`, timeoutMs: 5000 });
    return r.status >= 200 && r.status < 300;
  }, timeoutMs);
}

async function createPgDatabase() {
  const name = `switchyard_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = new pg.Client({ connectionString: PG_ADMIN });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/** A target: how to start it (again, for the restart after kill -9) and whether it keeps deliveries. */
function targets(fake, appDir, privateKey) {
  const common = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', LOG_LEVEL: 'warn', WEBHOOK_SECRET: SECRET, APP_ID: '123456', PRIVATE_KEY: privateKey, HOST: '127.0.0.1' };
  const probot = {
    name: 'Probot 14.3.2 (`probot run`)',
    durable: false,
    env: () => ({ ...common, GHE_HOST: `127.0.0.1:${fake.port}`, GHE_PROTOCOL: 'http' }),
    command: () => ({ cmd: process.execPath, args: [path.join(REPO_ROOT, 'node_modules', 'probot', 'bin', 'probot.js'), 'run', path.join(appDir, 'app.cjs')] }),
  };
  const switchyard = (db) => ({
    name: `Switchyard (${db})`,
    durable: true,
    db,
    env: (state) => ({ ...common, GITHUB_API_URL: `http://127.0.0.1:${fake.port}/api/v3`, SWITCHYARD_DATA_DIR: state.dataDir, SWITCHYARD_APPS: path.join(appDir, 'app.cjs'), ...(state.pg ? { DATABASE_URL: state.pg.url, DATABASE_POOL_SIZE: '8' } : {}) }),
    command: () => ({ cmd: process.execPath, args: [path.join(REPO_ROOT, 'bin', 'switchyard.js'), 'start'] }),
  });
  return [probot, switchyard('SQLite'), switchyard('PostgreSQL')];
}

async function withTarget(t, fake, fn) {
  const state = { dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-apps-')), pg: t.db === 'PostgreSQL' ? await createPgDatabase() : null };
  const port = await freePort();
  const start = async () => {
    const { cmd, args } = t.command();
    const handle = startProcess({ name: t.name, cmd, args, env: { ...t.env(state), PORT: String(port) }, cwd: state.dataDir, logFile: path.join(state.dataDir, 'target.log') });
    if (!(await waitReady(port))) throw new Error(`${t.name} did not become ready:\n${handle.tail.join('\n')}`);
    return handle;
  };
  try {
    return await fn({ port, start });
  } finally {
    await state.pg?.drop().catch(() => undefined);
    fs.rmSync(state.dataDir, { recursive: true, force: true });
  }
}

async function throughput(t, fake) {
  return withTarget(t, fake, async ({ port, start }) => {
    const handle = await start();
    const ids = Array.from({ length: DELIVERIES }, () => crypto.randomUUID());
    const load0 = loadAverage();
    const { t0, sentAt, acked, lastAck } = await send(port, ids);
    await waitFor(() => ids.every((id) => fake.calls.has(id)), 300_000);
    const done = ids.filter((id) => fake.calls.has(id));
    const lastDone = Math.max(...done.map((id) => fake.calls.get(id)[0]));
    const latencies = done.map((id) => fake.calls.get(id)[0] - sentAt.get(id)).sort((a, b) => a - b);
    await stopProcess(handle);
    return {
      acked: acked.size,
      ackPerS: acked.size / ((lastAck - t0) / 1000),
      completed: done.length,
      donePerS: done.length / ((lastDone - t0) / 1000),
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      twice: done.filter((id) => fake.calls.get(id).length > 1).length,
      load: `${load0} → ${loadAverage()}`,
    };
  });
}

async function killNine(t, fake) {
  return withTarget(t, fake, async ({ port, start }) => {
    let handle = await start();
    const ids = Array.from({ length: KILL_DELIVERIES }, () => crypto.randomUUID());
    let killed = false;
    const { sentAt, acked } = await send(port, ids, {
      onAck: async (n) => {
        if (!killed && n >= KILL_DELIVERIES / 2) {
          killed = true;
          process.kill(-handle.pid, 'SIGKILL');
          await handle.exitPromise;
        }
      },
    });
    const sent = [...sentAt.keys()];
    const inFlight = sent.filter((id) => !acked.has(id));
    if (t.durable) {
      handle = await start();
      await waitFor(() => [...acked].every((id) => fake.calls.has(id)), 300_000);
      await stopProcess(handle);
    }
    const ackedLost = [...acked].filter((id) => !fake.calls.has(id)).length;
    const inFlightLost = inFlight.filter((id) => !fake.calls.has(id)).length;
    return { sent: sent.length, acked: acked.size, ackedLost, inFlight: inFlight.length, inFlightLost };
  });
}

async function main() {
  const fake = await startFakeGitHub();
  const appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-app-'));
  fs.writeFileSync(path.join(appDir, 'app.cjs'), APP);
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  log(`load average before: ${loadAverage()}; ${os.cpus().length} CPUs; payload ${fixture.bytes} bytes; ${DELIVERIES} deliveries, ${CONNECTIONS} senders`);
  const rows = [];
  for (const t of targets(fake, appDir, privateKey)) {
    log(`${t.name}: throughput`);
    const tp = await throughput(t, fake);
    log(`${t.name}: ${tp.ackPerS.toFixed(0)} acknowledged/s, ${tp.donePerS.toFixed(0)} handled/s, p50 ${tp.p50} ms, p99 ${tp.p99} ms (load ${tp.load})`);
    log(`${t.name}: kill -9`);
    const k = await killNine(t, fake);
    log(`${t.name}: kill -9: ${k.acked} acknowledged, ${k.ackedLost} of them never handled; ${k.inFlight} in flight, ${k.inFlightLost} of them never handled`);
    rows.push({ t, tp, k });
  }
  await fake.close();
  fs.rmSync(appDir, { recursive: true, force: true });

  const probot = rows[0].tp.ackPerS;
  const lines = [
    `Probot app benchmark (${new Date().toISOString().slice(0, 16)}Z, ${os.cpus().length} CPUs, load average ${loadAverage()}; ${DELIVERIES} deliveries of ${fixture.bytes} bytes, ${CONNECTIONS} senders; handler: one GET to a local fake GitHub)`,
    '',
    '| target | acknowledged/s | vs Probot | handler completions/s | p50 receipt→handler done | p99 | ran twice | load average during | kill -9: acknowledged, lost | in flight, lost |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |',
    ...rows.map(({ t, tp, k }) => `| ${t.name} | ${tp.ackPerS.toFixed(0)} | ${(tp.ackPerS / probot).toFixed(2)}× | ${tp.donePerS.toFixed(0)} | ${tp.p50} ms | ${tp.p99} ms | ${tp.twice} | ${tp.load} | ${k.acked}, **${k.ackedLost} lost** | ${k.inFlight}, ${k.inFlightLost} lost |`),
  ];
  const out = lines.join('\n');
  console.log(out);
  const dir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-probot-apps.md`), `${out}\n`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
