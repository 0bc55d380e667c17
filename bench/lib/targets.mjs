// The servers under test. Each runs as its own child process (own process group) on a free port.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BENCH_DIR, REPO_ROOT } from './config.mjs';
import { freePort, startProcess, stopProcess, waitForPort } from './processes.mjs';
import { sendDelivery } from './http.mjs';

/** Environment for children: ours, minus anything that would change what a target does. */
function childEnv(extra) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k.startsWith('BENCH_') || k.startsWith('SWITCHYARD_') || k.startsWith('npm_')) delete env[k];
  }
  for (const k of ['DATABASE_URL', 'PORT', 'HOST', 'WEBHOOK_SECRET', 'LOG_LEVEL', 'APP_ID', 'PRIVATE_KEY', 'PRIVATE_KEY_PATH', 'WEBHOOK_PROXY_URL', 'NODE_OPTIONS']) {
    delete env[k];
  }
  return { ...env, ...extra };
}

export const TARGETS = {
  trivial: {
    label: 'trivial node:http (calibration)',
    short: 'trivial',
    describe: 'reads the body, answers 202; no verification (the client ceiling)',
    command: () => ({ cmd: process.execPath, args: [path.join(BENCH_DIR, 'targets', 'trivial.mjs')] }),
  },
  probot: {
    label: 'Probot 14, no-op app',
    short: 'Probot',
    describe: 'probot run (Server + pino-http, LOG_LEVEL=warn), app.onAny(async () => {}); verifies, no storage',
    command: () => ({ cmd: process.execPath, args: [path.join(BENCH_DIR, 'targets', 'probot-noop.mjs')] }),
  },
  bare: {
    label: 'bare @octokit/webhooks',
    short: 'bare',
    describe: 'node:http + @octokit/webhooks createNodeMiddleware, no-op handler; verifies, no storage',
    command: () => ({ cmd: process.execPath, args: [path.join(BENCH_DIR, 'targets', 'bare-webhooks.mjs')] }),
  },
  switchyard: {
    label: 'Switchyard (SQLite)',
    short: 'Switchyard',
    describe: 'node bin/switchyard.js start, SQLite in a fresh temp dir; verifies, stores durably, processes',
    usesDatabase: true,
    command: (cfg) => {
      if (cfg.switchyardCmd) {
        const [cmd, ...args] = cfg.switchyardCmd.split(' ').filter(Boolean);
        return { cmd, args };
      }
      return { cmd: process.execPath, args: [path.join(REPO_ROOT, 'bin', 'switchyard.js'), 'start'] };
    },
    preflight: (cfg) => {
      if (cfg.switchyardCmd) return null;
      const main = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');
      if (!fs.existsSync(main)) return `dist/cli/main.js is missing (run \`npm run build\`; is the CLI written yet?)`;
      return null;
    },
  },
  // Same-run A/B: another build of Switchyard (e.g. a copy of the previous commit's dist/), started
  // the same way. BENCH_BASE_CMD="node /tmp/sy-base/bin/switchyard.js start".
  'switchyard-base': {
    label: 'Switchyard (SQLite), base build',
    short: 'Switchyard base',
    describe: 'BENCH_BASE_CMD (another build of switchyard start), SQLite in a fresh temp dir',
    usesDatabase: true,
    command: () => {
      const [cmd, ...args] = (process.env.BENCH_BASE_CMD ?? '').split(' ').filter(Boolean);
      return { cmd, args };
    },
    preflight: () => (process.env.BENCH_BASE_CMD ? null : 'BENCH_BASE_CMD is not set'),
  },
};

/**
 * Starts a target and checks that it answers a signed delivery with 2xx.
 * Returns { ok: true, target } or { ok: false, reason, logTail }.
 */
export async function startTarget(name, cfg, fixture, { runDir }) {
  const def = TARGETS[name];
  if (!def) throw new Error(`unknown target ${name} (known: ${Object.keys(TARGETS).join(', ')})`);
  const pre = def.preflight?.(cfg);
  if (pre) return { ok: false, name, label: def.label, reason: pre, logTail: [] };

  const port = await freePort();
  const dataDir = def.usesDatabase ? fs.mkdtempSync(path.join(cfg.dataRoot || os.tmpdir(), `switchyard-bench-${name}-`)) : null;
  const logFile = path.join(runDir, `${name}.log`);
  const env = childEnv({
    PORT: String(port),
    HOST: '127.0.0.1',
    WEBHOOK_SECRET: cfg.webhookSecret,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    ...(dataDir ? { SWITCHYARD_DATA_DIR: dataDir } : {}),
  });
  const { cmd, args } = def.command(cfg);
  // Switchyard runs with its data dir as cwd, so a developer's .env in the repo is not picked up.
  const handle = startProcess({ name, cmd, args, env, cwd: dataDir || REPO_ROOT, logFile });
  const target = {
    name,
    label: def.label,
    short: def.short,
    describe: def.describe,
    port,
    handle,
    dataDir,
    dbFile: dataDir ? path.join(dataDir, 'switchyard.db') : null,
    logFile,
    probes2xx: 0,
  };

  const up = await waitForPort(handle, port, { timeoutMs: cfg.startTimeout * 1000 });
  if (!up.ok) {
    await stopTarget(target, cfg);
    return { ok: false, name, label: def.label, reason: up.reason, logTail: [...handle.tail] };
  }
  // Readiness: a signed delivery must get 2xx (the port may open before the app is ready).
  let last;
  const deadline = Date.now() + cfg.startTimeout * 1000;
  while (Date.now() < deadline) {
    last = await sendDelivery(port, fixture, { timeoutMs: 5000 });
    if (last.status >= 200 && last.status < 300) {
      target.probes2xx++;
      target.probeAnswer = { status: last.status, body: last.body.slice(0, 200) };
      return { ok: true, target };
    }
    if (handle.exited) break;
    await sleep(250);
  }
  await stopTarget(target, cfg);
  const answer = last ? (last.status ? `HTTP ${last.status} ${String(last.body).slice(0, 200)}` : last.error) : 'nothing';
  return { ok: false, name, label: def.label, reason: `a signed delivery was not answered with 2xx (got ${answer})`, logTail: [...handle.tail] };
}

export async function stopTarget(target, cfg) {
  if (!target) return;
  await stopProcess(target.handle);
  if (target.dataDir && !cfg.keepData) {
    fs.rmSync(target.dataDir, { recursive: true, force: true });
  }
}
