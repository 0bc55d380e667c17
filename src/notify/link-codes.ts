/**
 * One-time codes that prove a channel is the person's: `/start <code>` sent to the bot from the
 * chat to link, or the code mailed to the address to verify. Only a SHA-256 of each code is
 * stored; a code expires, works once, and asking for a new one replaces the old.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { hashToken } from '../identity/index.js';

export const TELEGRAM_CODE_MINUTES = 15;
export const EMAIL_CODE_MINUTES = 30;

/** A Telegram deep-link payload: 32 characters of [A-Za-z0-9_-] (what `/start` accepts). */
export function newTelegramCode(): string {
  return randomBytes(24).toString('base64url');
}

const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o/1/l/i

/** An email code a person can type: 10 characters, about 50 random bits (five wrong tries spend it). */
export function newEmailCode(): string {
  let s = '';
  for (let i = 0; i < 10; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

/** What is stored for a code. */
export function codeHash(code: string): string {
  return hashToken(code.trim().toLowerCase());
}

export const expiresIn = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
