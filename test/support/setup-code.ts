/**
 * The one-time setup code in tests: read it where the operator reads it (the server's log line),
 * and hold the wizard's cookies like a browser.
 */
import type { TestApp } from './app.js';

/** The last setup code printed in the server's log (throws when none was). */
export function setupCodeFromLog(t: TestApp): string {
  let code: string | undefined;
  for (const line of t.logs) {
    const m = /SETUP CODE: ([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})/.exec(line);
    if (m) code = m[1];
  }
  if (!code) throw new Error('no setup code in the server log');
  return code;
}

/** Cookies from a response's Set-Cookie headers, as name → value. */
export function cookiesOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const i = pair!.indexOf('=');
    out[pair!.slice(0, i)] = decodeURIComponent(pair!.slice(i + 1));
  }
  return out;
}

export const cookieHeader = (c: Record<string, string>) =>
  Object.entries(c)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('; ');

/** POSTs JSON without credentials (a visitor), with extra headers. */
export function postJson(t: TestApp, pathname: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${t.url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}
