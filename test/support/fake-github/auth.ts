/**
 * Authentication as GitHub's REST API does it: the `Authorization` header's credential is
 * classified (app JWT, installation token, user token, basic, none) and each route demands one kind,
 * answering with GitHub's own 401/403 messages otherwise.
 */
import { githubError, HttpError } from './http-kit.js';
import { JWT_MESSAGES, looksLikeJwt, verifyAppJwt } from './jwt.js';
import type { AppRecord, FakeState, InstallationRecord, InstallationTokenRecord, UserTokenRecord } from './state.js';

export type AuthKind = 'jwt' | 'installation' | 'user' | 'basic' | 'none';

export interface Credentials {
  kind: AuthKind;
  /** The bearer/token value (JWT or token), when kind is jwt/installation/user. */
  token?: string;
  basic?: { username: string; password: string };
}

/** Classifies an `Authorization` header (`Bearer x`, `token x`, `Basic x`; case-insensitive scheme). */
export function parseAuthorization(header: string | undefined): Credentials {
  if (!header) return { kind: 'none' };
  const match = /^(\S+)\s+(.+)$/.exec(header.trim());
  if (!match) return { kind: 'none' };
  const scheme = (match[1] ?? '').toLowerCase();
  const value = (match[2] ?? '').trim();
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return { kind: 'basic', basic: { username: colon < 0 ? decoded : decoded.slice(0, colon), password: colon < 0 ? '' : decoded.slice(colon + 1) } };
  }
  if (scheme !== 'bearer' && scheme !== 'token') return { kind: 'none' };
  if (looksLikeJwt(value)) return { kind: 'jwt', token: value };
  if (value.startsWith('ghs_')) return { kind: 'installation', token: value };
  return { kind: 'user', token: value };
}

const BAD_CREDENTIALS = 'Bad credentials';
const REQUIRES_AUTH = 'Requires authentication';

/** The app a valid JWT authenticates; otherwise throws GitHub's 401. */
export function requireAppJwt(state: FakeState, creds: Credentials, docsUrl: string): AppRecord {
  if (creds.kind === 'none') throw new HttpError(githubError(401, REQUIRES_AUTH, docsUrl));
  if (creds.kind !== 'jwt' || !creds.token) throw new HttpError(githubError(401, JWT_MESSAGES.undecodable, docsUrl));
  const verdict = verifyAppJwt(creds.token, (iss) => {
    const app = state.findAppByIssuer(iss);
    return app ? { app, publicKey: app.publicKey } : undefined;
  });
  if (!verdict.ok) throw new HttpError(githubError(401, verdict.message, docsUrl));
  return verdict.app;
}

/** The live installation token record (and its installation); otherwise throws GitHub's 401/403. */
export function requireInstallationToken(
  state: FakeState,
  creds: Credentials,
  docsUrl: string,
  wrongKindMessage: string,
): { token: InstallationTokenRecord; installation: InstallationRecord } {
  if (creds.kind === 'none') throw new HttpError(githubError(401, REQUIRES_AUTH, docsUrl));
  if (creds.kind === 'installation' && creds.token) {
    const token = state.installationTokens.get(creds.token);
    const installation = token ? state.installations.get(token.installationId) : undefined;
    if (!token || !installation || token.expiresAt <= Date.now()) throw new HttpError(githubError(401, BAD_CREDENTIALS, docsUrl));
    return { token, installation };
  }
  if (creds.kind === 'jwt') {
    // A valid JWT is the wrong credential here (403); an invalid one is rejected as such (401).
    requireAppJwt(state, creds, docsUrl);
    throw new HttpError(githubError(403, wrongKindMessage, docsUrl));
  }
  if (creds.kind === 'user' && creds.token && liveUserToken(state, creds.token)) throw new HttpError(githubError(403, wrongKindMessage, docsUrl));
  throw new HttpError(githubError(401, BAD_CREDENTIALS, docsUrl));
}

function liveUserToken(state: FakeState, token: string): UserTokenRecord | undefined {
  const record = state.userTokens.get(token);
  if (!record || (record.expiresAt !== null && record.expiresAt <= Date.now())) return undefined;
  return state.apps.has(record.appId) ? record : undefined;
}

/** The live user token record; otherwise throws GitHub's 401/403. */
export function requireUserToken(state: FakeState, creds: Credentials, docsUrl: string, wrongKindMessage: string): UserTokenRecord {
  if (creds.kind === 'none') throw new HttpError(githubError(401, REQUIRES_AUTH, docsUrl));
  if (creds.kind === 'user' && creds.token) {
    const record = liveUserToken(state, creds.token);
    if (!record) throw new HttpError(githubError(401, BAD_CREDENTIALS, docsUrl));
    return record;
  }
  if (creds.kind === 'installation' && creds.token) {
    const token = state.installationTokens.get(creds.token);
    if (token && token.expiresAt > Date.now() && state.installations.has(token.installationId)) {
      throw new HttpError(githubError(403, wrongKindMessage, docsUrl));
    }
  }
  if (creds.kind === 'jwt') {
    requireAppJwt(state, creds, docsUrl);
    throw new HttpError(githubError(403, wrongKindMessage, docsUrl));
  }
  throw new HttpError(githubError(401, BAD_CREDENTIALS, docsUrl));
}

/**
 * For endpoints that need no authentication: GitHub still rejects credentials that are present but
 * invalid (401 "Bad credentials", or the JWT's own message).
 */
export function rejectInvalidCredentials(state: FakeState, creds: Credentials, docsUrl: string): void {
  if (creds.kind === 'none') return;
  if (creds.kind === 'jwt') {
    requireAppJwt(state, creds, docsUrl);
    return;
  }
  if (creds.kind === 'installation' && creds.token) {
    const token = state.installationTokens.get(creds.token);
    if (token && token.expiresAt > Date.now() && state.installations.has(token.installationId)) return;
  }
  if (creds.kind === 'user' && creds.token && liveUserToken(state, creds.token)) return;
  throw new HttpError(githubError(401, BAD_CREDENTIALS, docsUrl));
}

/**
 * The rate-limit bucket a request counts against: per installation, per user token, per app JWT,
 * or the caller's address for anything unauthenticated or invalid (GitHub's 60/hour bucket).
 */
export function rateLimitBucket(state: FakeState, creds: Credentials): { key: string; authenticated: boolean } {
  if (creds.kind === 'installation' && creds.token) {
    const token = state.installationTokens.get(creds.token);
    if (token && token.expiresAt > Date.now()) return { key: `installation:${token.installationId}`, authenticated: true };
  }
  if (creds.kind === 'user' && creds.token) {
    const record = liveUserToken(state, creds.token);
    if (record) return { key: `user:${record.userId}:${record.appId}`, authenticated: true };
  }
  if (creds.kind === 'jwt' && creds.token) {
    const payload = creds.token.split('.')[1] ?? '';
    try {
      const iss = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown }).iss;
      const app = iss === undefined ? undefined : state.findAppByIssuer(String(iss));
      if (app) return { key: `app:${app.id}`, authenticated: true };
    } catch {
      // unauthenticated bucket
    }
  }
  return { key: 'anonymous', authenticated: false };
}
