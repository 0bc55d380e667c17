/**
 * A worker killed (SIGKILL) in the middle of a sync, on SQLite and PostgreSQL: its lease expires,
 * the next worker takes the mirror over (cleaning up what the killed git left in the cache) and
 * finishes it; nothing stays `in_progress`. The workers are the built `switchyard worker` as real
 * processes; the test process runs the web role (webhooks, API), the fake GitHub and the fake OneDev.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { dialects } from './support/databases.js';
import { FakeOneDev } from './support/fake-forge/index.js';
import { installationRepositoriesPayload, startFakeGitHub, type FakeGitHub } from './support/fake-github/index.js';
import { GitHubSource } from './support/git-server/github-source.js';
import { refsOf } from './support/git-server/index.js';
import { MIRROR_TEST_ENV, until } from './support/git-server/mirror-world.js';
import { ensureBuilt, spawnSwitchyard, type ServerProcess } from './support/process.js';
import { recordSecret } from './support/secret-ledger.js';
import { TEST_API_TOKEN, TEST_SECRET } from './support/sign.js';

const TOKEN = 'onedev-crash-token-6a7b8c9d';

describe.each(dialects)('a worker killed mid-sync (%s)', (dialect) => {
  let fake: FakeGitHub;
  let source: GitHubSource;
  let onedev: FakeOneDev;
  let t: TestApp;
  let env: Record<string, string>;
  const workers: ServerProcess[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(path.resolve(import.meta.dirname, '../dist/automations/mirror/runner.js'))) {
      fs.rmSync(path.resolve(import.meta.dirname, '../dist/cli/main.js'), { force: true });
    }
    ensureBuilt();
    recordSecret(TOKEN);
    fake = await startFakeGitHub();
    const app = fake.createApp({ permissions: { metadata: 'read', contents: 'read' } });
    recordSecret(app.privateKey);
    source = await GitHubSource.start(fake);
    onedev = await FakeOneDev.start();
    onedev.addToken(TOKEN);
    const common = { GITHUB_URL: fake.url, GITHUB_API_URL: fake.apiUrl, GITHUB_GIT_URL: source.url, APP_ID: String(app.id), PRIVATE_KEY: app.privateKey, ...MIRROR_TEST_ENV, MIRROR_LEASE_SECONDS: '2' };
    // This process: web only (webhooks and API); the syncs run in the worker processes.
    t = await startTestApp(dialect, common, { web: true, worker: false, scheduler: false });
    fake.setWebhookTarget(`${t.url}/api/github/webhooks`, TEST_SECRET);
    env = { ...common, SWITCHYARD_DATA_DIR: t.config.dataDir, LOG_LEVEL: 'warn', JOB_LEASE_SECONDS: '5' };
    if (t.config.database.kind === 'postgres') Object.assign(env, { DATABASE_URL: t.config.database.url, DATABASE_POOL_SIZE: '4' });
  });
  afterAll(async () => {
    for (const p of workers) await p.kill().catch(() => undefined);
    await t?.close();
    await onedev?.close();
    await source?.close();
    await fake?.close();
  });

  const api = (p: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') =>
    fetch(`${t.url}${p}`, { method, headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const mirror = async () => ((await (await api('/api/mirror/repositories/acme/big-one')).json()) as { items: Array<Record<string, unknown>> }).items[0];

  it('the lease expires and the next worker finishes the sync', async () => {
    const inst = fake.addInstallation({ account: { login: 'acme', type: 'Organization' } });
    const repo = source.addRepository(inst.id, { name: 'big-one' });
    expect((await api('/api/mirror/targets', { name: 'onedev', kind: 'onedev', base_url: onedev.url, namespace: 'mirrors', token: TOKEN })).status).toBe(201);
    expect((await api('/api/mirror/targets/onedev/rules', { kind: 'repositories', repositories: ['acme/big-one'] })).status).toBe(201);

    // The first worker gets as far as pushing to OneDev, and is killed there.
    const hold = onedev.holdGit('git-receive-pack');
    const first = await spawnSwitchyard('worker', env, null);
    workers.push(first);
    const delivered = await fake.deliver('installation_repositories', installationRepositoriesPayload(fake, inst.id, 'added', [repo.json.id]));
    expect(delivered).toBeTruthy();
    await hold.reached;
    const during = await mirror();
    expect(during).toMatchObject({ sync_status: 'in_progress' });
    await first.kill('SIGKILL');
    hold.release();
    expect((await mirror())!.sync_status).toBe('in_progress');

    // The next worker waits out the lease, then takes over and completes.
    const second = await spawnSwitchyard('worker', env, null);
    workers.push(second);
    const done = await until(
      'the mirror completed by the second worker',
      async () => {
        const m = await mirror();
        return m?.sync_status === 'completed' ? m : null;
      },
      150_000, // the lease (5 s), then a clone and push of the whole repository: far longer on a busy machine
    );
    expect(done).toMatchObject({ retry_count: 0, error_code: null, target_path: 'mirrors/big-one' });
    const copy = Object.fromEntries([...refsOf(onedev.repoDir('mirrors/big-one'))]);
    expect(copy).toEqual(Object.fromEntries([...refsOf(repo.bare)].filter(([r]) => !r.startsWith('refs/pull/'))));
    const logs = ((await (await api('/api/mirror/repositories/acme/big-one/logs?limit=100')).json()) as { items: Array<{ event: string; sync_id: string }> }).items.reverse();
    const syncs = new Set(logs.filter((l) => l.event === 'sync_started').map((l) => l.sync_id));
    expect(syncs.size).toBe(2);
    expect(logs.filter((l) => l.event === 'onedev_repo_created')).toHaveLength(1);
    expect(logs[logs.length - 1]!.event).toBe('sync_completed');
    const stuck = await t.app.db.kysely.selectFrom('repo_mirrors').select('id').where('sync_status', '=', 'in_progress').execute();
    expect(stuck).toEqual([]);
    onedev.assertValid();
  }, 420_000);
});
