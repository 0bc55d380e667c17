/**
 * Which addresses a mirror target may use. Targets are administrator configuration, but Switchyard
 * sends a credential there and a "test connection" answers with what it found, so an address that
 * reaches the machine itself or a cloud metadata service is refused unless the operator allowed it
 * (MIRROR_ALLOWED_ADDRESSES). Private networks (10/8, 192.168/16, …) are allowed: that is where
 * self-hosted forges live.
 *
 * Refused: loopback (127/8, ::1, localhost), unspecified (0.0.0.0, ::), link-local (169.254/16,
 * fe80::/10, which includes the 169.254.169.254 metadata service) and other metadata addresses
 * (fd00:ec2::254, 100.100.100.200, metadata.google.internal), also as IPv4-mapped IPv6. Host
 * names are resolved and every address they resolve to is checked, at creation and before
 * every sync.
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import { MirrorUrlRefused } from './errors.js';

const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata', 'metadata.azure.internal', 'instance-data', 'instance-data.ec2.internal']);

interface Cidr {
  family: 4 | 6;
  bits: bigint;
  prefix: number;
}

function ipToBigInt(ip: string): { family: 4 | 6; value: bigint } | null {
  if (net.isIPv4(ip)) {
    return { family: 4, value: ip.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n) };
  }
  if (!net.isIPv6(ip)) return null;
  let s = ip.toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4?.[1]) {
    const n = ipToBigInt(v4[1])!.value;
    s = `${s.slice(0, -v4[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const missing = 8 - h.length - t.length;
  const parts = tail !== undefined ? [...h, ...Array(missing).fill('0'), ...t] : h;
  if (parts.length !== 8) return null;
  return { family: 6, value: parts.reduce((acc, p) => (acc << 16n) + BigInt(parseInt(p || '0', 16)), 0n) };
}

function parseCidr(text: string): Cidr | null {
  const [addr = '', len] = text.split('/');
  const ip = ipToBigInt(addr);
  if (!ip) return null;
  const max = ip.family === 4 ? 32 : 128;
  const prefix = len === undefined ? max : Number(len);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return null;
  return { family: ip.family, bits: ip.value, prefix };
}

function inCidr(ip: { family: 4 | 6; value: bigint }, cidr: Cidr): boolean {
  if (ip.family !== cidr.family) return false;
  const width = BigInt(ip.family === 4 ? 32 : 128);
  const shift = width - BigInt(cidr.prefix);
  return ip.value >> shift === cidr.bits >> shift;
}

const REFUSED: Array<{ cidr: Cidr; why: string }> = [
  ['127.0.0.0/8', 'a loopback address'],
  ['0.0.0.0/8', 'an unspecified address'],
  ['169.254.0.0/16', 'a link-local address (cloud metadata services live there)'],
  ['100.100.100.200/32', 'a cloud metadata address'],
  ['::1/128', 'a loopback address'],
  ['::/128', 'an unspecified address'],
  ['fe80::/10', 'a link-local address'],
  ['fd00:ec2::254/128', 'a cloud metadata address'],
].map(([c, why]) => ({ cidr: parseCidr(c!)!, why: why! }));

/** Unwraps IPv4-mapped IPv6 (::ffff:a.b.c.d) to the IPv4 address it carries. */
function unmapped(ip: { family: 4 | 6; value: bigint }): { family: 4 | 6; value: bigint } {
  if (ip.family === 6 && ip.value >> 32n === 0xffffn) return { family: 4, value: ip.value & 0xffffffffn };
  return ip;
}

export interface UrlPolicy {
  /** CIDRs or host names exempt from the refusal. */
  allowed: string[];
  /** Resolves a host name to its addresses (tests replace it). */
  lookup?: (host: string) => Promise<string[]>;
}

const defaultLookup = async (host: string) => (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** Why an address is refused, or null when it is fine. */
export function refusedAddress(address: string, allowed: string[]): string | null {
  const parsed = ipToBigInt(address);
  if (!parsed) return null;
  const ip = unmapped(parsed);
  const allowList = allowed.map(parseCidr).filter((c): c is Cidr => c !== null);
  if (allowList.some((c) => inCidr(ip, c) || inCidr(parsed, c))) return null;
  return REFUSED.find((r) => inCidr(ip, r.cidr))?.why ?? null;
}

/**
 * Checks a target URL: http(s) only, no credentials or fragment in it, and a host that neither is
 * nor resolves to a refused address. Throws MirrorUrlRefused with the reason.
 */
export async function checkTargetUrl(raw: string, policy: UrlPolicy, what = 'the target URL'): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MirrorUrlRefused(`${what} is not a URL: ${JSON.stringify(raw.slice(0, 200))}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new MirrorUrlRefused(`${what} must be http:// or https:// (got ${url.protocol})`);
  if (url.username || url.password) throw new MirrorUrlRefused(`${what} must not contain credentials: give the token separately (it is stored encrypted)`);
  if (url.hash) throw new MirrorUrlRefused(`${what} must not have a #fragment`);
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  if (!host) throw new MirrorUrlRefused(`${what} has no host`);
  const allowedNames = new Set(policy.allowed.map((a) => a.toLowerCase()));
  if (allowedNames.has(host)) return url;
  if (METADATA_HOSTS.has(host)) throw new MirrorUrlRefused(`${what} points at ${host}, a cloud metadata service`);
  let addresses: string[];
  if (net.isIP(host)) addresses = [host];
  else if (host === 'localhost' || host.endsWith('.localhost')) addresses = ['127.0.0.1'];
  else {
    try {
      addresses = await (policy.lookup ?? defaultLookup)(host);
    } catch (err) {
      throw new MirrorUrlRefused(`${what}: cannot resolve ${host} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  for (const a of addresses) {
    const why = refusedAddress(a, policy.allowed);
    if (why) {
      throw new MirrorUrlRefused(
        `${what} points at ${host}${a === host ? '' : ` (${a})`}, ${why}; refused unless MIRROR_ALLOWED_ADDRESSES allows it`,
      );
    }
  }
  return url;
}
