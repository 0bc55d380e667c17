import { describe, expect, it } from 'vitest';
import { API_TOKEN_PREFIX, hashToken, newRecoveryCodes, newToken, normaliseRecoveryCode, SESSION_PREFIX } from './random-tokens.js';

describe('random tokens', () => {
  it('makes prefixed 256-bit tokens, never the same twice', () => {
    const tokens = Array.from({ length: 1000 }, () => newToken(API_TOKEN_PREFIX));
    for (const t of tokens) expect(t).toMatch(/^syp_[A-Za-z0-9_-]{43}$/);
    expect(new Set(tokens).size).toBe(1000);
    expect(newToken(SESSION_PREFIX)).toMatch(/^sys_[A-Za-z0-9_-]{43}$/);
  });

  it('stores tokens as their SHA-256 in hex', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const t = newToken(API_TOKEN_PREFIX);
    expect(hashToken(t)).toBe(hashToken(t));
    expect(hashToken(t)).not.toContain(t);
  });

  it('makes ten distinct recovery codes from an alphabet without look-alikes', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[a-hjkmnp-z2-9]{5}-[a-hjkmnp-z2-9]{5}$/);
    expect(newRecoveryCodes(3)).toHaveLength(3);
    // Over many codes every symbol shows up, and none of 0, 1, i, l, o.
    const seen = new Set(newRecoveryCodes(500).join('').replace(/-/g, ''));
    expect([...seen].sort().join('')).toBe('23456789abcdefghjkmnpqrstuvwxyz');
  });

  it('compares recovery codes without regard to case, dashes or spaces', () => {
    expect(normaliseRecoveryCode(' ABCDE-fghjk ')).toBe('abcdefghjk');
    expect(normaliseRecoveryCode('abcde fghjk')).toBe(normaliseRecoveryCode('ABCDEFGHJK'));
  });
});
