/**
 * Bad input, generated: malformed headers, bodies, cursors and filters never produce a 5xx or a
 * crash, and nothing is stored that should not be.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dialects } from './support/databases.js';
import { startTestApp, type TestApp } from './support/app.js';
import { sign } from './support/sign.js';

describe.each(dialects)('fuzzing the HTTP surface (%s)', (dialect) => {
  let t: TestApp;
  const stored = async () => Number((await t.app.db.kysely.selectFrom('event_receipts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    t = await startTestApp(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the webhook endpoint answers 4xx to unsigned or malformed deliveries and stores none of them', async () => {
    const before = await stored();
    const headerValue = fc.oneof(fc.string(), fc.constant(''), fc.string({ unit: 'binary-ascii' }).map((s) => s.replace(/[^\x20-\x7e]/g, '')));
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          event: fc.option(headerValue),
          delivery: fc.option(headerValue),
          signature: fc.option(fc.oneof(headerValue, fc.stringMatching(/^[0-9a-f]{64}$/).map((h: string) => `sha256=${h}`))),
          body: fc.oneof(fc.string(), fc.json(), fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a).toString('latin1'))),
          contentType: fc.option(fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ';;;')),
        }),
        async (c) => {
          const headers: Record<string, string> = {};
          if (c.event !== null) headers['x-github-event'] = c.event;
          if (c.delivery !== null) headers['x-github-delivery'] = c.delivery;
          if (c.signature !== null) headers['x-hub-signature-256'] = c.signature;
          if (c.contentType !== null) headers['content-type'] = c.contentType;
          let res: Response;
          try {
            res = await fetch(`${t.url}/api/github/webhooks`, { method: 'POST', headers, body: c.body });
          } catch (e) {
            // fetch itself refuses some header values before sending; that is not the server's answer.
            if (e instanceof TypeError) return;
            throw e;
          }
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
          await res.arrayBuffer();
        },
      ),
      { numRuns: 150, seed: 42 },
    );
    expect(await stored()).toBe(before);
  });

  it('signed deliveries with garbage JSON are refused; signed objects are stored', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.json(), fc.string()), fc.uuid(), async (body, id) => {
        const res = await fetch(`${t.url}/api/github/webhooks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': id, 'x-hub-signature-256': sign(body) },
          body,
        });
        let isObject = false;
        try {
          const v = JSON.parse(body) as unknown;
          isObject = typeof v === 'object' && v !== null && !Array.isArray(v);
        } catch {
          isObject = false;
        }
        if (body.length === 0) expect(res.status).toBe(401);
        else expect(res.status).toBe(isObject ? 202 : 400);
        await res.arrayBuffer();
      }),
      { numRuns: 100, seed: 7 },
    );
    await t.settle();
    const dead = await t.app.db.kysely.selectFrom('event_receipts').select('id').where('processing_status', '=', 'dead').execute();
    expect(dead).toHaveLength(0);
  });

  it('the API answers every malformed query, cursor and path with a 4xx JSON error', async () => {
    const paths = ['/api/events', '/api/repositories', '/api/repositories/acme/widgets/pulls', '/api/repositories/acme/widgets/issues'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.dictionary(fc.constantFrom('limit', 'cursor', 'since', 'until', 'status', 'type', 'action', 'repository', 'installation', 'state'), fc.string()),
        async (path, query) => {
          const qs = new URLSearchParams(query).toString();
          const res = await t.api(`${path}?${qs}`);
          expect(res.status, `${path}?${qs}`).toBeLessThan(500);
          const body = (await res.json()) as Record<string, unknown>;
          if (res.status >= 400) expect(typeof body.message).toBe('string');
        },
      ),
      { numRuns: 200, seed: 3 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }), async (segment) => {
        const res = await t.api(`/api/events/${encodeURIComponent(segment)}`);
        expect(res.status).toBeLessThan(500);
        const res2 = await t.api(`/api/repositories/${encodeURIComponent(segment)}/x/pulls/${encodeURIComponent(segment)}`);
        expect(res2.status).toBeLessThan(500);
      }),
      { numRuns: 100, seed: 5 },
    );
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });
});
