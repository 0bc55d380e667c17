/**
 * `access.recheck`: confirms with GitHub which of the App's installations one person can reach
 * (`GET /user/installations` with their own token) and makes that their access here. An expired
 * GitHub App user token (they last 8 hours) is first renewed with the refresh token (6 months);
 * the new pair is stored encrypted. When GitHub refuses the refresh token or the access token
 * (the person revoked the App, or the refresh token expired), the person's sessions end and the
 * tokens are dropped: nothing is left that could confirm their access. Any other failure (GitHub
 * unreachable, 5xx) throws, so the job is retried, and access stays as last confirmed.
 */
import { refreshToken as refreshUserToken } from '@octokit/oauth-methods';
import type { Database } from '../db/index.js';
import { toBool } from '../db/index.js';
import type { AppCredentialsStore, GitHubClients } from '../github/index.js';
import {
  dropGithubAuthorization,
  endAllSessions,
  getUser,
  openGithubToken,
  replaceGithubInstallations,
  sealGithubToken,
  updateUser,
  type GithubUserToken,
  type SecretBox,
} from '../identity/index.js';
import type { Logger } from '../log/index.js';
import { scrubSecrets } from '../log/index.js';

export const RECHECK_JOB = 'access.recheck';

/** Renew a token this long before it expires (a re-check must not start with a token about to lapse). */
const RENEW_BEFORE_MS = 5 * 60_000;

export interface RecheckDeps {
  db: Database;
  box: SecretBox;
  credentials: AppCredentialsStore;
  clients: () => GitHubClients;
  githubUrl: string;
  log: Logger;
}

export type RecheckOutcome = 'confirmed' | 'ended' | 'skipped';

const statusOf = (err: unknown): number | undefined => (err as { status?: number }).status;
const oauthErrorOf = (err: unknown): string | undefined => {
  const data = (err as { response?: { data?: { error?: unknown } } }).response?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
};

/** Ends the person's sessions and forgets their GitHub authorization, in one transaction. */
async function endAccess(deps: RecheckDeps, userId: string, why: string): Promise<void> {
  const sessions = await deps.db.kysely.transaction().execute(async (tx) => {
    const n = await endAllSessions(tx, userId);
    await dropGithubAuthorization(tx, userId);
    return n;
  });
  deps.log.info({ userId, sessions, why }, 'GitHub no longer vouches for this person: sessions ended, GitHub token dropped');
}

/** A usable token: the stored one, or a renewed one (stored); null when GitHub refused the refresh token. */
async function currentToken(deps: RecheckDeps, userId: string, stored: GithubUserToken): Promise<GithubUserToken | null> {
  if (stored.expiresAt === null || Date.parse(stored.expiresAt) - RENEW_BEFORE_MS > Date.now()) return stored;
  if (stored.refreshToken === null) return null;
  const creds = deps.credentials.current();
  if (!creds?.clientId || !creds.clientSecret) throw new Error('The GitHub App has no OAuth client configured: user tokens cannot be renewed');
  try {
    const { authentication } = await refreshUserToken({
      clientType: 'github-app',
      clientId: creds.clientId,
      clientSecret: creds.clientSecret,
      refreshToken: stored.refreshToken,
      // oauth-methods derives the web URL from the base URL: this gives exactly GITHUB_URL.
      request: deps.clients().anonymous().request.defaults({ baseUrl: deps.githubUrl }),
    });
    const renewed: GithubUserToken = { token: authentication.token, refreshToken: authentication.refreshToken, expiresAt: authentication.expiresAt };
    await updateUser(deps.db.kysely, userId, sealGithubToken(deps.box, renewed));
    return renewed;
  } catch (err) {
    // Only GitHub's verdict on the refresh token ends access; our own client credentials being wrong does not.
    if (oauthErrorOf(err) === 'bad_refresh_token') return null;
    throw new Error(`Renewing the GitHub user token failed: ${scrubSecrets((err as Error).message, [stored.refreshToken, creds.clientSecret])}`, { cause: err });
  }
}

/** Re-checks one person's access with GitHub. Safe to run any number of times. */
export async function recheckUser(deps: RecheckDeps, userId: string): Promise<RecheckOutcome> {
  const user = await getUser(deps.db.kysely, userId);
  if (!user || user.github_id === null || !toBool(user.is_active)) return 'skipped';
  const stored = openGithubToken(deps.box, user);
  if (!stored) return 'skipped';
  const token = await currentToken(deps, userId, stored);
  if (!token) {
    await endAccess(deps, userId, 'refresh token refused');
    return 'ended';
  }
  let installationIds: number[];
  try {
    const list = (await deps.clients().user(token.token).paginate('GET /user/installations', { per_page: 100 })) as unknown as Array<{ id: number }>;
    installationIds = list.map((i) => Number(i.id));
  } catch (err) {
    if (statusOf(err) === 401) {
      await endAccess(deps, userId, 'token refused');
      return 'ended';
    }
    throw new Error(`Listing the person's installations on GitHub failed: ${scrubSecrets((err as Error).message, [token.token])}`, { cause: err });
  }
  await deps.db.kysely.transaction().execute(async (tx) => {
    await replaceGithubInstallations(tx, userId, installationIds);
    await updateUser(tx, userId, { access_checked_at: new Date().toISOString() });
  });
  deps.log.debug({ userId, installations: installationIds.length }, 'access confirmed with GitHub');
  return 'confirmed';
}
