/**
 * The session cookies: `sy_session` (HttpOnly, SameSite=Lax, Secure under HTTPS) holds the token;
 * `sy_csrf` (readable by the page's scripts) holds the CSRF token to echo in `X-CSRF-Token`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../db/index.js';
import { CSRF_COOKIE, csrfTokenFor, SESSION_COOKIE } from './authenticate.js';
import { hashToken } from './random-tokens.js';
import type { SecretBox } from './secret-box.js';
import { createSession } from './sessions.js';

export interface SessionCookieDeps {
  db: Database;
  box: SecretBox;
  sessionDays: number;
  /** Secure cookies (PUBLIC_URL is https). */
  secure: boolean;
}

/** Creates a session for a user and sets its cookies; returns the CSRF token. */
export async function issueSession(
  deps: SessionCookieDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  userId: string,
  method: string,
): Promise<{ csrfToken: string; sessionId: string }> {
  const ua = req.headers['user-agent'];
  const { token, session } = await createSession(deps.db, {
    userId,
    method,
    userAgent: typeof ua === 'string' ? ua : undefined,
    ip: req.ip,
    days: deps.sessionDays,
  });
  const csrfToken = csrfTokenFor(deps.box, hashToken(token));
  const maxAge = deps.sessionDays * 86_400;
  void reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'lax', secure: deps.secure, maxAge });
  void reply.setCookie(CSRF_COOKIE, csrfToken, { path: '/', httpOnly: false, sameSite: 'lax', secure: deps.secure, maxAge });
  return { csrfToken, sessionId: session.id };
}

export function clearSessionCookies(reply: FastifyReply, secure: boolean): void {
  void reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure });
  void reply.clearCookie(CSRF_COOKIE, { path: '/', sameSite: 'lax', secure });
}
