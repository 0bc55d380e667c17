/**
 * `switchyard pets list | show | history | explain | backfill` against a running Switchyard's
 * database (SQLite and PostgreSQL), with a pet made from a real history on the fake GitHub.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { installationRepositoriesPayload } from './support/fake-github/index.js';
import { MIRROR_TEST_ENV, startMirrorWorld, until, type MirrorWorld } from './support/git-server/mirror-world.js';
import type { SourceRepository } from './support/git-server/github-source.js';
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

describe.each(dialects)('switchyard pets CLI (%s)', (dialect) => {
  let w: MirrorWorld;
  let env: Record<string, string>;
  let repo: SourceRepository;
  let shas: string[];

  beforeAll(async () => {
    ensureBuilt();
    w = await startMirrorWorld(dialect, { PETS_ENABLED: 'true', PETS_RETRY_BASE_MS: '200' });
    repo = w.source.addRepository(w.installationId, { name: 'cli-pet', seed: false });
    shas = [];
    for (const [i, content] of ['export const a = 1;\n', 'export function f(x: number) {\n  if (x > 1 && x < 5) return 1;\n  return 0;\n}\n', '// TODO: tidy\nconsole.log("x");\n'].entries()) {
      fs.mkdirSync(path.join(repo.wc.dir, 'src'), { recursive: true });
      fs.writeFileSync(path.join(repo.wc.dir, `src/f${i}.ts`), content);
      repo.wc.git('add', '-A');
      repo.wc.git('commit', '--quiet', '-m', `change ${i}`);
      shas.push(repo.wc.head());
    }
    repo.wc.push('HEAD:refs/heads/main');
    await w.deliver('installation_repositories', installationRepositoriesPayload(w.fake, w.installationId, 'added', [repo.json.id]));
    await until('the backfill', async () => (await w.json('/api/pets/acme/cli-pet')).backfill?.status === 'done', 60_000);
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
      PETS_ENABLED: 'true',
    };
    if (w.t.config.database.kind === 'postgres') env.DATABASE_URL = w.t.config.database.url;
  });
  afterAll(async () => {
    await w?.close();
  });

  it('lists pets and shows one', async () => {
    const list = await cli(['pets', 'list'], env);
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/acme\/cli-pet\s+\d+ (thriving|healthy|okay|poor|dying)\s+alive/);
    const json = await cli(['pets', 'list', '--json'], env);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ repository: 'acme/cli-pet', backfill: expect.objectContaining({ status: 'done', done: 3, total: 3 }) })]);
    const show = await cli(['pets', 'show', 'acme/cli-pet'], env);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^acme\/cli-pet: [A-Z]\w+ [A-Z]\w+ the blob — \d+\/100/);
    expect(show.stdout).toContain('backfill done 3/3');
    const missing = await cli(['pets', 'show', 'acme/nothing'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('acme/nothing has no pet');
  });

  it('explains a commit: components, total, effect; history lists every change', async () => {
    const api = await w.json(`/api/pets/acme/cli-pet/commits/${shas[2]}`);
    const explain = await cli(['pets', 'explain', 'acme/cli-pet', shas[2]!.slice(0, 10)], env);
    expect(explain.code).toBe(0);
    expect(explain.stdout).toContain(`${shas[2]!.slice(0, 12)} change 2`);
    for (const [name, c] of Object.entries(api.breakdown as Record<string, { points: number; reason: string }>)) expect(explain.stdout).toContain(`${name.padEnd(12)} ${(c.points > 0 ? `+${c.points}` : String(c.points)).padStart(4)}  ${c.reason}`);
    expect(explain.stdout).toMatch(/total\s+[-+]?\d+/);
    const history = await cli(['pets', 'history', 'acme/cli-pet', '--json'], env);
    expect(JSON.parse(history.stdout)).toEqual((await w.json('/api/pets/acme/cli-pet/history')).items);
  });

  it('backfills again with progress; nothing moves twice', async () => {
    const before = await w.json('/api/pets/acme/cli-pet');
    const historyBefore = (await w.json('/api/pets/acme/cli-pet/history')).items;
    const r = await cli(['pets', 'backfill', 'acme/cli-pet'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('acme/cli-pet 3/3 commits');
    expect(r.stdout).toContain('acme/cli-pet: 3 commits analysed');
    const after = await w.json('/api/pets/acme/cli-pet');
    expect(after.health).toBe(before.health);
    expect(after.backfill).toMatchObject({ status: 'done', done: 3, total: 3 });
    expect((await w.json('/api/pets/acme/cli-pet/history')).items).toEqual(historyBefore);
  });
});
