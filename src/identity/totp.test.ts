import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import { checkTotp, currentTotp, newTotpSecret, totpQrDataUrl, totpUri, TOTP_PERIOD } from './totp.js';

/** RFC 6238, appendix B: the SHA-1 secret is the ASCII string "12345678901234567890". */
const RFC_SECRET = new OTPAuth.Secret({ buffer: new Uint8Array(Buffer.from('12345678901234567890', 'ascii')).buffer }).base32;
const RFC_VECTORS: Array<[seconds: number, eightDigits: string]> = [
  [59, '94287082'],
  [1_111_111_109, '07081804'],
  [1_234_567_890, '89005924'],
  [2_000_000_000, '69279037'],
];

const STEP_MS = TOTP_PERIOD * 1000;
/** The middle of a time step, so ±1 step stays inside its neighbours. */
const NOW = 1_800_000_015_000;
const stepOf = (ms: number) => Math.floor(ms / STEP_MS);

describe('totp', () => {
  it('matches the RFC 6238 SHA-1 test vectors (8 digits from the library, 6 from currentTotp)', () => {
    expect(RFC_SECRET).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    for (const [seconds, eight] of RFC_VECTORS) {
      const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(RFC_SECRET), algorithm: 'SHA1', digits: 8, period: 30 });
      expect(totp.generate({ timestamp: seconds * 1000 }), `T=${seconds}`).toBe(eight);
      // Six digits are the last six of the same truncated value.
      expect(currentTotp(RFC_SECRET, seconds * 1000), `T=${seconds}`).toBe(eight.slice(2));
    }
    expect(currentTotp(RFC_SECRET, 59_000)).toBe('287082');
    expect(checkTotp(RFC_SECRET, '287082', null, 59_000)).toBe(1);
  });

  it('accepts a code one step either side of now and returns the step it matched', () => {
    const secret = newTotpSecret();
    for (const delta of [-1, 0, 1]) {
      expect(checkTotp(secret, currentTotp(secret, NOW + delta * STEP_MS), null, NOW), `step ${delta}`).toBe(stepOf(NOW) + delta);
    }
  });

  it('refuses a code two steps away', () => {
    const secret = newTotpSecret();
    for (const delta of [-2, 2]) expect(checkTotp(secret, currentTotp(secret, NOW + delta * STEP_MS), null, NOW), `step ${delta}`).toBeNull();
  });

  it('refuses a code already used, and one older than the last used (replay)', () => {
    const secret = newTotpSecret();
    const code = currentTotp(secret, NOW);
    const step = checkTotp(secret, code, null, NOW)!;
    expect(checkTotp(secret, code, step, NOW)).toBeNull();
    expect(checkTotp(secret, code, step, NOW + 10_000)).toBeNull();
    expect(checkTotp(secret, currentTotp(secret, NOW - STEP_MS), step, NOW)).toBeNull();
    expect(checkTotp(secret, currentTotp(secret, NOW + STEP_MS), step, NOW)).toBe(step + 1);
  });

  it('takes six digits only (spaces ignored)', () => {
    const secret = newTotpSecret();
    const code = currentTotp(secret, NOW);
    expect(checkTotp(secret, `${code.slice(0, 3)} ${code.slice(3)}`, null, NOW)).toBe(stepOf(NOW));
    for (const bad of ['', '12345', '1234567', 'abcdef', `${code}0`, `-${code.slice(1)}`]) expect(checkTotp(secret, bad, null, NOW), bad).toBeNull();
  });

  it('makes 160-bit base32 secrets and otpauth URIs an authenticator app reads', async () => {
    const a = newTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(a);
    const uri = new URL(totpUri(a, 'ada'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Switchyard:ada');
    expect(Object.fromEntries(uri.searchParams)).toEqual({ issuer: 'Switchyard', secret: a, algorithm: 'SHA1', digits: '6', period: '30' });
    const qr = await totpQrDataUrl(uri.toString());
    expect(qr).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(qr.split(',')[1]!, 'base64').toString('utf8')).toMatch(/^<svg /);
  });
});
