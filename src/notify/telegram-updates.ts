/**
 * What the bot does with an update (an automation on stored `telegram` receipts, run as a job):
 * `/start <code>` links the chat to the person the code was made for (once: the code is spent in
 * the same transaction), `/stop` unlinks it. Anything else gets a short help text. Replies are
 * best effort: the link holds whether or not the reply arrives.
 */
import type { EventContext } from '../automations/registry.js';
import type { Database } from '../db/index.js';
import type { Logger } from '../log/index.js';
import { codeHash } from './link-codes.js';
import { linkChannel, unlinkTelegramChat, useLinkCode } from './repo.js';
import type { TelegramClient } from './telegram.js';

export interface TelegramUpdateDeps {
  db: Database;
  log: Logger;
  telegram(): Promise<TelegramClient | null>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const START = /^\/start(?:@\w+)?(?:\s+(\S+))?\s*$/;
const STOP = /^\/stop(?:@\w+)?\s*$/;

/** Handles one stored update. Safe to run twice: a spent code links nothing the second time. */
export async function handleTelegramUpdate(deps: TelegramUpdateDeps, ctx: EventContext): Promise<void> {
  const message = isObj(ctx.payload.message) ? ctx.payload.message : null;
  const chat = message && isObj(message.chat) ? message.chat : null;
  const text = message && typeof message.text === 'string' ? message.text.trim() : null;
  if (!chat || (typeof chat.id !== 'number' && typeof chat.id !== 'string') || text === null) return;
  const chatId = String(chat.id);
  const from = isObj(message!.from) ? message!.from : null;
  const label = from && typeof from.username === 'string' ? `@${from.username}` : typeof chat.title === 'string' ? chat.title : null;
  const reply = async (t: string) => {
    const telegram = await deps.telegram();
    const outcome = telegram ? await telegram.sendMessage(chatId, t) : null;
    if (outcome && outcome.kind !== 'sent') deps.log.warn({ err: outcome.error }, 'could not answer a Telegram message');
  };

  const start = START.exec(text);
  if (start) {
    const code = start[1];
    if (!code) return reply('Hello! To get Switchyard notifications here, open your account page in Switchyard, choose “Link Telegram”, and send the command it shows.');
    if (chat.type !== undefined && chat.type !== 'private') return reply('Link Switchyard from a private chat with this bot.');
    const linked = await deps.db.kysely.transaction().execute(async (tx) => {
      const owner = await useLinkCode(tx, { codeHash: codeHash(code), channel: 'telegram' });
      if (!owner) return null;
      await linkChannel(tx, { userId: owner.userId, channel: 'telegram', address: chatId, label });
      return owner;
    });
    if (!linked) {
      deps.log.info({ receiptId: ctx.receiptId }, 'a Telegram link code was refused (wrong, used or expired)');
      return reply('That link code is not valid (it was used, or it expired). Ask for a new one on your Switchyard account page.');
    }
    deps.log.info({ userId: linked.userId, receiptId: ctx.receiptId }, 'Telegram chat linked');
    return reply('Linked. Switchyard will send your notifications here. Send /stop to unlink this chat.');
  }
  if (STOP.test(text)) {
    return reply((await unlinkTelegramChat(deps.db, chatId)) ? 'Unlinked. Switchyard will not send notifications here any more.' : 'This chat is not linked to Switchyard.');
  }
}
