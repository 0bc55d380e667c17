/**
 * Telegram through grammy's `Api` (the Bot API client without a bot loop: updates arrive at our
 * webhook and are stored as receipts). Every send's outcome is classified for the delivery runner:
 * 429 waits `retry_after`, 403 (blocked, kicked, deactivated) unlinks the chat, other 4xx are dead,
 * 5xx and network errors are retried. Error text never carries the token.
 */
import { Api, GrammyError, HttpError } from 'grammy';
import { scrubSecrets } from '../log/index.js';

export type SendOutcome =
  | { kind: 'sent' }
  | { kind: 'retry'; error: string; retryAfterMs?: number }
  | { kind: 'dead'; error: string }
  | { kind: 'unlink'; error: string };

export interface TelegramClient {
  /** The bot's id (the token's numeric prefix; not secret). */
  readonly botId: string;
  sendMessage(chatId: string, html: string): Promise<SendOutcome>;
  setWebhook(url: string, secretToken: string): Promise<void>;
  /** The bot's @username (for t.me links), or null when Telegram cannot be reached. */
  username(): Promise<string | null>;
}

/** The error text of a failed call, with the token removed. */
function describe(err: unknown, token: string): string {
  if (err instanceof GrammyError) return scrubSecrets(`Telegram answered ${err.error_code}: ${err.description}`, [token]);
  if (err instanceof HttpError) {
    const inner = err.error instanceof Error ? err.error.message : String(err.error);
    return scrubSecrets(`Telegram could not be reached: ${inner}`, [token]);
  }
  return scrubSecrets(err instanceof Error ? err.message : String(err), [token]);
}

/** Classifies a failed send. */
export function classifyTelegramError(err: unknown, token: string): Exclude<SendOutcome, { kind: 'sent' }> {
  const error = describe(err, token);
  if (err instanceof GrammyError) {
    if (err.error_code === 429) return { kind: 'retry', error, retryAfterMs: Math.max(1, err.parameters.retry_after ?? 1) * 1000 };
    if (err.error_code === 403) return { kind: 'unlink', error };
    if (err.error_code === 401 || err.error_code === 404) return { kind: 'retry', error }; // a wrong token: retried until an administrator fixes it
    if (err.error_code >= 400 && err.error_code < 500) return { kind: 'dead', error };
  }
  return { kind: 'retry', error };
}

/** A client for one bot token against `apiRoot` (Telegram's, a local Bot API server, or a fake). */
export function createTelegramClient(token: string, apiRoot: string): TelegramClient {
  const api = new Api(token, { apiRoot, timeoutSeconds: 30 });
  let cachedUsername: string | null = null;
  return {
    botId: token.split(':')[0] ?? 'bot',
    async sendMessage(chatId, html) {
      try {
        await api.sendMessage(chatId, html, { parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
        return { kind: 'sent' };
      } catch (err) {
        return classifyTelegramError(err, token);
      }
    },
    async setWebhook(url, secretToken) {
      try {
        await api.setWebhook(url, { secret_token: secretToken, allowed_updates: ['message'] });
      } catch (err) {
        throw new Error(describe(err, token));
      }
    },
    async username() {
      if (cachedUsername) return cachedUsername;
      try {
        const me = await api.getMe();
        cachedUsername = me.username;
        return cachedUsername;
      } catch {
        return null;
      }
    },
  };
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
/** Text for Telegram's HTML mode (quotes stay as they are outside attributes). */
const escapeHtml = (s: string) => s.replace(/[&<>]/g, (c) => escapes[c]!);
const escapeAttribute = (s: string) => s.replace(/[&<>"]/g, (c) => escapes[c]!);

/** A notification as a Telegram message (HTML; within Telegram's 4,096 characters). */
export function telegramText(n: { title: string; body: string; link: string | null }): string {
  const link = n.link ? `\n\n<a href="${escapeAttribute(n.link)}">Open in Switchyard</a>` : '';
  const title = `<b>${escapeHtml(n.title.slice(0, 300))}</b>\n\n`;
  return `${title}${escapeHtml(n.body.slice(0, 4096 - title.length - link.length - 50))}${link}`;
}
