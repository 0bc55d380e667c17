// Benchmark settings, all from the environment (see bench/README.md for the table).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(BENCH_DIR, '..');
export const FIXTURE_FILE = path.join(BENCH_DIR, 'fixtures', 'pull_request-21kb.json');
export const WEBHOOK_PATH = '/api/github/webhooks';

function num(name, def, { min = 0, int = false } = {}) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return def;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || (int && !Number.isInteger(v))) {
    throw new Error(`${name} must be a${int ? ' whole' : ''} number >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return v;
}

function bool(name, def) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return def;
  return !['0', 'false', 'no', 'off'].includes(raw.trim().toLowerCase());
}

function list(name, def) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return def;
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

export function loadConfig() {
  return {
    // ingest (side by side)
    duration: num('BENCH_DURATION', 10, { min: 1 }),
    rounds: num('BENCH_ROUNDS', 3, { min: 1, int: true }),
    warmup: num('BENCH_WARMUP', 3, { min: 0 }),
    connections: num('BENCH_CONNECTIONS', 32, { min: 1, int: true }),
    targets: list('BENCH_TARGETS', ['probot', 'bare', 'switchyard']),
    calibrate: bool('BENCH_CALIBRATE', true),
    cooldown: num('BENCH_COOLDOWN', 1, { min: 0 }),
    drainTimeout: num('BENCH_DRAIN_TIMEOUT', 60, { min: 0 }),
    // steady
    steadyRate: num('BENCH_STEADY_RATE', 1000, { min: 1 }),
    steadyDuration: num('BENCH_STEADY_DURATION', 60, { min: 1 }),
    steadyConnections: num('BENCH_STEADY_CONNECTIONS', 256, { min: 1, int: true }),
    steadyWarmup: num('BENCH_STEADY_WARMUP', 5, { min: 0 }),
    steadyP99TargetMs: num('BENCH_STEADY_P99_TARGET_MS', 25, { min: 0 }),
    steadyLagTargetMs: num('BENCH_STEADY_LAG_TARGET_MS', 1000, { min: 0 }),
    sampleInterval: num('BENCH_SAMPLE_INTERVAL', 1, { min: 0.1 }),
    // shared
    startTimeout: num('BENCH_START_TIMEOUT', 60, { min: 1 }),
    requestTimeout: num('BENCH_REQUEST_TIMEOUT', 10, { min: 1 }),
    webhookSecret: process.env.BENCH_WEBHOOK_SECRET || 'switchyard-bench-secret',
    dataRoot: process.env.BENCH_DATA_ROOT || undefined, // default: os.tmpdir()
    keepData: bool('BENCH_KEEP_DATA', false),
    resultsDir: process.env.BENCH_RESULTS_DIR || path.join(BENCH_DIR, 'results'),
    switchyardCmd: process.env.BENCH_SWITCHYARD_CMD || undefined, // default: node bin/switchyard.js start
  };
}
