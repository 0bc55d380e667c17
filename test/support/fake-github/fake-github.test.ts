/** Tests of the fake GitHub itself, driven by the real Octokit clients Switchyard uses where reasonable. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSign } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Octokit } from '@octokit/core';
import { createAppAuth } from '@octokit/auth-app';
import { exchangeWebFlowCode } from '@octokit/oauth-methods';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { request } from '@octokit/request';
import { verify } from '@octokit/webhooks-methods';
import {
  installationPayload,
  installationRepositoriesPayload,
  pushPayload,
  startFakeGitHub,
  validatorStats,
  webhookPayloadErrors,
  organizationMemberPayload,
  memberPayload,
  appAuthorizationRevokedPayload,
  type FakeApp,
  type FakeGitHub,
} from './index.js';

const PaginatingOctokit = Octokit.plugin(paginateRest);

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A tiny webhook receiver: records requests, answers with `status` (changeable). */
async function startReceiver(): Promise<{ url: string; received: Received[]; status: number; close(): Promise<void> }> {
  const state = { received: [] as Received[], status: 200 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(state.status, { 'content-type': 'text/plain' }).end(state.status < 300 ? 'ok' : 'unavailable');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    received: state.received,
    get status() {
      return state.status;
    },
    set status(v: number) {
      state.status = v;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Signs an RS256 JWT by hand (to test the fake's claim checks). */
function signJwt(privateKey: string, claims: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc(claims)}`;
  return `${head}.${createSign('RSA-SHA256').update(head).sign(privateKey).toString('base64url')}`;
}

interface Rejection {
  status?: number;
  message: string;
  response?: { headers: Record<string, string>; data: { message: string } };
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Rejection> {
  try {
    await promise;
  } catch (err) {
    return err as Rejection;
  }
  throw new Error('expected the promise to reject');
}

function appOctokit(fake: FakeGitHub, app: FakeApp, extra: Record<string, unknown> = {}) {
  return new PaginatingOctokit({ baseUrl: fake.apiUrl, authStrategy: createAppAuth, auth: { appId: app.id, privateKey: app.privateKey, ...extra } });
}

let fake: FakeGitHub;
let app: FakeApp;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver();
  fake = await startFakeGitHub({ webhookUrl: receiver.url, webhookSecret: 'shh-test-secret' });
  app = fake.createApp({ name: 'Switchyard Test', permissions: { metadata: 'read', contents: 'read', issues: 'write' }, events: ['push', 'issues'] });
});

afterAll(async () => {
  await fake.close();
  await receiver.close();
});

afterEach(() => {
  fake.assertValid();
});

describe('app authentication (JWT)', () => {
  it('serves GET /app to a JWT from @octokit/auth-app, valid against the description', async () => {
    const started = performance.now();
    const res = await appOctokit(fake, app).request('GET /app');
    const firstMs = performance.now() - started;
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ id: app.id, slug: 'switchyard-test', client_id: app.clientId, events: ['push', 'issues'] });
    expect(res.headers['x-ratelimit-resource']).toBe('core');
    expect(res.headers.etag).toMatch(/^W\/"[0-9a-f]{64}"$/);
    const stats = validatorStats();
    console.log(`first request incl. spec load ${firstMs.toFixed(0)} ms; spec load ${stats.specLoadMs.toFixed(0)} ms; compile ${JSON.stringify(Object.fromEntries(Object.entries(stats.compileMs).map(([k, v]) => [k, Math.round(v)])))}`);
  });

  it('accepts the client id as iss', async () => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = signJwt(app.privateKey, { iat: now - 30, exp: now + 540, iss: app.clientId });
    const res = await fetch(`${fake.apiUrl}/app`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(res.status).toBe(200);
  });

  it('rejects a JWT signed with another key, a bad lifetime and no auth, with GitHub messages', async () => {
    const other = fake.createApp({ name: 'Other App' });
    const now = Math.floor(Date.now() / 1000);
    const cases: [string | undefined, number, string][] = [
      [signJwt(other.privateKey, { iat: now - 30, exp: now + 540, iss: app.id }), 401, 'A JSON web token could not be decoded'],
      [signJwt(app.privateKey, { iat: now - 30, exp: now + 3600, iss: app.id }), 401, "'Expiration time' claim ('exp') is too far in the future"],
      [signJwt(app.privateKey, { iat: now - 1200, exp: now - 600, iss: app.id }), 401, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"],
      [signJwt(app.privateKey, { iat: now + 600, exp: now + 900, iss: app.id }), 401, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"],
      [signJwt(app.privateKey, { iat: now - 30, exp: now + 540, iss: 999 }), 401, 'A JSON web token could not be decoded'],
      [undefined, 401, 'Requires authentication'],
    ];
    for (const [jwt, status, message] of cases) {
      const res = await fetch(`${fake.apiUrl}/app`, { headers: jwt ? { authorization: `Bearer ${jwt}` } : {} });
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ message, documentation_url: expect.stringContaining('docs.github.com') });
    }
    // The other app's key does work for the other app.
    expect((await appOctokit(fake, other).request('GET /app')).data?.id).toBe(other.id);
  });
});

describe('installations and tokens', () => {
  let installationId: number;

  beforeAll(() => {
    const inst = fake.addInstallation({ account: { login: 'acme', type: 'Organization' }, repositorySelection: 'selected' });
    installationId = inst.id;
    for (let i = 1; i <= 5; i++) fake.addRepository(installationId, { name: `repo-${i}`, private: i % 2 === 0, language: 'TypeScript' });
  });

  it('issues installation tokens (cached by auth-app) that list the repositories', async () => {
    const before = fake.tokensIssued;
    const octokit = appOctokit(fake, app, { installationId });
    const first = await octokit.request('GET /installation/repositories', { per_page: 2 });
    expect(first.data.total_count).toBe(5);
    expect(first.data.repositories.map((r) => r.full_name)).toEqual(['acme/repo-1', 'acme/repo-2']);
    expect(first.headers.link).toBe(
      `<${fake.apiUrl}/installation/repositories?per_page=2&page=2>; rel="next", <${fake.apiUrl}/installation/repositories?per_page=2&page=3>; rel="last"`,
    );
    await octokit.request('GET /installation/repositories');
    expect(fake.tokensIssued - before).toBe(1);
    const all = await octokit.paginate('GET /installation/repositories', { per_page: 2 });
    expect(all).toHaveLength(5);
    const entry = fake.requests.find((r) => r.operation === 'apps/create-installation-access-token');
    expect(entry).toMatchObject({ method: 'POST', status: 201, auth: 'jwt', path: `/api/v3/app/installations/${installationId}/access_tokens` });
    expect(fake.requests.filter((r) => r.operation === 'apps/list-repos-accessible-to-installation').every((r) => r.auth === 'installation')).toBe(true);
  });

  it('narrows tokens to repositories and permissions, and refuses what the installation lacks', async () => {
    const auth = createAppAuth({ appId: app.id, privateKey: app.privateKey, request: request.defaults({ baseUrl: fake.apiUrl }) });
    const { token } = await auth({ type: 'app' });
    const post = (body: unknown) =>
      fetch(`${fake.apiUrl}/app/installations/${installationId}/access_tokens`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const narrowed = await post({ repositories: ['repo-3'], permissions: { contents: 'read' } });
    expect(narrowed.status).toBe(201);
    const data = (await narrowed.json()) as { token: string; permissions: unknown; repository_selection: string; repositories: { name: string }[]; expires_at: string };
    expect(data).toMatchObject({ permissions: { contents: 'read' }, repository_selection: 'selected', repositories: [{ name: 'repo-3' }] });
    expect(data.token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    expect(Date.parse(data.expires_at) - Date.now()).toBeGreaterThan(59 * 60_000);
    const listed = await fetch(`${fake.apiUrl}/installation/repositories`, { headers: { authorization: `token ${data.token}` } });
    expect(((await listed.json()) as { total_count: number }).total_count).toBe(1);
    expect((await post({ repositories: ['nope'] })).status).toBe(422);
    const tooMuch = await post({ permissions: { contents: 'write' } });
    expect(tooMuch.status).toBe(422);
    expect(await tooMuch.json()).toMatchObject({ message: 'The permissions requested are not granted to this installation.' });
  });

  it('answers 401 for unknown and expired tokens, 403 for a JWT on an installation route, 404 for unknown installations', async () => {
    const auth = createAppAuth({ appId: app.id, privateKey: app.privateKey, installationId, request: request.defaults({ baseUrl: fake.apiUrl }) });
    const { token } = await auth({ type: 'installation', refresh: true });
    const get = (authorization: string) => fetch(`${fake.apiUrl}/installation/repositories`, { headers: { authorization } });
    expect((await get(`Bearer ${token}`)).status).toBe(200);
    expect((await get('token ghs_unknownunknownunknownunknownunknown1')).status).toBe(401);
    fake.expireInstallationTokens();
    const expired = await get(`token ${token}`);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ message: 'Bad credentials' });
    const { token: jwt } = await auth({ type: 'app' });
    expect((await get(`Bearer ${jwt}`)).status).toBe(403);
    const missing = await fetch(`${fake.apiUrl}/app/installations/123`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ message: 'Not Found' });
  });

  it('paginates GET /app/installations with Link headers like GitHub', async () => {
    for (const login of ['org-b', 'org-c', 'org-d', 'user-e']) fake.addInstallation({ account: { login, type: login.startsWith('user') ? 'User' : 'Organization' } });
    const octokit = appOctokit(fake, app);
    const page2 = await octokit.request('GET /app/installations', { per_page: 2, page: 2 });
    const base = `${fake.apiUrl}/app/installations?per_page=2`;
    expect(page2.headers.link).toBe(`<${base}&page=1>; rel="prev", <${base}&page=3>; rel="next", <${base}&page=3>; rel="last", <${base}&page=1>; rel="first"`);
    const all = await octokit.paginate('GET /app/installations', { per_page: 2 });
    expect(all.map((i) => i.account && 'login' in i.account ? i.account.login : null)).toEqual(['acme', 'org-b', 'org-c', 'org-d', 'user-e']);
    expect(all[4]).toMatchObject({ target_type: 'User', html_url: `${fake.url}/settings/installations/${all[4]?.id}` });
  });

  it('answers If-None-Match with 304 that costs no rate limit', async () => {
    const auth = createAppAuth({ appId: app.id, privateKey: app.privateKey, request: request.defaults({ baseUrl: fake.apiUrl }) });
    const { token } = await auth({ type: 'app' });
    const first = await fetch(`${fake.apiUrl}/app/installations/${installationId}`, { headers: { authorization: `Bearer ${token}` } });
    const etag = first.headers.get('etag') ?? '';
    const used = Number(first.headers.get('x-ratelimit-used'));
    const second = await fetch(`${fake.apiUrl}/app/installations/${installationId}`, { headers: { authorization: `Bearer ${token}`, 'if-none-match': etag } });
    expect(second.status).toBe(304);
    expect(await second.text()).toBe('');
    expect(Number(second.headers.get('x-ratelimit-used'))).toBe(used);
    expect(second.headers.get('etag')).toBe(etag);
  });
});

describe('failure injection and validation', () => {
  it('replaces a response of the wrong shape with a 500 and records the validation error', async () => {
    fake.corruptNext(/^\/app$/, (body) => {
      delete (body as Record<string, unknown>).node_id;
      (body as Record<string, unknown>).id = 'not-a-number';
    });
    const octokit = appOctokit(fake, app);
    const err = await rejection(octokit.request('GET /app'));
    expect(err).toMatchObject({ status: 500 });
    expect(err.message).toContain('apps/get-authenticated');
    expect(fake.validationErrors).toHaveLength(1);
    expect(fake.validationErrors[0]).toBe(
      "apps/get-authenticated (GET /app) 200: (root) must have required property 'node_id' {\"missingProperty\":\"node_id\"}; /id must be integer {\"type\":\"integer\"}",
    );
    expect(() => fake.assertValid()).toThrow(/apps\/get-authenticated/);
    fake.validationErrors.length = 0;
    expect((await octokit.request('GET /app')).status).toBe(200);
  });

  it('catches a wrong shape deep inside referenced component schemas', async () => {
    const inst = fake.addInstallation({ account: { login: 'deep-org' } });
    fake.addRepository(inst.id, { name: 'deep' });
    const octokit = appOctokit(fake, app, { installationId: inst.id });
    expect((await octokit.request('GET /installation/repositories')).status).toBe(200);
    fake.corruptNext(/installation\/repositories/, (body) => {
      const repo = (body as { repositories: { owner: Record<string, unknown>; private: unknown }[] }).repositories[0];
      if (repo) repo.owner.login = 42;
    });
    await expect(octokit.request('GET /installation/repositories')).rejects.toMatchObject({ status: 500 });
    expect(fake.validationErrors).toEqual([expect.stringMatching(/apps\/list-repos-accessible-to-installation .* 200: \/repositories\/0\/owner\/login must be string/)]);
    fake.validationErrors.length = 0;
  });

  it('injects secondary rate limits and 5xx before normal handling', async () => {
    fake.failNext('GET', /^\/app$/, { status: 403 });
    const res = await fetch(`${fake.apiUrl}/app`);
    expect(res.status).toBe(403);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as { message: string }).message).toMatch(/secondary rate limit/);
    fake.failNext('*', /\/app\/installations$/, { status: 502 }, 2);
    const octokit = appOctokit(fake, app);
    for (let i = 0; i < 2; i++) await expect(octokit.request('GET /app/installations')).rejects.toMatchObject({ status: 502 });
    expect((await octokit.request('GET /app/installations')).status).toBe(200);
    fake.failNext('POST', /access_tokens/, { status: 429, headers: { 'retry-after': '7' }, body: { message: 'slow down' } });
    const inst = fake.addInstallation({ account: { login: 'throttled-org' } });
    await expect(appOctokit(fake, app, { installationId: inst.id }).request('GET /installation/repositories')).rejects.toMatchObject({
      status: 429,
      response: { headers: { 'retry-after': '7' }, data: { message: 'slow down' } },
    });
  });

  it('enforces the primary rate limit per credential with GitHub headers', async () => {
    const limited = await startFakeGitHub({ rateLimit: 2 });
    try {
      const limitedApp = limited.createApp();
      const octokit = new Octokit({ baseUrl: limited.apiUrl, authStrategy: createAppAuth, auth: { appId: limitedApp.id, privateKey: limitedApp.privateKey } });
      const first = await octokit.request('GET /app');
      expect(first.headers).toMatchObject({ 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '1', 'x-ratelimit-used': '1' });
      await octokit.request('GET /app');
      const err = await rejection(octokit.request('GET /app'));
      expect(err.status).toBe(403);
      expect(err.response?.headers['x-ratelimit-remaining']).toBe('0');
      expect(err.response?.data.message).toBe(`API rate limit exceeded for app ID ${limitedApp.id}.`);
      const anonymous = await fetch(`${limited.apiUrl}/app-manifests/none/conversions`, { method: 'POST' });
      expect(anonymous.status).toBe(404);
      expect(anonymous.headers.get('x-ratelimit-limit')).toBe('60');
      limited.assertValid();
    } finally {
      await limited.close();
    }
  });

  it('answers unknown routes with GitHub 404s', async () => {
    const api = await fetch(`${fake.apiUrl}/nope/nothing`);
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
    const web = await fetch(`${fake.url}/nowhere`);
    expect(web.status).toBe(404);
    expect(web.headers.get('content-type')).toContain('text/html');
  });
});

describe('manifest flow', () => {
  it('creates an app from a posted manifest, converts the code once, and the credentials work', async () => {
    const hookReceiver = await startReceiver();
    try {
      fake.addUser({ login: 'octocat', name: 'The Octocat', email: 'octocat@example.com' });
      fake.signInAs('octocat');
      const manifest = {
        name: 'Switchyard Manifest',
        url: 'http://switchyard.test',
        hook_attributes: { url: hookReceiver.url },
        redirect_url: 'http://switchyard.test/setup/callback?x=1',
        callback_urls: ['http://switchyard.test/auth/callback'],
        default_permissions: { contents: 'read', pull_requests: 'write' },
        default_events: ['push', 'pull_request'],
      };
      const form = new URLSearchParams({ manifest: JSON.stringify(manifest) });
      const res = await fetch(`${fake.url}/organizations/acme/settings/apps/new?state=st4te`, { method: 'POST', body: form, redirect: 'manual' });
      expect(res.status).toBe(302);
      const location = new URL(res.headers.get('location') ?? '');
      expect(`${location.origin}${location.pathname}`).toBe('http://switchyard.test/setup/callback');
      expect(location.searchParams.get('state')).toBe('st4te');
      expect(location.searchParams.get('x')).toBe('1');
      const code = location.searchParams.get('code') ?? '';

      const anonymous = new Octokit({ baseUrl: fake.apiUrl });
      const conv = await anonymous.request('POST /app-manifests/{code}/conversions', { code });
      expect(conv.status).toBe(201);
      expect(conv.data).toMatchObject({ name: 'Switchyard Manifest', slug: 'switchyard-manifest', owner: { login: 'acme' }, permissions: { metadata: 'read', contents: 'read', pull_requests: 'write' }, events: ['push', 'pull_request'] });
      expect(conv.data.pem).toContain('BEGIN RSA PRIVATE KEY');
      await expect(anonymous.request('POST /app-manifests/{code}/conversions', { code })).rejects.toMatchObject({ status: 404 });

      const created = new Octokit({ baseUrl: fake.apiUrl, authStrategy: createAppAuth, auth: { appId: conv.data.id, privateKey: conv.data.pem } });
      expect((await created.request('GET /app')).data).toMatchObject({ id: conv.data.id, slug: 'switchyard-manifest' });

      // The hook URL became the webhook target, signed with the returned secret.
      const inst = fake.addInstallation({ appId: conv.data.id, account: { login: 'acme' } });
      await fake.deliver('installation', installationPayload(fake, inst.id));
      expect(hookReceiver.received).toHaveLength(1);
      const [delivery] = hookReceiver.received;
      expect(await verify(conv.data.webhook_secret ?? '', delivery?.body ?? '', String(delivery?.headers['x-hub-signature-256']))).toBe(true);
      expect(delivery?.headers['x-github-hook-installation-target-id']).toBe(String(conv.data.id));
    } finally {
      fake.signInAs(null);
      await hookReceiver.close();
    }
  });

  it('refuses a bad manifest with a 422 page and asks a signed-out browser to log in', async () => {
    const post = (manifest: unknown) => fetch(`${fake.url}/settings/apps/new`, { method: 'POST', body: new URLSearchParams({ manifest: JSON.stringify(manifest) }), redirect: 'manual' });
    const signedOut = await post({ url: 'http://x.test', hook_attributes: { url: 'http://x.test/h' }, redirect_url: 'http://x.test/r' });
    expect(signedOut.status).toBe(302);
    expect(signedOut.headers.get('location')).toContain('/login?return_to=');
    fake.addUser({ login: 'manifest-user' });
    fake.signInAs('manifest-user');
    try {
      const bad = await post({ url: 'http://x.test', redirect_url: 'http://x.test/r' });
      expect(bad.status).toBe(422);
      expect(await bad.text()).toContain('hook_attributes.url');
    } finally {
      fake.signInAs(null);
    }
  });
});

describe('OAuth web flow', () => {
  it('authorizes as the signed-in user, exchanges the code, and the token works on /user', async () => {
    const oauthApp = fake.createApp({ name: 'OAuth App', callbackUrls: ['http://switchyard.test/auth/callback'] });
    const inst = fake.addInstallation({ appId: oauthApp.id, account: { login: 'octo-user-org' } });
    fake.addUser({ login: 'mona', email: 'mona@example.com', name: 'Mona' });
    fake.grantInstallation('mona', inst.id);
    const authorizeUrl = `${fake.url}/login/oauth/authorize?client_id=${oauthApp.clientId}&redirect_uri=${encodeURIComponent('http://switchyard.test/auth/callback/x')}&state=abc`;
    expect((await fetch(authorizeUrl, { redirect: 'manual' })).headers.get('location')).toContain('/login?');
    fake.signInAs('mona');
    const res = await fetch(authorizeUrl, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.pathname).toBe('/auth/callback/x');
    expect(location.searchParams.get('state')).toBe('abc');
    const code = location.searchParams.get('code') ?? '';
    expect(fake.authorizations.at(-1)).toMatchObject({ appId: oauthApp.id, login: 'mona', state: 'abc' });

    const req = request.defaults({ baseUrl: fake.apiUrl });
    const bad = await rejection(exchangeWebFlowCode({ clientType: 'github-app', clientId: oauthApp.clientId, clientSecret: 'wrong', code, request: req }));
    expect(bad.message).toContain('incorrect_client_credentials');
    const { authentication } = await exchangeWebFlowCode({ clientType: 'github-app', clientId: oauthApp.clientId, clientSecret: oauthApp.clientSecret, code, redirectUrl: 'http://switchyard.test/auth/callback/x', request: req });
    expect(authentication.token).toMatch(/^gho_/);
    const reused = await rejection(exchangeWebFlowCode({ clientType: 'github-app', clientId: oauthApp.clientId, clientSecret: oauthApp.clientSecret, code, request: req }));
    expect(reused.message).toContain('bad_verification_code');

    const user = new Octokit({ baseUrl: fake.apiUrl, auth: authentication.token });
    expect((await user.request('GET /user')).data).toMatchObject({ login: 'mona', email: 'mona@example.com', name: 'Mona', user_view_type: 'private' });
    const installations = await user.request('GET /user/installations');
    expect(installations.data.total_count).toBe(1);
    expect(installations.data.installations[0]?.id).toBe(inst.id);
    expect(fake.requests.at(-1)).toMatchObject({ auth: 'user', status: 200 });

    const unknown = await fetch(`${fake.url}/login/oauth/authorize?client_id=nope`, { redirect: 'manual' });
    expect(unknown.status).toBe(404);
    const mismatch = await fetch(`${fake.url}/login/oauth/authorize?client_id=${oauthApp.clientId}&redirect_uri=${encodeURIComponent('http://evil.test/cb')}`, { redirect: 'manual' });
    expect(new URL(mismatch.headers.get('location') ?? '').searchParams.get('error')).toBe('redirect_uri_mismatch');
    fake.signInAs(null);
  });

  it('issues expiring ghu_ tokens with refresh tokens when the app opts in', async () => {
    const expiring = fake.createApp({ name: 'Expiring App', expiringUserTokens: true });
    fake.addUser({ login: 'hubot' });
    fake.signInAs('hubot');
    const res = await fetch(`${fake.url}/login/oauth/authorize?client_id=${expiring.clientId}&redirect_uri=${encodeURIComponent('http://cb.test/')}`, { redirect: 'manual' });
    const code = new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const form = await fetch(`${fake.url}/login/oauth/access_token`, { method: 'POST', body: new URLSearchParams({ client_id: expiring.clientId, client_secret: expiring.clientSecret, code }) });
    const answer = new URLSearchParams(await form.text());
    expect(answer.get('access_token')).toMatch(/^ghu_/);
    expect(answer.get('refresh_token')).toMatch(/^ghr_/);
    expect(answer.get('expires_in')).toBe('28800');
    fake.signInAs(null);
  });
});

describe('webhook deliveries', () => {
  it('delivers signed webhooks, records deliveries, and lists them newest first with cursor pagination', async () => {
    const inst = fake.addInstallation({ account: { login: 'hooks-org' } });
    const repo = fake.addRepository(inst.id, { name: 'hooked' });
    receiver.received.length = 0;
    const ok = await fake.deliver('installation_repositories', installationRepositoriesPayload(fake, inst.id, 'added', [repo.id]));
    expect(ok).toMatchObject({ statusCode: 200, status: 'OK' });
    const [sent] = receiver.received;
    expect(sent?.headers).toMatchObject({
      'x-github-event': 'installation_repositories',
      'x-github-delivery': ok.guid,
      'x-github-hook-installation-target-type': 'integration',
      'x-github-hook-installation-target-id': String(app.id),
      'content-type': 'application/json',
    });
    expect(sent?.headers['user-agent']).toMatch(/^GitHub-Hookshot\//);
    expect(await verify('shh-test-secret', sent?.body ?? '', String(sent?.headers['x-hub-signature-256']))).toBe(true);

    receiver.status = 503;
    const failed = await fake.deliver('push', pushPayload(fake, inst.id, repo.id));
    expect(failed).toMatchObject({ statusCode: 503, status: 'Invalid HTTP Response: 503' });
    receiver.status = 200;
    const down = await fake.deliver('push', pushPayload(fake, inst.id, repo.id), { reachable: false });
    expect(down).toMatchObject({ statusCode: 0, status: 'failed to connect to host' });
    expect(fake.deliveries.at(-1)).toMatchObject({ guid: down.guid, redelivery: false, status_code: 0, event: 'push', action: null, installation_id: inst.id, repository_id: repo.id, throttled_at: null, url: receiver.url });

    const octokit = appOctokit(fake, app);
    const page1 = await octokit.request('GET /app/hook/deliveries', { per_page: 2 });
    expect(page1.data.map((d) => d.guid)).toEqual([down.guid, failed.guid]);
    const last = page1.data[1];
    expect(page1.headers.link).toBe(`<${fake.apiUrl}/app/hook/deliveries?per_page=2&cursor=v1_${last?.id}>; rel="next"`);
    const all = await octokit.paginate('GET /app/hook/deliveries', { per_page: 2 });
    expect(all.map((d) => d.guid).slice(0, 3)).toEqual([down.guid, failed.guid, ok.guid]);
    const failures = await octokit.request('GET /app/hook/deliveries', { status: 'failure' });
    expect(failures.data.map((d) => d.status_code)).toEqual([0, 503]);
    const detail = await octokit.request('GET /app/hook/deliveries/{delivery_id}', { delivery_id: ok.id });
    expect(detail.data).toMatchObject({ guid: ok.guid, status_code: 200, request: { payload: { action: 'added' } }, response: { payload: 'ok' } });
    expect(detail.data.request.headers).toMatchObject({ 'X-GitHub-Event': 'installation_repositories' });
  });

  it('redelivers with the same GUID (redelivery: true) after answering 202', async () => {
    const inst = fake.addInstallation({ account: { login: 'redeliver-org' } });
    receiver.received.length = 0;
    const original = await fake.deliver('installation', installationPayload(fake, inst.id, 'created'), { reachable: false });
    expect(receiver.received).toHaveLength(0);
    const octokit = appOctokit(fake, app);
    const res = await octokit.request('POST /app/hook/deliveries/{delivery_id}/attempts', { delivery_id: original.id });
    expect(res.status).toBe(202);
    expect(res.data).toEqual({});
    await fake.settled();
    expect(receiver.received).toHaveLength(1);
    const [again] = receiver.received;
    expect(again?.headers['x-github-delivery']).toBe(original.guid);
    expect(await verify('shh-test-secret', again?.body ?? '', String(again?.headers['x-hub-signature-256']))).toBe(true);
    expect(JSON.parse(again?.body ?? '{}')).toMatchObject({ action: 'created', installation: { id: inst.id } });
    const redelivered = fake.deliveries.filter((d) => d.guid === original.guid);
    expect(redelivered.map((d) => [d.redelivery, d.status_code])).toEqual([
      [false, 0],
      [true, 200],
    ]);
    await expect(octokit.request('POST /app/hook/deliveries/{delivery_id}/attempts', { delivery_id: 1 })).rejects.toMatchObject({ status: 404 });
  });

  it('builds payloads that are valid against the x-webhooks schemas', () => {
    const inst = fake.addInstallation({ account: { login: 'payload-org' } });
    const repo = fake.addRepository(inst.id, { name: 'payloads', topics: ['a'] });
    fake.addUser({ login: 'pusher' });
    expect(webhookPayloadErrors('installation', installationPayload(fake, inst.id))).toEqual([]);
    expect(webhookPayloadErrors('installation', installationPayload(fake, inst.id, 'deleted'))).toEqual([]);
    expect(webhookPayloadErrors('installation_repositories', installationRepositoriesPayload(fake, inst.id, 'removed', [repo.id]))).toEqual([]);
    expect(webhookPayloadErrors('push', pushPayload(fake, inst.id, repo.id, { sender: 'pusher', commits: [{ message: 'one' }, { message: 'two' }] }))).toEqual([]);
    expect(webhookPayloadErrors('push', { ref: 'refs/heads/main' })[0]).toMatch(/webhook push: .*must have required property/);
    // The events access follows (src/access), against their own x-webhooks schemas.
    fake.addUser({ login: 'leaver' });
    expect(webhookPayloadErrors('organization', organizationMemberPayload(fake, inst.id, 'member_removed', 'leaver'))).toEqual([]);
    expect(webhookPayloadErrors('organization', organizationMemberPayload(fake, inst.id, 'member_added', 'leaver'))).toEqual([]);
    expect(webhookPayloadErrors('member', memberPayload(fake, inst.id, repo.id, 'removed', 'leaver'))).toEqual([]);
    expect(webhookPayloadErrors('member', memberPayload(fake, inst.id, repo.id, 'added', 'leaver'))).toEqual([]);
    expect(webhookPayloadErrors('github_app_authorization', appAuthorizationRevokedPayload(fake, 'leaver'))).toEqual([]);
    expect(webhookPayloadErrors('organization', { action: 'member_removed', organization: {} })[0]).toMatch(/must have required property/);
  });
});
