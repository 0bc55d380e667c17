/**
 * People through HTTP: local sign-in, two-factor, rate limits, session cookies and CSRF, sessions,
 * personal API tokens, password changes, administration of users, and secrets kept out of answers
 * and logs. Time-dependent behaviour (sliding expiry) is simulated by moving timestamps in the database.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { currentTotp, hashToken } from '../src/identity/index.js';
import { startTestApp, type TestApp } from './support/app.js';
import { dialects } from './support/databases.js';
import { bearerClient, cookieValue, createApiToken, createUser, json, login, sessionClient, signIn, type Client, type SecretLog } from './support/users.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A six-digit code no step from a minute ago to a minute ahead accepts. */
function wrongCode(secret: string): string {
  const now = Date.now();
  const valid = new Set([-60_000, -30_000, 0, 30_000, 60_000].map((d) => currentTotp(secret, now + d)));
  for (let n = 123_456; ; n = (n + 111_111) % 1_000_000) {
    const code = String(n).padStart(6, '0');
    if (!valid.has(code)) return code;
  }
}

/** A valid code of the next time step: the current one may have been used already (replay). */
const nextCode = (secret: string) => currentTotp(secret, Date.now() + 30_000);

describe.each(dialects)('identity (%s)', (dialect) => {
  let t: TestApp;
  const secrets: SecretLog = new Set();

  const me = async (c: Client) => c.fetch('/api/me');
  const sessionRow = (token: string) => t.app.db.kysely.selectFrom('user_sessions').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst();

  /** Enrolls two-factor for a signed-in client; returns the TOTP secret and the recovery codes. */
  const enable2fa = async (c: Client): Promise<{ secret: string; codes: string[] }> => {
    const enroll = (await (await c.fetch('/api/me/2fa/enroll', { method: 'POST' })).json()) as Json;
    secrets.add(enroll.secret);
    const res = await c.fetch('/api/me/2fa/confirm', json({ code: currentTotp(enroll.secret) }, { method: 'POST' }));
    expect(res.status).toBe(200);
    const codes = ((await res.json()) as Json).recovery_codes as string[];
    codes.forEach((code) => secrets.add(code));
    return { secret: enroll.secret, codes };
  };

  beforeAll(async () => {
    t = await startTestApp(dialect);
  });
  beforeEach(async () => {
    // Each test starts with fresh sign-in counters (every request comes from 127.0.0.1).
    await t.app.db.kysely.deleteFrom('rate_limits').execute();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('signs in a local account with its password and serves GET /api/me from the session cookie', async () => {
    const u = await createUser(t, { username: 'ada' }, secrets);
    const res = await login(t, { username: 'ada', password: u.password });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.user).toMatchObject({ id: u.id, username: 'ada', is_admin: false, is_active: true, is_2fa_enabled: false, has_password: true });
    const token = cookieValue(res.headers.getSetCookie(), 'sy_session')!;
    secrets.add(token);
    expect(token).toMatch(/^sys_/);
    const who = (await (await me(sessionClient(t, { token, csrf: body.csrf_token }))).json()) as Json;
    expect(who).toMatchObject({ kind: 'user', via: 'session', user: { id: u.id }, csrf_token: body.csrf_token, installation_ids: [] });
    // Usernames are matched without regard to case.
    expect((await login(t, { username: 'ADA', password: u.password })).status).toBe(200);
  });

  it('answers an unknown user, a wrong password and an inactive user alike', async () => {
    const u = await createUser(t, { username: 'bert' }, secrets);
    const answer = async (username: string, password: string) => {
      const res = await login(t, { username, password });
      return { status: res.status, body: await res.json(), cookies: res.headers.getSetCookie() };
    };
    const unknown = await answer('nobody-here', 'some-password-123');
    const wrong = await answer('bert', 'wrong-password-123');
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual({ error: 'INVALID_CREDENTIALS', message: expect.any(String) });
    expect(wrong).toEqual(unknown);
    expect(unknown.cookies).toEqual([]);
    expect((await t.api(`/api/users/${u.id}`, json({ is_active: false }, { method: 'PATCH' }))).status).toBe(200);
    expect(await answer('bert', u.password)).toEqual(unknown);
  });

  it('enrolls two-factor (QR code, otpauth URI, ten recovery codes); sign-in then needs a code, refuses a wrong or reused one, and takes a recovery code once', async () => {
    const u = await createUser(t, { username: 'tess' }, secrets);
    const s = sessionClient(t, await signIn(t, u, {}, secrets));
    const enroll = (await (await s.fetch('/api/me/2fa/enroll', { method: 'POST' })).json()) as Json;
    const secret = enroll.secret as string;
    secrets.add(secret);
    expect(enroll.qr_code).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(enroll.qr_code.split(',')[1], 'base64').toString('utf8')).toContain('<svg');
    const uri = new URL(enroll.otpauth_uri as string);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toContain('tess');
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({ secret, issuer: 'Switchyard', algorithm: 'SHA1', digits: '6', period: '30' });
    // Not on until confirmed: a wrong first code changes nothing.
    const bad = await s.fetch('/api/me/2fa/confirm', json({ code: wrongCode(secret) }, { method: 'POST' }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).error).toBe('TWO_FACTOR_INVALID');
    expect((await login(t, { username: 'tess', password: u.password })).status).toBe(200);

    const confirmed = await s.fetch('/api/me/2fa/confirm', json({ code: currentTotp(secret) }, { method: 'POST' }));
    expect(confirmed.status).toBe(200);
    const codes = ((await confirmed.json()) as Json).recovery_codes as string[];
    codes.forEach((c) => secrets.add(c));
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    expect(((await (await me(s)).json()) as Json)).toMatchObject({ user: { is_2fa_enabled: true }, recovery_codes_left: 10 });

    const attempt = async (extra: Record<string, string>) => {
      const res = await login(t, { username: 'tess', password: u.password, ...extra });
      return { status: res.status, error: ((await res.json()) as Json).error as string | undefined };
    };
    expect(await attempt({})).toEqual({ status: 401, error: 'TWO_FACTOR_REQUIRED' });
    expect(await attempt({ totp_code: wrongCode(secret) })).toEqual({ status: 401, error: 'TWO_FACTOR_INVALID' });
    const code = nextCode(secret);
    expect(await attempt({ totp_code: code })).toEqual({ status: 200, error: undefined });
    expect(await attempt({ totp_code: code }), 'a used code is refused (replay)').toEqual({ status: 401, error: 'TWO_FACTOR_INVALID' });
    // Recovery codes: case and dashes do not matter; each works once.
    expect(await attempt({ recovery_code: codes[0]!.toUpperCase() })).toEqual({ status: 200, error: undefined });
    expect(await attempt({ recovery_code: codes[0]! }), 'a used recovery code is refused').toEqual({ status: 401, error: 'TWO_FACTOR_INVALID' });
    expect(((await (await me(s)).json()) as Json).recovery_codes_left).toBe(9);
  });

  it('locks two-factor sign-in for 15 minutes after 5 wrong codes (429 TWO_FACTOR_LOCKED), even for a right code', async () => {
    const u = await createUser(t, { username: 'lockie' }, secrets);
    const { secret, codes } = await enable2fa(sessionClient(t, await signIn(t, u, {}, secrets)));
    for (let i = 1; i <= 4; i++) {
      const res = await login(t, { username: 'lockie', password: u.password, totp_code: wrongCode(secret) });
      expect(res.status, `wrong code ${i}`).toBe(401);
    }
    const fifth = await login(t, { username: 'lockie', password: u.password, totp_code: wrongCode(secret) });
    expect(fifth.status).toBe(429);
    expect(((await fifth.json()) as Json).error).toBe('TWO_FACTOR_LOCKED');
    expect(Number(fifth.headers.get('retry-after'))).toBe(900);
    for (const extra of [{ totp_code: nextCode(secret) }, { recovery_code: codes[0]! }]) {
      const res = await login(t, { username: 'lockie', password: u.password, ...extra });
      expect(res.status).toBe(429);
      expect(((await res.json()) as Json).error).toBe('TWO_FACTOR_LOCKED');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // When the lock has run out, the right code works again.
    await t.app.db.kysely.updateTable('users').set({ totp_locked_until: new Date(Date.now() - 1000).toISOString() }).where('id', '=', u.id).execute();
    expect((await login(t, { username: 'lockie', password: u.password, totp_code: nextCode(secret) })).status).toBe(200);
  });

  it('limits failed sign-ins per account and address: after 10 failures the 11th attempt answers 429 with retry-after, even with the right password', async () => {
    const u = await createUser(t, { username: 'rita' }, secrets);
    const other = await createUser(t, { username: 'otto' }, secrets);
    // Successes count nothing, and make this address one rita signed in from (no slow-down).
    for (let i = 1; i <= 12; i++) expect((await login(t, { username: 'rita', password: u.password })).status, `sign-in ${i}`).toBe(200);
    for (let i = 1; i <= 10; i++) expect((await login(t, { username: 'rita', password: `wrong-password-${i}` })).status, `attempt ${i}`).toBe(401);
    const res = await login(t, { username: 'RITA', password: u.password });
    expect(res.status).toBe(429);
    expect(((await res.json()) as Json).error).toBe('RATE_LIMITED');
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(900);
    expect(res.headers.getSetCookie()).toEqual([]);
    // Another account is not affected.
    expect((await login(t, { username: 'otto', password: other.password })).status).toBe(200);
  });

  it('sets the session cookie HttpOnly and SameSite=Lax (not Secure under http), and the CSRF cookie readable', async () => {
    const u = await createUser(t, { username: 'cora' }, secrets);
    const s = await signIn(t, u, {}, secrets);
    const session = s.setCookies.find((c) => c.startsWith('sy_session='))!;
    const csrf = s.setCookies.find((c) => c.startsWith('sy_csrf='))!;
    expect(session).toMatch(/; HttpOnly/i);
    expect(session).toMatch(/; SameSite=Lax/i);
    expect(session).toMatch(/; Path=\//i);
    expect(session).toMatch(new RegExp(`; Max-Age=${30 * 86_400}`, 'i'));
    expect(session).not.toMatch(/; Secure/i);
    expect(csrf).not.toMatch(/; HttpOnly/i);
    expect(csrf).toMatch(/; SameSite=Lax/i);
    expect(cookieValue(s.setCookies, 'sy_csrf')).toBe(s.csrf);
  });

  it('sets Secure cookies when PUBLIC_URL is https', async () => {
    const secure = await startTestApp(dialect, { PUBLIC_URL: 'https://switchyard.example.com' });
    try {
      const u = await createUser(secure, { username: 'sam' });
      const s = await signIn(secure, u);
      for (const name of ['sy_session', 'sy_csrf']) expect(s.setCookies.find((c) => c.startsWith(`${name}=`)), name).toMatch(/; Secure/i);
      const out = await sessionClient(secure, s).fetch('/api/auth/logout', { method: 'POST' });
      expect(out.headers.getSetCookie().every((c) => /; Secure/i.test(c))).toBe(true);
      const log = secure.logs.join('');
      for (const secret of [u.password, s.token]) expect(log.includes(secret)).toBe(false);
    } finally {
      await secure.close();
    }
  });

  it('refuses a cookie-authenticated change without the right X-CSRF-Token (403 CSRF_REJECTED), and accepts it with', async () => {
    const u = await createUser(t, { username: 'cass' }, secrets);
    const v = await createUser(t, { username: 'vic' }, secrets);
    const s = await signIn(t, u, {}, secrets);
    const other = await signIn(t, v, {}, secrets);
    const body = { name: 'csrf test' };
    for (const headers of [{}, { 'x-csrf-token': 'forged' }, { 'x-csrf-token': other.csrf }] as Array<Record<string, string>>) {
      const res = await sessionClient(t, s, 'no csrf', { csrf: false }).fetch('/api/me/tokens', json(body, { method: 'POST', headers }));
      expect(res.status).toBe(403);
      expect(((await res.json()) as Json).error).toBe('CSRF_REJECTED');
    }
    expect(await t.app.db.kysely.selectFrom('api_tokens').select('id').where('user_id', '=', u.id).execute()).toEqual([]);
    // GET /api/me repeats the token; with it the change goes through.
    const csrf = ((await (await me(sessionClient(t, s))).json()) as Json).csrf_token;
    expect(csrf).toBe(s.csrf);
    const ok = await sessionClient(t, s, 'csrf', { csrf: false }).fetch('/api/me/tokens', json(body, { method: 'POST', headers: { 'x-csrf-token': csrf } }));
    expect(ok.status).toBe(201);
    secrets.add(((await ok.json()) as Json).token);
  });

  it('lists my sessions and revokes one: its cookie then answers 401', async () => {
    const u = await createUser(t, { username: 'sela' }, secrets);
    const first = await signIn(t, u, {}, secrets);
    const second = await signIn(t, u, {}, secrets);
    const list = ((await (await sessionClient(t, first).fetch('/api/me/sessions')).json()) as Json).items as Json[];
    expect(list).toHaveLength(2);
    const current = list.find((x) => x.current)!;
    expect(current.id).toBe((await sessionRow(first.token))!.id);
    const otherId = list.find((x) => !x.current)!.id;
    expect(otherId).toBe((await sessionRow(second.token))!.id);
    expect((await sessionClient(t, first).fetch(`/api/me/sessions/${otherId}`, { method: 'DELETE' })).status).toBe(200);
    const revoked = await me(sessionClient(t, second));
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as Json).error).toBe('UNAUTHORIZED');
    expect((await me(sessionClient(t, first))).status).toBe(200);
    // Revoking the current session also clears its cookies.
    const self = await sessionClient(t, first).fetch(`/api/me/sessions/${current.id}`, { method: 'DELETE' });
    expect(self.status).toBe(200);
    expect(cookieValue(self.headers.getSetCookie(), 'sy_session')).toBe('');
    expect((await me(sessionClient(t, first))).status).toBe(401);
  });

  it("cannot revoke another user's session: 404, as for a session that does not exist", async () => {
    const a = await createUser(t, { username: 'ann' }, secrets);
    const b = await createUser(t, { username: 'ben' }, secrets);
    const sa = sessionClient(t, await signIn(t, a, {}, secrets));
    const sb = await signIn(t, b, {}, secrets);
    const bobsId = (await sessionRow(sb.token))!.id;
    const res = await sa.fetch(`/api/me/sessions/${bobsId}`, { method: 'DELETE' });
    const missing = await sa.fetch(`/api/me/sessions/${randomUUID()}`, { method: 'DELETE' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual(await missing.json());
    expect((await me(sessionClient(t, sb))).status).toBe(200);
  });

  it('logs out: ends the session and clears both cookies (and a logout without CSRF is refused)', async () => {
    const u = await createUser(t, { username: 'lou' }, secrets);
    const s = await signIn(t, u, {}, secrets);
    expect((await sessionClient(t, s, 'no csrf', { csrf: false }).fetch('/api/auth/logout', { method: 'POST' })).status).toBe(403);
    expect((await me(sessionClient(t, s))).status).toBe(200);
    const res = await sessionClient(t, s).fetch('/api/auth/logout', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    const cleared = res.headers.getSetCookie();
    for (const name of ['sy_session', 'sy_csrf']) {
      const c = cleared.find((x) => x.startsWith(`${name}=`));
      expect(c, name).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/i);
    }
    expect((await me(sessionClient(t, s))).status).toBe(401);
    expect(await sessionRow(s.token)).toBeUndefined();
  });

  it('slides a session’s expiry when used (at most once a minute) and refuses an expired one', async () => {
    const u = await createUser(t, { username: 'sly' }, secrets);
    const s = await signIn(t, u, {}, secrets);
    const c = sessionClient(t, s);
    const row = (await sessionRow(s.token))!;
    const move = (lastSeenAgoMs: number, expiresInMs: number) =>
      t.app.db.kysely
        .updateTable('user_sessions')
        .set({ last_seen_at: new Date(Date.now() - lastSeenAgoMs).toISOString(), expires_at: new Date(Date.now() + expiresInMs).toISOString() })
        .where('id', '=', row.id)
        .execute();
    // Used 10 s ago: not touched again yet.
    await move(10_000, 3_600_000);
    const before = (await sessionRow(s.token))!;
    expect((await me(c)).status).toBe(200);
    expect((await sessionRow(s.token))!.expires_at).toBe(before.expires_at);
    // Unused for two days, an hour left: a use pushes expiry to now + SESSION_DAYS (30).
    await move(2 * 86_400_000, 3_600_000);
    expect((await me(c)).status).toBe(200);
    const slid = (await sessionRow(s.token))!;
    expect(Date.parse(slid.expires_at) - (Date.now() + 30 * 86_400_000)).toBeGreaterThan(-60_000);
    expect(Date.now() - Date.parse(slid.last_seen_at)).toBeLessThan(60_000);
    // Expired: refused, and not revived.
    await move(2 * 86_400_000, -1000);
    expect((await me(c)).status).toBe(401);
    expect(Date.parse((await sessionRow(s.token))!.expires_at)).toBeLessThan(Date.now());
  });

  it('creates a personal API token (shown once) that works as a bearer, records its last use, and answers 401 once revoked', async () => {
    const u = await createUser(t, { username: 'tim' }, secrets);
    const s = sessionClient(t, await signIn(t, u, {}, secrets));
    const created = await s.fetch('/api/me/tokens', json({ name: 'deploy script', expires_in_days: 30 }, { method: 'POST' }));
    expect(created.status).toBe(201);
    const body = (await created.json()) as Json;
    secrets.add(body.token);
    expect(body.token).toMatch(/^syp_[A-Za-z0-9_-]{43}$/);
    expect(body).toMatchObject({ name: 'deploy script', token_hint: body.token.slice(0, 8), last_used_at: null });
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const listed = await (await s.fetch('/api/me/tokens')).text();
    expect(listed).not.toContain(body.token);
    expect(JSON.parse(listed).items).toEqual([expect.not.objectContaining({ token: expect.anything() })]);

    const bearer = bearerClient(t, body.token);
    const who = (await (await me(bearer)).json()) as Json;
    expect(who).toMatchObject({ kind: 'user', via: 'token', user: { id: u.id }, csrf_token: null });
    // A bearer needs no CSRF token for changes.
    const second = await bearer.fetch('/api/me/tokens', json({ name: 'second' }, { method: 'POST' }));
    expect(second.status).toBe(201);
    secrets.add(((await second.json()) as Json).token);
    const used = ((await (await s.fetch('/api/me/tokens')).json()) as Json).items.find((x: Json) => x.id === body.id);
    expect(Date.now() - Date.parse(used.last_used_at)).toBeLessThan(60_000);

    expect((await s.fetch(`/api/me/tokens/${body.id}`, { method: 'DELETE' })).status).toBe(200);
    const refused = await me(bearer);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as Json).error).toBe('UNAUTHORIZED');
    expect((await s.fetch(`/api/me/tokens/${body.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await me(bearerClient(t, 'syp_not-a-real-token'))).status).toBe(401);
  });

  it('changes my password (with the current one) and signs out my other sessions', async () => {
    const u = await createUser(t, { username: 'pat' }, secrets);
    const keep = await signIn(t, u, {}, secrets);
    const other = await signIn(t, u, {}, secrets);
    const c = sessionClient(t, keep);
    const newPassword = 'a-new-password-for-pat';
    secrets.add(newPassword);
    const wrong = await c.fetch('/api/me/password', json({ current_password: 'not-the-password', new_password: newPassword }, { method: 'POST' }));
    expect(wrong.status).toBe(401);
    const weak = await c.fetch('/api/me/password', json({ current_password: u.password, new_password: 'short' }, { method: 'POST' }));
    expect(weak.status).toBe(400);
    expect(((await weak.json()) as Json).error).toBe('PASSWORD_WEAK');
    expect((await me(sessionClient(t, other))).status).toBe(200);

    expect((await c.fetch('/api/me/password', json({ current_password: u.password, new_password: newPassword }, { method: 'POST' }))).status).toBe(200);
    expect((await me(sessionClient(t, other))).status).toBe(401);
    expect((await me(c)).status).toBe(200);
    expect((await login(t, { username: 'pat', password: u.password })).status).toBe(401);
    expect((await login(t, { username: 'pat', password: newPassword })).status).toBe(200);
  });

  it('lets an administrator create users; the last administrator cannot be demoted or deactivated (409); deactivating signs a user out', async () => {
    const boss = await createUser(t, { username: 'boss', isAdmin: true }, secrets);
    const admin = sessionClient(t, await signIn(t, boss, {}, secrets));
    const password = 'worker-password-123';
    secrets.add(password);
    const created = await admin.fetch('/api/users', json({ username: 'worker', password, email: 'worker@example.com' }, { method: 'POST' }));
    expect(created.status).toBe(201);
    const worker = (await created.json()) as Json;
    expect(worker).toMatchObject({ username: 'worker', email: 'worker@example.com', is_admin: false, installation_ids: [] });
    expect((await admin.fetch('/api/users', json({ username: 'Worker', password }, { method: 'POST' }))).status).toBe(409);
    const weak = await admin.fetch('/api/users', json({ username: 'weakling', password: 'short' }, { method: 'POST' }));
    expect(weak.status).toBe(400);
    expect(await weak.json()).toEqual({ error: 'PASSWORD_WEAK', message: 'password must be at least 10 characters' });

    for (const change of [{ is_admin: false }, { is_active: false }]) {
      const res = await admin.fetch(`/api/users/${boss.id}`, json(change, { method: 'PATCH' }));
      expect(res.status, JSON.stringify(change)).toBe(409);
      expect(((await res.json()) as Json).error).toBe('LAST_ADMIN');
    }
    // With a second administrator, the first may step down.
    expect((await admin.fetch(`/api/users/${worker.id}`, json({ is_admin: true }, { method: 'PATCH' }))).status).toBe(200);
    expect((await admin.fetch(`/api/users/${boss.id}`, json({ is_admin: false }, { method: 'PATCH' }))).status).toBe(200);
    expect((await admin.fetch('/api/users')).status).toBe(403);

    // The operator is held to the same rule: worker is now the last active administrator.
    const last = await t.api(`/api/users/${worker.id}`, json({ is_admin: false }, { method: 'PATCH' }));
    expect(last.status).toBe(409);

    // Deactivating signs the person out everywhere: sessions and API tokens stop working.
    const temp = await createUser(t, { username: 'temp' }, secrets);
    const c = sessionClient(t, await signIn(t, temp, {}, secrets));
    const { token } = await createApiToken(c, 'script', secrets);
    expect((await me(bearerClient(t, token))).status).toBe(200);
    expect((await t.api(`/api/users/${temp.id}`, json({ is_active: false }, { method: 'PATCH' }))).status).toBe(200);
    expect((await me(c)).status).toBe(401);
    expect((await me(bearerClient(t, token))).status).toBe(401);
    expect(await t.app.db.kysely.selectFrom('user_sessions').select('id').where('user_id', '=', temp.id).execute()).toEqual([]);
    expect((await login(t, { username: 'temp', password: temp.password })).status).toBe(401);
  });

  it('never shows password hashes, TOTP secrets or token hashes in API answers', async () => {
    const u = await createUser(t, { username: 'vera' }, secrets);
    const s = await signIn(t, u, {}, secrets);
    const c = sessionClient(t, s);
    const { secret } = await enable2fa(c);
    const { token } = await createApiToken(c, 'script', secrets);
    const row = await t.app.db.kysely.selectFrom('users').selectAll().where('id', '=', u.id).executeTakeFirstOrThrow();
    const sessionHashes = (await t.app.db.kysely.selectFrom('user_sessions').select('token_hash').where('user_id', '=', u.id).execute()).map((r) => r.token_hash);
    const tokenHashes = (await t.app.db.kysely.selectFrom('api_tokens').select('token_hash').where('user_id', '=', u.id).execute()).map((r) => r.token_hash);
    const codeHashes = (await t.app.db.kysely.selectFrom('user_recovery_codes').select('code_hash').where('user_id', '=', u.id).execute()).map((r) => r.code_hash);
    const forbidden = [row.password_hash!, row.totp_secret!, secret, s.token, token, ...sessionHashes, ...tokenHashes, ...codeHashes];
    expect(forbidden.every(Boolean)).toBe(true);

    const relogin = await login(t, { username: 'vera', password: u.password, totp_code: nextCode(secret) });
    const answers = [
      await relogin.text(),
      await (await me(c)).text(),
      await (await me(bearerClient(t, token))).text(),
      await (await c.fetch('/api/me/sessions')).text(),
      await (await c.fetch('/api/me/tokens')).text(),
      await (await t.api('/api/users?limit=200')).text(),
      await (await t.api(`/api/users/${u.id}`)).text(),
      await (await t.api(`/api/users/${u.id}`, json({ name: 'Vera' }, { method: 'PATCH' }))).text(),
    ];
    for (const text of answers) {
      for (const word of ['password_hash', 'totp_secret', 'token_hash', 'code_hash', '$argon2', 'enc:v1:']) expect(text).not.toContain(word);
      for (const value of forbidden) expect(text.includes(value), `an answer contains a secret: ${text.slice(0, 200)}`).toBe(false);
    }
  });

  it('never writes a password, TOTP secret, recovery code, session token or API token to the log', async () => {
    const log = t.logs.join('');
    expect(log).toContain('signed in');
    expect(secrets.size).toBeGreaterThan(40);
    const leaked = [...secrets].filter((secret) => log.includes(secret));
    expect(leaked).toEqual([]);
  });
});
