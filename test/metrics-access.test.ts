/**
 * /metrics is not for whoever can reach the server: on the main port it answers only the
 * METRICS_TOKEN bearer; without a token it is not served there; METRICS_PORT serves it on a
 * separate listener (127.0.0.1 by default) without credentials.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { METRICS_AUTH } from './support/sign.js';

const apps: TestApp[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

describe('who may read /metrics', () => {
  it('answers the metrics token, refuses a wrong or missing one with 401', async () => {
    const t = await startTestApp('sqlite');
    apps.push(t);
    expect((await fetch(`${t.url}/metrics`, { headers: METRICS_AUTH })).status).toBe(200);
    const none = await fetch(`${t.url}/metrics`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: string }).error).toBe('UNAUTHORIZED');
    expect((await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0000000000' } })).status).toBe(401);
    // The API token is not the metrics token.
    expect((await t.api('/metrics')).status).toBe(401);
  });

  it('is not served on the main port without METRICS_TOKEN, and is served on METRICS_PORT', async () => {
    const port = await freePort();
    const t = await startTestApp('sqlite', { METRICS_TOKEN: '', METRICS_PORT: String(port) });
    apps.push(t);
    const main = await fetch(`${t.url}/metrics`);
    expect(main.status).toBe(404);
    expect(((await main.json()) as { message: string }).message).toMatch(/METRICS_TOKEN|METRICS_PORT/);
    const side = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(side.status).toBe(200);
    expect(await side.text()).toContain('switchyard_http_request_duration_seconds');
    expect((await fetch(`http://127.0.0.1:${port}/api/events`)).status).toBe(404);
  });
});
