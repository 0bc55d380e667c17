/** Retention deletes processed receipts past their age, keeps everything else, and removes stored payloads. */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { startTestApp, type TestApp } from './support/app.js';
import { deliveryHeaders } from './support/sign.js';
import { runRetention } from '../src/webhooks/index.js';

describe.each(dialects)('retention (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect, { PAYLOAD_INLINE_LIMIT: '1024', RECEIPT_MAX_RETRIES: '0' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('deletes processed receipts older than the retention period, with their payload files', async () => {
    t.app.registry.project('test.fails', 'issues', async () => {
      throw new Error('boom');
    });
    const send = async (event: string, payload: object) => {
      const body = JSON.stringify(payload);
      const res = await fetch(`${t.url}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders(event, body, randomUUID()), body });
      expect(res.status).toBe(202);
    };
    await send('ping', { zen: 'small' });
    await send('ping', { zen: 'x'.repeat(4096) });
    await send('issues', { action: 'opened' });
    await t.settle();
    const files = () => {
      const root = path.join(t.config.dataDir, 'payloads');
      return fs.existsSync(root) ? fs.readdirSync(root, { recursive: true }).filter((f) => String(f).endsWith('.json')) : [];
    };
    // PostgreSQL keeps every payload in the database; SQLite writes the large one to a file.
    expect(files()).toHaveLength(t.app.db.dialect === 'sqlite' ? 1 : 0);
    const now = new Date();
    const base = { db: t.app.db, payloads: t.app.webhooks.payloads, log: (await import('../src/log/index.js')).createLogger('silent'), days: 30 };
    expect(await runRetention(base, now)).toBe(0);
    expect(await runRetention(base, new Date(now.getTime() + 31 * 86_400_000))).toBe(2);
    const left = await t.app.db.kysely.selectFrom('event_receipts').select(['event_type', 'processing_status']).execute();
    expect(left).toEqual([{ event_type: 'issues', processing_status: 'dead' }]);
    expect(files()).toHaveLength(0);
    const repoCount = await t.app.db.kysely.selectFrom('repositories').selectAll().execute();
    expect(repoCount).toEqual([]);
  });
});
