/**
 * The whole test run's secret check: every secret a test hands out (passwords, TOTP secrets and
 * recovery codes, session and API tokens, the fake GitHub's keys, client and webhook secrets and
 * access tokens) is recorded here, every test server's captured log is saved here, and the global
 * teardown (test/support/global-setup.ts) fails the run if any log contains any recorded secret.
 */
import fs from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder of this run's secret ledger (made by test/support/global-setup.ts). */
    switchyardLedger: string;
  }
}

/** The run's ledger folder (made by the global setup and provided to every test worker). */
export function ledgerDir(): string | undefined {
  try {
    return inject('switchyardLedger');
  } catch {
    return undefined;
  }
}

/** Records secrets that must never appear in a log (short values are ignored: they match by chance). */
export function recordSecret(...secrets: Array<string | undefined | null>): void {
  const dir = ledgerDir();
  if (!dir) return;
  const lines = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 8).map((s) => JSON.stringify(s));
  if (lines.length > 0) fs.appendFileSync(path.join(dir, `secrets-${process.pid}.jsonl`), `${lines.join('\n')}\n`);
}

let saved = 0;
/** Saves a test server's captured log lines for the end-of-run check. */
export function saveLog(lines: string[]): void {
  const dir = ledgerDir();
  if (!dir || lines.length === 0) return;
  fs.writeFileSync(path.join(dir, `log-${process.pid}-${++saved}.log`), lines.join(''));
}

/** Every recorded secret found in a saved log: [secret prefix, log file]. Used by the global teardown. */
export function findLeaks(dir: string): Array<{ secret: string; file: string }> {
  const files = fs.readdirSync(dir);
  const secrets = new Set<string>();
  for (const f of files.filter((f) => f.startsWith('secrets-'))) {
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) if (line) secrets.add(JSON.parse(line) as string);
  }
  const leaks: Array<{ secret: string; file: string }> = [];
  for (const f of files.filter((f) => f.startsWith('log-'))) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const s of secrets) if (text.includes(s)) leaks.push({ secret: `${s.slice(0, 6)}…`, file: f });
  }
  return leaks;
}

/** How many secrets and logs the ledger holds (printed by the teardown, so an empty check shows). */
export function ledgerSize(dir: string): { secrets: number; logs: number } {
  const files = fs.readdirSync(dir);
  let secrets = 0;
  for (const f of files.filter((f) => f.startsWith('secrets-'))) secrets += fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).length;
  return { secrets, logs: files.filter((f) => f.startsWith('log-')).length };
}
