/**
 * Access that follows GitHub: the person's refreshable GitHub user token and when their access was
 * last confirmed with GitHub.
 * - `github_refresh_token` (encrypted, like `github_access_token`): GitHub App user tokens expire
 *   after 8 hours and come with a refresh token valid for 6 months;
 * - `github_token_expires_at`: when the access token expires (null: it does not, or unknown);
 * - `access_checked_at`: when the installations this person may see were last read from GitHub
 *   (sign-in or the periodic re-check); the account page shows it.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../open-database.js';
import { columnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema.alterTable('users').addColumn('github_refresh_token', 'text').execute();
  await db.schema.alterTable('users').addColumn('github_token_expires_at', t.timestamp).execute();
  await db.schema.alterTable('users').addColumn('access_checked_at', t.timestamp).execute();
}
