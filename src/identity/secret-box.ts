/**
 * Encryption at rest: AES-256-GCM with a 96-bit random nonce and the column's name as associated
 * data (a ciphertext copied into another column does not decrypt). Every ciphertext names the key
 * that sealed it, so keys can be rotated: the current key seals, older keys (still configured)
 * open, and `switchyard keys rotate` re-seals everything with the current key.
 *
 * Format: `enc:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`. The key id is the first 8 bytes
 * of SHA-256 over the key, in hex: it identifies a key without revealing anything usable.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const PREFIX = 'enc:v1:';

export class SecretKeyInvalid extends Error {
  readonly code = 'SECRET_KEY_INVALID';
}

/** A ciphertext no configured key opens, or one that was tampered with. */
export class SecretUnreadable extends Error {
  readonly code = 'SECRET_UNREADABLE';
}

export interface SecretBox {
  /** The id of the key that seals. */
  readonly keyId: string;
  seal(plaintext: string, column: string): string;
  open(ciphertext: string, column: string): string;
  /** Like open, but null in → null out. */
  openNullable(ciphertext: string | null, column: string): string | null;
  /** The key id a ciphertext was sealed with (null if it is not one of ours). */
  keyIdOf(ciphertext: string): string | null;
  /** A keyed hash for values that must be compared, never read back (CSRF tokens), under the current key. */
  mac(purpose: string, value: string): string;
  /** The same under every configured key (current first): what to accept while keys rotate. */
  macs(purpose: string, value: string): string[];
}

/** Parses key material: 32 bytes as 64 hex characters or as base64. */
export function parseKey(material: string, name = 'SWITCHYARD_SECRET_KEY'): Buffer {
  const s = material.trim();
  const buf = /^[0-9a-fA-F]{64}$/.test(s) ? Buffer.from(s, 'hex') : /^[A-Za-z0-9+/_-]+={0,2}$/.test(s) ? Buffer.from(s, 'base64') : null;
  if (!buf || buf.length !== 32) {
    throw new SecretKeyInvalid(`${name} must be 32 random bytes, as 64 hex characters or base64 (generate one with \`switchyard keys generate\` or \`openssl rand -base64 32\`)`);
  }
  return buf;
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** A new random key, base64. */
export function generateKey(): string {
  return randomBytes(32).toString('base64');
}

/** Builds a box from the current key and any previous keys still accepted for reading. */
export function createSecretBox(current: Buffer, previous: Buffer[] = []): SecretBox {
  const keys = new Map<string, Buffer>();
  for (const k of [current, ...previous]) keys.set(keyIdOf(k), k);
  const currentId = keyIdOf(current);
  const macKeys = [current, ...previous].map((k) => Buffer.from(hkdfSync('sha256', k, Buffer.alloc(0), 'switchyard mac', 32)));
  // HMAC-SHA-256 with a key of its own per purpose (HKDF over the MAC key, the purpose as info), so a
  // MAC made for one purpose is never valid for another.
  const purposeKeys = new Map<string, Buffer>();
  const purposeKey = (key: Buffer, index: number, purpose: string): Buffer => {
    const id = `${index}\0${purpose}`;
    let k = purposeKeys.get(id);
    if (!k) {
      k = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `switchyard mac:${purpose}`, 32));
      purposeKeys.set(id, k);
    }
    return k;
  };
  const macWith = (key: Buffer, index: number, purpose: string, value: string) => createHmac('sha256', purposeKey(key, index, purpose)).update(value).digest('base64url');
  /** The construction before HMAC (sha256(key ‖ purpose ‖ 0 ‖ value)): still accepted when verifying, so tokens issued before an upgrade keep working until they expire. */
  const legacyMacWith = (key: Buffer, purpose: string, value: string) => createHash('sha256').update(key).update(purpose).update('\0').update(value).digest('base64url');

  const parse = (ciphertext: string): { kid: string; blob: Buffer } | null => {
    if (!ciphertext.startsWith(PREFIX)) return null;
    const rest = ciphertext.slice(PREFIX.length);
    const sep = rest.indexOf(':');
    if (sep <= 0) return null;
    return { kid: rest.slice(0, sep), blob: Buffer.from(rest.slice(sep + 1), 'base64url') };
  };

  const open = (ciphertext: string, column: string): string => {
    const parsed = parse(ciphertext);
    if (!parsed) throw new SecretUnreadable(`a value in ${column} is not an encrypted secret`);
    const key = keys.get(parsed.kid);
    if (!key) {
      throw new SecretUnreadable(
        `a value in ${column} was encrypted with key ${parsed.kid}, which is not configured (add it to SWITCHYARD_PREVIOUS_SECRET_KEYS)`,
      );
    }
    if (parsed.blob.length < 12 + 16) throw new SecretUnreadable(`a value in ${column} is truncated`);
    const nonce = parsed.blob.subarray(0, 12);
    const tag = parsed.blob.subarray(parsed.blob.length - 16);
    const body = parsed.blob.subarray(12, parsed.blob.length - 16);
    try {
      const d = createDecipheriv('aes-256-gcm', key, nonce);
      d.setAAD(Buffer.from(column));
      d.setAuthTag(tag);
      return Buffer.concat([d.update(body), d.final()]).toString('utf8');
    } catch (err) {
      throw new SecretUnreadable(`a value in ${column} failed authentication (tampered, or sealed for another column)`, { cause: err });
    }
  };

  return {
    keyId: currentId,
    seal(plaintext, column) {
      const nonce = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', current, nonce);
      c.setAAD(Buffer.from(column));
      const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
      return `${PREFIX}${currentId}:${Buffer.concat([nonce, body, c.getAuthTag()]).toString('base64url')}`;
    },
    open,
    openNullable: (ciphertext, column) => (ciphertext === null ? null : open(ciphertext, column)),
    keyIdOf: (ciphertext) => parse(ciphertext)?.kid ?? null,
    mac: (purpose, value) => macWith(macKeys[0]!, 0, purpose, value),
    macs: (purpose, value) => [...macKeys.map((k, i) => macWith(k, i, purpose, value)), ...macKeys.map((k) => legacyMacWith(k, purpose, value))],
  };
}

/**
 * The key for this installation: SWITCHYARD_SECRET_KEY when set; otherwise `secret.key` in the data
 * dir, created (mode 0600) on first use, so `npm start` works on a fresh clone. Returns where it came from.
 */
export function loadSecretBox(opts: { secretKey: string | undefined; previousSecretKeys: string[]; dataDir: string }): {
  box: SecretBox;
  source: 'environment' | 'key file' | 'new key file';
  keyFile?: string;
} {
  const previous = opts.previousSecretKeys.map((k, i) => parseKey(k, `SWITCHYARD_PREVIOUS_SECRET_KEYS[${i}]`));
  if (opts.secretKey) return { box: createSecretBox(parseKey(opts.secretKey), previous), source: 'environment' };
  const keyFile = path.join(opts.dataDir, 'secret.key');
  fs.mkdirSync(opts.dataDir, { recursive: true });
  if (!fs.existsSync(keyFile)) {
    // Written aside, then linked into place: another process or thread never reads a half-written key.
    const tmp = `${keyFile}.${process.pid}.${randomBytes(4).toString('hex')}`;
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      fs.writeSync(fd, `${generateKey()}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.linkSync(tmp, keyFile);
      const box = createSecretBox(parseKey(fs.readFileSync(keyFile, 'utf8'), keyFile), previous);
      return { box, source: 'new key file', keyFile };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  return { box: createSecretBox(parseKey(fs.readFileSync(keyFile, 'utf8'), keyFile), previous), source: 'key file', keyFile };
}
