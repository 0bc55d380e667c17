/**
 * Who is asking, and what they may see. The identity slice authenticates each API request (operator
 * token, personal API token, or session cookie) and sets `req.auth`; routes read it here.
 *
 * Glossary:
 * - viewer: the authenticated party — the operator (SWITCHYARD_API_TOKEN) or a user;
 * - scope: the installations (GitHub ids) whose objects the viewer may see; `all` for the operator
 *   and administrators. Every query that returns GitHub objects filters by it.
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from './app-error.js';

export type Viewer =
  | { kind: 'operator'; isAdmin: true }
  | {
      kind: 'user';
      isAdmin: boolean;
      userId: string;
      username: string;
      via: 'session' | 'token';
      sessionId: string | null;
      /** The session's CSRF token (cookie sessions only). */
      csrfToken: string | null;
    };

export type Scope = { all: true } | { all: false; installationIds: number[] };

export interface Auth {
  viewer: Viewer;
  scope: Scope;
}

/** Per-route auth policy: `required` (default), `optional`, or `none` (not even looked at). */
export type AuthPolicy = 'required' | 'optional' | 'none';

declare module 'fastify' {
  interface FastifyRequest {
    auth: Auth | null;
  }
  interface FastifyContextConfig {
    auth?: AuthPolicy;
  }
}

/** The request's auth; 401 when there is none (routes with policy `required` never see that). */
export function authOf(req: FastifyRequest): Auth {
  if (!req.auth) throw new AppError('UNAUTHORIZED', 401, 'Sign in first, or send a bearer token (Authorization: Bearer <token>)');
  return req.auth;
}

/** The request's auth, which must be an administrator's (or the operator's). */
export function adminOf(req: FastifyRequest): Auth {
  const auth = authOf(req);
  if (!auth.viewer.isAdmin) throw new AppError('FORBIDDEN', 403, 'Only an administrator may do this');
  return auth;
}

/** The signed-in user (not the operator token). */
export function userOf(req: FastifyRequest): Extract<Viewer, { kind: 'user' }> {
  const { viewer } = authOf(req);
  if (viewer.kind !== 'user') throw new AppError('NOT_A_USER', 400, 'This needs a user (a session or a personal API token), not the operator token');
  return viewer;
}

/** True when the scope lets its holder see objects of this installation (null = not tied to one). */
export function scopeAllows(scope: Scope, installationId: number | null | undefined): boolean {
  if (scope.all) return true;
  return installationId != null && scope.installationIds.includes(Number(installationId));
}
