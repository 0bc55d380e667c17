/**
 * `POST /api/github/webhooks` (Probot's path): verify → store → enqueue → 202. Nothing is
 * processed inside the request.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { nowIso } from '../db/index.js';
import type { Metrics } from '../http/metrics.js';
import { extractReceiptFields } from './extract-receipt-fields.js';
import { InvalidSignature, InvalidWebhookHeader, MalformedPayload, MissingWebhookHeader, WebhookSecretMissing } from './errors.js';
import type { ReceiptStore } from './store-receipt.js';
import { verifySignature } from './verify-signature.js';

export interface ReceiveRouteDeps {
  store: ReceiptStore;
  /** The current webhook secret (environment or setup wizard), read on every delivery. */
  webhookSecret: () => string | undefined;
  bodyLimit: number;
  metrics: Metrics;
}

/** GitHub headers kept with each receipt (never the signature). */
const KEPT_HEADERS = [
  'x-github-event',
  'x-github-delivery',
  'x-github-hook-id',
  'x-github-hook-installation-target-id',
  'x-github-hook-installation-target-type',
  'user-agent',
  'content-type',
];

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
};

/**
 * How deep a delivery's JSON may nest. GitHub's deepest payloads nest about a dozen levels; a body
 * nested 100,000 deep parses, but nothing can serialise it back (the event log's delivery page
 * overflowed the stack), so it is refused before it is acknowledged.
 */
export const MAX_JSON_DEPTH = 512;

/**
 * True when the JSON text nests objects and arrays deeper than `max` (strings are skipped).
 * Text with at most `max` opening brackets cannot nest deeper, and counting them is a few native
 * searches (5 µs for a 21 KB `pull_request`) where the scan below costs ~50 µs on every delivery.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  return openingBrackets(text, max) > max && scanDeeperThan(text, max);
}

/** Counts `{` and `[` in the text (inside strings too), stopping once past `limit`. */
function openingBrackets(text: string, limit: number): number {
  let n = 0;
  for (const ch of ['{', '[']) {
    for (let i = text.indexOf(ch); i !== -1; i = text.indexOf(ch, i + 1)) if (++n > limit) return n;
  }
  return n;
}

function scanDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/** Parses the body: JSON, or GitHub's form encoding (`payload=<json>`). */
function parsePayload(contentType: string | undefined, text: string): Record<string, unknown> {
  let json = text;
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    const p = new URLSearchParams(text).get('payload');
    if (p === null) throw new MalformedPayload('form body has no payload field');
    json = p;
  }
  if (json.length > MAX_JSON_DEPTH && nestsDeeperThan(json, MAX_JSON_DEPTH)) {
    throw new MalformedPayload(`nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw new MalformedPayload(e instanceof Error ? e.message : 'invalid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MalformedPayload('not an object');
  return parsed as Record<string, unknown>;
}

export async function receiveRoute(app: FastifyInstance, deps: ReceiveRouteDeps): Promise<void> {
  // Keep the raw bytes: the signature is over them, and they are stored as received.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.bodyLimit }, (_req, body, done) => done(null, body));

  app.post('/api/github/webhooks', { bodyLimit: deps.bodyLimit, config: { auth: 'none' } }, async (req, reply) => {
    const eventType = header(req, 'x-github-event');
    const deliveryId = header(req, 'x-github-delivery');
    const missing = [!eventType && 'X-GitHub-Event', !deliveryId && 'X-GitHub-Delivery'].filter((x): x is string => !!x);
    if (missing.length > 0) {
      deps.metrics.deliveries.inc({ event: eventType ?? 'unknown', outcome: 'bad_request' });
      throw new MissingWebhookHeader(missing);
    }
    if (eventType!.length > 100 || !/^[a-z0-9_]+$/.test(eventType!)) {
      deps.metrics.deliveries.inc({ event: 'unknown', outcome: 'bad_request' });
      throw new InvalidWebhookHeader('X-GitHub-Event must be a GitHub event name (lowercase letters, digits, underscores)');
    }
    if (deliveryId!.length > 200) {
      deps.metrics.deliveries.inc({ event: eventType!, outcome: 'bad_request' });
      throw new InvalidWebhookHeader('X-GitHub-Delivery is longer than 200 characters');
    }
    const secret = deps.webhookSecret();
    if (!secret) throw new WebhookSecretMissing();
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const text = body.toString('utf8');
    const signature = header(req, 'x-hub-signature-256');
    if (!(await verifySignature(secret, text, signature))) {
      deps.metrics.deliveries.inc({ event: eventType!, outcome: 'unauthorized' });
      throw new InvalidSignature(!signature);
    }
    let payload: Record<string, unknown>;
    try {
      payload = parsePayload(header(req, 'content-type'), text);
    } catch (e) {
      deps.metrics.deliveries.inc({ event: eventType!, outcome: 'bad_request' });
      throw e;
    }
    const headers: Record<string, string> = {};
    for (const h of KEPT_HEADERS) {
      const v = header(req, h);
      if (v !== undefined) headers[h] = v;
    }
    const result = await deps.store.store({
      deliveryId: deliveryId!,
      eventType: eventType!,
      headers,
      body,
      fields: extractReceiptFields(eventType!, payload),
      receivedAt: nowIso(),
    });
    deps.metrics.deliveries.inc({ event: eventType!, outcome: result.status });
    if (result.status === 'duplicate') {
      return reply.code(200).send({ id: result.id, delivery_id: deliveryId, status: 'duplicate' });
    }
    return reply.code(202).send({ id: result.id, delivery_id: deliveryId, status: 'received' });
  });
}
