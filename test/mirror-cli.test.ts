/**
 * `switchyard mirror …` as a real process against a real database (SQLite and PostgreSQL): add and
 * test a target (token from stdin, never echoed), add a rule, sync here with progress, list,
 * status, the sync log, and retry after a failure.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { FakeOneDev } from './support/fake-forge/index.js';
import { installationRepositoriesPayload } from './support/fake-github/index.js';
import { refsOf } from './support/git-server/index.js';
import { MIRROR_TEST_ENV, startMirrorWorld, type MirrorWorld } from './support/git-server/mirror-world.js';
import type { SourceRepository } from './support/git-server/github-source.js';
import { ensureBuilt } from './support/process.js';
import { recordSecret } from './support/secret-ledger.js';

const BIN = path.resolve(import.meta.dirname, '../bin/switchyard.js');
const TOKEN = 'onedev-cli-token-0e9d8c7b';

function cli(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe.each(dialects)('switchyard mirror CLI (%s)', (dialect) => {
  let w: MirrorWorld;
  let onedev: FakeOneDev;
  let env: Record<string, string>;
  let repo: SourceRepository;

  beforeAll(async () => {
    ensureBuilt();
    recordSecret(TOKEN);
    onedev = await FakeOneDev.start();
    onedev.addToken(TOKEN);
    w = await startMirrorWorld(dialect);
    repo = w.source.addRepository(w.installationId, { name: 'cli-repo' });
    await w.deliver('installation_repositories', installationRepositoriesPayload(w.fake, w.installationId, 'added', [repo.json.id]));
    // The CLI does the syncing here: this process's runner stands aside.
    await w.t.app.mirror.runner.stop();
    const app = w.fake.getApp();
    env = {
      SWITCHYARD_DATA_DIR: w.t.config.dataDir,
      LOG_LEVEL: 'silent',
      GITHUB_URL: w.fake.url,
      GITHUB_API_URL: w.fake.apiUrl,
      GITHUB_GIT_URL: w.source.url,
      APP_ID: String(app.id),
      PRIVATE_KEY: app.privateKey,
      ...MIRROR_TEST_ENV,
    };
    if (w.t.config.database.kind === 'postgres') env.DATABASE_URL = w.t.config.database.url;
  });
  afterAll(async () => {
    await w?.close();
    await onedev?.close();
  });

  it('adds and tests a target with the token from stdin, never showing it', async () => {
    const add = await cli(['mirror', 'targets', 'add', 'onedev', '--kind', 'onedev', '--url', onedev.url, '--namespace', 'cli'], env, `${TOKEN}\n`);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toContain('Added onedev (onedev)');
    const test = await cli(['mirror', 'targets', 'test', 'onedev'], env);
    expect(test.code).toBe(0);
    expect(test.stdout).toMatch(/ok\s+token: OneDev at .* accepts the token/);
    const listed = await cli(['mirror', 'targets'], env);
    expect(listed.stdout).toMatch(/onedev\s+onedev\s+http:\/\/127\.0\.0\.1:\d+ \(cli\)\s+token set, tested ok/);
    for (const out of [add, test, listed]) expect(out.stdout + out.stderr).not.toContain(TOKEN);
    const bad = await cli(['mirror', 'targets', 'add', 'meta', '--kind', 'gitea', '--url', 'http://169.254.169.254', '--namespace', 'x', '--no-token'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/link-local/);
  });

  it('adds a rule and syncs here with progress', async () => {
    const rule = await cli(['mirror', 'rule-add', 'onedev', '--repos', repo.fullName], env);
    expect(rule.code).toBe(0);
    expect(rule.stdout).toMatch(/1 repository start mirroring now/);
    expect(rule.stdout + rule.stderr, 'no warnings (the wake-up reached the queue)').not.toMatch(/"level":[4-6]0/);
    const sync = await cli(['mirror', 'sync', repo.fullName], env);
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/acme\/cli-repo → onedev: completed in [\d.]+ s/);
    expect(sync.stderr).toMatch(/acme\/cli-repo → onedev (clone|push): /);
    expect(refsOf(onedev.repoDir('cli/cli-repo')).get('refs/heads/main')).toBe(repo.wc.head());

    const list = await cli(['mirror', 'list'], env);
    expect(list.stdout).toMatch(/acme\/cli-repo\s+→ onedev\s+completed\s+synced \d+s ago\s+up to date/);
    const status = await cli(['mirror', 'status'], env);
    expect(status.stdout).toMatch(/onedev\s+onedev\s+1 completed/);
    expect(status.stdout).toMatch(/cache [\d.]+ (KiB|MiB)/);
    const log = await cli(['mirror', 'log', repo.fullName], env);
    expect(log.stdout).toContain('sync_completed');
    expect(log.stdout).toContain('onedev_repo_created');
    const json = JSON.parse((await cli(['mirror', 'list', '--json'], env)).stdout) as Array<{ sync_status: string }>;
    expect(json[0]).toMatchObject({ sync_status: 'completed', repository: 'acme/cli-repo' });
  });

  it('retry: a failure shows, and retrying once the target is back completes', async () => {
    repo.wc.commit('new work');
    repo.wc.push('HEAD:refs/heads/main');
    onedev.down = true;
    const failed = await cli(['mirror', 'sync', repo.fullName], env);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/acme\/cli-repo → onedev: failed — .*could not be reached|answered 503/);
    onedev.down = false;
    const retried = await cli(['mirror', 'retry', repo.fullName], env);
    expect(retried.code, retried.stdout + retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(/completed/);
    expect(refsOf(onedev.repoDir('cli/cli-repo')).get('refs/heads/main')).toBe(repo.wc.head());
    const unknown = await cli(['mirror', 'sync', 'acme/nope'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('does not know acme/nope');
  });

  it('doctor reports git and the cache; key rotation re-encrypts the target token', async () => {
    const doctor = await cli(['doctor'], env);
    expect(doctor.stdout).toMatch(/ok\s+git version .* \(for mirroring\)/);
    expect(doctor.stdout).toMatch(/ok\s+mirror cache .*mirror-cache: [\d.]+ (KiB|MiB)/);
    const oldKey = fs.readFileSync(path.join(w.t.config.dataDir, 'secret.key'), 'utf8').trim();
    const newKey = randomBytes(32).toString('base64');
    recordSecret(newKey);
    const rotated = await cli(['keys', 'rotate'], { ...env, SWITCHYARD_SECRET_KEY: newKey, SWITCHYARD_PREVIOUS_SECRET_KEYS: oldKey });
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/Re-encrypted [1-9]\d* secret/);
    const test = await cli(['mirror', 'targets', 'test', 'onedev'], { ...env, SWITCHYARD_SECRET_KEY: newKey });
    expect(test.code, test.stdout).toBe(0);
  });
});
