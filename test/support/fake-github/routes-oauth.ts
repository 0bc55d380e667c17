/**
 * GitHub's web OAuth flow for GitHub Apps (not under /api/v3, shaped like github.com):
 * `GET /login/oauth/authorize` approves as the signed-in user (`fake.signInAs`) and redirects back
 * with a code; `POST /login/oauth/access_token` exchanges it (or a refresh token) for a user token.
 */
import { CODE_TTL_MS } from './state.js';
import { htmlPage, redirect, type FakeResponse } from './http-kit.js';
import type { RouteContext, Router } from './router.js';
import type { AppRecord, UserTokenRecord } from './state.js';

const ERROR_DOCS = 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors';

const TOKEN_ERRORS = {
  incorrect_client_credentials: ['The client_id and/or client_secret passed are incorrect.', `${ERROR_DOCS}/#incorrect-client-credentials`],
  bad_verification_code: ['The code passed is incorrect or expired.', `${ERROR_DOCS}/#bad-verification-code`],
  redirect_uri_mismatch: ['The redirect_uri MUST match the registered callback URL for this application.', `${ERROR_DOCS}/#redirect-uri-mismatch`],
  bad_refresh_token: ['The refresh token passed is incorrect or expired.', `${ERROR_DOCS}/#bad-refresh-token`],
  unsupported_grant_type: ['The grant type is not supported.', `${ERROR_DOCS}/#unsupported-grant-type`],
} as const;

/** GitHub's rule: same scheme, host and port as a registered callback URL, path at or below its path. */
export function redirectAllowed(redirectUri: string, callbackUrls: string[]): boolean {
  let target: URL;
  try {
    target = new URL(redirectUri);
  } catch {
    return false;
  }
  return callbackUrls.some((cb) => {
    try {
      const registered = new URL(cb);
      const base = registered.pathname.endsWith('/') ? registered.pathname : `${registered.pathname}/`;
      return registered.origin === target.origin && (target.pathname === registered.pathname || target.pathname.startsWith(base));
    } catch {
      return false;
    }
  });
}

function withParams(url: string, params: Record<string, string | null>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) if (v !== null) u.searchParams.set(k, v);
  return u.toString();
}

/** Answers the token endpoint in the format the client asked for (JSON with `Accept: application/json`, else form-encoded). */
function tokenAnswer(ctx: RouteContext, body: Record<string, string | number>): FakeResponse {
  if ((ctx.headers.accept ?? '').includes('application/json')) {
    return { status: 200, json: body, headers: { 'content-type': 'application/json; charset=utf-8' } };
  }
  const form = new URLSearchParams(Object.entries(body).map(([k, v]): [string, string] => [k, String(v)]));
  return { status: 200, text: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } };
}

function tokenError(ctx: RouteContext, error: keyof typeof TOKEN_ERRORS): FakeResponse {
  const [description, uri] = TOKEN_ERRORS[error];
  return tokenAnswer(ctx, { error, error_description: description, error_uri: uri });
}

function tokenSuccess(ctx: RouteContext, token: UserTokenRecord): FakeResponse {
  if (token.refreshToken && token.expiresAt !== null && token.refreshTokenExpiresAt !== null) {
    const now = Date.now();
    return tokenAnswer(ctx, {
      access_token: token.token,
      expires_in: Math.round((token.expiresAt - now) / 1000),
      refresh_token: token.refreshToken,
      refresh_token_expires_in: Math.round((token.refreshTokenExpiresAt - now) / 1000),
      token_type: 'bearer',
      scope: '',
    });
  }
  return tokenAnswer(ctx, { access_token: token.token, token_type: 'bearer', scope: '' });
}

function stringParams(ctx: RouteContext): Record<string, string> {
  const out: Record<string, string> = Object.fromEntries(ctx.query);
  for (const [k, v] of Object.entries(ctx.body())) if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
  return out;
}

function authorize(ctx: RouteContext): FakeResponse {
  const { state } = ctx.services;
  const clientId = ctx.query.get('client_id') ?? '';
  const app: AppRecord | undefined = state.findAppByClientId(clientId);
  if (!app) return htmlPage(404, 'Page not found', "This is not the web page you are looking for.");
  const requested = ctx.query.get('redirect_uri');
  const oauthState = ctx.query.get('state');
  let target: string;
  if (app.callbackUrls.length > 0) {
    const fallback = app.callbackUrls[0] ?? '';
    if (requested && !redirectAllowed(requested, app.callbackUrls)) {
      const [description, uri] = TOKEN_ERRORS.redirect_uri_mismatch;
      return redirect(withParams(fallback, { error: 'redirect_uri_mismatch', error_description: description, error_uri: uri.replace('access-token-request-errors', 'authorization-request-errors'), state: oauthState }));
    }
    target = requested ?? fallback;
  } else if (requested) {
    target = requested;
  } else {
    return htmlPage(404, 'Page not found', 'The redirect_uri is missing and the application has no callback URL.');
  }
  const userId = state.signedInUserId;
  if (userId === null) {
    const returnTo = `/login/oauth/authorize?${ctx.query.toString()}`;
    return redirect(`${ctx.services.urls.web}/login?${new URLSearchParams({ client_id: clientId, return_to: returnTo }).toString()}`);
  }
  const code = state.newCode();
  state.oauthCodes.set(code, { code, appId: app.id, userId, redirectUri: requested, expiresAt: Date.now() + CODE_TTL_MS, used: false });
  const login = state.findAccountById(userId)?.login ?? '';
  state.authorizations.push({ appId: app.id, login, state: oauthState, redirectUri: target, code });
  return redirect(withParams(target, { code, state: oauthState }));
}

function accessToken(ctx: RouteContext): FakeResponse {
  const { state } = ctx.services;
  const p = stringParams(ctx);
  const app = state.findAppByClientId(p.client_id ?? '');
  if (!app || p.client_secret !== app.clientSecret) return tokenError(ctx, 'incorrect_client_credentials');
  if (p.grant_type === 'refresh_token') {
    const old = state.refreshTokens.get(p.refresh_token ?? '');
    if (!old || old.appId !== app.id || (old.refreshTokenExpiresAt ?? 0) <= Date.now()) return tokenError(ctx, 'bad_refresh_token');
    state.refreshTokens.delete(old.refreshToken ?? '');
    state.userTokens.delete(old.token);
    return tokenSuccess(ctx, state.issueUserToken(app, old.userId));
  }
  if (p.grant_type !== undefined && p.grant_type !== 'authorization_code') return tokenError(ctx, 'unsupported_grant_type');
  const code = state.oauthCodes.get(p.code ?? '');
  if (!code || code.used || code.appId !== app.id || code.expiresAt <= Date.now()) return tokenError(ctx, 'bad_verification_code');
  if (p.redirect_uri && code.redirectUri && p.redirect_uri !== code.redirectUri) return tokenError(ctx, 'redirect_uri_mismatch');
  code.used = true;
  return tokenSuccess(ctx, state.issueUserToken(app, code.userId));
}

/** Registers the web OAuth routes and GitHub's sign-in page. */
export function registerOAuthRoutes(router: Router): void {
  router.add('GET', '/login/oauth/authorize', authorize);
  router.add('POST', '/login/oauth/access_token', accessToken);
  router.add('GET', '/login', () => htmlPage(200, 'Sign in to GitHub', 'Sign in to GitHub to continue (in the fake: fake.signInAs(login)).'));
}
