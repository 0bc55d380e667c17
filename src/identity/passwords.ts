/**
 * Passwords: argon2id with OWASP's recommended parameters (19 MiB memory, 2 iterations, 1 lane),
 * through @node-rs/argon2 (a maintained Rust binding shipped as prebuilt binaries, so nothing is
 * compiled at install time). The encoded hash carries its parameters, so raising them later only
 * affects new hashes; `needsRehash` tells when to upgrade one at sign-in.
 */
import { Algorithm, hash, verify } from '@node-rs/argon2';

const PARAMS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

export async function verifyPassword(encoded: string, password: string): Promise<boolean> {
  try {
    return await verify(encoded, password);
  } catch {
    return false;
  }
}

/** A hash made with weaker parameters than today's. */
export function needsRehash(encoded: string): boolean {
  return !encoded.startsWith(`$argon2id$v=19$m=${PARAMS.memoryCost},t=${PARAMS.timeCost},p=${PARAMS.parallelism}$`);
}

let dummy: Promise<string> | null = null;
/** Spends the same time as a real check, for unknown users: the answer must not reveal who exists. */
export async function verifyDummy(password: string): Promise<false> {
  dummy ??= hashPassword('switchyard-dummy-password');
  await verifyPassword(await dummy, password);
  return false;
}

/** Why a new password is refused, or null. */
export function passwordProblem(password: string, username?: string): string | null {
  if (password.length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`;
  if (password.length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`;
  if (username && password.toLowerCase() === username.toLowerCase()) return 'must not be the username';
  return null;
}

/**
 * Hashes a high-entropy random secret (a recovery code: about 50 random bits). Stretching protects
 * guessable passwords; for a random code a light argon2id (4 MiB, 1 pass) already makes an offline
 * search infeasible, and enrollment hashes ten of them at once.
 */
export function hashRandomSecret(secret: string): Promise<string> {
  return hash(secret, { algorithm: Algorithm.Argon2id, memoryCost: 4096, timeCost: 1, parallelism: 1 });
}
