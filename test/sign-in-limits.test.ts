/**
 * Sign-in that strangers cannot lock (both databases; client addresses through X-Forwarded-For with
 * TRUST_PROXY): only failures count; failures are limited per account and address together; from an
 * address the account never signed in from, failures slow the account down progressively, and the
 * person, at an address they signed in from, is never refused because someone else failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { dialects } from './support/databases.js';
import { createUser, login } from './support/users.js';

describe.each(dialects)('sign-in limits (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect, { TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await t?.close();
  });
  const from = (ip: string) => ({ 'x-forwarded-for': ip });

  it('counts failures only: many successful sign-ins in a row are all let in', async () => {
    const u = await createUser(t, { username: 'sam' });
    for (let i = 1; i <= 15; i++) expect((await login(t, { username: 'sam', password: u.password }, from('10.1.0.1'))).status, `sign-in ${i}`).toBe(200);
  });

  it("slows a stranger's guesses down progressively, and never refuses the person at an address they signed in from", async () => {
    const u = await createUser(t, { username: 'pia' });
    expect((await login(t, { username: 'pia', password: u.password }, from('10.2.0.1'))).status).toBe(200);
    // A stranger: five wrong guesses are answered 401 ...
    for (let i = 1; i <= 5; i++) expect((await login(t, { username: 'pia', password: `guess-${i}` }, from('10.2.0.66'))).status, `guess ${i}`).toBe(401);
    // ... then every address the account never signed in from has to wait, growing with each failure.
    const slowed = await login(t, { username: 'pia', password: 'guess-6' }, from('10.2.0.77'));
    expect(slowed.status).toBe(429);
    expect(((await slowed.json()) as { error: string }).error).toBe('RATE_LIMITED');
    expect(Number(slowed.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The person, from the address they use, is not slowed at all: wrong and right passwords alike.
    expect((await login(t, { username: 'pia', password: 'a typo' }, from('10.2.0.1'))).status).toBe(401);
    expect((await login(t, { username: 'pia', password: u.password }, from('10.2.0.1'))).status).toBe(200);
  });

  it('limits failures per account and address together: 10 from one address lock that address out, not the account', async () => {
    const u = await createUser(t, { username: 'kai' });
    for (const ip of ['10.3.0.1', '10.3.0.2']) expect((await login(t, { username: 'kai', password: u.password }, from(ip))).status).toBe(200);
    for (let i = 1; i <= 10; i++) expect((await login(t, { username: 'kai', password: `wrong-${i}` }, from('10.3.0.1'))).status, `failure ${i}`).toBe(401);
    const locked = await login(t, { username: 'kai', password: u.password }, from('10.3.0.1'));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeLessThanOrEqual(900);
    expect((await login(t, { username: 'kai', password: u.password }, from('10.3.0.2'))).status).toBe(200);
  });
});
