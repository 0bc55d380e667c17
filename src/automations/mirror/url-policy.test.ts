import { describe, expect, it } from 'vitest';
import { checkTargetUrl, refusedAddress } from './url-policy.js';

const lookup = (answers: Record<string, string[]>) => async (host: string) => {
  const a = answers[host];
  if (!a) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return a;
};

describe('target URL policy', () => {
  it('refuses loopback, unspecified, link-local and metadata addresses, also IPv4-mapped', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '0.0.0.0', '169.254.169.254', '169.254.1.1', '::1', '::', 'fe80::1', 'fd00:ec2::254', '100.100.100.200', '::ffff:169.254.169.254', '::ffff:127.0.0.1']) {
      expect(refusedAddress(a, []), a).not.toBeNull();
    }
  });

  it('allows public and private networks, where self-hosted forges live', () => {
    for (const a of ['10.1.2.3', '192.168.1.10', '172.16.0.5', '8.8.8.8', '2001:db8::1', 'fd12:3456::1', '100.100.100.201']) expect(refusedAddress(a, []), a).toBeNull();
  });

  it('lets MIRROR_ALLOWED_ADDRESSES exempt a CIDR or a host name', async () => {
    expect(refusedAddress('127.0.0.1', ['127.0.0.0/8'])).toBeNull();
    expect(refusedAddress('169.254.169.254', ['127.0.0.0/8'])).not.toBeNull();
    await expect(checkTargetUrl('http://127.0.0.1:8080', { allowed: ['127.0.0.0/8'] })).resolves.toBeInstanceOf(URL);
    await expect(checkTargetUrl('http://forge.local', { allowed: ['forge.local'], lookup: lookup({}) })).resolves.toBeInstanceOf(URL);
  });

  it('checks scheme, credentials and fragments', async () => {
    const p = { allowed: [], lookup: lookup({ 'git.example.com': ['203.0.113.7'] }) };
    await expect(checkTargetUrl('ftp://git.example.com', p)).rejects.toThrow(/http/);
    await expect(checkTargetUrl('https://user:secret@git.example.com', p)).rejects.toThrow(/credentials/);
    await expect(checkTargetUrl('https://git.example.com/#x', p)).rejects.toThrow(/fragment/);
    await expect(checkTargetUrl('not a url', p)).rejects.toThrow(/not a URL/);
    await expect(checkTargetUrl('https://git.example.com', p)).resolves.toBeInstanceOf(URL);
  });

  it('resolves host names and refuses one that points at a refused address', async () => {
    const p = { allowed: [], lookup: lookup({ 'sneaky.example.com': ['203.0.113.9', '169.254.169.254'], 'localhost': ['127.0.0.1'] }) };
    await expect(checkTargetUrl('https://sneaky.example.com', p)).rejects.toThrow(/169\.254\.169\.254.*link-local/);
    await expect(checkTargetUrl('http://localhost:3000', p)).rejects.toThrow(/loopback/);
    await expect(checkTargetUrl('http://metadata.google.internal', p)).rejects.toThrow(/metadata/);
    await expect(checkTargetUrl('http://[::1]:3000', p)).rejects.toThrow(/loopback/);
    await expect(checkTargetUrl('https://nowhere.invalid', p)).rejects.toThrow(/cannot resolve/);
  });
});
