/**
 * Turns a request into an Auth (see src/http/auth-context.ts): the operator token, a personal API
 * token (`syp_…`), or the session cookie. A cookie-authenticated change must also carry the session's
 * CSRF token in `X-CSRF-Token` (the double-submit value is a MAC of the session, so it cannot be
 * forged without the server key).
 */
import type { FastifyRequest } from 'fastify';
import type { Database } from '../db/index.js';
import { toBool } from '../db/index.js';
import type { Auth } from '../http/auth-context.js';
import { useApiToken } from './api-tokens.js';
import { CsrfRejected, Unauthenticated } from './errors.js';
import { sameSecret } from './random-tokens.js';
import type { SecretBox } from './secret-box.js';
import { resumeSession } from './sessions.js';
import { getUser, visibleInstallationIds, type UserRow } from './users-repo.js';

export const SESSION_COOKIE = 'sy_session';
export const CSRF_COOKIE = 'sy_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuthenticateDeps {
  db: Database;
  box: SecretBox;
  operatorToken: string | undefined;
  sessionDays: number;
}

/** The CSRF token that goes with a session (a MAC of its token hash). */
export function csrfTokenFor(box: SecretBox, sessionTokenHash: string): string {
  return box.mac('csrf', sessionTokenHash);
}

async function scopeFor(db: Database, user: UserRow): Promise<Auth['scope']> {
  if (toBool(user.is_admin)) return { all: true };
  return { all: false, installationIds: await visibleInstallationIds(db.kysely, user.id) };
}

/** Authenticates a request; null when it carries no credentials at all. Bad credentials are a 401. */
export async function authenticate(deps: AuthenticateDeps, req: FastifyRequest): Promise<Auth | null> {
  const header = req.headers.authorization;
  if (typeof header === 'string' && header.trim() !== '') {
    const m = /^(?:Bearer|token)\s+(\S+)$/i.exec(header.trim());
    if (!m?.[1]) throw new Unauthenticated('The Authorization header must be "Bearer <token>"');
    const token = m[1];
    if (deps.operatorToken && sameSecret(token, deps.operatorToken)) return { viewer: { kind: 'operator', isAdmin: true }, scope: { all: true } };
    const row = await useApiToken(deps.db, token);
    const user = row ? await getUser(deps.db.kysely, row.user_id) : undefined;
    if (!row || !user || !toBool(user.is_active)) throw new Unauthenticated('The bearer token is not valid (unknown, revoked or expired)');
    return {
      viewer: { kind: 'user', isAdmin: toBool(user.is_admin), userId: user.id, username: user.username, via: 'token', sessionId: null, csrfToken: null },
      scope: await scopeFor(deps.db, user),
    };
  }
  const cookie = req.cookies?.[SESSION_COOKIE];
  if (!cookie) return null;
  const session = await resumeSession(deps.db, cookie, deps.sessionDays);
  const user = session ? await getUser(deps.db.kysely, session.user_id) : undefined;
  if (!session || !user || !toBool(user.is_active)) return null;
  const csrfToken = csrfTokenFor(deps.box, session.token_hash);
  if (!SAFE_METHODS.has(req.method)) {
    const sent = req.headers[CSRF_HEADER];
    // Any configured key's token is accepted: a key rotation does not break open pages.
    if (typeof sent !== 'string' || !deps.box.macs('csrf', session.token_hash).some((t) => sameSecret(sent, t))) throw new CsrfRejected();
  }
  return {
    viewer: { kind: 'user', isAdmin: toBool(user.is_admin), userId: user.id, username: user.username, via: 'session', sessionId: session.id, csrfToken },
    scope: await scopeFor(deps.db, user),
  };
}
