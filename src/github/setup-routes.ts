/**
 * The first-run setup wizard's App part (as Probot does it), behind the one-time setup code. The
 * wizard itself is a dashboard page (web/src/pages/setup.tsx at `/setup`); its API:
 * - `GET /api/setup`: where the first run stands (App connected? administrator? code accepted in
 *   this browser? is PUBLIC_URL reachable by GitHub?) — never the code, never a secret;
 * - `POST /api/setup/manifest`: the App manifest and the GitHub address to post it to (the page
 *   posts it from the browser: GitHub creates the App) with a random `state` in an HttpOnly cookie;
 * - `GET /setup/callback?code=…&state=…`: where GitHub returns; checks the state, exchanges the code
 *   (`POST /app-manifests/{code}/conversions`) for the App's id, private key, webhook secret and
 *   OAuth client, stores them encrypted and sends the browser back to the wizard's next step.
 *
 * Who may run it: while no administrator exists, whoever holds the setup code (checked by
 * `POST /api/setup/code`, src/identity/first-run-routes.ts, or sent as `setup_code`); once one
 * exists, administrators only. Once an App is configured the manifest flow is closed.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import { AppError } from '../http/app-error.js';
import { errorResponse } from '../http/error-handler.js';
import {
  checkSetupCode,
  Forbidden,
  grantedCodeHash,
  hasAdministrator,
  sameSecret,
  SETUP_GRANT_COOKIE,
  SetupCodeRequired,
  type SecretBox,
} from '../identity/index.js';
import type { Logger } from '../log/index.js';
import { scrubSecrets } from '../log/index.js';
import type { AppCredentialsStore, ManifestConversion } from './app-credentials.js';
import { buildAppManifest } from './app-manifest.js';
import type { GitHubClients } from './client.js';

const STATE_COOKIE = 'sy_setup_state';

export interface SetupDeps {
  config: Config;
  db: Database;
  box: SecretBox;
  credentials: AppCredentialsStore;
  clients: () => GitHubClients;
  log: Logger;
  /** Called after the App is stored (e.g. to reconcile at once). */
  onConfigured?: () => Promise<void>;
}

export class AppAlreadyConfigured extends AppError {
  constructor() {
    super('APP_CONFIGURED', 409, 'Switchyard is already connected to a GitHub App (install it on more repositories from its page on GitHub).');
  }
}

/** True when GitHub cannot send deliveries to this address (loopback or a private name). */
export function isLocalUrl(publicUrl: string): boolean {
  let host: string;
  try {
    host = new URL(publicUrl).hostname.toLowerCase();
  } catch {
    return true;
  }
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || host === '0.0.0.0' || /^127\./.test(host);
}

export const setupStatus = z.object({
  app: z.object({
    configured: z.boolean(),
    source: z.enum(['environment', 'setup']).nullable(),
    slug: z.string().nullable(),
    html_url: z.string().nullable(),
    install_url: z.string().nullable(),
    github_sign_in: z.boolean().describe('the App has an OAuth client: "Sign in with GitHub" works'),
  }),
  has_admin: z.boolean(),
  setup_code_accepted: z.boolean().describe('this browser holds a grant for the setup code in force'),
  viewer_is_admin: z.boolean(),
  public_url: z.string(),
  webhook_url: z.string(),
  github_url: z.string(),
  public_url_is_local: z.boolean().describe('PUBLIC_URL is localhost/127.0.0.1: GitHub cannot deliver to it; forward deliveries (smee.io, gh webhook forward)'),
});

const manifestBody = z.object({
  org: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, 'a GitHub organization login').optional(),
  name: z.string().trim().min(1).max(34).optional(),
  webhook_proxy_url: z
    .string()
    .trim()
    .max(300)
    .regex(/^https:\/\/[^\s]+$/, 'an https:// address (a smee.io channel)')
    .optional()
    .describe('deliver webhooks to this forwarding channel (smee.io) instead of PUBLIC_URL, which GitHub cannot reach'),
  setup_code: z.string().max(100).optional(),
});

/** Throws unless this request may run the wizard: an administrator (or the operator token), or (no administrator yet) the setup code's holder. */
async function authorize(deps: SetupDeps, req: FastifyRequest, code?: string): Promise<void> {
  if (req.auth?.viewer.isAdmin) return;
  if (await hasAdministrator(deps.db.kysely)) throw new Forbidden('Only an administrator can connect a GitHub App: sign in as one first');
  const grant = code !== undefined ? await checkSetupCode(deps, code, req.ip) : req.cookies[SETUP_GRANT_COOKIE];
  if (!(await grantedCodeHash(deps, grant))) throw new SetupCodeRequired();
}

export async function setupRoutes(app: FastifyInstance, deps: SetupDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const secure = deps.config.publicUrl.startsWith('https://');
  const webhookUrl = `${deps.config.publicUrl}/api/github/webhooks`;
  const back = (reply: FastifyReply, query: string) => reply.header('cache-control', 'no-store').redirect(`/setup${query}`, 302);

  r.get(
    '/api/setup',
    {
      config: { auth: 'optional' },
      schema: { tags: ['setup'], summary: 'Where the first run stands (never the setup code or a secret)', security: [], response: { 200: setupStatus } },
    },
    async (req) => {
      if (!deps.credentials.current()) await deps.credentials.refresh().catch(() => undefined);
      const c = deps.credentials.current();
      const hasAdmin = await hasAdministrator(deps.db.kysely);
      return {
        app: {
          configured: c !== null,
          source: c?.source ?? null,
          slug: c?.slug ?? null,
          html_url: c?.htmlUrl ?? null,
          install_url: c?.htmlUrl ? `${c.htmlUrl}/installations/new` : null,
          github_sign_in: !!(c?.clientId && c.clientSecret),
        },
        has_admin: hasAdmin,
        setup_code_accepted: !hasAdmin && (await grantedCodeHash(deps, req.cookies[SETUP_GRANT_COOKIE])) !== null,
        viewer_is_admin: req.auth?.viewer.isAdmin ?? false,
        public_url: deps.config.publicUrl,
        webhook_url: webhookUrl,
        github_url: deps.config.github.url,
        public_url_is_local: isLocalUrl(deps.config.publicUrl),
      };
    },
  );

  r.post(
    '/api/setup/manifest',
    {
      config: { auth: 'optional' },
      schema: {
        tags: ['setup'],
        summary: 'The GitHub App manifest and where to post it (the browser posts it; GitHub returns to /setup/callback)',
        security: [],
        body: manifestBody,
        response: { 200: z.object({ action: z.string(), manifest: z.string() }), 400: errorResponse, 403: errorResponse, 409: errorResponse, 429: errorResponse },
      },
    },
    async (req, reply) => {
      await authorize(deps, req, req.body.setup_code);
      if (deps.credentials.current()) throw new AppAlreadyConfigured();
      const state = randomBytes(24).toString('base64url');
      void reply.setCookie(STATE_COOKIE, state, { path: '/setup', httpOnly: true, sameSite: 'lax', secure, maxAge: 3600 });
      const org = req.body.org;
      const manifest = buildAppManifest(deps.config.publicUrl, req.body.name ?? 'Switchyard', req.body.webhook_proxy_url ?? webhookUrl);
      const action = `${deps.config.github.url}${org ? `/organizations/${encodeURIComponent(org)}` : ''}/settings/apps/new?state=${encodeURIComponent(state)}`;
      return { action, manifest: JSON.stringify(manifest) };
    },
  );

  r.get(
    '/setup/callback',
    {
      config: { auth: 'optional' },
      schema: { hide: true, querystring: z.object({ code: z.string().min(1).max(200).optional(), state: z.string().max(200).optional() }) },
    },
    async (req, reply) => {
      if (deps.credentials.current()) return back(reply, '');
      try {
        await authorize(deps, req);
      } catch (err) {
        return back(reply, `?error=${err instanceof SetupCodeRequired ? 'code' : 'admin'}`);
      }
      const expected = req.cookies[STATE_COOKIE];
      const { code, state } = req.query;
      void reply.clearCookie(STATE_COOKIE, { path: '/setup' });
      if (!code || !state || !expected || !sameSecret(state, expected)) return back(reply, '?error=state');
      let conversion: ManifestConversion;
      try {
        const res = await deps.clients().anonymous().request('POST /app-manifests/{code}/conversions', { code });
        conversion = res.data as unknown as ManifestConversion;
      } catch (err) {
        const status = (err as { status?: number }).status;
        deps.log.warn({ status, err: scrubSecrets((err as Error).message) }, 'manifest conversion failed');
        return back(reply, `?error=${status === 404 ? 'expired' : 'github'}`);
      }
      await deps.credentials.save(conversion);
      if (deps.onConfigured) await deps.onConfigured().catch((err) => deps.log.warn({ err: (err as Error).message }, 'after-setup step failed'));
      deps.log.info({ appId: conversion.id, slug: conversion.slug }, 'GitHub App created by the setup wizard');
      return back(reply, '?connected=1');
    },
  );
}
