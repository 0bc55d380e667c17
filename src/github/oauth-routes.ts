/**
 * "Sign in with GitHub": the OAuth web flow of the App's OAuth client.
 * - `GET /api/auth/github` sets a random `state` in a short-lived HttpOnly cookie and sends the
 *   browser to `{GITHUB_URL}/login/oauth/authorize`;
 * - `GET /api/auth/github/callback` checks the state, exchanges the code for the person's token
 *   (stored encrypted), reads `GET /user` and `GET /user/installations` (the App's installations
 *   this person can reach: that is what they may see here, refreshed at every sign-in and kept
 *   current afterwards by src/access), creates or updates the user, starts a session and returns to
 *   the page they came from.
 * On a server with no administrator, the person who entered the one-time setup code in this browser
 * (src/identity/setup-code.ts) becomes its administrator, and the code is used up; nobody else gets
 * a new account until an administrator exists.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import { toBool } from '../db/index.js';
import { AppError } from '../http/app-error.js';
import { escapeHtml, htmlPage } from '../http/html-page.js';
import {
  clearGrantCookie,
  consumeSetupCode,
  hasAdministrator,
  SETUP_GRANT_COOKIE,
  findUserByGithubId,
  findUserByUsername,
  insertUser,
  issueSession,
  replaceGithubInstallations,
  sameSecret,
  sealGithubToken,
  tokenFromGrant,
  type GithubUserToken,
  updateUser,
  type SecretBox,
  type SessionCookieDeps,
} from '../identity/index.js';
import type { Logger } from '../log/index.js';
import { scrubSecrets } from '../log/index.js';
import type { AppCredentialsStore } from './app-credentials.js';
import type { GitHubClients } from './client.js';

export { GITHUB_TOKEN_COLUMN } from '../identity/index.js';

const STATE_COOKIE = 'sy_oauth_state';
const COOKIE_PATH = '/api/auth/github';

export interface OAuthDeps {
  config: Config;
  db: Database;
  box: SecretBox;
  credentials: AppCredentialsStore;
  clients: () => GitHubClients;
  cookies: SessionCookieDeps;
  log: Logger;
}

/** Not an outage: this server simply has no OAuth client (a JSON 404, like every API error). */
export class SignInNotConfigured extends AppError {
  constructor() {
    super(
      'GITHUB_SIGN_IN_NOT_CONFIGURED',
      404,
      'GitHub sign-in is not configured: the App has no OAuth client (set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET, or create the App with the setup wizard).',
    );
  }
}

/** Only same-site relative paths: never an open redirect. */
export function safeReturnTo(v: string | undefined): string {
  if (!v || !v.startsWith('/') || v.startsWith('//') || v.startsWith('/\\') || /[\r\n]/.test(v)) return '/';
  return v.slice(0, 500);
}

/** The failure page; "Try again" keeps the page the person was going to. */
function failure(reply: FastifyReply, status: number, message: string, returnTo = '/') {
  const again = returnTo === '/' ? '/api/auth/github' : `/api/auth/github?return_to=${encodeURIComponent(returnTo)}`;
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(htmlPage('Sign-in failed', `<h1>Sign-in with GitHub failed</h1><p class="error">${escapeHtml(message)}</p><p><a href="${escapeHtml(again)}">Try again</a></p>`));
}

/**
 * What to say for GitHub's `error` on the callback. Only the error code is used: the description
 * comes through the browser, so anyone could put words on this page with a crafted link.
 */
export function oauthErrorMessage(code: string, redirectUri: string): string {
  switch (code) {
    case 'access_denied':
      return 'The sign-in was cancelled on GitHub (or GitHub refused it).';
    case 'redirect_uri_mismatch':
      return `GitHub does not accept this server's callback address: add ${redirectUri} to the App's callback URLs (or set PUBLIC_URL to the address registered there).`;
    case 'application_suspended':
      return 'The GitHub App is suspended: an owner of the App can unsuspend it in its settings on GitHub.';
    default:
      return `GitHub returned the error “${/^[a-z_]{1,50}$/.test(code) ? code : 'unknown'}”.`;
  }
}

interface GitHubUser {
  id: number;
  login: string;
  name?: string | null;
  email?: string | null;
  avatar_url?: string | null;
}

export async function oauthRoutes(app: FastifyInstance, deps: OAuthDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const secure = deps.config.publicUrl.startsWith('https://');
  const redirectUri = `${deps.config.publicUrl}/api/auth/github/callback`;

  r.get(
    '/api/auth/github',
    {
      config: { auth: 'none' },
      schema: { tags: ['auth'], summary: 'Start "Sign in with GitHub" (redirects to GitHub)', security: [], querystring: z.object({ return_to: z.string().max(500).optional() }) },
    },
    async (req, reply) => {
      const creds = deps.credentials.current();
      if (!creds?.clientId || !creds.clientSecret) {
        throw new SignInNotConfigured();
      }
      const state = randomBytes(24).toString('base64url');
      const value = `${state}.${Buffer.from(safeReturnTo(req.query.return_to)).toString('base64url')}`;
      void reply.setCookie(STATE_COOKIE, value, { path: COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure, maxAge: 600 });
      const url = new URL(`${deps.config.github.url}/login/oauth/authorize`);
      url.searchParams.set('client_id', creds.clientId);
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('state', state);
      return reply.redirect(url.toString(), 302);
    },
  );

  r.get(
    '/api/auth/github/callback',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['auth'],
        summary: 'Where GitHub returns after sign-in: checks state, signs the person in, redirects',
        security: [],
        querystring: z.object({ code: z.string().max(200).optional(), state: z.string().max(200).optional(), error: z.string().max(200).optional(), error_description: z.string().max(500).optional() }),
      },
    },
    async (req, reply) => {
      const creds = deps.credentials.current();
      if (!creds?.clientId || !creds.clientSecret) throw new SignInNotConfigured();
      const cookie = req.cookies[STATE_COOKIE] ?? '';
      void reply.clearCookie(STATE_COOKIE, { path: COOKIE_PATH });
      const [expectedState, returnB64] = cookie.split('.');
      const returnTo = safeReturnTo(returnB64 ? Buffer.from(returnB64, 'base64url').toString('utf8') : '/');
      if (req.query.error) return failure(reply, 400, oauthErrorMessage(req.query.error, redirectUri), returnTo);
      if (!req.query.code || !req.query.state || !expectedState || !sameSecret(req.query.state, expectedState)) {
        return failure(reply, 400, 'The sign-in state does not match (the link is stale or was not started here).');
      }

      let grant: GithubUserToken;
      try {
        const res = await deps.clients().anonymous().request('POST /login/oauth/access_token', {
          baseUrl: deps.config.github.url,
          headers: { accept: 'application/json' },
          client_id: creds.clientId,
          client_secret: creds.clientSecret,
          code: req.query.code,
          redirect_uri: redirectUri,
        });
        const data = res.data as { access_token?: string; error?: string; error_description?: string };
        const parsed = tokenFromGrant(data);
        if (!parsed) return failure(reply, 400, `GitHub refused the code: ${data.error_description ?? data.error ?? 'no token'}`, returnTo);
        grant = parsed;
      } catch (err) {
        deps.log.warn({ status: (err as { status?: number }).status, err: scrubSecrets((err as Error).message, deps.credentials.secrets()) }, 'OAuth code exchange failed');
        return failure(reply, 502, 'GitHub could not be reached to finish the sign-in.', returnTo);
      }

      let ghUser: GitHubUser;
      let installationIds: number[];
      try {
        const client = deps.clients().user(grant.token);
        ghUser = (await client.request('GET /user')).data as GitHubUser;
        const installations = (await client.paginate('GET /user/installations', { per_page: 100 })) as unknown as Array<{ id: number }>;
        installationIds = installations.map((i) => Number(i.id));
      } catch (err) {
        deps.log.warn({ status: (err as { status?: number }).status, err: scrubSecrets((err as Error).message) }, 'reading the GitHub user failed');
        return failure(reply, 502, 'GitHub did not tell us who you are.', returnTo);
      }

      // The token (and its refresh token) is kept, encrypted, for the periodic access re-check (src/access).
      const profile = { email: ghUser.email ?? null, name: ghUser.name ?? null, avatar_url: ghUser.avatar_url ?? null, ...sealGithubToken(deps.box, grant), access_checked_at: new Date().toISOString() };
      const setupGrant = req.cookies[SETUP_GRANT_COOKIE];
      const user = await deps.db.kysely.transaction().execute(async (tx) => {
        const existing = await findUserByGithubId(tx, ghUser.id);
        // No administrator yet: only the holder of the setup code becomes it (and uses the code up);
        // nobody else gets a new account on a server nobody administers.
        const noAdmin = !(await hasAdministrator(tx));
        const makeAdmin = noAdmin && (!existing || toBool(existing.is_active)) && (await consumeSetupCode({ db: deps.db, box: deps.box }, tx, setupGrant));
        if (existing) {
          // A renamed GitHub account follows its new login, unless a local account holds that name.
          const holder = await findUserByUsername(tx, ghUser.login);
          const username = !holder || holder.id === existing.id ? ghUser.login : existing.username;
          await updateUser(tx, existing.id, { ...profile, username, ...(makeAdmin ? { is_admin: true } : {}) });
          await replaceGithubInstallations(tx, existing.id, installationIds);
          return { ...existing, created: false, madeAdmin: makeAdmin };
        }
        if (noAdmin && !makeAdmin) return null;
        // A local account may already use this name: the GitHub account gets a suffixed one, never the local account.
        const taken = await findUserByUsername(tx, ghUser.login);
        const created = await insertUser(tx, { username: taken ? `${ghUser.login}-github` : ghUser.login, github_id: ghUser.id, is_admin: makeAdmin, ...profile });
        await replaceGithubInstallations(tx, created.id, installationIds);
        return { ...created, created: true, madeAdmin: makeAdmin };
      });
      if (!user) {
        return failure(
          reply,
          403,
          'This server has no administrator yet. Open the setup page and enter the setup code (printed in the server’s log at start, and by `switchyard doctor`) before signing in.',
          returnTo,
        );
      }
      if (user.madeAdmin) clearGrantCookie(reply, secure);
      if (!toBool(user.is_active)) return failure(reply, 403, 'This account has been deactivated by an administrator.');
      await issueSession(deps.cookies, req, reply, user.id, 'github');
      req.log.info({ userId: user.id, created: user.created, firstAdministrator: user.madeAdmin, installations: installationIds.length }, 'signed in with GitHub');
      return reply.redirect(returnTo, 302);
    },
  );
}
