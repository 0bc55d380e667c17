/** The webhook endpoint's contract: what is refused, what is stored, and what is answered. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { startTestApp, type TestApp } from './support/app.js';
import { deliveryHeaders, sign, TEST_API_TOKEN, TEST_SECRET } from './support/sign.js';

const pingBody = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1, repository: { id: 42, name: 'r', full_name: 'o/r', private: false, owner: { login: 'o' } }, sender: { login: 'octocat' } });

describe.each(dialects)('webhook ingestion (%s)', (dialect) => {
  let t: TestApp;
  const post = (body: string | Buffer, headers: Record<string, string>) => fetch(`${t.url}/api/github/webhooks`, { method: 'POST', headers, body });
  const count = async () =>
    Number((await t.app.db.kysely.selectFrom('event_receipts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    t = await startTestApp(dialect, { WEBHOOK_BODY_LIMIT: String(3 * 1024 * 1024), PAYLOAD_INLINE_LIMIT: String(64 * 1024) });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a bad signature with 401 and stores nothing', async () => {
    const before = await count();
    const h = deliveryHeaders('ping', pingBody);
    const bad = await post(pingBody, { ...h, 'x-hub-signature-256': sign(pingBody, 'wrong-secret') });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: 'WEBHOOK_SIGNATURE_INVALID' });
    const { 'x-hub-signature-256': _, ...unsigned } = h;
    const missing = await post(pingBody, unsigned);
    expect(missing.status).toBe(401);
    const tampered = await post(pingBody.replace('awesome', 'AWESOME'), h);
    expect(tampered.status).toBe(401);
    expect(await count()).toBe(before);
  });

  it('answers 400 when the event or delivery header is missing', async () => {
    const h = deliveryHeaders('ping', pingBody);
    const { 'x-github-event': _e, ...noEvent } = h;
    const { 'x-github-delivery': _d, ...noDelivery } = h;
    for (const headers of [noEvent, noDelivery]) {
      const res = await post(pingBody, headers);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'WEBHOOK_HEADER_MISSING' });
    }
  });

  it('answers 400 when the event name or delivery id is not one GitHub sends', async () => {
    for (const [event, delivery] of [['Pull Request', 'abc'], ['pull_request', 'x'.repeat(201)]] as const) {
      const res = await post(pingBody, deliveryHeaders(event, pingBody, delivery));
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'WEBHOOK_HEADER_INVALID' });
    }
  });

  it('answers 400 to a signed body that is not JSON, and stores nothing', async () => {
    const before = await count();
    for (const body of ['{"unterminated": ', '[1,2,3]', 'null', 'plain text']) {
      const res = await post(body, deliveryHeaders('ping', body));
      expect(res.status, body).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'WEBHOOK_PAYLOAD_MALFORMED' });
    }
    expect(await count()).toBe(before);
  });

  it('answers 413 to a body over the limit without storing it', async () => {
    const before = await count();
    const big = Buffer.alloc(3 * 1024 * 1024 + 10, 'a');
    const res = await post(big, deliveryHeaders('ping', big));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'PAYLOAD_TOO_LARGE' });
    expect(await count()).toBe(before);
  });

  it('stores a new delivery, answers 202, and a redelivery 200 duplicate', async () => {
    const id = randomUUID();
    const res = await post(pingBody, deliveryHeaders('ping', pingBody, id));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: string; delivery_id: string; status: string };
    expect(body).toEqual({ id: expect.any(String), delivery_id: id, status: 'received' });
    const again = await post(pingBody, deliveryHeaders('ping', pingBody, id));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ id: body.id, delivery_id: id, status: 'duplicate' });
    await t.settle();
    const ev = await t.getJson(`/api/events/${id}`);
    expect(ev).toMatchObject({ delivery_id: id, event_type: 'ping', processing_status: 'processed', repository: 'o/r', actor: 'octocat' });
    expect(ev.raw_payload).toEqual(JSON.parse(pingBody));
    expect(ev.headers['x-hub-signature-256']).toBeUndefined();
  });

  it('deduplicates concurrent redeliveries of the same id', async () => {
    const id = randomUUID();
    const results = await Promise.all(Array.from({ length: 8 }, () => post(pingBody, deliveryHeaders('ping', pingBody, id))));
    const codes = results.map((r) => r.status).sort();
    expect(codes).toEqual([200, 200, 200, 200, 200, 200, 200, 202]);
    const rows = await t.app.db.kysely.selectFrom('event_receipts').select('id').where('delivery_id', '=', id).execute();
    expect(rows).toHaveLength(1);
  });

  it('keeps payloads over the inline limit in the payload store on SQLite, in the database on PostgreSQL, and serves them back', async () => {
    const id = randomUUID();
    const payload = { action: 'opened', padding: 'x'.repeat(200 * 1024), repository: { id: 77, name: 'big', full_name: 'o/big', owner: { login: 'o' } } };
    const body = JSON.stringify(payload);
    const res = await post(body, deliveryHeaders('issues', body, id));
    expect(res.status).toBe(202);
    const row = await t.app.db.kysely.selectFrom('event_receipts').select(['id', 'payload_storage', 'payload_size']).where('delivery_id', '=', id).executeTakeFirstOrThrow();
    const inline = await t.app.db.kysely.selectFrom('event_payloads').select('receipt_id').where('receipt_id', '=', row.id).execute();
    if (t.app.db.dialect === 'sqlite') {
      expect(inline).toEqual([]);
      expect(row.payload_storage).toMatch(/^file:payloads\//);
    } else {
      // Scaled out, processes share nothing but the database (test/shared-nothing.test.ts).
      expect(inline).toHaveLength(1);
      expect(row.payload_storage).toBeNull();
    }
    expect(row.payload_size).toBe(Buffer.byteLength(body));
    await t.settle();
    const ev = await t.getJson(`/api/events/${id}`);
    expect(ev.raw_payload).toEqual(payload);
  });

  it('accepts GitHub form-encoded deliveries', async () => {
    const id = randomUUID();
    const body = new URLSearchParams({ payload: pingBody }).toString();
    const res = await post(body, { ...deliveryHeaders('ping', body, id), 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(202);
    await t.settle();
    const ev = await t.getJson(`/api/events/${id}`);
    expect(ev.raw_payload).toEqual(JSON.parse(pingBody));
  });

  it('never writes the secrets it was given to its logs', () => {
    const all = t.logs.join('');
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(TEST_SECRET);
    expect(all).not.toContain(TEST_API_TOKEN);
  });
});

describe('webhook ingestion without a secret', () => {
  it('refuses deliveries with 503 and a clear message', async () => {
    const t = await startTestApp('sqlite', { WEBHOOK_SECRET: '' });
    try {
      const res = await fetch(`${t.url}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders('ping', pingBody), body: pingBody });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: 'WEBHOOK_SECRET_MISSING' });
    } finally {
      await t.close();
    }
  });
});
