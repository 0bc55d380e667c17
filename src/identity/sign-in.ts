/**
 * Local sign-in: username + password (argon2id), then the second factor when the account has one
 * (a TOTP code or a single-use recovery code). Unknown user, inactive user and wrong password get
 * the same answer in the same time. Attempts are rate-limited per account and per address; wrong
 * second-factor codes lock two-factor sign-in for a while.
 */
import type { Database } from '../db/index.js';
import { toBool } from '../db/index.js';
import { InvalidCredentials, RateLimited, TwoFactorInvalid, TwoFactorLocked, TwoFactorRequired } from './errors.js';
import { hashPassword, hashRandomSecret, needsRehash, verifyDummy, verifyPassword } from './passwords.js';
import {
  count,
  hit,
  LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS,
  LOGIN_FAILURES_PER_ADDRESS,
  LOGIN_UNKNOWN_ADDRESS,
  noteEvent,
  recentEvents,
  refuseIfOver,
  TOTP_LOCK_AFTER,
  TOTP_LOCK_SECONDS,
  TOTP_PER_ACCOUNT,
} from './rate-limit.js';
import { normaliseRecoveryCode } from './random-tokens.js';
import type { SecretBox } from './secret-box.js';
import { checkTotp } from './totp.js';
import { findUserByUsername, updateUser, type UserRow } from './users-repo.js';

export interface SignInDeps {
  db: Database;
  box: SecretBox;
}

export const TOTP_COLUMN = 'users.totp_secret';
export const TOTP_PENDING_COLUMN = 'users.totp_pending_secret';

/**
 * The stored form of a recovery code: a light argon2id hash (50 random bits would not survive an
 * offline search against a plain fast hash), independent of the encryption key so rotating keys
 * leaves codes working.
 */
export function recoveryCodeHash(code: string): Promise<string> {
  return hashRandomSecret(normaliseRecoveryCode(code));
}

/** Uses one of a user's unused recovery codes; true when the code matched one (each works once). */
async function useRecoveryCode(db: Database, userId: string, code: string): Promise<boolean> {
  const unused = await db.kysely.selectFrom('user_recovery_codes').select(['id', 'code_hash']).where('user_id', '=', userId).where('used_at', 'is', null).execute();
  const clean = normaliseRecoveryCode(code);
  for (const row of unused) {
    if (await verifyPassword(row.code_hash, clean)) {
      // Conditional: two concurrent sign-ins with the same code cannot both use it.
      const r = await db.kysely.updateTable('user_recovery_codes').set({ used_at: new Date().toISOString() }).where('id', '=', row.id).where('used_at', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    }
  }
  return false;
}

/**
 * Checks a second factor for a user with two-factor enabled. Returns how it was satisfied; throws
 * TwoFactorRequired / TwoFactorInvalid / TwoFactorLocked.
 */
export async function checkSecondFactor(
  deps: SignInDeps,
  user: UserRow,
  p: { totpCode?: string; recoveryCode?: string },
  now = new Date(),
): Promise<'totp' | 'recovery_code'> {
  if (user.totp_locked_until && Date.parse(user.totp_locked_until) > now.getTime()) {
    throw new TwoFactorLocked((Date.parse(user.totp_locked_until) - now.getTime()) / 1000);
  }
  if (!p.totpCode && !p.recoveryCode) throw new TwoFactorRequired();
  await hit(deps.db, `2fa:user:${user.id}`, TOTP_PER_ACCOUNT, now.getTime());
  if (p.recoveryCode) {
    if (await useRecoveryCode(deps.db, user.id, p.recoveryCode)) {
      await updateUser(deps.db.kysely, user.id, { totp_failures: 0 });
      return 'recovery_code';
    }
  } else if (p.totpCode && user.totp_secret) {
    const secret = deps.box.open(user.totp_secret, TOTP_COLUMN);
    const step = checkTotp(secret, p.totpCode, user.totp_last_step === null ? null : Number(user.totp_last_step), now.getTime());
    if (step !== null) {
      // Conditional on the last step: two concurrent requests with the same code cannot both pass.
      const r = await deps.db.kysely
        .updateTable('users')
        .set({ totp_last_step: step, totp_failures: 0 })
        .where('id', '=', user.id)
        .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) return 'totp';
    }
  }
  // Counted in SQL: concurrent wrong codes each count.
  const counted = await deps.db.kysely
    .updateTable('users')
    .set((eb) => ({ totp_failures: eb('totp_failures', '+', 1) }))
    .where('id', '=', user.id)
    .returning('totp_failures')
    .executeTakeFirstOrThrow();
  const failures = Number(counted.totp_failures);
  if (failures >= TOTP_LOCK_AFTER) {
    await updateUser(deps.db.kysely, user.id, { totp_failures: 0, totp_locked_until: new Date(now.getTime() + TOTP_LOCK_SECONDS * 1000).toISOString() });
    throw new TwoFactorLocked(TOTP_LOCK_SECONDS);
  }
  throw new TwoFactorInvalid();
}

/** True when this account has a session (live or recently expired, not yet purged) from this address. */
async function signedInFrom(deps: SignInDeps, userId: string, ip: string): Promise<boolean> {
  const row = await deps.db.kysely.selectFrom('user_sessions').select('id').where('user_id', '=', userId).where('ip', '=', ip).limit(1).executeTakeFirst();
  return row !== undefined;
}

/**
 * Verifies a local sign-in; returns the user and the method (for the session record).
 *
 * Only failures count (a wrong password, an unknown or inactive account): per account and address
 * together, and per address; a success counts nothing. From an address the account has never
 * signed in from, failures slow the account down progressively (LOGIN_UNKNOWN_ADDRESS) instead of
 * locking it, so strangers cannot lock a person out of the addresses they use.
 */
export async function verifySignIn(
  deps: SignInDeps,
  p: { username: string; password: string; totpCode?: string; recoveryCode?: string; ip: string },
): Promise<{ user: UserRow; method: string }> {
  const name = p.username.toLowerCase();
  const addressKey = `login:fail:addr:${p.ip}`;
  const pairKey = `login:fail:user:${name}:addr:${p.ip}`;
  const unknownKey = `login:fail:user:${name}:unknown-address`;
  await refuseIfOver(deps.db, addressKey, LOGIN_FAILURES_PER_ADDRESS);
  await refuseIfOver(deps.db, pairKey, LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS);
  const user = await findUserByUsername(deps.db.kysely, p.username);
  const known = user ? await signedInFrom(deps, user.id, p.ip) : false;
  if (!known) {
    const { n, lastMs } = await recentEvents(deps.db, unknownKey, LOGIN_UNKNOWN_ADDRESS.windowSeconds);
    if (n >= LOGIN_UNKNOWN_ADDRESS.slowAfter && lastMs !== null) {
      const delayMs = Math.min(2 ** (n - LOGIN_UNKNOWN_ADDRESS.slowAfter), LOGIN_UNKNOWN_ADDRESS.maxDelaySeconds) * 1000;
      const waitMs = lastMs + delayMs - Date.now();
      if (waitMs > 0) throw new RateLimited(Math.ceil(waitMs / 1000));
    }
  }
  const failed = async (err: Error): Promise<never> => {
    await count(deps.db, addressKey, LOGIN_FAILURES_PER_ADDRESS);
    await count(deps.db, pairKey, LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS);
    if (!known) await noteEvent(deps.db, unknownKey);
    throw err;
  };
  if (!user || !user.password_hash || !toBool(user.is_active)) {
    await verifyDummy(p.password);
    return failed(new InvalidCredentials());
  }
  if (!(await verifyPassword(user.password_hash, p.password))) return failed(new InvalidCredentials());
  let method = 'password';
  if (toBool(user.is_2fa_enabled)) {
    const second = await checkSecondFactor(deps, user, p);
    method = second === 'totp' ? 'password+totp' : 'password+recovery_code';
  }
  if (needsRehash(user.password_hash)) {
    await updateUser(deps.db.kysely, user.id, { password_hash: await hashPassword(p.password) });
  }
  return { user, method };
}
