/** Kysely queries for users, recovery codes and user_installations: one function per operation. */
import { sql, type Selectable } from 'kysely';
import type { Executor, UsersTable } from '../db/index.js';
import { newId, nowIso, toBool } from '../db/index.js';

export type UserRow = Selectable<UsersTable>;

/** What the API shows of a user (never hashes, secrets or tokens). */
export interface PublicUser {
  id: string;
  username: string;
  email: string | null;
  name: string | null;
  avatar_url: string | null;
  github_id: number | null;
  is_admin: boolean;
  is_active: boolean;
  is_2fa_enabled: boolean;
  has_password: boolean;
  last_active_at: string | null;
  /** When the installations this person may see were last confirmed with GitHub (null: never, e.g. a local account). */
  access_checked_at: string | null;
  created_at: string;
}

export function presentUser(u: UserRow): PublicUser {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    name: u.name,
    avatar_url: u.avatar_url,
    github_id: u.github_id === null ? null : Number(u.github_id),
    is_admin: toBool(u.is_admin),
    is_active: toBool(u.is_active),
    is_2fa_enabled: toBool(u.is_2fa_enabled),
    has_password: u.password_hash !== null,
    last_active_at: u.last_active_at,
    access_checked_at: u.access_checked_at,
    created_at: u.created_at,
  };
}

export async function getUser(db: Executor, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findUserByUsername(db: Executor, username: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where(sql<string>`lower(username)`, '=', username.toLowerCase())
    .executeTakeFirst();
}

export async function findUserByGithubId(db: Executor, githubId: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('github_id', '=', githubId).executeTakeFirst();
}

export async function countUsers(db: Executor): Promise<number> {
  const r = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function insertUser(
  db: Executor,
  u: Pick<UserRow, 'username'> & Partial<
      Pick<UserRow, 'email' | 'name' | 'avatar_url' | 'password_hash' | 'github_id' | 'github_access_token' | 'github_refresh_token' | 'github_token_expires_at' | 'access_checked_at'>
    > & { is_admin?: boolean },
): Promise<UserRow> {
  const now = nowIso();
  const row = {
    id: newId(),
    username: u.username,
    email: u.email ?? null,
    name: u.name ?? null,
    avatar_url: u.avatar_url ?? null,
    password_hash: u.password_hash ?? null,
    github_id: u.github_id ?? null,
    github_access_token: u.github_access_token ?? null,
    github_refresh_token: u.github_refresh_token ?? null,
    github_token_expires_at: u.github_token_expires_at ?? null,
    access_checked_at: u.access_checked_at ?? null,
    is_admin: u.is_admin ?? false,
    is_active: true,
    is_2fa_enabled: false,
    totp_failures: 0,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('users').values(row).execute();
  return (await getUser(db, row.id))!;
}

export async function updateUser(
  db: Executor,
  id: string,
  patch: Partial<Omit<UserRow, 'id' | 'created_at' | 'is_admin' | 'is_active' | 'is_2fa_enabled'>> & {
    is_admin?: boolean;
    is_active?: boolean;
    is_2fa_enabled?: boolean;
  },
): Promise<void> {
  await db
    .updateTable('users')
    .set({ ...patch, updated_at: nowIso() })
    .where('id', '=', id)
    .execute();
}

export async function listUsers(db: Executor, p: { afterId?: string; limit: number }): Promise<UserRow[]> {
  let q = db.selectFrom('users').selectAll().orderBy('id', 'asc').limit(p.limit + 1);
  if (p.afterId) q = q.where('id', '>', p.afterId);
  return q.execute();
}

/** Installations (GitHub ids) a user may see. */
export async function userInstallationIds(db: Executor, userId: string): Promise<number[]> {
  const rows = await db.selectFrom('user_installations').select('installation_github_id').where('user_id', '=', userId).execute();
  return rows.map((r) => Number(r.installation_github_id));
}

/**
 * The installations a user's requests are scoped to: their rows, less installations GitHub has
 * deleted or suspended (the state projection marks them from `installation` deliveries, so access
 * ends when the delivery is processed and comes back on `unsuspend`). An installation not known to
 * the state tables yet stays visible: there is nothing of it to see.
 */
export async function visibleInstallationIds(db: Executor, userId: string): Promise<number[]> {
  const rows = await db
    .selectFrom('user_installations as ui')
    .select('ui.installation_github_id')
    .where('ui.user_id', '=', userId)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('installations as i')
            .select('i.id')
            .whereRef('i.github_id', '=', 'ui.installation_github_id')
            .where('i.status', 'in', ['deleted', 'suspended']),
        ),
      ),
    )
    .execute();
  return rows.map((r) => Number(r.installation_github_id));
}

/** Removes GitHub-learned access of a user to these installations (administrator grants stay); returns how many rows went. */
export async function removeGithubInstallations(db: Executor, userId: string, installationIds: number[]): Promise<number> {
  if (installationIds.length === 0) return 0;
  const r = await db
    .deleteFrom('user_installations')
    .where('user_id', '=', userId)
    .where('source', '=', 'github')
    .where('installation_github_id', 'in', installationIds)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Removes every person's access to an installation GitHub deleted (grants included: it is gone); returns how many rows went. */
export async function removeInstallationForEveryone(db: Executor, installationId: number): Promise<number> {
  const r = await db.deleteFrom('user_installations').where('installation_github_id', '=', installationId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Users who see an installation because GitHub said so (at most `limit`, by id). */
export async function githubUsersOfInstallation(db: Executor, installationId: number, limit = 1000): Promise<string[]> {
  const rows = await db
    .selectFrom('user_installations')
    .select('user_id')
    .where('installation_github_id', '=', installationId)
    .where('source', '=', 'github')
    .orderBy('user_id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.user_id);
}

/**
 * Forgets a person's GitHub authorization: the stored tokens and the installations learned from
 * GitHub (administrator grants stay). Their next sign-in with GitHub brings both back.
 */
export async function dropGithubAuthorization(db: Executor, userId: string): Promise<void> {
  await db.deleteFrom('user_installations').where('user_id', '=', userId).where('source', '=', 'github').execute();
  await db
    .updateTable('users')
    .set({ github_access_token: null, github_refresh_token: null, github_token_expires_at: null, updated_at: nowIso() })
    .where('id', '=', userId)
    .execute();
}

/**
 * Signed-in GitHub users whose access is due for a re-check: used a session since `activeSince`,
 * hold a GitHub token, and were last confirmed before `checkedBefore` (or never). Oldest first.
 */
export async function usersDueForAccessCheck(db: Executor, p: { activeSince: string; checkedBefore: string; limit: number }): Promise<string[]> {
  const rows = await db
    .selectFrom('users')
    .select('id')
    .where('github_id', 'is not', null)
    .where('github_access_token', 'is not', null)
    .where('is_active', '=', true)
    .where('last_active_at', '>=', p.activeSince)
    .where((eb) => eb.or([eb('access_checked_at', 'is', null), eb('access_checked_at', '<', p.checkedBefore)]))
    .orderBy('access_checked_at')
    .limit(p.limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Replaces the installations learned from GitHub for a user (administrator grants stay). */
export async function replaceGithubInstallations(db: Executor, userId: string, installationIds: number[]): Promise<void> {
  await db.deleteFrom('user_installations').where('user_id', '=', userId).where('source', '=', 'github').execute();
  const granted = new Set(await userInstallationIds(db, userId));
  const now = nowIso();
  const rows = [...new Set(installationIds)]
    .filter((id) => !granted.has(id))
    .map((id) => ({ user_id: userId, installation_github_id: id, source: 'github' as const, created_at: now }));
  if (rows.length > 0) await db.insertInto('user_installations').values(rows).execute();
}

export async function grantInstallation(db: Executor, userId: string, installationId: number): Promise<void> {
  await db
    .insertInto('user_installations')
    .values({ user_id: userId, installation_github_id: installationId, source: 'admin', created_at: nowIso() })
    .onConflict((oc) => oc.columns(['user_id', 'installation_github_id']).doUpdateSet({ source: 'admin' }))
    .execute();
}

export async function revokeInstallation(db: Executor, userId: string, installationId: number): Promise<boolean> {
  const r = await db
    .deleteFrom('user_installations')
    .where('user_id', '=', userId)
    .where('installation_github_id', '=', installationId)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function replaceRecoveryCodes(db: Executor, userId: string, codeHashes: string[]): Promise<void> {
  await db.deleteFrom('user_recovery_codes').where('user_id', '=', userId).execute();
  const now = nowIso();
  if (codeHashes.length > 0) {
    await db
      .insertInto('user_recovery_codes')
      .values(codeHashes.map((h) => ({ id: newId(), user_id: userId, code_hash: h, used_at: null, created_at: now })))
      .execute();
  }
}

export async function remainingRecoveryCodes(db: Executor, userId: string): Promise<number> {
  const r = await db
    .selectFrom('user_recovery_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
