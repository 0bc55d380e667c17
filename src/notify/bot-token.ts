/**
 * The Telegram bot token: TELEGRAM_BOT_TOKEN when set (the environment wins), otherwise the one an
 * administrator stored, sealed with the SecretBox in `notification_settings` (re-read every 30 s, so
 * every process follows a change; at once in the process that saved it). The webhook's secret
 * token is derived from the bot token with the box's MAC key, so it needs no setting of its own.
 */
import type { Database } from '../db/index.js';
import type { SecretBox } from '../identity/index.js';
import { sameSecret } from '../identity/index.js';
import { getSetting, putSetting } from './repo.js';
import { createTelegramClient, type TelegramClient } from './telegram.js';

const SETTING = 'telegram_bot_token';
/** The associated data the token is sealed under (the column, as every sealed column). */
export const SEALED_COLUMN = 'notification_settings.value';
const REREAD_MS = 30_000;
const WEBHOOK_PURPOSE = 'telegram-webhook';

export interface BotTokenSource {
  /** The current token (null: Telegram is not set up). */
  current(): Promise<string | null>;
  /** A client for the current token. */
  client(): Promise<TelegramClient | null>;
  /** Where the token comes from. */
  source(): Promise<'environment' | 'settings' | null>;
  /** Stores (or with null removes) the administrator's token. */
  save(token: string | null): Promise<void>;
  /** The secret Telegram must send in X-Telegram-Bot-Api-Secret-Token for this token. */
  webhookSecret(token: string): string;
  /** True when `header` is the webhook secret of `token` (under any configured key), compared in constant time. */
  checkWebhookSecret(token: string, header: string): boolean;
}

export function createBotTokenSource(deps: { db: Database; box: SecretBox; envToken: string | undefined; apiRoot: string }): BotTokenSource {
  const { db, box } = deps;
  let stored: { token: string | null; at: number } | null = null;
  let cached: { token: string; client: TelegramClient } | null = null;

  async function fromSettings(): Promise<string | null> {
    if (stored && Date.now() - stored.at < REREAD_MS) return stored.token;
    const sealed = await getSetting(db, SETTING);
    stored = { token: sealed ? box.open(sealed, SEALED_COLUMN) : null, at: Date.now() };
    return stored.token;
  }

  const current = async () => deps.envToken ?? (await fromSettings());
  return {
    current,
    async client() {
      const token = await current();
      if (!token) return null;
      if (cached?.token !== token) cached = { token, client: createTelegramClient(token, deps.apiRoot) };
      return cached.client;
    },
    async source() {
      if (deps.envToken) return 'environment';
      return (await fromSettings()) ? 'settings' : null;
    },
    async save(token) {
      await putSetting(db, SETTING, token === null ? null : box.seal(token, SEALED_COLUMN));
      stored = { token, at: Date.now() };
    },
    webhookSecret: (token) => box.mac(WEBHOOK_PURPOSE, token),
    checkWebhookSecret(token, header) {
      // Every candidate is compared, so the time taken does not say which one matched.
      let ok = false;
      for (const expected of box.macs(WEBHOOK_PURPOSE, token)) ok = sameSecret(expected, header) || ok;
      return ok;
    },
  };
}
