/**
 * Linking notification channels in tests, as a person does it through the API: a Telegram chat by
 * `/start <code>` through the fake Bot API's webhook call, an email address by the code the local
 * SMTP server received. Codes are recorded in the secret ledger (they must never be logged).
 */
import { expect } from 'vitest';
import type { TestApp } from './app.js';
import { textUpdate, type FakeTelegram } from './fake-telegram/index.js';
import { recordSecret } from './secret-ledger.js';
import type { TestSmtpServer } from './smtp/index.js';
import { json, type Client } from './users.js';
import { until } from './wait.js';

/** Registers the bot's webhook (as the operator), so the fake knows Switchyard's URL and secret token. */
export async function pointTelegramWebhook(t: TestApp, tg: FakeTelegram): Promise<void> {
  const res = await t.api('/api/admin/notifications/telegram-bot', json({ bot_token: null }, { method: 'PUT' }));
  expect(res.status).toBe(200);
  expect(tg.webhook?.secretToken).toBeTruthy();
  recordSecret(tg.webhook!.secretToken);
}

/** Links `chatId` to the person `client` signs in as; returns the link code it used. */
export async function linkTelegramChat(t: TestApp, client: Client, tg: FakeTelegram, chatId: number, username = 'someone_tg'): Promise<string> {
  if (!tg.webhook) await pointTelegramWebhook(t, tg);
  const res = await client.fetch('/api/me/notification-channels/telegram/link-code', { method: 'POST' });
  expect(res.status, await res.clone().text()).toBe(201);
  const { code } = (await res.json()) as { code: string };
  recordSecret(code);
  const posted = await tg.deliver(textUpdate(chatId, `/start ${code}`, username), { url: `${t.url}/api/telegram/webhook` });
  expect(posted.status).toBe(200);
  await until('the chat linked', async () => ((await (await client.fetch('/api/me/notification-channels')).json()) as { telegram: { linked: boolean } }).telegram.linked);
  return code;
}

/** Sets and verifies `address` for the person `client` signs in as; returns the code it used. */
export async function verifyEmailAddress(client: Client, smtp: TestSmtpServer, address: string): Promise<string> {
  const before = smtp.to(address).length;
  const res = await client.fetch('/api/me/notification-channels/email', json({ address }, { method: 'PUT' }));
  expect(res.status, await res.clone().text()).toBe(202);
  const mail = await until('the verification email', async () => smtp.to(address)[before]);
  const code = /Your code is (\w+)/.exec(mail.text)?.[1];
  expect(code, 'a code in the verification email').toBeTruthy();
  recordSecret(code);
  const ok = await client.fetch('/api/me/notification-channels/email/verify', json({ code }, { method: 'POST' }));
  expect(ok.status, await ok.clone().text()).toBe(200);
  return code!;
}
