/**
 * Bearer secrets (session tokens, personal API tokens, recovery codes): 256 random bits, shown to
 * their owner once; only a SHA-256 hash is stored, so a database leak yields nothing usable.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** Prefixes make a leaked token recognisable to secret scanners. */
export const SESSION_PREFIX = 'sys_';
export const API_TOKEN_PREFIX = 'syp_';

export function newToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Ten recovery codes, `xxxxx-xxxxx` from an unambiguous alphabet (49.5 random bits each). */
export function newRecoveryCodes(count = 10): string[] {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789'; // 31 symbols, no 0/o/1/l/i
  return Array.from({ length: count }, () => {
    const chars = Array.from({ length: 10 }, () => alphabet[randomInt(alphabet.length)]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5, 10)}`;
  });
}

/** Recovery codes are compared case- and dash-insensitively. */
export function normaliseRecoveryCode(code: string): string {
  return code.trim().toLowerCase().replace(/[\s-]/g, '');
}

/** Compares two secrets in constant time (whatever their lengths). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
