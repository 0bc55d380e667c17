/**
 * Verifies a GitHub App JWT the way GitHub does: RS256, signed with the private key of the app named
 * by `iss` (the app id, as a number or string, or the app's client id), `iat`/`exp` sane. The error
 * messages are GitHub's own; @octokit/auth-app matches on the `iat`/`exp` ones to correct clock skew.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** GitHub's messages for rejected app JWTs. */
export const JWT_MESSAGES = {
  undecodable: 'A JSON web token could not be decoded',
  expired: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
  tooFar: "'Expiration time' claim ('exp') is too far in the future",
  issuedInFuture: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
} as const;

/** Seconds of clock drift tolerated on `iat` and `exp`. */
const SLACK_SECONDS = 60;
/** GitHub's maximum JWT lifetime. */
const MAX_LIFETIME_SECONDS = 600;

export type JwtVerdict<App> = { ok: true; app: App } | { ok: false; message: string };

function decodeSegment(segment: string | undefined): Record<string, unknown> | undefined {
  if (!segment) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** True when the string has the shape of a JWT (three base64url segments, JSON header). */
export function looksLikeJwt(token: string): boolean {
  const parts = token.split('.');
  return parts.length === 3 && token.startsWith('eyJ') && parts.every((p) => /^[A-Za-z0-9_-]*$/.test(p));
}

/**
 * Verifies `token`. `findApp(iss)` returns the app (and its public key) for an `iss` claim value,
 * or undefined. `nowSeconds` is the server's clock.
 */
export function verifyAppJwt<App>(
  token: string,
  findApp: (iss: string) => { app: App; publicKey: KeyObject } | undefined,
  nowSeconds = Math.floor(Date.now() / 1000),
): JwtVerdict<App> {
  const [headerPart, payloadPart, signaturePart] = token.split('.');
  const header = decodeSegment(headerPart);
  const payload = decodeSegment(payloadPart);
  if (!header || !payload || signaturePart === undefined || header.alg !== 'RS256') return { ok: false, message: JWT_MESSAGES.undecodable };
  const iss = payload.iss;
  if (typeof iss !== 'string' && typeof iss !== 'number') return { ok: false, message: JWT_MESSAGES.undecodable };
  const found = findApp(String(iss));
  if (!found) return { ok: false, message: JWT_MESSAGES.undecodable };
  const signed = Buffer.from(`${headerPart}.${payloadPart}`);
  const signature = Buffer.from(signaturePart, 'base64url');
  if (!verify('RSA-SHA256', signed, found.publicKey, signature)) return { ok: false, message: JWT_MESSAGES.undecodable };
  const { iat, exp } = payload;
  if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > nowSeconds + SLACK_SECONDS) return { ok: false, message: JWT_MESSAGES.issuedInFuture };
  if (typeof exp !== 'number' || !Number.isInteger(exp) || exp <= nowSeconds - SLACK_SECONDS) return { ok: false, message: JWT_MESSAGES.expired };
  if (exp > nowSeconds + MAX_LIFETIME_SECONDS + SLACK_SECONDS || exp - iat > MAX_LIFETIME_SECONDS + SLACK_SECONDS) {
    return { ok: false, message: JWT_MESSAGES.tooFar };
  }
  return { ok: true, app: found.app };
}

/** The public half of a PEM private key (PKCS#1 or PKCS#8). */
export function publicKeyFromPrivatePem(privateKeyPem: string): KeyObject {
  return createPublicKey(privateKeyPem);
}
