/**
 * The one-time setup code of a fresh server (both databases): printed in the server's log at start,
 * stored only as a keyed hash; the wizard's API and the first administrator's sign-in (GitHub and
 * local) refuse without it; every wrong code gets the same answer and counts against the client
 * address's sign-in limit; the right one makes the first administrator and is gone; the machine's
 * shell (`switchyard user create --admin`, `switchyard doctor`) needs no code; with web processes on
 * PostgreSQL every process accepts the same code; the code never appears in an API answer.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { dialects } from './support/databases.js';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github/index.js';
import { ensureBuilt, freePort } from './support/process.js';
import { recordSecret } from './support/secret-ledger.js';
import { cookieHeader, cookiesOf, setupCodeFromLog } from './support/setup-code.js';
import { json } from './support/wait.js';
import { generateKey } from '../src/identity/index.js';

const BIN = path.resolve(import.meta.dirname, '../bin/switchyard.js');

function cli(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** Every answer a test got, to check the code never appears in one. */
function answerLog() {
  const seen: string[] = [];
  return {
    seen,
    async call(url: string, init: RequestInit = {}): Promise<{ res: Response; text: string }> {
      const res = await fetch(url, { redirect: 'manual', ...init });
      const text = await res.text();
      seen.push(`${res.status} ${JSON.stringify([...res.headers.entries()])} ${text}`);
      return { res, text };
    },
    expectNoCode(code: string) {
      const bare = code.replace(/-/g, '');
      for (const s of seen) {
        expect(s).not.toContain(code);
        expect(s).not.toContain(bare);
      }
    },
  };
}

const jsonInit = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const rateCount = async (t: TestApp, key: string) => {
  const r = await t.app.db.kysely.selectFrom('rate_limits').select((eb) => eb.fn.sum<number>('count').as('n')).where('key', '=', key).executeTakeFirst();
  return Number(r?.n ?? 0);
};
const codeRows = async (t: TestApp) => t.app.db.kysely.selectFrom('setup_codes').selectAll().execute();

describe.each(dialects)('the setup code on a fresh server (%s)', (dialect) => {
  let fake: FakeGitHub;
  let t: TestApp;
  let code: string;
  let grant: Record<string, string>;
  const answers = answerLog();
  const from = (ip: string) => ({ 'x-forwarded-for': ip });

  beforeAll(async () => {
    fake = await startFakeGitHub();
    fake.addUser({ login: 'octocat', email: 'octo@example.com', name: 'The Octocat' });
    fake.addUser({ login: 'stranger', email: 'stranger@example.com', name: 'A Stranger' });
    fake.signInAs('octocat');
    const port = await freePort();
    t = await startTestApp(dialect, { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, WEBHOOK_SECRET: '', GITHUB_URL: fake.url, GITHUB_API_URL: fake.apiUrl, TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('prints a code in the log at start and stores only its keyed hash', async () => {
    code = setupCodeFromLog(t);
    expect(code).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    const rows = await codeRows(t);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.code_hash).not.toContain(code.replace(/-/g, ''));
    expect(rows[0]!.code_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { text } = await answers.call(`${t.url}/api/setup`);
    expect(JSON.parse(text)).toMatchObject({ has_admin: false, setup_code_accepted: false, public_url_is_local: true, app: { configured: false } });
  });

  it('refuses the wizard and the first local administrator without the code', async () => {
    for (const [p, body] of [
      ['/api/setup/manifest', {}],
      ['/api/setup/admin', { username: 'grabber', password: 'a long enough password' }],
    ] as const) {
      const { res, text } = await answers.call(`${t.url}${p}`, jsonInit(body, from('10.9.0.9')));
      expect(res.status, p).toBe(403);
      expect(JSON.parse(text).error).toBe('SETUP_CODE_REQUIRED');
    }
    // The callback from GitHub without a grant goes back to the wizard and stores nothing.
    const cb = await answers.call(`${t.url}/setup/callback?code=x&state=y`);
    expect(cb.res.headers.get('location')).toBe('/setup?error=code');
    expect(await t.app.db.kysely.selectFrom('users').selectAll().execute()).toEqual([]);
    expect(t.app.appCredentials.current()).toBeNull();
  });

  it('answers every wrong code the same way and counts each against the address', async () => {
    const ip = '10.9.0.1';
    const bodies = new Set<string>();
    const statuses = new Set<number>();
    const wrong = ['aaaa-bbbb-cccc', '', code.slice(0, -1), `${code}x`, code.toUpperCase().replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))];
    for (const w of wrong) {
      const { res, text } = await answers.call(`${t.url}/api/setup/code`, jsonInit({ code: w }, from(ip)));
      statuses.add(res.status);
      bodies.add(text);
    }
    // Through the other endpoints that take a code too.
    for (const [p, body] of [
      ['/api/setup/admin', { username: 'grabber', password: 'a long enough password', setup_code: 'wxyz-wxyz-wxyz' }],
      ['/api/setup/manifest', { setup_code: 'wxyz-wxyz-wxyz' }],
    ] as const) {
      const { res, text } = await answers.call(`${t.url}${p}`, jsonInit(body, from(ip)));
      statuses.add(res.status);
      bodies.add(text);
    }
    expect([...statuses]).toEqual([403]);
    expect(bodies.size).toBe(1);
    expect(JSON.parse([...bodies][0]!).error).toBe('SETUP_CODE_INVALID');
    expect(await rateCount(t, `login:fail:addr:${ip}`)).toBe(7);
    // Up to the address's limit (50 failures), then even the right code and a local sign-in from it are refused.
    for (let i = 8; i <= 50; i++) expect((await answers.call(`${t.url}/api/setup/code`, jsonInit({ code: `guess-${i}` }, from(ip)))).res.status, `guess ${i}`).toBe(403);
    const limited = await answers.call(`${t.url}/api/setup/code`, jsonInit({ code }, from(ip)));
    expect(limited.res.status).toBe(429);
    expect(JSON.parse(limited.text).error).toBe('RATE_LIMITED');
    expect((await answers.call(`${t.url}/api/auth/login`, jsonInit({ username: 'nobody', password: 'whatever it is' }, from(ip)))).res.status).toBe(429);
    expect(await codeRows(t)).toHaveLength(1);
  });

  it('with the code, a browser holds a grant and creates the App', async () => {
    // Typed in capitals and without dashes: still the code.
    const ok = await answers.call(`${t.url}/api/setup/code`, jsonInit({ code: ` ${code.replace(/-/g, '').toUpperCase()} ` }, from('10.9.0.2')));
    expect(ok.res.status, ok.text).toBe(200);
    grant = cookiesOf(ok.res);
    expect(grant.sy_setup).toBeTruthy();
    recordSecret(grant.sy_setup);
    expect(ok.res.headers.getSetCookie().find((c) => c.startsWith('sy_setup='))).toMatch(/HttpOnly/i);
    const status = await answers.call(`${t.url}/api/setup`, { headers: { cookie: cookieHeader(grant) } });
    expect(JSON.parse(status.text).setup_code_accepted).toBe(true);

    const m = await answers.call(`${t.url}/api/setup/manifest`, jsonInit({ name: 'Yard' }, { cookie: cookieHeader(grant) }));
    expect(m.res.status, m.text).toBe(200);
    const { action, manifest } = JSON.parse(m.text) as { action: string; manifest: string };
    expect(action.startsWith(`${fake.url}/settings/apps/new?state=`)).toBe(true);
    expect(JSON.parse(manifest)).toMatchObject({ name: 'Yard', hook_attributes: { url: `${t.url}/api/github/webhooks` } });
    const stateCookies = cookiesOf(m.res);
    const created = await fetch(action, { method: 'POST', body: new URLSearchParams({ manifest }), redirect: 'manual' });
    const back = new URL(created.headers.get('location')!);
    // The grant alone is not enough: the state must match too.
    const forged = await answers.call(`${t.url}/setup/callback?code=${back.searchParams.get('code')}&state=forged`, { headers: { cookie: cookieHeader({ ...grant, ...stateCookies }) } });
    expect(forged.res.headers.get('location')).toBe('/setup?error=state');
    const done = await answers.call(back.toString(), { headers: { cookie: cookieHeader({ ...grant, ...stateCookies }) } });
    expect(done.res.headers.get('location')).toBe('/setup?connected=1');
    const c = t.app.appCredentials.current()!;
    expect(c.source).toBe('setup');
    const app = fake.getApp(c.appId);
    recordSecret(app.privateKey, app.clientSecret, app.webhookSecret);
    // The code is still in force: nobody is administrator yet.
    expect(await codeRows(t)).toHaveLength(1);
  });

  /** "Sign in with GitHub" as `login`, with extra cookies (the grant); returns the callback's answer. */
  async function githubSignIn(login: string, extra: Record<string, string> = {}) {
    fake.signInAs(login);
    const start = await fetch(`${t.url}/api/auth/github`, { redirect: 'manual' });
    const approved = await fetch(new URL(start.headers.get('location')!), { redirect: 'manual' });
    return answers.call(approved.headers.get('location')!, { headers: { cookie: cookieHeader({ ...cookiesOf(start), ...extra }) } });
  }

  it('lets nobody become administrator through GitHub without the code, and the holder of the code with it', async () => {
    const refused = await githubSignIn('stranger');
    expect(refused.res.status).toBe(403);
    expect(refused.text).toContain('setup code');
    expect(refused.res.headers.getSetCookie().some((c) => c.startsWith('sy_session='))).toBe(false);
    expect(await t.app.db.kysely.selectFrom('users').selectAll().execute()).toEqual([]);

    const signedIn = await githubSignIn('octocat', grant);
    expect(signedIn.res.status, signedIn.text).toBe(302);
    const session = cookiesOf(signedIn.res);
    recordSecret(session.sy_session);
    expect(session.sy_setup).toBe(''); // the grant cookie is cleared
    const me = await json(fetch(`${t.url}/api/me`, { headers: { cookie: cookieHeader(session) } }));
    expect(me.user).toMatchObject({ username: 'octocat', is_admin: true });
    expect(await codeRows(t)).toEqual([]);

    // The code is gone: it opens nothing any more, and a second GitHub account is no administrator.
    const again = await answers.call(`${t.url}/api/setup/code`, jsonInit({ code }, from('10.9.0.3')));
    expect(again.res.status).toBe(409);
    expect(JSON.parse(again.text).error).toBe('SETUP_DONE');
    expect((await answers.call(`${t.url}/api/setup/admin`, jsonInit({ username: 'late', password: 'a long enough password' }, { cookie: cookieHeader(grant) }))).res.status).toBe(409);
    const stranger = await githubSignIn('stranger', grant);
    expect(stranger.res.status).toBe(302);
    const strangerMe = await json(fetch(`${t.url}/api/me`, { headers: { cookie: cookieHeader(cookiesOf(stranger.res)) } }));
    expect(strangerMe.user).toMatchObject({ username: 'stranger', is_admin: false });
    const status = await json(fetch(`${t.url}/api/setup`));
    expect(status).toMatchObject({ has_admin: true, setup_code_accepted: false });
    answers.expectNoCode(code);
  });
});

describe.each(dialects)('the first local administrator and the shell (%s)', (dialect) => {
  let t: TestApp;
  let env: Record<string, string>;
  const answers = answerLog();

  beforeAll(async () => {
    ensureBuilt();
    t = await startTestApp(dialect);
    env = { SWITCHYARD_DATA_DIR: t.config.dataDir, LOG_LEVEL: 'silent', PUBLIC_URL: 'http://localhost:3000' };
    if (t.config.database.kind === 'postgres') env.DATABASE_URL = t.config.database.url;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('`switchyard doctor` on the shell issues a new code that works (the earlier one no longer does)', async () => {
    const first = setupCodeFromLog(t);
    const out = await cli(['doctor'], env);
    const m = /SETUP CODE: ([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})/.exec(out.stdout);
    expect(m, out.stdout + out.stderr).not.toBeNull();
    const fresh = m![1]!;
    expect(fresh).not.toBe(first);
    expect((await answers.call(`${t.url}/api/setup/code`, jsonInit({ code: first }))).res.status).toBe(403);
    expect((await answers.call(`${t.url}/api/setup/code`, jsonInit({ code: fresh }))).res.status).toBe(200);
    answers.expectNoCode(fresh);
  });

  it('makes exactly one first administrator with the code, even when two try at once', async () => {
    const out = await cli(['doctor'], env);
    const code = /SETUP CODE: (\S{14})/.exec(out.stdout)![1]!;
    const password = 'a long enough password';
    recordSecret(password);
    const tries = await Promise.all(
      ['first', 'second'].map((username) => answers.call(`${t.url}/api/setup/admin`, jsonInit({ username, password, setup_code: code }))),
    );
    const statuses = tries.map((x) => x.res.status).sort();
    expect(statuses[0]).toBe(201);
    expect([403, 409]).toContain(statuses[1]);
    const winner = tries.find((x) => x.res.status === 201)!;
    expect(JSON.parse(winner.text).user.is_admin).toBe(true);
    const session = cookiesOf(winner.res);
    recordSecret(session.sy_session);
    const me = await json(fetch(`${t.url}/api/me`, { headers: { cookie: cookieHeader(session) } }));
    expect(me.is_admin).toBe(true);
    const admins = await t.app.db.kysely.selectFrom('users').select('username').where('is_admin', '=', true).execute();
    expect(admins).toHaveLength(1);
    expect(await codeRows(t)).toEqual([]);
    // Doctor now reports the administrator and issues no code.
    const after = await cli(['doctor'], env);
    expect(after.stdout).toContain('with an administrator');
    expect(after.stdout).not.toContain('SETUP CODE');
    answers.expectNoCode(code);
  });
});

describe.each(dialects)('`switchyard user create --admin` on a fresh server (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    ensureBuilt();
    t = await startTestApp(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('needs no code, and the code is gone after it', async () => {
    expect(await codeRows(t)).toHaveLength(1);
    const env: Record<string, string> = { SWITCHYARD_DATA_DIR: t.config.dataDir, LOG_LEVEL: 'silent' };
    if (t.config.database.kind === 'postgres') env.DATABASE_URL = t.config.database.url;
    const password = 'the shell is trusted';
    recordSecret(password);
    const out = await cli(['user', 'create', 'ops', '--admin'], env, `${password}\n`);
    expect(out.code, out.stderr).toBe(0);
    expect(await codeRows(t)).toEqual([]);
    const res = await fetch(`${t.url}/api/setup/code`, jsonInit({ code: setupCodeFromLog(t) }));
    expect(res.status).toBe(409);
  });
});

describe.skipIf(!dialects.includes('postgres'))('web processes sharing PostgreSQL', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    // Processes of one server share the database and the key (SWITCHYARD_SECRET_KEY), nothing else.
    const key = generateKey();
    recordSecret(key);
    a = await startTestApp('postgres', { SWITCHYARD_SECRET_KEY: key }, { web: true, worker: false, scheduler: false });
    const url = a.config.database.kind === 'postgres' ? a.config.database.url : '';
    b = await startTestApp('postgres', { DATABASE_URL: url, SWITCHYARD_SECRET_KEY: key }, { web: true, worker: false, scheduler: false });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('issue the code once and accept it in every process', async () => {
    const code = setupCodeFromLog(a);
    expect(() => setupCodeFromLog(b)).toThrow();
    expect(b.logs.join('')).toContain('is in force');
    for (const t of [a, b]) {
      const res = await fetch(`${t.url}/api/setup/code`, jsonInit({ code }));
      expect(res.status, t.url).toBe(200);
    }
    const rows = await a.app.db.kysely.selectFrom('setup_codes').selectAll().execute();
    expect(rows).toHaveLength(1);
  });
});
