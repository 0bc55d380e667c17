/** `switchyard user create` and `switchyard keys generate|rotate`, run as real processes against a real database. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { startTestApp, type TestApp } from './support/app.js';
import { ensureBuilt } from './support/process.js';
import { recordSecret } from './support/secret-ledger.js';
import { createSecretBox, generateKey, parseKey } from '../src/identity/index.js';

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

describe.each(dialects)('identity commands (%s)', (dialect) => {
  let t: TestApp;
  let env: Record<string, string>;
  const k1 = generateKey();
  const k2 = generateKey();
  recordSecret(k1, k2);

  beforeAll(async () => {
    ensureBuilt();
    t = await startTestApp(dialect, { SWITCHYARD_SECRET_KEY: k1 });
    env = { SWITCHYARD_DATA_DIR: t.config.dataDir, LOG_LEVEL: 'silent' };
    if (t.config.database.kind === 'postgres') env.DATABASE_URL = t.config.database.url;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('user create reads the password from stdin and makes an administrator who can sign in', async () => {
    const password = 'a long enough password';
    recordSecret(password);
    const out = await cli(['user', 'create', 'ops-admin', '--admin', '--email', 'ops@example.com'], env, `${password}\n`);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('Created ops-admin (administrator)');
    expect(out.stdout + out.stderr).not.toContain(password);
    const res = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ops-admin', password }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { is_admin: boolean } }).user.is_admin).toBe(true);
  });

  it('user create refuses a weak password or a taken name, and creates nothing', async () => {
    const weak = await cli(['user', 'create', 'weakling'], env, 'short\n');
    expect(weak.code).toBe(2);
    expect(weak.stderr).toContain('password must be at least 10 characters');
    const taken = await cli(['user', 'create', 'OPS-ADMIN'], env, 'another long password\n');
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('taken');
    const names = (await t.app.db.kysely.selectFrom('users').select('username').execute()).map((u) => u.username);
    expect(names).toEqual(['ops-admin']);
  });

  it('keys generate prints a usable key', async () => {
    const out = await cli(['keys', 'generate'], env);
    expect(out.code).toBe(0);
    expect(parseKey(out.stdout.trim())).toHaveLength(32);
  });

  it('keys rotate re-encrypts every stored secret with the new key, and says when an old key is missing', async () => {
    await t.app.appCredentials.save({ id: 4242, pem: '-----BEGIN RSA PRIVATE KEY-----\nfake\n-----END RSA PRIVATE KEY-----\n', client_secret: 'client-secret-4242', webhook_secret: 'webhook-secret-4242' });
    recordSecret('client-secret-4242', 'webhook-secret-4242');
    const kid = (k: string) => createSecretBox(parseKey(k)).keyId;
    const stored = async () => {
      const row = await t.app.db.kysely.selectFrom('app_credentials').selectAll().executeTakeFirstOrThrow();
      return [row.private_key, row.client_secret!, row.webhook_secret!];
    };
    for (const v of await stored()) expect(v.startsWith(`enc:v1:${kid(k1)}:`)).toBe(true);

    const rotated = await cli(['keys', 'rotate'], { ...env, SWITCHYARD_SECRET_KEY: k2, SWITCHYARD_PREVIOUS_SECRET_KEYS: k1 });
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain('Re-encrypted 3 secret(s)');
    for (const v of await stored()) expect(v.startsWith(`enc:v1:${kid(k2)}:`)).toBe(true);
    const box = createSecretBox(parseKey(k2));
    expect(box.open((await stored())[1]!, 'app_credentials.client_secret')).toBe('client-secret-4242');

    const again = await cli(['keys', 'rotate'], { ...env, SWITCHYARD_SECRET_KEY: k2 });
    expect(again.stdout).toContain('Re-encrypted 0 secret(s)');
    expect(again.stdout).toContain('3 already used it');

    const lost = await cli(['keys', 'rotate'], { ...env, SWITCHYARD_SECRET_KEY: generateKey() });
    expect(lost.code).toBe(1);
    expect(lost.stderr).toContain('not configured');
    for (const v of await stored()) expect(v.startsWith(`enc:v1:${kid(k2)}:`)).toBe(true);
  });
});
