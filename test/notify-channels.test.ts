/**
 * Notifications on Telegram (a fake Bot API at grammy's apiRoot) and email (a real local SMTP
 * server), on both databases: linking and verifying, fan-out to the people who may see a notice,
 * dedupe, Telegram's 429 and 403, SMTP's 4xx and 5xx, the webhook's secret token, one-time link
 * codes, and no secret in any log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { notify } from '../src/notify/index.js';
import { runNotifyTest } from '../src/cli/notify-commands.js';
import { startTestApp, type TestApp } from './support/app.js';
import { dialects } from './support/databases.js';
import { blockedByUser, startFakeTelegram, textUpdate, tooManyRequests, type FakeTelegram } from './support/fake-telegram/index.js';
import { recordSecret } from './support/secret-ledger.js';
import { startSmtpServer, type TestSmtpServer } from './support/smtp/index.js';
import { linkTelegramChat } from './support/notify-channels.js';
import { createUser, grantInstallation, json, sessionClient, signIn, type Client } from './support/users.js';
import { json as readJson, until } from './support/wait.js';

const INSTALLATION_A = 61_001;
const INSTALLATION_B = 62_002;

interface Person {
  username: string;
  userId: string;
  client: Client;
  chatId: number;
  email: string;
}

describe.each(dialects)('notification channels (%s)', (dialect) => {
  let t: TestApp;
  let tg: FakeTelegram;
  let smtp: TestSmtpServer;
  let alice: Person;
  let bob: Person;
  let carol: Person;
  let admin: Client;
  let webhookUrl: string;
  let webhookSecret: string;
  /** Every code handed out, to look for in the logs at the end. */
  const codes: string[] = [];

  const body = async (res: Response) => {
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  async function person(username: string, installationId: number, chatId: number): Promise<Person> {
    const u = await createUser(t, { username });
    await grantInstallation(t, u.id, installationId);
    const s = await signIn(t, u);
    return { username, userId: u.id, client: sessionClient(t, s, username), chatId, email: `${username}@example.test` };
  }

  /** Asks for a link code as `p` and sends `/start <code>` from `chatId`; returns the code. */
  async function startCode(p: Person): Promise<string> {
    const res = await body(await p.client.fetch('/api/me/notification-channels/telegram/link-code', { method: 'POST' }));
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    const code = res.json.code as string;
    codes.push(code);
    recordSecret(code);
    expect(res.json.deep_link).toBe(`https://t.me/${tg.botUsername}?start=${code}`);
    return code;
  }

  async function sendUpdate(chatId: number, text: string, username?: string): Promise<Response> {
    return tg.deliver(textUpdate(chatId, text, username), { url: webhookUrl, secretToken: webhookSecret });
  }

  async function channels(p: Person) {
    return readJson(p.client.fetch('/api/me/notification-channels'));
  }

  async function linkTelegram(p: Person): Promise<void> {
    const before = tg.sentTo(p.chatId).length;
    codes.push(await linkTelegramChat(t, p.client, tg, p.chatId, `${p.username}_tg`));
    const reply = await until('the bot answers', async () => tg.sentTo(p.chatId)[before]);
    expect(reply.text).toMatch(/^Linked\./);
  }

  async function verifyEmail(p: Person): Promise<void> {
    const before = smtp.to(p.email).length;
    const res = await p.client.fetch('/api/me/notification-channels/email', json({ address: p.email }, { method: 'PUT' }));
    expect(res.status, await res.clone().text()).toBe(202);
    const mail = await until('the verification email', async () => smtp.to(p.email)[before]);
    const code = /Your code is (\w+)/.exec(mail.text)?.[1];
    expect(code).toBeTruthy();
    codes.push(code!);
    recordSecret(code);
    const wrong = await p.client.fetch('/api/me/notification-channels/email/verify', json({ code: 'zzzzzzzzzz' }, { method: 'POST' }));
    expect(wrong.status).toBe(400);
    expect((await channels(p)).email.address).toBeNull();
    const ok = await body(await p.client.fetch('/api/me/notification-channels/email/verify', json({ code }, { method: 'POST' })));
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
    expect((await channels(p)).email).toMatchObject({ address: p.email, pending: null });
  }

  const deliveries = (title: string) =>
    t.app.db.kysely
      .selectFrom('notification_deliveries as d')
      .innerJoin('notifications as n', 'n.id', 'd.notification_id')
      .select(['d.id', 'd.user_id', 'd.channel', 'd.status', 'd.attempts', 'd.last_error'])
      .where('n.title', '=', title)
      .execute();

  const telegramReceipts = async () =>
    Number((await t.app.db.kysely.selectFrom('event_receipts').select((eb) => eb.fn.countAll<number>().as('n')).where('source', '=', 'telegram').executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    tg = await startFakeTelegram();
    smtp = await startSmtpServer();
    recordSecret(tg.token, smtp.password);
    t = await startTestApp(dialect, {
      TELEGRAM_BOT_TOKEN: tg.token,
      TELEGRAM_API_ROOT: tg.apiRoot,
      SMTP_URL: smtp.url,
      SMTP_FROM: 'Switchyard <switchyard@example.test>',
      NOTIFY_RETRY_BASE_MS: '200',
      PUBLIC_URL: 'https://switchyard.example.test',
      DATABASE_POOL_SIZE: '4',
    });
    // A worker with an environment token points the bot's webhook at PUBLIC_URL when it starts.
    const registered = await until('the webhook registered at start', async () => tg.webhook);
    expect(registered.url).toBe('https://switchyard.example.test/api/telegram/webhook');
    const root = await createUser(t, { username: 'root', isAdmin: true });
    admin = sessionClient(t, await signIn(t, root), 'root');
    // Point the bot's webhook here: Switchyard registers it with its secret token.
    const set = await body(await admin.fetch('/api/admin/notifications/telegram-bot', json({ bot_token: null }, { method: 'PUT' })));
    expect(set.json).toMatchObject({ ok: true, source: 'environment', webhook: 'set' });
    expect(tg.calls.filter((c) => c.method === 'setWebhook')).toHaveLength(2);
    expect(tg.webhook?.url).toBe('https://switchyard.example.test/api/telegram/webhook');
    webhookUrl = `${t.url}/api/telegram/webhook`;
    webhookSecret = tg.webhook!.secretToken!;
    recordSecret(webhookSecret);
    alice = await person('alice', INSTALLATION_A, 5_551);
    bob = await person('bob', INSTALLATION_B, 5_552);
    carol = await person('carol', INSTALLATION_A, 5_553);
    await linkTelegram(alice);
    await verifyEmail(alice);
    await linkTelegram(bob);
    await verifyEmail(bob);
  });

  afterAll(async () => {
    await t?.close();
    await tg?.close();
    await smtp?.close();
  });

  it('a notice reaches in-app, Telegram and email for a linked, verified person, and not a person of another installation; the same key twice sends once', async () => {
    const notice = { installationId: INSTALLATION_A, repositoryId: null, kind: 'budget.warning', title: 'Budget "daily" at 80%', body: 'Spent $4.00 of $5.00 today.', link: '/budgets', dedupeKey: 'budget:daily:2026-12-07:0.8' };
    await notify(t.app.db, notice);
    await notify(t.app.db, notice);
    const tgMessage = await until('the Telegram message', async () => tg.sentTo(alice.chatId).find((m) => m.text.includes('Budget "daily" at 80%')));
    expect(tgMessage.parseMode).toBe('HTML');
    expect(tgMessage.text).toContain('Spent $4.00 of $5.00 today.');
    expect(tgMessage.text).toContain(`${t.config.publicUrl}/budgets`);
    const mail = await until('the email', async () => smtp.to(alice.email).find((m) => m.subject === 'Budget "daily" at 80%'));
    expect(mail.text).toContain('Spent $4.00 of $5.00 today.');
    expect(mail.from).toBe('switchyard@example.test');

    const aliceInbox = await readJson(alice.client.fetch('/api/notifications'));
    expect(aliceInbox.items.map((n: { title: string }) => n.title)).toContain('Budget "daily" at 80%');
    const bobInbox = await readJson(bob.client.fetch('/api/notifications'));
    expect(bobInbox.items).toHaveLength(0);

    // A later notice for bob's installation arrives: by then anything wrongly meant for bob would have too.
    await notify(t.app.db, { installationId: INSTALLATION_B, repositoryId: null, kind: 'task.completed', title: 'Task done in B', body: 'Draft PR opened.', dedupeKey: 'task:b:1' });
    await until('bob’s Telegram message', async () => tg.sentTo(bob.chatId).find((m) => m.text.includes('Task done in B')));
    await until('bob’s email', async () => smtp.to(bob.email).find((m) => m.subject === 'Task done in B'));
    expect(tg.sentTo(bob.chatId).filter((m) => m.text.includes('Budget'))).toHaveLength(0);
    expect(smtp.to(bob.email).filter((m) => m.subject.includes('Budget'))).toHaveLength(0);
    expect(tg.sentTo(alice.chatId).filter((m) => m.text.includes('Task done in B'))).toHaveLength(0);
    // Carol sees installation A but linked nothing: in-app only.
    expect((await readJson(carol.client.fetch('/api/notifications'))).items.map((n: { title: string }) => n.title)).toContain('Budget "daily" at 80%');

    // Exactly one message per channel for the key used twice.
    expect(tg.sentTo(alice.chatId).filter((m) => m.text.includes('Budget "daily" at 80%'))).toHaveLength(1);
    expect(smtp.to(alice.email).filter((m) => m.subject === 'Budget "daily" at 80%')).toHaveLength(1);
    const rows = await until('both deliveries recorded as sent', async () => {
      const r = await deliveries('Budget "daily" at 80%');
      return r.every((x) => x.status === 'sent') && r;
    });
    expect(rows.map((r) => [r.user_id, r.channel, r.status]).sort()).toEqual([
      [alice.userId, 'email', 'sent'],
      [alice.userId, 'telegram', 'sent'],
    ]);
    const n = await t.app.db.kysely.selectFrom('notifications').select(['sent_telegram', 'sent_email']).where('dedupe_key', '=', notice.dedupeKey).executeTakeFirstOrThrow();
    expect([Boolean(n.sent_telegram), Boolean(n.sent_email)]).toEqual([true, true]);
  });

  it('the same key from many callers at once still makes one notice and one message per channel', async () => {
    const notice = { installationId: INSTALLATION_A, repositoryId: null, kind: 'budget.critical', title: 'Race at 100%', body: 'x', dedupeKey: 'budget:race:2026-12:1.0' };
    await Promise.all(Array.from({ length: 8 }, () => notify(t.app.db, notice)));
    await until('both messages', async () => tg.sentTo(alice.chatId).some((m) => m.text.includes('Race at 100%')) && smtp.to(alice.email).some((m) => m.subject === 'Race at 100%'));
    // A later notice arrives after anything a duplicate could have sent.
    await notify(t.app.db, { ...notice, title: 'After the race', dedupeKey: 'after-race' });
    await until('the later messages', async () => tg.sentTo(alice.chatId).some((m) => m.text.includes('After the race')) && smtp.to(alice.email).some((m) => m.subject === 'After the race'));
    expect(tg.sentTo(alice.chatId).filter((m) => m.text.includes('Race at 100%'))).toHaveLength(1);
    expect(smtp.to(alice.email).filter((m) => m.subject === 'Race at 100%')).toHaveLength(1);
    expect(await t.app.db.kysely.selectFrom('notifications').select('id').where('dedupe_key', '=', notice.dedupeKey).execute()).toHaveLength(1);
  });

  it('preferences: a channel turned off, or limited to other kinds, gets nothing', async () => {
    const put = await alice.client.fetch('/api/me/notification-channels/email/preferences', json({ enabled: true, kinds: ['budget.blocked'] }, { method: 'PUT' }));
    expect(put.status).toBe(200);
    await notify(t.app.db, { installationId: INSTALLATION_A, repositoryId: null, kind: 'task.completed', title: 'Task 7 done', body: 'ok', dedupeKey: 'task:a:7' });
    await until('the Telegram message', async () => tg.sentTo(alice.chatId).find((m) => m.text.includes('Task 7 done')));
    expect((await deliveries('Task 7 done')).map((r) => r.channel)).toEqual(['telegram']);
    await alice.client.fetch('/api/me/notification-channels/email/preferences', json({ enabled: true, kinds: null }, { method: 'PUT' }));
    expect((await channels(alice)).preferences).toEqual([
      { channel: 'telegram', enabled: true, kinds: null },
      { channel: 'email', enabled: true, kinds: null },
    ]);
  });

  it('Telegram 429: waits retry_after, then sends', async () => {
    tg.failNext('sendMessage', tooManyRequests(1));
    const callsBefore = tg.calls.length;
    await notify(t.app.db, { installationId: INSTALLATION_A, repositoryId: null, kind: 'budget.critical', title: 'Flood test', body: 'x', dedupeKey: 'flood:1' });
    const sent = await until('the message after the wait', async () => tg.sentTo(alice.chatId).find((m) => m.text.includes('Flood test')));
    const first = tg.calls.slice(callsBefore).find((c) => c.method === 'sendMessage')!;
    expect(sent.at - first.at).toBeGreaterThanOrEqual(1000);
    const row = await until('the delivery recorded as sent', async () => (await deliveries('Flood test')).find((r) => r.channel === 'telegram' && r.status === 'sent'));
    expect(row).toMatchObject({ status: 'sent', attempts: 1, last_error: null });
  });

  it('SMTP 4xx is retried with backoff; 5xx is dead, and an administrator can retry it', async () => {
    smtp.failNext({ code: 451, message: 'Try again later' });
    await notify(t.app.db, { installationId: INSTALLATION_A, repositoryId: null, kind: 'budget.warning', title: 'Greylisted', body: 'x', dedupeKey: 'grey:1' });
    await until('the email after a retry', async () => smtp.to(alice.email).find((m) => m.subject === 'Greylisted'));
    const grey = await until('the delivery recorded as sent', async () => (await deliveries('Greylisted')).find((r) => r.channel === 'email' && r.status === 'sent'));
    expect(grey).toMatchObject({ status: 'sent', attempts: 2 });
    expect(smtp.attempts.filter((a) => a.to.includes(alice.email)).map((a) => a.code).slice(-2)).toEqual([451, 250]);

    smtp.failNext({ code: 550, message: 'Mailbox unavailable' });
    await notify(t.app.db, { installationId: INSTALLATION_A, repositoryId: null, kind: 'budget.warning', title: 'Bounced', body: 'x', dedupeKey: 'bounce:1' });
    const dead = await until('the dead delivery', async () => (await deliveries('Bounced')).find((r) => r.channel === 'email' && r.status === 'dead'));
    expect(dead.attempts).toBe(1);
    expect(dead.last_error).toContain('550');
    expect(smtp.to(alice.email).filter((m) => m.subject === 'Bounced')).toHaveLength(0);

    // Alice sees her own deliveries; only an administrator may retry.
    const mine = await readJson(alice.client.fetch('/api/notification-deliveries?status=dead'));
    expect(mine.items.map((d: { id: string }) => d.id)).toContain(dead.id);
    expect((await readJson(bob.client.fetch('/api/notification-deliveries'))).items.every((d: { user_id: string }) => d.user_id === bob.userId)).toBe(true);
    expect((await alice.client.fetch(`/api/notification-deliveries/${dead.id}/retry`, { method: 'POST' })).status).toBe(403);
    expect((await admin.fetch(`/api/notification-deliveries/${dead.id}/retry`, { method: 'POST' })).status).toBe(200);
    await until('the retried email', async () => smtp.to(alice.email).find((m) => m.subject === 'Bounced'));
  });

  it('Telegram 403 (blocked): the chat is unlinked and the delivery is dead; email still arrives', async () => {
    tg.failNext('sendMessage', blockedByUser());
    await notify(t.app.db, { installationId: INSTALLATION_B, repositoryId: null, kind: 'budget.blocked', title: 'Blocked bot', body: 'x', dedupeKey: 'blocked:1' });
    const dead = await until('the dead Telegram delivery', async () => (await deliveries('Blocked bot')).find((r) => r.channel === 'telegram' && r.status === 'dead'));
    expect(dead.last_error).toContain('403');
    expect((await channels(bob)).telegram.linked).toBe(false);
    await until('the email', async () => smtp.to(bob.email).find((m) => m.subject === 'Blocked bot'));
    // Nothing more is queued for the unlinked chat.
    await notify(t.app.db, { installationId: INSTALLATION_B, repositoryId: null, kind: 'budget.blocked', title: 'After unlink', body: 'x', dedupeKey: 'blocked:2' });
    await until('the email', async () => smtp.to(bob.email).find((m) => m.subject === 'After unlink'));
    expect((await deliveries('After unlink')).map((r) => r.channel)).toEqual(['email']);
  });

  it('the webhook refuses a wrong or missing secret token and stores nothing', async () => {
    const before = await telegramReceipts();
    const update = textUpdate(9_999, '/start whatever');
    const wrong = await tg.deliver(update, { url: webhookUrl, secretToken: `${webhookSecret.slice(0, -1)}x` });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: string }).error).toBe('TELEGRAM_SECRET_INVALID');
    expect((await tg.deliver(update, { url: webhookUrl, secretToken: null })).status).toBe(401);
    expect(await telegramReceipts()).toBe(before);
    const stored = await t.app.db.kysely.selectFrom('event_receipts').select('id').where('delivery_id', 'like', `telegram:%:${update.update_id}`).execute();
    expect(stored).toHaveLength(0);
    // The right one is stored, once, with source telegram (a second delivery of it is a duplicate).
    expect((await tg.deliver(update, { url: webhookUrl, secretToken: webhookSecret })).status).toBe(200);
    expect(await (await tg.deliver(update, { url: webhookUrl, secretToken: webhookSecret })).json()).toMatchObject({ ok: true, status: 'duplicate' });
    expect(await telegramReceipts()).toBe(before + 1);
    await t.settle();
  });

  it('/start <code> links the chat once: the same code from another chat does nothing', async () => {
    const code = await startCode(carol);
    expect((await sendUpdate(carol.chatId, `/start ${code}`, 'carol_tg')).status).toBe(200);
    await until('carol linked', async () => (await channels(carol)).telegram.linked === true);
    const intruder = 7_777;
    expect((await sendUpdate(intruder, `/start ${code}`, 'mallory')).status).toBe(200);
    const reply = await until('the refusal', async () => tg.sentTo(intruder)[0]);
    expect(reply.text).toMatch(/not valid/);
    const linked = await t.app.db.kysely.selectFrom('notification_channels').select(['user_id', 'address']).where('channel', '=', 'telegram').where('user_id', '=', carol.userId).executeTakeFirstOrThrow();
    expect(linked.address).toBe(String(carol.chatId));
    expect(await t.app.db.kysely.selectFrom('notification_channels').select('user_id').where('address', '=', String(intruder)).execute()).toHaveLength(0);
    // `/stop` from the chat unlinks it.
    const before = tg.sentTo(carol.chatId).length;
    expect((await sendUpdate(carol.chatId, '/stop', 'carol_tg')).status).toBe(200);
    await until('carol unlinked', async () => (await channels(carol)).telegram.linked === false);
    expect((await until('the answer', async () => tg.sentTo(carol.chatId)[before])).text).toMatch(/^Unlinked\./);
    // Codes are stored hashed only.
    const stored = await sql<{ code_hash: string }>`select code_hash from notification_link_codes`.execute(t.app.db.kysely);
    for (const c of codes) expect(stored.rows.map((r) => r.code_hash)).not.toContain(c);
  });

  it('an email code is spent after five wrong tries, and a code works only for the person it was made for', async () => {
    const address = 'carol@example.test';
    expect((await carol.client.fetch('/api/me/notification-channels/email', json({ address }, { method: 'PUT' }))).status).toBe(202);
    const mail = await until('the code', async () => smtp.to(address)[0]);
    const code = /Your code is (\w+)/.exec(mail.text)![1]!;
    codes.push(code);
    recordSecret(code);
    // Alice cannot use carol's code.
    expect((await alice.client.fetch('/api/me/notification-channels/email/verify', json({ code }, { method: 'POST' }))).status).toBe(400);
    for (let i = 0; i < 5; i++) expect((await carol.client.fetch('/api/me/notification-channels/email/verify', json({ code: `wrong${i}zzzz` }, { method: 'POST' }))).status).toBe(400);
    const late = await body(await carol.client.fetch('/api/me/notification-channels/email/verify', json({ code }, { method: 'POST' })));
    expect(late).toMatchObject({ status: 400, json: { error: 'VERIFICATION_CODE_INVALID' } });
    expect((await channels(carol)).email).toMatchObject({ address: null, pending: null });
    expect((await channels(alice)).email.address).toBe(alice.email);
  });

  it('`switchyard notify test` sends to a person’s channels and says what happened', async () => {
    const lines: string[] = [];
    const io = { out: (x: string) => lines.push(x), err: (x: string) => lines.push(`error: ${x}`) };
    expect(await runNotifyTest(t.app, { user: 'alice' }, io)).toBe(0);
    expect(lines).toEqual(['alice email: sent', 'alice telegram: sent']);
    expect(tg.sentTo(alice.chatId).filter((m) => m.text.includes('Test notification for alice'))).toHaveLength(1);
    expect(smtp.to(alice.email).filter((m) => m.subject === 'Test notification for alice')).toHaveLength(1);

    lines.length = 0;
    smtp.failNext({ code: 554, message: 'Transaction failed' });
    expect(await runNotifyTest(t.app, { user: 'alice', channel: 'email' }, io)).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^alice email: not sent \(dead\): SMTP answered 554/);

    lines.length = 0;
    expect(await runNotifyTest(t.app, { user: 'nobody' }, io)).toBe(2);
    expect(await runNotifyTest(t.app, {}, io)).toBe(2); // root, the only administrator, linked nothing
    expect(lines).toEqual(['error: No user named nobody', 'error: root: no linked channel (link one on the account page)']);
  });

  it('no bot token, SMTP password, webhook secret or code appears in the logs', async () => {
    await t.app.webhooks.drain();
    const log = t.logs.join('');
    expect(log.length).toBeGreaterThan(0);
    expect(log).toContain('notification sent');
    for (const s of [tg.token, smtp.password, webhookSecret, ...codes]) expect(log.includes(s), `${s.slice(0, 6)}… in the log`).toBe(false);
  });
});
