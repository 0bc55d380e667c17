/**
 * Sessions: a random 256-bit token in an HttpOnly cookie; only its SHA-256 hash is stored. Expiry
 * slides: each use (at most once a minute, to spare the database a write per request) pushes
 * `expires_at` to now + SESSION_DAYS. Expired sessions are purged by a scheduled job.
 */
import type { Database, Executor } from '../db/index.js';
import { newId, nowIso } from '../db/index.js';
import { hashToken, newToken, SESSION_PREFIX } from './random-tokens.js';

export interface SessionRow {
  id: string;
  user_id: string;
  token_hash: string;
  method: string;
  user_agent: string | null;
  ip: string | null;
  last_seen_at: string;
  expires_at: string;
  created_at: string;
}

const TOUCH_EVERY_MS = 60_000;

export async function createSession(
  db: Database,
  p: { userId: string; method: string; userAgent?: string; ip?: string; days: number },
): Promise<{ token: string; session: SessionRow }> {
  const token = newToken(SESSION_PREFIX);
  const now = new Date();
  const session: SessionRow = {
    id: newId(),
    user_id: p.userId,
    token_hash: hashToken(token),
    method: p.method,
    user_agent: p.userAgent?.slice(0, 300) ?? null,
    ip: p.ip ?? null,
    last_seen_at: now.toISOString(),
    expires_at: new Date(now.getTime() + p.days * 86_400_000).toISOString(),
    created_at: now.toISOString(),
  };
  await db.kysely.insertInto('user_sessions').values(session).execute();
  await db.kysely.updateTable('users').set({ last_active_at: session.created_at }).where('id', '=', p.userId).execute();
  return { token, session };
}

/** The live session for a token (sliding its expiry), or null. */
export async function resumeSession(db: Database, token: string, days: number, now = new Date()): Promise<SessionRow | null> {
  const row = await db.kysely.selectFrom('user_sessions').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst();
  if (!row) return null;
  if (Date.parse(row.expires_at) <= now.getTime()) return null;
  if (now.getTime() - Date.parse(row.last_seen_at) >= TOUCH_EVERY_MS) {
    const expires = new Date(now.getTime() + days * 86_400_000).toISOString();
    await db.kysely.updateTable('user_sessions').set({ last_seen_at: now.toISOString(), expires_at: expires }).where('id', '=', row.id).execute();
    await db.kysely.updateTable('users').set({ last_active_at: now.toISOString() }).where('id', '=', row.user_id).execute();
    return { ...row, last_seen_at: now.toISOString(), expires_at: expires };
  }
  return row;
}

export async function listSessions(db: Database, userId: string): Promise<SessionRow[]> {
  return db.kysely
    .selectFrom('user_sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('expires_at', '>', nowIso())
    .orderBy('id', 'desc')
    .limit(500)
    .execute();
}

/** Revokes one of a user's sessions; false when it is not theirs or does not exist. */
export async function revokeSession(db: Database, userId: string, sessionId: string): Promise<boolean> {
  const r = await db.kysely.deleteFrom('user_sessions').where('id', '=', sessionId).where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Revokes every session of a user (password change, deactivation), except `keep`. */
export async function revokeAllSessions(db: Database, userId: string, keep?: string): Promise<number> {
  let q = db.kysely.deleteFrom('user_sessions').where('user_id', '=', userId);
  if (keep) q = q.where('id', '!=', keep);
  const r = await q.executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Ends every session of a user inside the caller's transaction (GitHub authorization revoked); returns how many. */
export async function endAllSessions(exec: Executor, userId: string): Promise<number> {
  const r = await exec.deleteFrom('user_sessions').where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function purgeExpiredSessions(db: Database, now = new Date()): Promise<number> {
  const r = await db.kysely.deleteFrom('user_sessions').where('expires_at', '<=', now.toISOString()).executeTakeFirst();
  return Number(r.numDeletedRows);
}
