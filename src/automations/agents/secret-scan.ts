/**
 * What Switchyard checks before anything an agent wrote leaves it (a diff, a commit message, a
 * comment, a review, a pull request body): secrets (known token shapes and Switchyard's own
 * secrets), and images or links to places other than the GitHub instance itself.
 */

const SECRET_PATTERNS: Array<[string, RegExp]> = [
  ['GitHub token', /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/],
  ['OpenAI key', /\bsk-(proj-|live-|test-)?[A-Za-z0-9_-]{20,}\b/],
  ['Anthropic key', /\bsk-ant-[A-Za-z0-9_-]{20,}\b/],
  ['AWS access key', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['Slack token', /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/],
  ['Google API key', /\bAIza[0-9A-Za-z_-]{35}\b/],
  ['private key', /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/],
  ['Switchyard API token', /\bsyp_[A-Za-z0-9_-]{16,}\b/],
];

export interface ScanOptions {
  /** Secrets Switchyard knows (configured keys, tokens): never published, whatever their shape. */
  known: string[];
  /** Hosts links and images may point at (the GitHub instance). */
  allowedHosts: string[];
}

const IMAGE = /!\[[^\]]*\]\(\s*<?([^)\s>]+)|<img\b[^>]*\bsrc\s*=\s*["']?([^"'\s>]+)/gi;
const URL_RE = /\bhttps?:\/\/[^\s)<>"'\]]+/gi;

function hostOf(u: string): string | null {
  try {
    return new URL(u).hostname.toLowerCase();
  } catch {
    return null;
  }
}

function allowed(u: string, o: ScanOptions): boolean {
  const h = hostOf(u);
  return h !== null && o.allowedHosts.some((a) => h === a || h.endsWith(`.${a}`));
}

/** Findings (what and where, never the secret itself) in text meant for GitHub. */
export function scanText(text: string, o: ScanOptions, { links = true }: { links?: boolean } = {}): string[] {
  const out: string[] = [];
  for (const [name, re] of SECRET_PATTERNS) if (re.test(text)) out.push(`a ${name}`);
  for (const k of o.known) if (k.length >= 8 && text.includes(k)) out.push('one of Switchyard’s secrets');
  for (const m of text.matchAll(IMAGE)) {
    const u = m[1] ?? m[2] ?? '';
    if (!allowed(u, o)) out.push(`an external image (${hostOf(u) ?? 'unknown host'})`);
  }
  if (links) {
    for (const m of text.matchAll(URL_RE)) if (!allowed(m[0], o)) out.push(`an external link (${hostOf(m[0]) ?? 'unknown host'})`);
  }
  return [...new Set(out)];
}

/** Only the added lines of a unified diff (what would be published). */
export function addedLines(diff: string): string {
  return diff
    .split('\n')
    .filter((l) => l.startsWith('+') && !l.startsWith('+++'))
    .map((l) => l.slice(1))
    .join('\n');
}

/** Replaces secrets, external images and external links in text for GitHub with a note. */
export function redact(text: string, o: ScanOptions): string {
  let t = text;
  for (const [, re] of SECRET_PATTERNS) t = t.replace(new RegExp(re.source, 'g'), '[secret withheld]');
  for (const k of o.known) if (k.length >= 8) t = t.split(k).join('[secret withheld]');
  t = t.replace(IMAGE, (m, a: string | undefined, b: string | undefined) => (allowed(a ?? b ?? '', o) ? m : '[external image withheld]'));
  t = t.replace(URL_RE, (u) => (allowed(u, o) ? u : '[external link withheld]'));
  return t;
}
