/**
 * A real local SMTP server (smtp-server) for tests: it requires AUTH with the given user and
 * password, parses each accepted message with mailparser, and answers failures a test scripts
 * (`failNext({ code: 451 … })` refuses the next message's DATA with that reply).
 */
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  at: number;
}

export interface SmtpFailure {
  code: number;
  message: string;
}

export interface TestSmtpServer {
  port: number;
  user: string;
  password: string;
  /** `smtp://user:password@127.0.0.1:port` */
  url: string;
  received: ReceivedMail[];
  /** Every DATA attempt (accepted or refused). */
  attempts: Array<{ to: string[]; code: number; at: number }>;
  failNext(...f: SmtpFailure[]): void;
  to(address: string): ReceivedMail[];
  close(): Promise<void>;
}

export async function startSmtpServer(opts: { user?: string; password?: string } = {}): Promise<TestSmtpServer> {
  const user = opts.user ?? 'switchyard';
  const password = opts.password ?? `smtp-pw-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const received: ReceivedMail[] = [];
  const attempts: TestSmtpServer['attempts'] = [];
  const failures: SmtpFailure[] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === user && auth.password === password) return cb(null, { user });
      return cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const to = session.envelope.rcptTo.map((r) => r.address);
      const failure = failures.shift();
      if (failure) {
        stream.resume();
        stream.on('end', () => {
          attempts.push({ to, code: failure.code, at: Date.now() });
          const err = new Error(failure.message) as Error & { responseCode: number };
          err.responseCode = failure.code;
          cb(err);
        });
        return;
      }
      simpleParser(stream)
        .then((mail) => {
          attempts.push({ to, code: 250, at: Date.now() });
          received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to, subject: mail.subject ?? '', text: mail.text ?? '', at: Date.now() });
          cb();
        })
        .catch((err: unknown) => cb(err instanceof Error ? err : new Error(String(err))));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    user,
    password,
    url: `smtp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    received,
    attempts,
    failNext: (...f) => void failures.push(...f),
    to: (address) => received.filter((m) => m.to.includes(address)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
