/** Signs webhook bodies the way GitHub does. */
import { createHmac, randomUUID } from 'node:crypto';

export const TEST_SECRET = 'test-webhook-secret-7c1d2e';
export const TEST_API_TOKEN = 'test-api-token-0123456789abcdef';
export const TEST_METRICS_TOKEN = 'test-metrics-token-5f3a9c0e71b2';
/** Headers that let a test read /metrics (METRICS_TOKEN, set by startTestApp). */
export const METRICS_AUTH = { authorization: `Bearer ${TEST_METRICS_TOKEN}` };

export function sign(body: string | Buffer, secret = TEST_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Headers for a signed delivery. */
export function deliveryHeaders(event: string, body: string | Buffer, deliveryId: string = randomUUID()): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': deliveryId,
    'x-hub-signature-256': sign(body),
    'user-agent': 'GitHub-Hookshot/test',
  };
}
