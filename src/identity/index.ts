/**
 * The identity slice: people (GitHub and local accounts), sessions, two-factor, personal API
 * tokens, sign-in rate limits, encryption at rest, and the authentication of every API request.
 * Owns users, user_sessions, user_recovery_codes, api_tokens, user_installations, rate_limits.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import type { Auth } from '../http/auth-context.js';
import type { Queue } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import { accountRoutes } from './account-routes.js';
import { authenticate } from './authenticate.js';
import { firstRunRoutes } from './first-run-routes.js';
import { purgeRateLimits } from './rate-limit.js';
import type { SecretBox } from './secret-box.js';
import type { SessionCookieDeps } from './session-cookie.js';
import { purgeExpiredSessions } from './sessions.js';
import { usersRoutes } from './users-routes.js';

export { loadSecretBox, createSecretBox, parseKey, generateKey, SecretUnreadable, SecretKeyInvalid } from './secret-box.js';
export type { SecretBox } from './secret-box.js';
export { issueSession, clearSessionCookies } from './session-cookie.js';
export type { SessionCookieDeps } from './session-cookie.js';
export { createLocalUser } from './create-user.js';
export {
  findUserByGithubId,
  findUserByUsername,
  getUser,
  insertUser,
  updateUser,
  replaceGithubInstallations,
  removeGithubInstallations,
  removeInstallationForEveryone,
  githubUsersOfInstallation,
  dropGithubAuthorization,
  usersDueForAccessCheck,
  presentUser,
  countUsers,
} from './users-repo.js';
export { GITHUB_TOKEN_COLUMN, GITHUB_REFRESH_TOKEN_COLUMN, sealGithubToken, openGithubToken, tokenFromGrant } from './github-user-token.js';
export type { GithubUserToken } from './github-user-token.js';
export { revokeAllSessions, endAllSessions } from './sessions.js';
export type { UserRow, PublicUser } from './users-repo.js';
export { hashToken, sameSecret } from './random-tokens.js';
export { currentTotp } from './totp.js';
export { rotateKeys, ENCRYPTED_COLUMNS } from './rotate-keys.js';
export { hit as rateLimitHit } from './rate-limit.js';
export {
  issueSetupCode,
  announceSetupCode,
  checkSetupCode,
  hasAdministrator,
  dropSetupCode,
  setupCodeInForce,
  grantedCodeHash,
  consumeSetupCode,
  requireSetupGrant,
  SETUP_GRANT_COOKIE,
  type IssueResult,
} from './setup-code.js';
export { clearGrantCookie } from './first-run-routes.js';
export { SetupCodeRequired, SetupDone, Forbidden } from './errors.js';

export const IDENTITY_PURGE_JOB = 'identity.purge';

export interface IdentityDeps {
  config: Config;
  db: Database;
  box: SecretBox;
  queue: Queue;
  log: Logger;
}

export interface IdentitySlice {
  authenticate(req: FastifyRequest): Promise<Auth | null>;
  cookies: SessionCookieDeps;
  routes(app: FastifyInstance): Promise<void>;
}

export function createIdentitySlice(deps: IdentityDeps): IdentitySlice {
  const { config, db, box, queue } = deps;
  const log = deps.log.child({ slice: 'identity' });
  const secureCookies = config.publicUrl.startsWith('https://');
  queue.register(IDENTITY_PURGE_JOB, async () => {
    const sessions = await purgeExpiredSessions(db);
    const windows = await purgeRateLimits(db, new Date(Date.now() - 86_400_000));
    if (sessions + windows > 0) log.info({ sessions, windows }, 'purged expired sessions and rate-limit windows');
  });
  queue.schedule(IDENTITY_PURGE_JOB, '23 * * * *');
  return {
    authenticate: (req) => authenticate({ db, box, operatorToken: config.apiToken, sessionDays: config.sessionDays }, req),
    cookies: { db, box, sessionDays: config.sessionDays, secure: secureCookies },
    async routes(app) {
      await accountRoutes(app, { db, box, sessionDays: config.sessionDays, secureCookies });
      await usersRoutes(app, { db });
      await firstRunRoutes(app, { db, box, sessionDays: config.sessionDays, secureCookies });
    },
  };
}
