import { createHmac, hkdfSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects, type TestDatabase } from '../../test/support/databases.js';
import { rotateKeys } from './rotate-keys.js';
import { createSecretBox, generateKey, keyIdOf, loadSecretBox, parseKey, SecretKeyInvalid, SecretUnreadable } from './secret-box.js';
import { insertUser } from './users-repo.js';

const COLUMN = 'users.totp_secret';
const key = () => parseKey(generateKey());

/** Flips one bit of the sealed bytes (nonce, ciphertext or tag). */
function tamper(ciphertext: string, at: number): string {
  const sep = ciphertext.lastIndexOf(':');
  const blob = Buffer.from(ciphertext.slice(sep + 1), 'base64url');
  blob[at % blob.length]! ^= 0x01;
  return `${ciphertext.slice(0, sep + 1)}${blob.toString('base64url')}`;
}

describe('secret box', () => {
  it('seals and opens a value for its column, with a fresh nonce each time', () => {
    const k = key();
    const box = createSecretBox(k);
    const a = box.seal('JBSWY3DPEHPK3PXP ✓', COLUMN);
    const b = box.seal('JBSWY3DPEHPK3PXP ✓', COLUMN);
    expect(a).toMatch(new RegExp(`^enc:v1:${keyIdOf(k)}:[A-Za-z0-9_-]+$`));
    expect(a).not.toBe(b);
    expect(a).not.toContain('JBSWY3DP');
    expect(box.open(a, COLUMN)).toBe('JBSWY3DPEHPK3PXP ✓');
    expect(box.openNullable(null, COLUMN)).toBeNull();
    expect(box.keyIdOf(a)).toBe(box.keyId);
  });

  it('refuses a tampered, truncated or foreign value', () => {
    const box = createSecretBox(key());
    const sealed = box.seal('secret', COLUMN);
    for (const at of [0, 12, 20, 1000]) expect(() => box.open(tamper(sealed, at), COLUMN), `byte ${at}`).toThrow(SecretUnreadable);
    expect(() => box.open(sealed.slice(0, sealed.lastIndexOf(':') + 20), COLUMN)).toThrow(SecretUnreadable);
    expect(() => box.open('plain text', COLUMN)).toThrow(SecretUnreadable);
    expect(box.keyIdOf('plain text')).toBeNull();
  });

  it('refuses a value copied into another column (the column is associated data)', () => {
    const box = createSecretBox(key());
    const sealed = box.seal('secret', COLUMN);
    expect(() => box.open(sealed, 'users.github_access_token')).toThrow(/failed authentication/);
  });

  it('opens values sealed with a previous key while it is configured, and names the key when it is not', () => {
    const oldKey = key();
    const old = createSecretBox(oldKey);
    const sealed = old.seal('secret', COLUMN);
    const rotated = createSecretBox(key(), [oldKey]);
    expect(rotated.open(sealed, COLUMN)).toBe('secret');
    expect(rotated.keyIdOf(rotated.seal('secret', COLUMN))).toBe(rotated.keyId);
    expect(() => createSecretBox(key()).open(sealed, COLUMN)).toThrow(new RegExp(`key ${keyIdOf(oldKey)}, which is not configured`));
  });

  it('takes keys as 64 hex characters or base64 of 32 bytes, and nothing else', () => {
    const raw = parseKey(generateKey());
    expect(parseKey(raw.toString('hex')).equals(raw)).toBe(true);
    expect(parseKey(raw.toString('base64')).equals(raw)).toBe(true);
    for (const bad of ['', 'short', raw.subarray(0, 16).toString('base64'), `${raw.toString('hex')}00`]) expect(() => parseKey(bad), bad).toThrow(SecretKeyInvalid);
  });

  it('makes keyed hashes that depend on the purpose and the key', () => {
    const k = key();
    const box = createSecretBox(k);
    expect(box.mac('csrf', 'v')).toBe(createSecretBox(k).mac('csrf', 'v'));
    expect(box.mac('csrf', 'v')).not.toBe(box.mac('recovery-code', 'v'));
    expect(box.mac('csrf', 'v')).not.toBe(createSecretBox(key()).mac('csrf', 'v'));
  });

  it('is HMAC-SHA-256 under a key of its own per purpose (HKDF of the MAC key, the purpose as info)', () => {
    const k = key();
    const macKey = Buffer.from(hkdfSync('sha256', k, Buffer.alloc(0), 'switchyard mac', 32));
    const csrfKey = Buffer.from(hkdfSync('sha256', macKey, Buffer.alloc(0), 'switchyard mac:csrf', 32));
    const box = createSecretBox(k);
    expect(box.mac('csrf', 'v')).toBe(createHmac('sha256', csrfKey).update('v').digest('base64url'));
    // The current construction comes first among the accepted ones.
    expect(box.macs('csrf', 'v')[0]).toBe(box.mac('csrf', 'v'));
  });

  it('creates a key file (mode 0600) in the data dir on first use and reuses it', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-key-'));
    try {
      const first = loadSecretBox({ secretKey: undefined, previousSecretKeys: [], dataDir });
      expect(first.source).toBe('new key file');
      expect(fs.statSync(path.join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
      const again = loadSecretBox({ secretKey: undefined, previousSecretKeys: [], dataDir });
      expect(again.source).toBe('key file');
      expect(again.box.open(first.box.seal('secret', COLUMN), COLUMN)).toBe('secret');
      expect(loadSecretBox({ secretKey: generateKey(), previousSecretKeys: [], dataDir }).source).toBe('environment');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe.each(dialects)('rotateKeys (%s)', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('re-seals every value with the current key, leaves current ones alone, and reports unreadable ones', async () => {
    const oldKey = key();
    const newKey = key();
    const old = createSecretBox(oldKey);
    const box = createSecretBox(newKey, [oldKey]);
    const stranger = createSecretBox(key());
    const k = t.db.kysely;
    const make = async (username: string, patch: { totp_secret?: string; totp_pending_secret?: string; github_access_token?: string }) => {
      const u = await insertUser(k, { username });
      await k.updateTable('users').set(patch).where('id', '=', u.id).execute();
      return u.id;
    };
    const rotatedId = await make('old-key', { totp_secret: old.seal('TOTPSECRET', 'users.totp_secret'), github_access_token: old.seal('gho_abc', 'users.github_access_token') });
    const currentId = await make('new-key', { totp_pending_secret: box.seal('PENDING', 'users.totp_pending_secret') });
    const lostId = await make('lost-key', { totp_secret: stranger.seal('LOST', 'users.totp_secret') });
    const currentBefore = await k.selectFrom('users').select('totp_pending_secret').where('id', '=', currentId).executeTakeFirstOrThrow();

    const result = await rotateKeys(t.db, box);
    expect(result).toEqual({ rotated: 2, current: 1, unreadable: [{ table: 'users', column: 'totp_secret', key: lostId }] });

    // Only the current key is needed now.
    const onlyNew = createSecretBox(newKey);
    const row = await k.selectFrom('users').selectAll().where('id', '=', rotatedId).executeTakeFirstOrThrow();
    expect(onlyNew.open(row.totp_secret!, 'users.totp_secret')).toBe('TOTPSECRET');
    expect(onlyNew.open(row.github_access_token!, 'users.github_access_token')).toBe('gho_abc');
    expect(await k.selectFrom('users').select('totp_pending_secret').where('id', '=', currentId).executeTakeFirstOrThrow()).toEqual(currentBefore);

    // A second run has nothing left to do.
    expect(await rotateKeys(t.db, box)).toEqual({ rotated: 0, current: 3, unreadable: [{ table: 'users', column: 'totp_secret', key: lostId }] });
  });
});
