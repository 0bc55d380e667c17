/**
 * A fake Telegram Bot API at grammy's `apiRoot`: `POST /bot<token>/<method>` with a JSON body, the
 * answers shaped by @grammyjs/types. It knows getMe, sendMessage, setWebhook and deleteWebhook;
 * a test scripts failures per method (`failNext('sendMessage', tooManyRequests(1))`), reads what was
 * sent, and can play Telegram's side of the webhook (`deliver(update)` posts to the webhook URL with
 * the secret token Switchyard registered).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Message, Update, User, UserFromGetMe } from '@grammyjs/types';

export interface FakeFailure {
  status: number;
  body: { ok: false; error_code: number; description: string; parameters?: { retry_after?: number } };
}

/** 429 with `retry_after` seconds, as Telegram answers a flood. */
export const tooManyRequests = (retryAfter: number): FakeFailure => ({
  status: 429,
  body: { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } },
});

/** 403: the person blocked the bot. */
export const blockedByUser = (): FakeFailure => ({ status: 403, body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' } });

export interface SentMessage {
  chatId: string;
  text: string;
  parseMode: string | undefined;
  at: number;
}

export interface FakeTelegram {
  apiRoot: string;
  token: string;
  botUsername: string;
  sent: SentMessage[];
  /** Every call, method by method, with when it arrived (including failed ones). */
  calls: Array<{ method: string; at: number }>;
  webhook: { url: string; secretToken: string | undefined } | null;
  failNext(method: string, ...failures: FakeFailure[]): void;
  /** Messages sent to one chat. */
  sentTo(chatId: string | number): SentMessage[];
  /**
   * Posts an update to a webhook as Telegram would: to `url` (default: the registered one) with the
   * registered secret token (`secretToken` overrides it; null sends none).
   */
  deliver(update: Update, o?: { url?: string; secretToken?: string | null }): Promise<Response>;
  close(): Promise<void>;
}

const bot = (id: number, username: string): UserFromGetMe => ({
  id,
  is_bot: true,
  first_name: 'Switchyard test bot',
  username,
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
}) as UserFromGetMe;

export async function startFakeTelegram(opts: { token?: string } = {}): Promise<FakeTelegram> {
  const botId = 7_000_000 + Math.floor(Math.random() * 1_000_000);
  const token = opts.token ?? `${botId}:AAF${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}x`;
  const botUsername = 'switchyard_test_bot';
  const failures = new Map<string, FakeFailure[]>();
  const sent: SentMessage[] = [];
  const calls: Array<{ method: string; at: number }> = [];
  let messageId = 1;
  const state: { webhook: FakeTelegram['webhook'] } = { webhook: null };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
      if (!m || req.method !== 'POST') return answer(404, { ok: false, error_code: 404, description: 'Not Found' });
      if (m[1] !== token) return answer(401, { ok: false, error_code: 401, description: 'Unauthorized' });
      const method = m[2]!;
      calls.push({ method, at: Date.now() });
      let params: Record<string, unknown> = {};
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        params = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        return answer(400, { ok: false, error_code: 400, description: 'Bad Request: invalid JSON' });
      }
      const failure = failures.get(method)?.shift();
      if (failure) return answer(failure.status, failure.body);
      switch (method) {
        case 'getMe':
          return answer(200, { ok: true, result: bot(botId, botUsername) });
        case 'setWebhook':
          state.webhook = { url: String(params.url), secretToken: typeof params.secret_token === 'string' ? params.secret_token : undefined };
          return answer(200, { ok: true, result: true, description: 'Webhook was set' });
        case 'deleteWebhook':
          state.webhook = null;
          return answer(200, { ok: true, result: true });
        case 'sendMessage': {
          if (params.chat_id === undefined || typeof params.text !== 'string' || params.text === '') return answer(400, { ok: false, error_code: 400, description: 'Bad Request: message text is empty' });
          if (params.text.length > 4096) return answer(400, { ok: false, error_code: 400, description: 'Bad Request: message is too long' });
          sent.push({ chatId: String(params.chat_id), text: params.text, parseMode: typeof params.parse_mode === 'string' ? params.parse_mode : undefined, at: Date.now() });
          const message: Message.TextMessage = {
            message_id: messageId++,
            date: Math.floor(Date.now() / 1000),
            chat: { id: Number(params.chat_id), type: 'private', first_name: 'Test' },
            from: bot(botId, botUsername) as User,
            text: params.text,
          };
          return answer(200, { ok: true, result: message });
        }
        default:
          return answer(404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    botUsername,
    sent,
    calls,
    get webhook() {
      return state.webhook;
    },
    failNext(method, ...f) {
      failures.set(method, [...(failures.get(method) ?? []), ...f]);
    },
    sentTo: (chatId) => sent.filter((s) => s.chatId === String(chatId)),
    async deliver(update, o = {}) {
      if (!state.webhook) throw new Error('no webhook is set');
      const header = o.secretToken === undefined ? state.webhook.secretToken : o.secretToken;
      return fetch(o.url ?? state.webhook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(header ? { 'x-telegram-bot-api-secret-token': header } : {}) },
        body: JSON.stringify(update),
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let nextUpdateId = 100_000;
/** A private text message from a person, as Telegram delivers it. */
export function textUpdate(chatId: number, text: string, username = 'alice_tg'): Update {
  const from: User = { id: chatId, is_bot: false, first_name: 'Alice', username };
  return {
    update_id: nextUpdateId++,
    message: { message_id: nextUpdateId, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: 'private', first_name: 'Alice', username }, from, text },
  } as Update;
}
