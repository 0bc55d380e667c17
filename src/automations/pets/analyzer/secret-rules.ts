/**
 * Secret detection: a port of a subset of gitleaks' default rules (config/gitleaks.toml,
 * https://github.com/gitleaks/gitleaks, MIT License, Copyright (c) 2019 Zachary Rice), written from
 * its rule ids, keywords and patterns. Go-only inline flags (`(?i)` in the middle of a pattern) are
 * translated to JavaScript flags or character classes. Like gitleaks, each rule has keywords that
 * must appear (case-insensitive) before its pattern is tried, and some have a minimum entropy.
 *
 * A secret is never stored or logged: a finding carries the rule id, file, line and a redacted
 * preview in which the secret keeps at most its first four characters.
 */

export interface SecretRule {
  id: string;
  description: string;
  /** Lower-case; at least one must occur in the line before the regex runs. */
  keywords: string[];
  /** The secret is capture group 1 when there is one, else the whole match. */
  regex: RegExp;
  /** Minimum Shannon entropy (bits per character) of the secret. */
  entropy?: number;
  /** Matches of the secret that are placeholders, not secrets. */
  allow?: RegExp;
}

const PLACEHOLDER = /(?:example|sample|dummy|placeholder|changeme|your[_-]?|x{6,}|\*{4,}|<[^>]*>|\$\{|\{\{|process\.env|os\.environ|getenv|fake|test|redacted|1234567|abcdef)/i;

/** The rules, in gitleaks' ids. */
export const SECRET_RULES: readonly SecretRule[] = [
  {
    id: 'aws-access-token',
    description: 'AWS access key id',
    keywords: ['a3t', 'akia', 'asia', 'abia', 'acca'],
    regex: /\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b/,
    entropy: 3,
    allow: /EXAMPLE$/,
  },
  {
    id: 'private-key',
    description: 'Private key',
    keywords: ['-----begin'],
    regex: /(-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----)/i,
  },
  { id: 'github-pat', description: 'GitHub personal access token', keywords: ['ghp_'], regex: /\b(ghp_[0-9a-zA-Z]{36})\b/, entropy: 3 },
  { id: 'github-fine-grained-pat', description: 'GitHub fine-grained token', keywords: ['github_pat_'], regex: /\b(github_pat_\w{82})\b/, entropy: 3 },
  { id: 'github-oauth', description: 'GitHub OAuth access token', keywords: ['gho_'], regex: /\b(gho_[0-9a-zA-Z]{36})\b/, entropy: 3 },
  { id: 'github-app-token', description: 'GitHub app token', keywords: ['ghu_', 'ghs_'], regex: /\b((?:ghu|ghs)_[0-9a-zA-Z]{36})\b/, entropy: 3 },
  { id: 'github-refresh-token', description: 'GitHub refresh token', keywords: ['ghr_'], regex: /\b(ghr_[0-9a-zA-Z]{36})\b/, entropy: 3 },
  { id: 'gitlab-pat', description: 'GitLab personal access token', keywords: ['glpat-'], regex: /\b(glpat-[\w-]{20})\b/, entropy: 3 },
  { id: 'slack-bot-token', description: 'Slack bot token', keywords: ['xoxb'], regex: /\b(xoxb-[0-9]{10,13}-[0-9]{10,13}[a-zA-Z0-9-]*)/ },
  { id: 'slack-user-token', description: 'Slack user token', keywords: ['xoxp-', 'xoxe-'], regex: /\b(xox[pe](?:-[0-9]{10,13}){3}-[a-zA-Z0-9-]{28,34})/ },
  {
    id: 'slack-webhook-url',
    description: 'Slack webhook',
    keywords: ['hooks.slack.com'],
    regex: /((?:https?:\/\/)?hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9+/]{43,56})/,
  },
  { id: 'stripe-access-token', description: 'Stripe secret key', keywords: ['sk_test', 'sk_live', 'sk_prod', 'rk_test', 'rk_live', 'rk_prod'], regex: /\b((?:sk|rk)_(?:test|live|prod)_[a-zA-Z0-9]{10,99})\b/, entropy: 2 },
  { id: 'gcp-api-key', description: 'Google API key', keywords: ['aiza'], regex: /\b(AIza[\w-]{35})(?:[^\w-]|$)/, entropy: 3 },
  { id: 'npm-access-token', description: 'npm access token', keywords: ['npm_'], regex: /\b(npm_[a-z0-9]{36})\b/i, entropy: 2 },
  { id: 'pypi-upload-token', description: 'PyPI upload token', keywords: ['pypi-ageichlwas5vcmc'], regex: /(pypi-AgEIcHlwaS5vcmc[\w-]{50,1000})/ },
  { id: 'openai-api-key', description: 'OpenAI API key', keywords: ['t3blbkfj'], regex: /\b(sk-(?:proj|svcacct|admin)?-?[A-Za-z0-9_-]{20,74}T3BlbkFJ[A-Za-z0-9_-]{20,74})\b/ },
  { id: 'anthropic-api-key', description: 'Anthropic API key', keywords: ['sk-ant-api03'], regex: /\b(sk-ant-api03-[a-zA-Z0-9_-]{93}AA)(?:[^\w-]|$)/ },
  { id: 'sendgrid-api-token', description: 'SendGrid API token', keywords: ['sg.'], regex: /\b(SG\.[a-zA-Z0-9=_\-.]{66})\b/, entropy: 2 },
  { id: 'shopify-access-token', description: 'Shopify access token', keywords: ['shpat_'], regex: /(shpat_[a-fA-F0-9]{32})/ },
  { id: 'digitalocean-pat', description: 'DigitalOcean token', keywords: ['dop_v1_'], regex: /\b(dop_v1_[a-f0-9]{64})\b/ },
  { id: 'doppler-api-token', description: 'Doppler API token', keywords: ['dp.pt.'], regex: /(dp\.pt\.[a-z0-9]{43})/i },
  { id: 'twilio-api-key', description: 'Twilio API key', keywords: ['sk'], regex: /\b(SK[0-9a-fA-F]{32})\b/, entropy: 3 },
  { id: 'hashicorp-tf-api-token', description: 'Terraform Cloud token', keywords: ['atlasv1'], regex: /\b([a-z0-9]{14}\.atlasv1\.[a-z0-9\-_=]{60,70})\b/i, entropy: 3.5 },
  { id: 'jwt', description: 'JSON Web Token', keywords: ['ey'], regex: /\b(ey[a-zA-Z0-9]{17,}\.ey[a-zA-Z0-9/\\_-]{17,}\.(?:[a-zA-Z0-9/\\_-]{10,}={0,2})?)(?:['|"\n\r\s\x60;]|$)/, entropy: 3 },
  { id: 'databricks-api-token', description: 'Databricks token', keywords: ['dapi'], regex: /\b(dapi[a-f0-9]{32}(?:-\d)?)\b/, entropy: 3 },
  { id: 'age-secret-key', description: 'age secret key', keywords: ['age-secret-key-1'], regex: /(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})/ },
  {
    id: 'generic-api-key',
    description: 'Generic API key',
    keywords: ['access', 'api', 'auth', 'key', 'credential', 'creds', 'passwd', 'password', 'secret', 'token'],
    regex: /[\w.-]{0,50}?(?:access|auth|api|credential|creds|key|passw(?:or)?d|secret|token)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([\w.=-]{10,150}|[a-z0-9][a-z0-9+/]{11,}={0,3})(?:[\x60'"\s;]|\\[nr]|$)/i,
    entropy: 3.5,
    allow: /^(?:[a-z_]+\.)*[a-z_]+$|^[A-Z_]+$|^[a-z]+(?:[A-Z][a-z]+)+$/,
  },
];

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** The secret with all but its first four characters masked. */
export function redactSecret(secret: string): string {
  const keep = Math.min(4, Math.floor(secret.length / 4));
  return `${secret.slice(0, keep)}${'*'.repeat(Math.min(12, secret.length - keep))}[REDACTED]`;
}

export interface SecretMatch {
  rule: string;
  description: string;
  /** The line around the secret, the secret redacted, at most 120 characters. */
  preview: string;
}

const ANY_KEYWORD = new RegExp(
  [...new Set(SECRET_RULES.flatMap((r) => r.keywords))].map((k) => k.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')).join('|'),
  'i',
);

/** Secrets in one added line (at most one per rule); never returns the secret itself. */
export function findSecrets(line: string): SecretMatch[] {
  if (line.length < 10 || !ANY_KEYWORD.test(line)) return [];
  const lower = line.toLowerCase();
  const hits: Array<{ rule: SecretRule; secret: string }> = [];
  for (const rule of SECRET_RULES) {
    if (!rule.keywords.some((k) => lower.includes(k))) continue;
    const m = rule.regex.exec(line);
    if (!m) continue;
    const secret = m[1] ?? m[0];
    if (rule.entropy !== undefined && shannonEntropy(secret) < rule.entropy) continue;
    if (rule.allow?.test(secret)) continue;
    if (rule.id !== 'private-key' && PLACEHOLDER.test(secret)) continue;
    if (rule.id === 'generic-api-key' && (hits.length > 0 || !/\d/.test(secret) || !/[a-zA-Z]/.test(secret))) continue;
    hits.push({ rule, secret });
  }
  if (hits.length === 0) return [];
  // Every secret of the line is masked in every preview, wherever it occurs.
  let redacted = line;
  for (const h of hits) redacted = redacted.split(h.secret).join(redactSecret(h.secret));
  return hits.map(({ rule, secret }) => {
    const at = Math.max(0, redacted.indexOf(redactSecret(secret)));
    const start = Math.max(0, at - 40);
    return { rule: rule.id, description: rule.description, preview: redacted.slice(start, start + 120).trim() };
  });
}
