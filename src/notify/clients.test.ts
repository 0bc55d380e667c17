/**
 * The Telegram and email clients against real servers (the fake Bot API, a local SMTP server, a
 * closed port): how each failure is classified, and that no error text carries the bot token or
 * the SMTP password.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockedByUser, startFakeTelegram, tooManyRequests, type FakeTelegram } from '../../test/support/fake-telegram/index.js';
import { recordSecret } from '../../test/support/secret-ledger.js';
import { startSmtpServer, type TestSmtpServer } from '../../test/support/smtp/index.js';
import { createEmailClient } from './email.js';
import { createTelegramClient, telegramText } from './telegram.js';

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('Telegram client', () => {
  let tg: FakeTelegram;
  beforeAll(async () => {
    tg = await startFakeTelegram();
    recordSecret(tg.token);
  });
  afterAll(async () => tg.close());

  it('sends HTML, and classifies 429 (wait retry_after), 403 (unlink), 400 (dead) and a wrong token (retry)', async () => {
    const client = createTelegramClient(tg.token, tg.apiRoot);
    expect(await client.sendMessage('42', telegramText({ title: 'a < b & "c"', body: 'x', link: 'https://example.test/?a=1&b="2"' }))).toEqual({ kind: 'sent' });
    expect(tg.sentTo(42)[0]!.text).toBe('<b>a &lt; b &amp; "c"</b>\n\nx\n\n<a href="https://example.test/?a=1&amp;b=&quot;2&quot;">Open in Switchyard</a>');
    tg.failNext('sendMessage', tooManyRequests(7));
    expect(await client.sendMessage('42', 'x')).toMatchObject({ kind: 'retry', retryAfterMs: 7000 });
    tg.failNext('sendMessage', blockedByUser());
    expect(await client.sendMessage('42', 'x')).toMatchObject({ kind: 'unlink', error: 'Telegram answered 403: Forbidden: bot was blocked by the user' });
    expect(await client.sendMessage('42', 'x'.repeat(5000))).toMatchObject({ kind: 'dead' });
    const wrong = createTelegramClient(`${tg.token.split(':')[0]}:AAFwrongwrongwrongwrongwrong`, tg.apiRoot);
    expect(await wrong.sendMessage('42', 'x')).toMatchObject({ kind: 'retry', error: 'Telegram answered 401: Unauthorized' });
    expect(await client.username()).toBe(tg.botUsername);
  });

  it('an unreachable Bot API is retried, and the error does not carry the token', async () => {
    const client = createTelegramClient(tg.token, `http://127.0.0.1:${await closedPort()}`);
    const outcome = await client.sendMessage('42', 'x');
    expect(outcome.kind).toBe('retry');
    expect(JSON.stringify(outcome)).not.toContain(tg.token);
    expect(JSON.stringify(outcome)).not.toContain(tg.token.split(':')[1]);
  });
});

describe('email client', () => {
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    recordSecret(smtp.password);
  });
  afterAll(async () => smtp.close());

  const config = (password: string, port = smtp.port) => ({ host: '127.0.0.1', port, secure: false, user: smtp.user, password, from: 'Switchyard <s@example.test>' });

  it('sends; 4xx is retried, 5xx is dead', async () => {
    const client = createEmailClient(config(smtp.password));
    expect(await client.send({ to: 'a@example.test', subject: 'Hi\r\nBcc: x@example.test', text: 'body' })).toEqual({ kind: 'sent' });
    expect(smtp.to('a@example.test')[0]).toMatchObject({ subject: 'Hi Bcc: x@example.test', text: 'body\n' });
    expect(smtp.to('x@example.test')).toHaveLength(0);
    smtp.failNext({ code: 452, message: 'Insufficient system storage' });
    expect(await client.send({ to: 'a@example.test', subject: 's', text: 't' })).toMatchObject({ kind: 'retry', error: expect.stringContaining('452') });
    smtp.failNext({ code: 552, message: 'Message too big' });
    expect(await client.send({ to: 'a@example.test', subject: 's', text: 't' })).toMatchObject({ kind: 'dead', error: expect.stringContaining('552') });
    client.close();
  });

  it('a refused login and an unreachable server are retried, and the error does not carry the password', async () => {
    const wrong = `${smtp.password}-wrong`;
    recordSecret(wrong);
    const refused = await createEmailClient(config(wrong)).send({ to: 'a@example.test', subject: 's', text: 't' });
    expect(refused.kind).toBe('dead'); // 535: authentication failed is a 5xx
    expect(JSON.stringify(refused)).not.toContain(wrong);
    const down = await createEmailClient(config(smtp.password, await closedPort())).send({ to: 'a@example.test', subject: 's', text: 't' });
    expect(down.kind).toBe('retry');
    expect(JSON.stringify(down)).not.toContain(smtp.password);
  });
});
