/**
 * The GitHub App manifest flow: the web form (`POST /settings/apps/new`, or
 * `/organizations/{org}/settings/apps/new`) simulates the signed-in user clicking "Create GitHub App"
 * and redirects with a code; `POST /app-manifests/{code}/conversions` (REST, no auth) trades the
 * single-use code for the new app's credentials.
 */
import { rejectInvalidCredentials } from './auth.js';
import { hex } from './ids.js';
import { githubError, htmlPage, json, redirect, type FakeResponse } from './http-kit.js';
import { integration } from './representations.js';
import type { RouteContext, Router } from './router.js';
import type { AccountRecord, Permissions } from './state.js';

const MANIFEST_CODE_TTL_MS = 60 * 60 * 1000;
const MAX_NAME_LENGTH = 34;
const LEVELS = new Set(['read', 'write', 'admin']);

/** The manifest fields the fake understands (GitHub's documented manifest parameters). */
export interface AppManifest {
  name?: string;
  url: string;
  hook_attributes?: { url?: string; active?: boolean };
  redirect_url: string;
  callback_urls?: string[];
  setup_url?: string;
  description?: string;
  public?: boolean;
  default_events?: string[];
  default_permissions?: Permissions;
  request_oauth_on_install?: boolean;
  setup_on_update?: boolean;
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Checks a parsed manifest; returns the problems (empty when it can be used). */
export function manifestProblems(m: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (!isHttpUrl(m.url)) problems.push('url must be a valid http(s) URL');
  if (!isHttpUrl(m.redirect_url)) problems.push('redirect_url must be a valid http(s) URL');
  const hook = m.hook_attributes;
  if (typeof hook !== 'object' || hook === null || Array.isArray(hook)) problems.push('hook_attributes.url is required');
  else {
    const { url, active } = hook as { url?: unknown; active?: unknown };
    if (active !== undefined && typeof active !== 'boolean') problems.push('hook_attributes.active must be a boolean');
    if (active !== false && !isHttpUrl(url)) problems.push('hook_attributes.url must be a valid http(s) URL');
  }
  if (m.name !== undefined && (typeof m.name !== 'string' || m.name.trim() === '')) problems.push('name must be a non-empty string');
  if (typeof m.name === 'string' && m.name.length > MAX_NAME_LENGTH) problems.push(`Name is too long (maximum is ${MAX_NAME_LENGTH} characters)`);
  for (const key of ['callback_urls', 'default_events'] as const) {
    const v = m[key];
    if (v !== undefined && (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))) problems.push(`${key} must be an array of strings`);
  }
  if (Array.isArray(m.callback_urls) && !m.callback_urls.every(isHttpUrl)) problems.push('callback_urls must be valid http(s) URLs');
  const perms = m.default_permissions;
  if (perms !== undefined) {
    if (typeof perms !== 'object' || perms === null || Array.isArray(perms)) problems.push('default_permissions must be an object');
    else for (const [k, v] of Object.entries(perms)) if (typeof v !== 'string' || !LEVELS.has(v)) problems.push(`default_permissions.${k} must be read, write or admin`);
  }
  return problems;
}

function readManifest(ctx: RouteContext): Record<string, unknown> | string {
  const raw = ctx.body().manifest ?? ctx.query.get('manifest');
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) return raw as Record<string, unknown>;
  if (typeof raw !== 'string' || raw.trim() === '') return 'The manifest parameter is missing';
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  return 'The manifest is not valid JSON';
}

function createFromManifest(ctx: RouteContext): FakeResponse {
  const { state, urls } = ctx.services;
  const oauthState = ctx.query.get('state') ?? (typeof ctx.body().state === 'string' ? String(ctx.body().state) : null);
  const userId = state.signedInUserId;
  const user = userId === null ? undefined : state.findAccountById(userId);
  if (!user) {
    const returnTo = ctx.path + (ctx.query.toString() ? `?${ctx.query.toString()}` : '');
    return redirect(`${urls.web}/login?${new URLSearchParams({ return_to: returnTo }).toString()}`);
  }
  const manifest = readManifest(ctx);
  if (typeof manifest === 'string') return htmlPage(422, 'Invalid GitHub App Manifest', manifest);
  const problems = manifestProblems(manifest);
  const m = manifest as unknown as AppManifest;
  const owner: AccountRecord = ctx.params.org ? state.ensureAccount({ login: ctx.params.org, type: 'Organization' }) : user;
  const name = m.name ?? `${owner.login}-app-${hex(3)}`;
  if ([...state.apps.values()].some((a) => a.name.toLowerCase() === name.toLowerCase())) problems.push('Name is already in use');
  if (problems.length > 0) return htmlPage(422, 'Invalid GitHub App Manifest', problems.join('; '));
  const hookActive = m.hook_attributes?.active !== false;
  const app = state.createApp({
    name,
    description: m.description ?? null,
    owner: { login: owner.login, type: owner.type },
    // GitHub always grants metadata read.
    permissions: { metadata: 'read', ...(m.default_permissions ?? {}) },
    events: m.default_events ?? [],
    callbackUrls: m.callback_urls ?? [],
    setupUrl: m.setup_url ?? null,
    externalUrl: m.url,
    webhookUrl: hookActive ? (m.hook_attributes?.url ?? null) : null,
    webhookSecret: hex(20),
    isPublic: m.public ?? false,
  });
  const code = state.newCode();
  state.manifestCodes.set(code, { code, appId: app.id, expiresAt: Date.now() + MANIFEST_CODE_TTL_MS, used: false });
  const target = new URL(m.redirect_url);
  target.searchParams.set('code', code);
  if (oauthState !== null) target.searchParams.set('state', oauthState);
  return redirect(target.toString());
}

/** Registers the REST conversion endpoint. */
export function registerManifestApiRoutes(router: Router): void {
  router.add('POST', '/app-manifests/{code}/conversions', (ctx) => {
    const { state, urls } = ctx.services;
    rejectInvalidCredentials(state, ctx.credentials, ctx.docsUrl);
    const record = state.manifestCodes.get(ctx.params.code ?? '');
    if (!record || record.used || record.expiresAt <= Date.now()) return githubError(404, 'Not Found', ctx.docsUrl);
    record.used = true;
    const app = state.requireApp(record.appId);
    return json(201, {
      ...integration(urls, app),
      client_id: app.clientId,
      client_secret: app.clientSecret,
      webhook_secret: app.webhookSecret,
      pem: app.privateKey,
    });
  });
}

/** Registers the web form endpoints of the manifest flow. */
export function registerManifestWebRoutes(router: Router): void {
  router.add('POST', '/settings/apps/new', createFromManifest);
  router.add('POST', '/organizations/{org}/settings/apps/new', createFromManifest);
}
