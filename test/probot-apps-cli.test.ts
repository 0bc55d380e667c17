/**
 * The Probot apps from the terminal, as real processes against a real database: `apps list`,
 * `apps runs --status failed`, `apps replay`, `doctor` saying which app does not load, and
 * `start --strict` refusing to start with one.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { startTestApp, type TestApp } from './support/app.js';
import { ensureBuilt } from './support/process.js';
import { deliveryHeaders } from './support/sign.js';
import { json, until } from './support/wait.js';

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, '../bin/switchyard.js');

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

describe.each(dialects)('switchyard apps CLI (%s)', (dialect) => {
  let t: TestApp;
  let env: Record<string, string>;
  let dir: string;
  const id = randomUUID();

  beforeAll(async () => {
    ensureBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-apps-cli-'));
    fs.writeFileSync(path.join(dir, 'labeler.mjs'), "export default (app) => { app.on('issues.opened', async (context) => { context.log.info('about to fail'); throw new Error('labels are missing'); }); };");
    fs.writeFileSync(path.join(dir, 'broken.mjs'), "export default () => { throw new Error('needs a config file'); };");
    fs.writeFileSync(path.join(dir, 'nofn.mjs'), 'export const answer = 42;');
    fs.writeFileSync(path.join(dir, 'badname.mjs'), "export default (app) => { app.on('pull_request.opend', async () => {}); };");
    const good = path.join(dir, 'labeler.mjs');
    t = await startTestApp(dialect, { SWITCHYARD_APPS: good });
    env = { SWITCHYARD_DATA_DIR: t.config.dataDir, WEBHOOK_SECRET: 'x', LOG_LEVEL: 'silent', SWITCHYARD_APPS: [good, 'broken.mjs', 'nofn.mjs', 'badname.mjs'].map((f) => path.resolve(dir, f)).join(',') };
    if (t.config.database.kind === 'postgres') env.DATABASE_URL = t.config.database.url;
    const body = JSON.stringify({ action: 'opened', issue: { id: 1, number: 1, title: 'x', state: 'open', updated_at: '2026-01-01T00:00:00Z' }, repository: { id: 5, name: 'cli', full_name: 'acme/cli', owner: { login: 'acme' } }, sender: { login: 'me' } });
    expect((await fetch(`${t.url}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders('issues', body, id), body })).status).toBe(202);
    await until('labeler failed', async () => (await json(t.api(`/api/apps/labeler/runs?status=failed`))).items.length === 1);
  });
  afterAll(async () => {
    await t?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('apps list shows what loads, its figures, and what does not load', async () => {
    const out = await cli(['apps', 'list'], env);
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/labeler\s+1 runs\s+0% ok/);
    expect(out.stdout).toContain('issues.opened');
    expect(out.stdout).toContain('labels are missing');
    expect(out.stdout).toMatch(/broken\s+NOT LOADED: threw while loading: needs a config file/);
  });

  it('apps runs --status failed lists the failed run with its error; replay queues it again', async () => {
    const failed = await cli(['apps', 'runs', 'labeler', '--status', 'failed'], env);
    expect(failed.code).toBe(0);
    expect(failed.stdout).toContain(id);
    expect(failed.stdout).toContain('labels are missing');
    const none = await cli(['apps', 'runs', 'labeler', '--status', 'succeeded'], env);
    expect(none.stdout).toContain('No runs match.');
    expect((await cli(['apps', 'runs', 'labeler', '--status', 'bogus'], env)).code).not.toBe(0);
    const asJson = JSON.parse((await cli(['apps', 'runs', 'labeler', '--json'], env)).stdout) as Array<{ log_lines: Array<{ msg: string }> }>;
    expect(asJson[0]!.log_lines.map((l) => l.msg)).toContain('about to fail');

    const before = ((await json(t.api('/api/apps/labeler/runs'))).items as Array<{ finished_at: string }>)[0]!.finished_at;
    const replay = await cli(['apps', 'replay', 'labeler', id], env);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain('queued');
    // The running server's worker runs it again (and it fails again, at once).
    await until('replayed', async () => {
      const items = (await json(t.api('/api/apps/labeler/runs'))).items as Array<{ status: string; finished_at: string | null; attempts: number }>;
      return items.length === 1 && items[0]!.status === 'failed' && items[0]!.finished_at !== null && items[0]!.finished_at > before && items[0]!.attempts === 1;
    });
    expect((await cli(['apps', 'replay', 'labeler', 'no-such-delivery'], env)).code).toBe(1);
  });

  it('doctor names the app that does not load; start --strict refuses to start', async () => {
    const doctor = await cli(['doctor'], env);
    expect(doctor.stdout).toMatch(/ok\s+Probot app labeler/);
    expect(doctor.stdout).toMatch(/FAIL\s+Probot app .*broken\.mjs does not load.*needs a config file/);
    expect(doctor.stdout).toMatch(/FAIL\s+Probot app .*nofn\.mjs does not load.*exports no function/);
    expect(doctor.stdout).toMatch(/FAIL\s+Probot app .*badname\.mjs does not load.*"pull_request\.opend"/);
    const strict = await cli(['start', '--strict'], { ...env, PORT: '0', LOG_LEVEL: 'error' });
    expect(strict.code).toBe(1);
    expect(strict.stdout + strict.stderr).toContain('Refusing to start (--strict)');
  });
});
