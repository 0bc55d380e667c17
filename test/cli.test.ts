/** The `switchyard` command, run as a real process against a real database. */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { startTestApp, type TestApp } from './support/app.js';
import { ensureBuilt } from './support/process.js';
import { deliveryHeaders, TEST_SECRET } from './support/sign.js';

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, '../bin/switchyard.js');

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

describe.each(dialects)('switchyard CLI (%s)', (dialect) => {
  let t: TestApp;
  let env: Record<string, string>;
  const id = randomUUID();
  beforeAll(async () => {
    ensureBuilt();
    t = await startTestApp(dialect);
    env = { SWITCHYARD_DATA_DIR: t.config.dataDir, WEBHOOK_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' };
    if (t.config.database.kind === 'postgres') env.DATABASE_URL = t.config.database.url;
    const body = JSON.stringify({ action: 'opened', issue: { id: 1, number: 1, title: 'x', state: 'open', updated_at: '2026-01-01T00:00:00Z' }, repository: { id: 5, name: 'cli', full_name: 'acme/cli', owner: { login: 'acme' } }, sender: { login: 'me' } });
    const res = await fetch(`${t.url}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders('issues', body, id), body });
    expect(res.status).toBe(202);
    await t.settle();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('events list shows deliveries and filters them', async () => {
    const out = await cli(['events', 'list', '--repository', 'acme/cli'], env);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(id);
    expect(out.stdout).toContain('issues.opened');
    const json = await cli(['events', 'list', '--json', '--type', 'push'], env);
    expect(JSON.parse(json.stdout)).toEqual([]);
    const bad = await cli(['events', 'list', '--status', 'nope'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--status must be one of');
  });

  it('events show prints the delivery with its payload', async () => {
    const out = await cli(['events', 'show', id], env);
    expect(out.code).toBe(0);
    const shown = JSON.parse(out.stdout);
    expect(shown).toMatchObject({ delivery_id: id, event_type: 'issues', processing_status: 'processed' });
    expect(shown.raw_payload.issue.title).toBe('x');
    expect((await cli(['events', 'show', 'missing'], env)).code).toBe(1);
  });

  it('events replay queues the delivery and the running worker processes it again', async () => {
    const out = await cli(['events', 'replay', id], env);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('queued');
    await t.settle();
    const ev = await t.getJson(`/api/events/${id}`);
    expect(ev.processing_status).toBe('processed');
    expect((await cli(['events', 'replay', 'missing'], env)).code).toBe(1);
  });

  it('doctor says what is right and what is wrong', async () => {
    const ok = await cli(['doctor'], env);
    expect(ok.stdout).toContain('database schema is up to date');
    expect(ok.stdout).toContain('WEBHOOK_SECRET is set');
    const noSecret = await cli(['doctor'], { ...env, WEBHOOK_SECRET: '' });
    expect(noSecret.code).toBe(1);
    expect(noSecret.stdout).toContain('WEBHOOK_SECRET is not set');
    const badConfig = await cli(['doctor'], { ...env, PORT: 'x' });
    expect(badConfig.code).toBe(1);
    expect(badConfig.stdout).toContain('PORT: must be a whole number');
  });

  it('migrate reports an up-to-date database', async () => {
    const out = await cli(['migrate'], env);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('up to date');
  });

  it('refuses to start with an invalid configuration, saying why', async () => {
    const out = await cli(['start'], { ...env, PORT: '99999' });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('PORT');
  });
});

describe('switchyard CLI without a database', () => {
  it('doctor explains an unreachable PostgreSQL without printing its password', async () => {
    ensureBuilt();
    const out = await cli(['doctor'], { DATABASE_URL: 'postgres://switchyard:s3cret-pass@127.0.0.1:1/db', WEBHOOK_SECRET: 'x' });
    expect(out.code).toBe(1);
    expect(out.stdout).toContain('cannot reach the database');
    expect(out.stdout + out.stderr).not.toContain('s3cret-pass');
  });

  it('--help lists every command', async () => {
    ensureBuilt();
    const out = await cli(['--help'], {});
    for (const c of ['start', 'web', 'worker', 'migrate', 'events', 'doctor']) expect(out.stdout).toContain(c);
    const events = await cli(['events', '--help'], {});
    for (const c of ['list', 'show', 'replay']) expect(events.stdout).toContain(c);
  });
});
