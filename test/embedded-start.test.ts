/**
 * `switchyard start` on SQLite: HTTP in the main thread, the worker in its own thread. A delivery
 * is processed, /metrics merges both threads, and SIGTERM stops it cleanly.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, spawnSwitchyard, type ServerProcess } from './support/process.js';
import { deliveryHeaders, METRICS_AUTH, TEST_API_TOKEN, TEST_METRICS_TOKEN, TEST_SECRET } from './support/sign.js';

describe('switchyard start (embedded, SQLite)', () => {
  let server: ServerProcess | null = null;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-embedded-'));
  afterAll(async () => {
    await server?.kill();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('processes deliveries in its worker thread and reports both threads in /metrics', async () => {
    const port = await freePort();
    server = await spawnSwitchyard('start', { SWITCHYARD_DATA_DIR: dataDir, WEBHOOK_SECRET: TEST_SECRET, SWITCHYARD_API_TOKEN: TEST_API_TOKEN, METRICS_TOKEN: TEST_METRICS_TOKEN }, port);
    const id = randomUUID();
    const body = JSON.stringify({ zen: 'Design for failure.', hook_id: 1, repository: { id: 9, name: 'e', full_name: 'acme/e', owner: { login: 'acme' } } });
    const res = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders('ping', body, id), body });
    expect(res.status).toBe(202);
    let status = '';
    for (let i = 0; i < 100 && status !== 'processed'; i++) {
      const ev = (await (await fetch(`http://127.0.0.1:${port}/api/events/${id}`, { headers: { authorization: `Bearer ${TEST_API_TOKEN}` } })).json()) as { processing_status: string };
      status = ev.processing_status;
      if (status !== 'processed') await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('processed');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: METRICS_AUTH })).text();
    expect(metrics).toContain('switchyard_webhook_deliveries_total{event="ping",outcome="received"} 1');
    expect(metrics).toContain('switchyard_receipts_processed_total{event="ping",outcome="processed"} 1');
    expect(metrics).toMatch(/switchyard_processing_lag_seconds_count\{event="ping"\} 1/);
    expect(metrics).toContain('switchyard_process_cpu_user_seconds_total');
  });

  it('stops cleanly on SIGTERM', async () => {
    const exit = new Promise<number | null>((resolve) => server!.child.once('exit', (code) => resolve(code)));
    server!.child.kill('SIGTERM');
    expect(await exit).toBe(0);
    server = null;
  });
});
