/** Identifiers, tokens and timestamps in GitHub's formats. */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { recordSecret } from '../secret-ledger.js';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` random base-62 characters. */
export function base62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(BASE62.length)];
  return out;
}

/** `bytes` random bytes as lowercase hex. */
export function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** A token with a GitHub prefix (`ghs_` installation, `gho_` OAuth, `ghu_` user-to-server, `ghr_` refresh): 36 base-62 chars. */
export function githubToken(prefix: 'ghs' | 'gho' | 'ghu' | 'ghr'): string {
  const token = `${prefix}_${base62(36)}`;
  recordSecret(token);
  return token;
}

/** A webhook delivery GUID. */
export function deliveryGuid(): string {
  return randomUUID();
}

/** A legacy-format global node id, e.g. `MDQ6VXNlcjE=` for User 1. */
export function nodeId(type: string, id: number): string {
  return Buffer.from(`0${type.length}:${type}${id}`).toString('base64');
}

/** ISO 8601 without milliseconds, as GitHub prints timestamps (`2024-01-01T00:00:00Z`). */
export function isoSeconds(at: Date | number): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A GitHub-like request id (`X-GitHub-Request-Id`). */
export function requestId(): string {
  return [hex(2), hex(2), hex(3), hex(3), hex(4)].join(':').toUpperCase();
}
