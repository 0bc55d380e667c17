/**
 * Personal API tokens for scripts: created by a user, shown once, stored as a SHA-256 hash, revocable,
 * with a last-used time (written at most once a minute per token).
 */
import type { Database } from '../db/index.js';
import { newId, nowIso } from '../db/index.js';
import { API_TOKEN_PREFIX, hashToken, newToken } from './random-tokens.js';

export interface ApiTokenRow {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  token_hint: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

export async function createApiToken(db: Database, p: { userId: string; name: string; expiresAt: string | null }): Promise<{ token: string; row: ApiTokenRow }> {
  const token = newToken(API_TOKEN_PREFIX);
  const row: ApiTokenRow = {
    id: newId(),
    user_id: p.userId,
    name: p.name,
    token_hash: hashToken(token),
    token_hint: token.slice(0, API_TOKEN_PREFIX.length + 4),
    last_used_at: null,
    expires_at: p.expiresAt,
    revoked_at: null,
    created_at: nowIso(),
  };
  await db.kysely.insertInto('api_tokens').values(row).execute();
  return { token, row };
}

/** The live token row for a presented token, or null; records the use. */
export async function useApiToken(db: Database, token: string, now = new Date()): Promise<ApiTokenRow | null> {
  if (!token.startsWith(API_TOKEN_PREFIX)) return null;
  const row = await db.kysely.selectFrom('api_tokens').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst();
  if (!row || row.revoked_at) return null;
  if (row.expires_at && Date.parse(row.expires_at) <= now.getTime()) return null;
  if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) >= 60_000) {
    await db.kysely.updateTable('api_tokens').set({ last_used_at: now.toISOString() }).where('id', '=', row.id).execute();
  }
  return row;
}

export async function listApiTokens(db: Database, userId: string): Promise<ApiTokenRow[]> {
  return db.kysely.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).where('revoked_at', 'is', null).orderBy('id', 'desc').limit(500).execute();
}

export async function revokeApiToken(db: Database, userId: string, id: string): Promise<boolean> {
  const r = await db.kysely
    .updateTable('api_tokens')
    .set({ revoked_at: nowIso() })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
