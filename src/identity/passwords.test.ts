import { Algorithm, hash } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, passwordProblem, verifyDummy, verifyPassword } from './passwords.js';

describe('passwords', () => {
  it('hashes with argon2id and the parameters in the encoded hash (19 MiB, 2 passes, 1 lane), salted', async () => {
    const [a, b] = await Promise.all([hashPassword('correct horse battery'), hashPassword('correct horse battery')]);
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse battery');
  });

  it('verifies the right password only, and a malformed hash as a mismatch', async () => {
    const encoded = await hashPassword('correct horse battery');
    expect(await verifyPassword(encoded, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(encoded, 'correct horse batter')).toBe(false);
    expect(await verifyPassword('not-a-hash', 'correct horse battery')).toBe(false);
    expect(await verifyDummy('anything at all')).toBe(false);
  });

  it('asks for a rehash of hashes made with other parameters or another variant', async () => {
    expect(needsRehash(await hashPassword('correct horse battery'))).toBe(false);
    const weaker = await hash('correct horse battery', { algorithm: Algorithm.Argon2id, memoryCost: 4096, timeCost: 2, parallelism: 1 });
    expect(needsRehash(weaker)).toBe(true);
    const argon2i = await hash('correct horse battery', { algorithm: Algorithm.Argon2i, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    expect(needsRehash(argon2i)).toBe(true);
    // An old hash still verifies, so sign-in can upgrade it.
    expect(await verifyPassword(weaker, 'correct horse battery')).toBe(true);
  });

  it('refuses short, overlong and username passwords', () => {
    expect(passwordProblem('123456789')).toMatch(/at least 10/);
    expect(passwordProblem('x'.repeat(257))).toMatch(/at most 256/);
    expect(passwordProblem('Ada-Lovelace', 'ada-lovelace')).toMatch(/username/);
    expect(passwordProblem('a perfectly fine password', 'ada')).toBeNull();
  });
});
