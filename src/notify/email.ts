/**
 * Email through nodemailer over SMTP. A send's outcome is classified for the delivery runner: a
 * 4xx reply (greylisting, mailbox busy, too many connections) and connection failures are retried
 * with backoff; a 5xx reply is permanent (dead). Error text never carries the password.
 */
import nodemailer from 'nodemailer';
import type { SmtpConfig } from '../config/index.js';
import { scrubSecrets } from '../log/index.js';
import type { SendOutcome } from './telegram.js';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface EmailClient {
  send(m: EmailMessage): Promise<SendOutcome>;
  close(): void;
}

/** Classifies a failed send by the server's reply code (none: a connection problem, retried). */
export function classifyEmailError(err: unknown, password: string | undefined): Exclude<SendOutcome, { kind: 'sent' | 'unlink' }> {
  const e = err as { responseCode?: number; response?: string; code?: string; message?: string };
  const text = scrubSecrets(e.response ? `SMTP answered ${e.response}` : `SMTP failed: ${e.code ? `${e.code} ` : ''}${e.message ?? String(err)}`, [password]).slice(0, 1000);
  if (typeof e.responseCode === 'number' && e.responseCode >= 500) return { kind: 'dead', error: text };
  return { kind: 'retry', error: text };
}

export function createEmailClient(smtp: SmtpConfig): EmailClient {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
    logger: false,
    debug: false,
  });
  return {
    async send(m) {
      try {
        await transport.sendMail({ from: smtp.from, to: m.to, subject: m.subject.replace(/[\r\n]+/g, ' ').slice(0, 250), text: m.text });
        return { kind: 'sent' };
      } catch (err) {
        return classifyEmailError(err, smtp.password);
      }
    },
    close: () => transport.close(),
  };
}

/** A notification as an email's text. */
export function emailText(n: { title: string; body: string; link: string | null }): string {
  return `${n.title}\n\n${n.body}${n.link ? `\n\n${n.link}` : ''}\n\n— Switchyard (change which notifications you get on your account page)\n`;
}
