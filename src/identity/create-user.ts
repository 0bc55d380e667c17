/** Creating a local account (API and `switchyard user create`): validated, hashed, unique by name. */
import type { Database } from '../db/index.js';
import { BadRequest, Conflict } from './errors.js';
import { hashPassword, passwordProblem } from './passwords.js';
import { usernameSchema } from './schema.js';
import { dropSetupCode } from './setup-code.js';
import { findUserByUsername, insertUser, type UserRow } from './users-repo.js';

export async function createLocalUser(
  db: Database,
  p: { username: string; password: string; email?: string; name?: string; isAdmin: boolean },
): Promise<UserRow> {
  const parsed = usernameSchema.safeParse(p.username);
  if (!parsed.success) throw new BadRequest(`username: ${parsed.error.issues[0]?.message ?? 'invalid'}`, 'USERNAME_INVALID');
  const problem = passwordProblem(p.password, parsed.data);
  if (problem) throw new BadRequest(`password ${problem}`, 'PASSWORD_WEAK');
  if (await findUserByUsername(db.kysely, parsed.data)) throw new Conflict('USERNAME_TAKEN', `The username ${parsed.data} is taken`);
  const passwordHash = await hashPassword(p.password);
  try {
    const user = await insertUser(db.kysely, { username: parsed.data, email: p.email ?? null, name: p.name ?? null, password_hash: passwordHash, is_admin: p.isAdmin });
    // An administrator exists now (made by an administrator, or on the machine's shell): the setup code is gone.
    if (p.isAdmin) await dropSetupCode(db.kysely);
    return user;
  } catch (err) {
    // Two creations racing for one name: the unique index decides.
    if (await findUserByUsername(db.kysely, parsed.data)) throw new Conflict('USERNAME_TAKEN', `The username ${parsed.data} is taken`);
    throw err;
  }
}
