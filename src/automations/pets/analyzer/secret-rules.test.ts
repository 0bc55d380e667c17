import { describe, expect, it } from 'vitest';
import { findSecrets, redactSecret, shannonEntropy } from './secret-rules.js';

// Secret-shaped strings are assembled at run time: no such literal sits in the source.
const join = (...parts: string[]) => parts.join('');
const GITHUB = join('gh', 'p_', 'R8k2LmQ9xT4vW7nB3cY6', 'hJ1pZ5sD0fG8aK2e');
const STRIPE = join('sk', '_live_', '4eC39HqLyjWDarjtT1zdp7dc');
const PEM = join('-----BEGIN ', 'RSA PRIVATE', ' KEY-----');

describe('secret rules (gitleaks port)', () => {
  it('finds well-known token shapes with rule id and a redacted preview', () => {
    const [gh] = findSecrets(`const token = "${GITHUB}";`);
    expect(gh).toMatchObject({ rule: 'github-pat' });
    expect(gh!.preview).not.toContain(GITHUB);
    expect(gh!.preview).toContain('[REDACTED]');
    expect(findSecrets(`stripe.key = '${STRIPE}'`)[0]).toMatchObject({ rule: 'stripe-access-token' });
    expect(findSecrets(PEM)[0]).toMatchObject({ rule: 'private-key' });
  });

  it('leaves placeholders, examples and low-entropy values alone', () => {
    expect(findSecrets(join('aws_key = "AKIA', 'IOSFODNN7', 'EXAMPLE"'))).toEqual([]);
    expect(findSecrets('api_key = os.environ["API_KEY"]')).toEqual([]);
    expect(findSecrets('password = "changeme-please-1"')).toEqual([]);
    expect(findSecrets('const tokenizer = new Tokenizer(options);')).toEqual([]);
    expect(findSecrets('secret_key = "aaaaaaaaaaaaaaaa1"')).toEqual([]);
  });

  it('finds a generic high-entropy key assignment', () => {
    const value = join('Zq8', 'Xv2LpR7', 'mN4tY9wK3sB6');
    const found = findSecrets(`API_SECRET = "${value}"`);
    expect(found.map((f) => f.rule)).toEqual(['generic-api-key']);
    expect(JSON.stringify(found)).not.toContain(value);
  });

  it('redacts all but a short prefix, and measures entropy', () => {
    expect(redactSecret('abcdefghijklmnop')).toBe('abcd************[REDACTED]');
    expect(redactSecret('abc')).toBe('***[REDACTED]');
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
  });
});
