/**
 * The first-run setup wizard (as Probot does it): with no GitHub App configured, `GET /setup`
 * offers a button that posts an App manifest to `{GITHUB_URL}/settings/apps/new` (or an
 * organization's); GitHub creates the App and sends the browser to `/setup/callback?code=…`, which
 * exchanges the code (`POST /app-manifests/{code}/conversions`) for the App's id, private key,
 * webhook secret and OAuth client, and stores them encrypted.
 *
 * While no App exists, anyone who reaches the server could run the wizard (as with Probot); once
 * a person account exists, only an administrator may.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import { escapeHtml, htmlPage } from '../http/html-page.js';
import { countUsers, sameSecret } from '../identity/index.js';
import type { Logger } from '../log/index.js';
import { scrubSecrets } from '../log/index.js';
import type { AppCredentialsStore, ManifestConversion } from './app-credentials.js';
import { buildAppManifest } from './app-manifest.js';
import type { GitHubClients } from './client.js';

const STATE_COOKIE = 'sy_setup_state';

export interface SetupDeps {
  config: Config;
  db: Database;
  credentials: AppCredentialsStore;
  clients: () => GitHubClients;
  log: Logger;
  /** Called after the App is stored (e.g. to reconcile at once). */
  onConfigured?: () => Promise<void>;
}

function send(reply: FastifyReply, status: number, title: string, body: string) {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(htmlPage(title, body));
}

/** Why this request may not run the wizard, or null. */
async function refusal(deps: SetupDeps, req: FastifyRequest): Promise<string | null> {
  if (deps.credentials.current()) return 'configured';
  if ((await countUsers(deps.db.kysely)) > 0 && !req.auth?.viewer.isAdmin) return 'admin';
  return null;
}

async function explainRefusal(reply: FastifyReply, why: string, deps: SetupDeps) {
  if (why === 'configured') {
    const c = deps.credentials.current();
    return send(
      reply,
      409,
      'Already set up',
      `<h1>Switchyard is already connected to a GitHub App</h1><p>App id <code>${escapeHtml(String(c?.appId ?? ''))}</code>${c?.slug ? ` (<code>${escapeHtml(c.slug)}</code>)` : ''}, configured from ${c?.source === 'environment' ? 'environment variables' : 'the setup wizard'}.</p>${c?.htmlUrl ? `<p><a class="button" href="${escapeHtml(c.htmlUrl)}/installations/new">Install it on more repositories</a></p>` : ''}`,
    );
  }
  return send(reply, 403, 'Sign in first', '<h1>Only an administrator can connect a GitHub App</h1><p>Sign in as an administrator, then open this page again.</p>');
}

export async function setupRoutes(app: FastifyInstance, deps: SetupDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const secure = deps.config.publicUrl.startsWith('https://');

  r.get(
    '/setup',
    {
      config: { auth: 'optional' },
      schema: { hide: true, querystring: z.object({ org: z.string().regex(/^[A-Za-z0-9-]{1,39}$/).optional(), name: z.string().trim().min(1).max(34).optional() }) },
    },
    async (req, reply) => {
      const why = await refusal(deps, req);
      if (why) return explainRefusal(reply, why, deps);
      const state = randomBytes(24).toString('base64url');
      void reply.setCookie(STATE_COOKIE, state, { path: '/setup', httpOnly: true, sameSite: 'lax', secure, maxAge: 3600 });
      const manifest = buildAppManifest(deps.config.publicUrl, req.query.name ?? 'Switchyard');
      const org = req.query.org;
      const action = `${deps.config.github.url}${org ? `/organizations/${encodeURIComponent(org)}` : ''}/settings/apps/new?state=${encodeURIComponent(state)}`;
      return send(
        reply,
        200,
        'Connect a GitHub App',
        `<h1>Connect Switchyard to GitHub</h1>
<p>Switchyard acts as a GitHub App. This creates one on <code>${escapeHtml(deps.config.github.url)}</code> ${org ? `for the organization <code>${escapeHtml(org)}</code>` : 'on your account'}, with its webhook pointing at <code>${escapeHtml(deps.config.publicUrl)}/api/github/webhooks</code>, and stores its credentials here, encrypted.</p>
<form method="post" action="${escapeHtml(action)}">
  <input type="hidden" name="manifest" value="${escapeHtml(JSON.stringify(manifest))}">
  <button type="submit">Create the GitHub App${org ? ` for ${escapeHtml(org)}` : ''}</button>
</form>
<form method="get" action="/setup" style="margin-top:2rem">
  <label>Create it for an organization instead: <input name="org" placeholder="organization" value="${escapeHtml(org ?? '')}" pattern="[A-Za-z0-9-]{1,39}"></label>
  <label>App name: <input name="name" value="${escapeHtml(req.query.name ?? 'Switchyard')}" maxlength="34"></label>
  <button type="submit">Use these</button>
</form>
<p class="muted">Prefer to create the App by hand? Set <code>APP_ID</code>, <code>PRIVATE_KEY_PATH</code>, <code>WEBHOOK_SECRET</code>, <code>GITHUB_CLIENT_ID</code> and <code>GITHUB_CLIENT_SECRET</code> (see the README) and restart.</p>`,
      );
    },
  );

  r.get(
    '/setup/callback',
    {
      config: { auth: 'optional' },
      schema: { hide: true, querystring: z.object({ code: z.string().min(1).max(200).optional(), state: z.string().max(200).optional() }) },
    },
    async (req, reply) => {
      const why = await refusal(deps, req);
      if (why) return explainRefusal(reply, why, deps);
      const expected = req.cookies[STATE_COOKIE];
      const { code, state } = req.query;
      if (!code || !state || !expected || !sameSecret(state, expected)) {
        return send(reply, 400, 'Setup failed', '<h1>This link is not from the setup you started</h1><p>The state does not match (or the page expired). <a href="/setup">Start again</a>.</p>');
      }
      void reply.clearCookie(STATE_COOKIE, { path: '/setup' });
      let conversion: ManifestConversion;
      try {
        const res = await deps.clients().anonymous().request('POST /app-manifests/{code}/conversions', { code });
        conversion = res.data as unknown as ManifestConversion;
      } catch (err) {
        const status = (err as { status?: number }).status;
        deps.log.warn({ status, err: scrubSecrets((err as Error).message) }, 'manifest conversion failed');
        return send(
          reply,
          502,
          'Setup failed',
          `<h1>GitHub did not hand over the App's credentials</h1><p>${status === 404 ? 'The code was already used or has expired (codes last one hour).' : 'GitHub could not be reached or answered with an error.'} <a href="/setup">Start again</a>.</p>`,
        );
      }
      await deps.credentials.save(conversion);
      if (deps.onConfigured) await deps.onConfigured().catch((err) => deps.log.warn({ err: (err as Error).message }, 'after-setup step failed'));
      const install = conversion.html_url ? `${conversion.html_url}/installations/new` : null;
      return send(
        reply,
        200,
        'GitHub App connected',
        `<h1>Connected</h1><p>The GitHub App <code>${escapeHtml(conversion.slug ?? String(conversion.id))}</code> was created and its credentials are stored, encrypted. Deliveries to <code>${escapeHtml(deps.config.publicUrl)}/api/github/webhooks</code> are now accepted.</p>
${install ? `<p><a class="button" href="${escapeHtml(install)}">Install it on your repositories</a></p>` : ''}
<p><a href="/api/auth/github">Sign in with GitHub</a></p>`,
      );
    },
  );
}
