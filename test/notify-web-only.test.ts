/**
 * Notify in a web-only process (no delivery runner: notify() queues a pass for the workers) and the
 * Telegram bot token set by an administrator (stored encrypted, used at once), on both databases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notify } from '../src/notify/index.js';
import { startTestApp, type TestApp } from './support/app.js';
import { dialects } from './support/databases.js';
import { startFakeTelegram, textUpdate, type FakeTelegram } from './support/fake-telegram/index.js';
import { recordSecret } from './support/secret-ledger.js';
import { startSmtpServer, type TestSmtpServer } from './support/smtp/index.js';
import { createUser, grantInstallation, json, sessionClient, signIn } from './support/users.js';
import { json as readJson, until } from './support/wait.js';
import { verifyEmailAddress } from './support/notify-channels.js';

const INSTALLATION_A = 61_001;

describe.each(dialects)('a web-only process, and a bot token set by an administrator (%s)', (dialect) => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let tg: FakeTelegram;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    tg = await startFakeTelegram();
    recordSecret(smtp.password, tg.token);
    t = await startTestApp(dialect, { SMTP_URL: smtp.url, TELEGRAM_API_ROOT: tg.apiRoot, DATABASE_POOL_SIZE: '4' }, { web: true, worker: false, scheduler: false });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
    await tg?.close();
  });

  it('an administrator’s bot token is stored encrypted, used at once, and only administrators may set it', async () => {
    const root = sessionClient(t, await signIn(t, await createUser(t, { username: 'root', isAdmin: true })), 'root');
    const eve = sessionClient(t, await signIn(t, await createUser(t, { username: 'eve' })), 'eve');
    expect((await readJson(eve.fetch('/api/me/notification-channels'))).telegram.configured).toBe(false);
    expect((await eve.fetch('/api/me/notification-channels/telegram/link-code', { method: 'POST' })).status).toBe(503);
    // Without a token the webhook answers 503 and stores nothing.
    expect((await fetch(`${t.url}/api/telegram/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'x' }, body: JSON.stringify(textUpdate(1, '/start')) })).status).toBe(503);

    expect((await eve.fetch('/api/admin/notifications/telegram-bot', json({ bot_token: tg.token }, { method: 'PUT' }))).status).toBe(403);
    const set = await readJson(root.fetch('/api/admin/notifications/telegram-bot', json({ bot_token: tg.token }, { method: 'PUT' })));
    expect(set).toMatchObject({ ok: true, source: 'settings' });
    const stored = await t.app.db.kysely.selectFrom('notification_settings').select('value').executeTakeFirstOrThrow();
    expect(stored.value).toMatch(/^enc:v1:/);
    expect(stored.value).not.toContain(tg.token.split(':')[1]);
    expect((await readJson(eve.fetch('/api/me/notification-channels'))).telegram.configured).toBe(true);
    const code = await readJson(eve.fetch('/api/me/notification-channels/telegram/link-code', { method: 'POST' }));
    recordSecret(code.code);
    expect(code.deep_link).toBe(`https://t.me/${tg.botUsername}?start=${code.code}`);
    const secret = tg.webhook!.secretToken!;
    recordSecret(secret);
    expect((await tg.deliver(textUpdate(4_242, `/start ${code.code}`), { url: `${t.url}/api/telegram/webhook`, secretToken: secret })).status).toBe(200);
    expect(await t.app.db.kysely.selectFrom('event_receipts').select(['source', 'event_type', 'processing_status']).where('source', '=', 'telegram').execute()).toEqual([{ source: 'telegram', event_type: 'telegram', processing_status: 'received' }]);

    expect((await readJson(root.fetch('/api/admin/notifications/telegram-bot', json({ bot_token: null }, { method: 'PUT' })))).source).toBeNull();
    expect((await readJson(eve.fetch('/api/me/notification-channels'))).telegram.configured).toBe(false);
  });

  it('a web-only process queues a delivery pass for the workers instead of sending itself', async () => {
    const u = await createUser(t, { username: 'dora' });
    await grantInstallation(t, u.id, INSTALLATION_A);
    const dora = sessionClient(t, await signIn(t, u), 'dora');
    await verifyEmailAddress(dora, smtp, 'dora@example.test');

    await notify(t.app.db, { installationId: INSTALLATION_A, repositoryId: null, kind: 'budget.warning', title: 'From the web', body: 'x', dedupeKey: 'web-only:1' });
    // notify() queues the pass after its transaction commits, without making the caller wait for it.
    const pass = await until('the queued delivery pass', async () => (await t.app.queue.stats()).find((s) => s.name === 'notify.deliver' && s.queued > 0));
    expect(pass.queued).toBe(1);
    const row = await t.app.db.kysely.selectFrom('notification_deliveries').select(['status']).executeTakeFirstOrThrow();
    expect(row.status).toBe('pending');
    // What a worker does with that job.
    await t.app.notify.runner.runOnce();
    expect(smtp.to('dora@example.test').map((m) => m.subject)).toContain('From the web');
  });
});
