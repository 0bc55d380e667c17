/**
 * `POST /api/telegram/webhook`: the bot's updates, as Telegram's webhook sends them. Reads top to
 * bottom: bot set up? → secret token header (constant time) → JSON object with an update id →
 * stored as a receipt with source `telegram` (the webhooks slice's store: committed = acknowledged,
 * processed later by a job) → 200. A wrong or missing secret token stores nothing.
 */
import type { FastifyInstance } from 'fastify';
import { nowIso } from '../db/index.js';
import type { IncomingDelivery, StoreResult } from '../webhooks/index.js';
import type { BotTokenSource } from './bot-token.js';
import { TelegramNotConfigured, TelegramSecretInvalid, TelegramUpdateInvalid } from './errors.js';

/** The event name Telegram updates are stored under (the automation registry's selector). */
export const TELEGRAM_EVENT = 'telegram';
const BODY_LIMIT = 1024 * 1024;

export interface TelegramWebhookDeps {
  tokens: BotTokenSource;
  store(delivery: IncomingDelivery): Promise<StoreResult>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The kind of update (`message`, `edited_message`, `my_chat_member`, …): its one key besides update_id. */
function updateKind(u: Obj): string | null {
  return Object.keys(u).find((k) => k !== 'update_id') ?? null;
}

export async function telegramWebhookRoute(app: FastifyInstance, deps: TelegramWebhookDeps): Promise<void> {
  // The raw bytes are stored as received.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));

  app.post('/api/telegram/webhook', { bodyLimit: BODY_LIMIT, config: { auth: 'none' }, schema: { hide: true } }, async (req, reply) => {
    const token = await deps.tokens.current();
    if (!token) throw new TelegramNotConfigured();
    const header = req.headers['x-telegram-bot-api-secret-token'];
    if (typeof header !== 'string' || header === '' || !deps.tokens.checkWebhookSecret(token, header)) throw new TelegramSecretInvalid();
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let update: unknown;
    try {
      update = JSON.parse(body.toString('utf8'));
    } catch {
      throw new TelegramUpdateInvalid('the body is not JSON');
    }
    if (!isObj(update) || typeof update.update_id !== 'number' || !Number.isSafeInteger(update.update_id)) throw new TelegramUpdateInvalid('the body is not a Telegram update (no update_id)');
    const message = isObj(update.message) ? update.message : null;
    const from = message && isObj(message.from) ? message.from : null;
    const chat = message && isObj(message.chat) ? message.chat : null;
    const result = await deps.store({
      source: 'telegram',
      // Update ids count per bot: the bot's id keeps two bots' updates apart.
      deliveryId: `telegram:${token.split(':')[0]}:${update.update_id}`,
      eventType: TELEGRAM_EVENT,
      headers: { 'content-type': 'application/json' },
      body,
      fields: {
        action: updateKind(update),
        installationId: null,
        repository: null,
        actor: from && typeof from.username === 'string' ? from.username.slice(0, 100) : null,
        targetObjectIds: chat && (typeof chat.id === 'number' || typeof chat.id === 'string') ? { chat: chat.id } : {},
        githubTimestamp: message && typeof message.date === 'number' ? new Date(message.date * 1000).toISOString() : null,
      },
      receivedAt: nowIso(),
    });
    return reply.code(200).send({ ok: true, status: result.status });
  });
}
