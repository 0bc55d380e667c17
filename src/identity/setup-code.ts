/**
 * The one-time setup code (as Jenkins and Grafana have): on a server with no administrator, whoever
 * reaches it first must not own it. A random code is printed in the server's log at start (and by
 * `switchyard doctor`); the setup wizard and the first administrator's sign-in ask for it.
 *
 * Words:
 * - code: 12 characters from an unambiguous alphabet (`xxxx-xxxx-xxxx`, 59 random bits), shown to
 *   the operator only; only its keyed hash (HMAC-SHA-256, purpose `setup-code`) is stored, in the
 *   one row of `setup_codes`, so every web process accepts the same code;
 * - grant: what a browser holds after entering the right code (an HttpOnly cookie): a MAC of the
 *   stored hash (purpose `setup-grant`), valid exactly as long as that code is;
 * - consume: deleting the code in the same transaction that makes the first administrator (a
 *   conditional delete, so two people with the code cannot both become it).
 *
 * A wrong code is refused with the same answer every time (SetupCodeInvalid) and counts as a failed
 * sign-in of the client address (LOGIN_FAILURES_PER_ADDRESS): an address that guesses is locked out
 * of sign-in and setup alike. Once an administrator exists the code is gone (deleted wherever that is
 * noticed: at start, at every check, after `switchyard user create --admin`).
 */
import { randomInt } from 'node:crypto';
import type { Database } from '../db/index.js';
import type { Logger } from '../log/index.js';
import type { Executor } from '../db/index.js';
import { SetupCodeInvalid, SetupCodeRequired, SetupDone } from './errors.js';
import { count, LOGIN_FAILURES_PER_ADDRESS, refuseIfOver } from './rate-limit.js';
import { sameSecret } from './random-tokens.js';
import type { SecretBox } from './secret-box.js';

const ROW_ID = 'first-admin';
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // 31 symbols, no 0/o/1/l/i
export const SETUP_GRANT_COOKIE = 'sy_setup';

export interface SetupCodeDeps {
  db: Database;
  box: SecretBox;
}

/** A new random code, `xxxx-xxxx-xxxx`. */
export function newSetupCode(): string {
  const c = Array.from({ length: 12 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return `${c.slice(0, 4)}-${c.slice(4, 8)}-${c.slice(8)}`;
}

/** Codes are compared case-, space- and dash-insensitively. */
export function normaliseSetupCode(code: string): string {
  return code.trim().toLowerCase().replace(/[\s-]/g, '');
}

function codeHashes(box: SecretBox, code: string): string[] {
  return box.macs('setup-code', normaliseSetupCode(code));
}

/** True when an administrator account exists. */
export async function hasAdministrator(db: Executor): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').where('is_admin', '=', true).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Deletes the setup code (once an administrator exists). */
export async function dropSetupCode(db: Executor): Promise<void> {
  await db.deleteFrom('setup_codes').execute();
}

export type IssueResult =
  | { kind: 'issued'; code: string }
  /** Another process issued the code (insert-if-absent lost): it printed it, this one cannot. */
  | { kind: 'exists'; issuedBy: string; createdAt: string }
  | { kind: 'has-admin' };

/**
 * Issues a setup code on a server with no administrator. `replace: false` inserts only when none
 * exists (web processes on PostgreSQL starting together agree on one code); `replace: true` issues
 * a new one in any case (the embedded server at each start, `switchyard doctor`): the earlier code
 * stops working.
 */
export async function issueSetupCode(deps: SetupCodeDeps, p: { issuedBy: 'start' | 'web' | 'setup' | 'doctor'; replace: boolean }): Promise<IssueResult> {
  if (await hasAdministrator(deps.db.kysely)) {
    await dropSetupCode(deps.db.kysely);
    return { kind: 'has-admin' };
  }
  const code = newSetupCode();
  const row = { id: ROW_ID, code_hash: deps.box.mac('setup-code', normaliseSetupCode(code)), issued_by: p.issuedBy, created_at: new Date().toISOString() };
  if (p.replace) {
    await deps.db.kysely
      .insertInto('setup_codes')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet({ code_hash: row.code_hash, issued_by: row.issued_by, created_at: row.created_at }))
      .execute();
    return { kind: 'issued', code };
  }
  const inserted = await deps.db.kysely
    .insertInto('setup_codes')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { kind: 'issued', code };
  const existing = await deps.db.kysely.selectFrom('setup_codes').selectAll().where('id', '=', ROW_ID).executeTakeFirst();
  if (!existing) return issueSetupCode(deps, p); // deleted in between (an administrator appeared, or a restart raced): look again
  const createdAt = (existing.created_at as unknown) instanceof Date ? (existing.created_at as unknown as Date).toISOString() : String(existing.created_at);
  return { kind: 'exists', issuedBy: existing.issued_by, createdAt };
}

/** Whether the server still waits for its first administrator (a setup code is in force). */
export async function setupCodeInForce(db: Executor): Promise<boolean> {
  const row = await db.selectFrom('setup_codes').select('id').where('id', '=', ROW_ID).executeTakeFirst();
  return row !== undefined;
}

/**
 * Checks a setup code typed by a person at `ip`; returns the grant for the browser's cookie.
 * Throws RateLimited when the address has failed too often, SetupDone when an administrator exists,
 * SetupCodeInvalid (always the same) when the code is wrong — and then counts the failure.
 */
export async function checkSetupCode(deps: SetupCodeDeps, code: string, ip: string): Promise<string> {
  const addressKey = `login:fail:addr:${ip}`;
  await refuseIfOver(deps.db, addressKey, LOGIN_FAILURES_PER_ADDRESS);
  if (await hasAdministrator(deps.db.kysely)) {
    await dropSetupCode(deps.db.kysely);
    throw new SetupDone();
  }
  const row = await deps.db.kysely.selectFrom('setup_codes').select('code_hash').where('id', '=', ROW_ID).executeTakeFirst();
  if (!row || !codeHashes(deps.box, code).some((h) => sameSecret(h, row.code_hash))) {
    await count(deps.db, addressKey, LOGIN_FAILURES_PER_ADDRESS);
    throw new SetupCodeInvalid();
  }
  return deps.box.mac('setup-grant', row.code_hash);
}

/** The stored code's hash when `grant` is a grant for it (the code still in force), else null. */
export async function grantedCodeHash(deps: SetupCodeDeps, grant: string | undefined, db: Executor = deps.db.kysely): Promise<string | null> {
  if (!grant) return null;
  const row = await db.selectFrom('setup_codes').select('code_hash').where('id', '=', ROW_ID).executeTakeFirst();
  if (!row) return null;
  return deps.box.macs('setup-grant', row.code_hash).some((g) => sameSecret(g, grant)) ? row.code_hash : null;
}

/** Throws unless `grant` is a grant for the code in force (SetupDone once an administrator exists). */
export async function requireSetupGrant(deps: SetupCodeDeps, grant: string | undefined): Promise<void> {
  if (await hasAdministrator(deps.db.kysely)) throw new SetupDone();
  if (!(await grantedCodeHash(deps, grant))) throw new SetupCodeRequired();
}

/**
 * Uses the code up, inside the transaction that makes the first administrator: true when this
 * transaction deleted the code the grant was for (only one can).
 */
export async function consumeSetupCode(deps: SetupCodeDeps, tx: Executor, grant: string | undefined): Promise<boolean> {
  const hash = await grantedCodeHash(deps, grant, tx);
  if (!hash) return false;
  const r = await tx.deleteFrom('setup_codes').where('id', '=', ROW_ID).where('code_hash', '=', hash).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/**
 * At a web process's start: issues the code when no administrator exists and prints it in the
 * server's log (one line, at warn level so every log level shows it). `replace`: the embedded
 * server (SQLite, one process) issues a new code at every start; web processes on PostgreSQL insert
 * one only when none is in force, so processes starting together agree, and a process that finds one
 * says where it came from. Returns the code this process issued, or null.
 */
export async function announceSetupCode(deps: SetupCodeDeps & { log: Logger; publicUrl: string }, p: { replace: boolean; issuedBy: 'start' | 'web' }): Promise<string | null> {
  const r = await issueSetupCode(deps, p);
  if (r.kind === 'issued') {
    deps.log.warn(`SETUP CODE: ${r.code} — this server has no administrator yet: open ${deps.publicUrl}/setup and enter this code (it works until the first administrator exists)`);
    return r.code;
  }
  if (r.kind === 'exists') {
    deps.log.warn(
      `No administrator yet: the setup code issued by a "${r.issuedBy}" process at ${r.createdAt} is in force (it is in that process's log); \`switchyard doctor\` on the server's shell issues a new one`,
    );
  }
  return null;
}
