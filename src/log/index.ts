/** Logging: one pino root logger per process; slices and jobs take `log.child({ slice })`. */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths that may carry secrets; pino replaces their values before anything is written. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-hub-signature"]',
  'headers.authorization',
  'headers["x-hub-signature-256"]',
  'config.webhookSecret',
  'config.apiToken',
  'config.database.url',
  'config.github.privateKey',
  'config.github.clientSecret',
  'config.secretKey',
  'config.previousSecretKeys',
  '*.privateKey',
  '*.private_key',
  '*.pem',
  '*.clientSecret',
  '*.client_secret',
  '*.webhookSecret',
  '*.webhook_secret',
  '*.access_token',
  '*.accessToken',
  '*.totp_secret',
  '*.code',
  '*.password',
  '*.token',
  '*.secret',
];

/** Creates the root logger. `destination` is stdout unless given (tests capture logs this way). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** Removes credentials from a connection URL or an error message before it is logged or shown. */
export function scrubSecrets(text: string, secrets: Array<string | undefined> = []): string {
  let out = text.replace(/(\w+:\/\/)([^:@/\s]+):([^@/\s]+)@/g, '$1$2:***@');
  // GitHub's and Switchyard's own token formats, wherever they appear.
  out = out.replace(/\b(gh[opsur]_|github_pat_|sy[sp]_)[A-Za-z0-9_-]{8,}/g, '$1***');
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
}
