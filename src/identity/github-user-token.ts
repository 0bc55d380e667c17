/**
 * The person's GitHub user token, kept encrypted at rest: the access token, and for GitHub App
 * user tokens (which expire after 8 hours) the refresh token (valid 6 months) and the expiry. The
 * sign-in stores them; the access re-check (src/access) reads, refreshes and drops them.
 */
import type { UserRow } from './users-repo.js';
import type { SecretBox } from './secret-box.js';

export const GITHUB_TOKEN_COLUMN = 'users.github_access_token';
export const GITHUB_REFRESH_TOKEN_COLUMN = 'users.github_refresh_token';

/** A user token as GitHub's token endpoint answers it (times as ISO strings). */
export interface GithubUserToken {
  token: string;
  /** Null for tokens that do not expire (OAuth Apps, or GitHub Apps with expiring tokens turned off). */
  refreshToken: string | null;
  expiresAt: string | null;
}

/** The users columns that store a token (sealed). */
export function sealGithubToken(box: SecretBox, t: GithubUserToken): Pick<UserRow, 'github_access_token' | 'github_refresh_token' | 'github_token_expires_at'> {
  return {
    github_access_token: box.seal(t.token, GITHUB_TOKEN_COLUMN),
    github_refresh_token: t.refreshToken === null ? null : box.seal(t.refreshToken, GITHUB_REFRESH_TOKEN_COLUMN),
    github_token_expires_at: t.expiresAt,
  };
}

/** The stored token of a user, opened; null when none is stored. */
export function openGithubToken(box: SecretBox, u: Pick<UserRow, 'github_access_token' | 'github_refresh_token' | 'github_token_expires_at'>): GithubUserToken | null {
  if (u.github_access_token === null) return null;
  return {
    token: box.open(u.github_access_token, GITHUB_TOKEN_COLUMN),
    refreshToken: box.openNullable(u.github_refresh_token, GITHUB_REFRESH_TOKEN_COLUMN),
    expiresAt: u.github_token_expires_at,
  };
}

/** The token endpoint's answer (`expires_in` seconds from `now`) as a GithubUserToken; null without an access token. */
export function tokenFromGrant(data: Record<string, unknown>, now = Date.now()): GithubUserToken | null {
  const token = typeof data.access_token === 'string' && data.access_token !== '' ? data.access_token : null;
  if (!token) return null;
  const refreshToken = typeof data.refresh_token === 'string' && data.refresh_token !== '' ? data.refresh_token : null;
  const expiresIn = Number(data.expires_in);
  const expiresAt = refreshToken !== null && Number.isFinite(expiresIn) && expiresIn > 0 ? new Date(now + expiresIn * 1000).toISOString() : null;
  return { token, refreshToken, expiresAt };
}
