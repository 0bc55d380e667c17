/**
 * People for API tests: create local accounts (as the operator), sign in (session cookie + CSRF
 * token), create personal API tokens, grant installations, and make clients that send each kind of
 * credential. Every secret handed out is recorded in `secrets`, so a test can check none was logged.
 */
import { expect } from 'vitest';
import type { TestApp } from './app.js';
import { recordSecret } from './secret-ledger.js';

export interface CreatedUser {
  id: string;
  username: string;
  password: string;
}

export interface Session {
  /** The value of the `sy_session` cookie (the session token). */
  token: string;
  csrf: string;
  /** The raw Set-Cookie headers of the sign-in answer. */
  setCookies: string[];
  userId: string;
}

/** Anything that can call the API with some credential. */
export interface Client {
  label: string;
  fetch(pathname: string, init?: RequestInit): Promise<Response>;
}

/** Secrets a test used, to look for in the captured logs. */
export type SecretLog = Set<string>;

/** Keeps a secret for this test's own check and for the whole run's (test/support/secret-ledger.ts). */
function remember(secrets: SecretLog | undefined, secret: string): void {
  secrets?.add(secret);
  recordSecret(secret);
}

export function cookieValue(setCookies: string[], name: string): string | undefined {
  for (const c of setCookies) {
    const [pair] = c.split(';');
    const eq = pair!.indexOf('=');
    if (pair!.slice(0, eq).trim() === name) return decodeURIComponent(pair!.slice(eq + 1).trim());
  }
  return undefined;
}

/** Creates a local account through `POST /api/users` as the operator. */
export async function createUser(t: TestApp, p: { username: string; password?: string; isAdmin?: boolean }, secrets?: SecretLog): Promise<CreatedUser> {
  const password = p.password ?? `pw-${p.username}-${Math.random().toString(36).slice(2, 10)}`;
  remember(secrets, password);
  const res = await t.api('/api/users', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: p.username, password, is_admin: p.isAdmin ?? false }),
  });
  expect(res.status, `create user ${p.username}`).toBe(201);
  const body = (await res.json()) as { id: string };
  return { id: body.id, username: p.username, password };
}

/** POST /api/auth/login with a JSON body; returns the raw answer. */
export function login(t: TestApp, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** Signs in and returns the session; fails the test unless the sign-in succeeds. */
export async function signIn(t: TestApp, user: { username: string; password: string }, extra: Record<string, unknown> = {}, secrets?: SecretLog): Promise<Session> {
  const res = await login(t, { username: user.username, password: user.password, ...extra });
  const text = await res.text();
  expect(res.status, `sign in ${user.username}: ${text}`).toBe(200);
  const body = JSON.parse(text) as { user: { id: string }; csrf_token: string };
  const setCookies = res.headers.getSetCookie();
  const token = cookieValue(setCookies, 'sy_session');
  expect(token, 'sy_session cookie').toBeTruthy();
  remember(secrets, token!);
  return { token: token!, csrf: body.csrf_token, setCookies, userId: body.user.id };
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A client authenticated by the session cookie; changes carry the CSRF token unless `csrf: false`. */
export function sessionClient(t: TestApp, s: Pick<Session, 'token' | 'csrf'>, label = 'session', opts: { csrf?: boolean } = {}): Client {
  return {
    label,
    fetch(pathname, init = {}) {
      const method = (init.method ?? 'GET').toUpperCase();
      const headers: Record<string, string> = { cookie: `sy_session=${s.token}; sy_csrf=${s.csrf}`, ...((init.headers as Record<string, string>) ?? {}) };
      if (!SAFE.has(method) && opts.csrf !== false) headers['x-csrf-token'] = s.csrf;
      return fetch(`${t.url}${pathname}`, { ...init, headers });
    },
  };
}

/** A client authenticated by a bearer token (a personal API token, or the operator token). */
export function bearerClient(t: TestApp, token: string, label = 'token'): Client {
  return {
    label,
    fetch: (pathname, init = {}) => fetch(`${t.url}${pathname}`, { ...init, headers: { authorization: `Bearer ${token}`, ...((init.headers as Record<string, string>) ?? {}) } }),
  };
}

/** Creates a personal API token through `POST /api/me/tokens`; returns its value (shown once). */
export async function createApiToken(client: Client, name = 'test', secrets?: SecretLog): Promise<{ id: string; token: string }> {
  const res = await client.fetch('/api/me/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  expect(res.status, 'create API token').toBe(201);
  const body = (await res.json()) as { id: string; token: string };
  remember(secrets, body.token);
  return body;
}

/** Lets a user see an installation (`PUT /api/users/:id/installations/:installation_id`, as the operator). */
export async function grantInstallation(t: TestApp, userId: string, installationId: number): Promise<void> {
  const res = await t.api(`/api/users/${userId}/installations/${installationId}`, { method: 'PUT' });
  expect(res.status, `grant installation ${installationId}`).toBe(200);
}

/** JSON body for requests. */
export function json(body: unknown, init: RequestInit = {}): RequestInit {
  return { ...init, headers: { 'content-type': 'application/json', ...((init.headers as Record<string, string>) ?? {}) }, body: JSON.stringify(body) };
}
