/**
 * `switchyard triage correct <check_run> (--lines N-M | --not-this)`, run as the real CLI process
 * against a running Switchyard's database (SQLite and PostgreSQL): the correction is stored as the
 * operator's, shown by the API, and teaches the repository's history; bad input is refused with a
 * clear message and changes nothing.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { json, until } from './support/wait.js';
import { startTestApp, type TestApp } from './support/app.js';
import { TEST_API_TOKEN } from './support/sign.js';
import { checkRunPayload, installationPayload, startFakeGitHub, type FakeGitHub } from './support/fake-github/index.js';
import { ensureBuilt } from './support/process.js';

const BIN = path.resolve(import.meta.dirname, '../bin/switchyard.js');

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

const LOG = [
  '2026-11-20T10:00:00.0000000Z ##[group]Run go test ./...',
  '2026-11-20T10:00:01.0000000Z === RUN   TestAdd',
  '2026-11-20T10:00:01.0000000Z --- FAIL: TestAdd (0.00s)',
  '2026-11-20T10:00:01.0000000Z     calc_test.go:8: add(1, 2) = 3, want 4',
  '2026-11-20T10:00:01.0000000Z FAIL',
  '2026-11-20T10:00:01.0000000Z   cache: 3 entries written',
  '2026-11-20T10:00:01.0000000Z   budget: vendor.js 655 kB over 600 kB',
  '2026-11-20T10:00:02.0000000Z ##[error]Process completed with exit code 1.',
].join('\n');

describe.each(dialects)('switchyard triage correct (%s)', (dialect) => {
  let fake: FakeGitHub;
  let t: TestApp;
  let env: Record<string, string>;
  let checkRunId: number;
  const corrections = () => t.app.db.kysely.selectFrom('triage_corrections').selectAll().where('check_run_github_id', '=', checkRunId).orderBy('id', 'asc').execute();
  const history = () => t.app.db.kysely.selectFrom('triage_line_history').select(['source', 'weight']).where('check_run_github_id', '=', checkRunId).execute();
  const detail = () => json(fetch(`${t.url}/api/checks/${checkRunId}`, { headers: { authorization: `Bearer ${TEST_API_TOKEN}` } }));

  beforeAll(async () => {
    ensureBuilt();
    fake = await startFakeGitHub();
    const app = fake.createApp({ permissions: { metadata: 'read', checks: 'write', actions: 'write', pull_requests: 'write', issues: 'write', contents: 'read' } });
    t = await startTestApp(dialect, { APP_ID: String(app.id), PRIVATE_KEY: app.privateKey, WEBHOOK_SECRET: app.webhookSecret, GITHUB_URL: fake.url, GITHUB_API_URL: fake.apiUrl, PETS_ENABLED: 'false' });
    fake.setWebhookTarget(`${t.url}/api/github/webhooks`, app.webhookSecret);
    const installationId = fake.addInstallation({ account: { login: 'acme', type: 'Organization' } }).id;
    const repo = fake.addRepository(installationId, { name: 'calc', defaultBranch: 'main' });
    expect((await fake.deliver('installation', installationPayload(fake, installationId))).statusCode).toBe(202);
    await t.settle();
    const run = fake.addWorkflowRun(Number(repo.id), { name: 'CI', headSha: 'a'.repeat(40), headBranch: 'main', event: 'push', status: 'completed', conclusion: 'failure', jobs: [{ name: 'test', conclusion: 'failure', log: LOG }] });
    checkRunId = run.jobs[0]!.checkRunId;
    expect((await fake.deliver('check_run', checkRunPayload(fake, installationId, checkRunId, 'completed'))).statusCode).toBe(202);
    await until(`the diagnosis of ${checkRunId}`, () => t.app.db.kysely.selectFrom('analysis_results').select('id').where('check_run_github_id', '=', checkRunId).executeTakeFirst());
    env = { SWITCHYARD_DATA_DIR: t.config.dataDir, LOG_LEVEL: 'silent' };
    if (t.config.database.kind === 'postgres') env.DATABASE_URL = t.config.database.url;
  });
  afterEach(() => fake.assertValid());
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('refuses bad input with a clear message and exit code, and stores nothing', async () => {
    for (const [args, message, code] of [
      [['triage', 'correct', 'abc', '--lines', '3-4'], /name the check run by its GitHub id/, 2],
      [['triage', 'correct', String(checkRunId)], /give either --lines .* or --not-this/, 2],
      [['triage', 'correct', String(checkRunId), '--lines', '3-4', '--not-this'], /give either --lines .* or --not-this/, 2],
      [['triage', 'correct', String(checkRunId), '--lines', '5-2'], /triage correct: /, 2],
      [['triage', 'correct', String(checkRunId), '--lines', '7-90'], /triage correct: /, 2],
      [['triage', 'correct', '999999999', '--not-this'], /999999999 has no diagnosis/, 1],
    ] as Array<[string[], RegExp, number]>) {
      const r = await cli(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
    expect(await corrections()).toHaveLength(0);
    expect(await history()).toHaveLength(0);
  });

  it('stores the lines as the operator’s correction, shown by the API and learned by the repository; then "not this" replaces it', async () => {
    const lines = await cli(['triage', 'correct', String(checkRunId), '--lines', '3-4,7'], env);
    expect(lines.stderr).toBe('');
    expect(lines.code).toBe(0);
    expect(lines.stdout).toMatch(new RegExp(`^check run ${checkRunId}: corrected \\(failure lines 3-4,7\\); the repository's history learned [1-9]\\d* line\\(s\\)\\.\\n$`));
    const stored = await corrections();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ verdict: 'lines', author: 'operator' });
    expect(JSON.parse(stored[0]!.lines as string)).toEqual([
      [3, 4],
      [7, 7],
    ]);
    expect((await detail()).correction).toMatchObject({ verdict: 'lines', lines: [[3, 4], [7, 7]], author: 'operator' });
    expect((await history()).every((h) => h.source !== 'rejected' && Number(h.weight) > 0)).toBe(true);
    expect((await history()).length).toBeGreaterThan(0);

    const notThis = await cli(['triage', 'correct', String(checkRunId), '--not-this'], env);
    expect(notThis.stderr).toBe('');
    expect(notThis.code).toBe(0);
    expect(notThis.stdout).toContain(`check run ${checkRunId}: corrected (not `);
    expect((await detail()).correction).toMatchObject({ verdict: 'not_this', lines: [] });
    expect(await corrections()).toHaveLength(2);
    const rows = await history();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((h) => h.source === 'rejected' && Number(h.weight) === -1)).toBe(true);
  });
});
