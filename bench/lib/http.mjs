// One signed delivery over plain node:http, for readiness probes and sanity checks.
import crypto from 'node:crypto';
import http from 'node:http';
import { WEBHOOK_PATH } from './config.mjs';

export function sendDelivery(port, fixture, { deliveryId = crypto.randomUUID(), host = '127.0.0.1', timeoutMs = 10000, headers = {} } = {}) {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host,
        port,
        path: WEBHOOK_PATH,
        method: 'POST',
        agent: false,
        headers: { ...fixture.baseHeaders, 'X-GitHub-Delivery': deliveryId, 'Content-Length': fixture.bytes, ...headers },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), deliveryId }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ status: 0, error: err.message, deliveryId }));
    req.end(fixture.body);
  });
}
