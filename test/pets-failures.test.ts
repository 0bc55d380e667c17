/**
 * Repository pets when things go wrong, on SQLite and PostgreSQL, with real git: a fetch that fails
 * leaves the pet as it was, shows the error and is retried with backoff until it works; a deleted
 * repository's pet dies and its cache is removed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { startMirrorWorld, until, type MirrorWorld } from './support/git-server/mirror-world.js';
import { commitFiles, petsHelpers, ZERO } from './support/pets.js';

describe.each(dialects)('repository pets when things go wrong (%s)', (dialect) => {
  let w: MirrorWorld;

  beforeAll(async () => {
    w = await startMirrorWorld(dialect, { PETS_ENABLED: 'true', PETS_RETRY_BASE_MS: '200' });
  });

  afterAll(async () => {
    await w?.close();
  });

  const h = () => petsHelpers(w);
  const pet = (n: string) => h().pet(n);
  const synced = (n: string) => h().synced(n);
  const commits = (n: string) => h().commits(n);
  const history = (n: string) => h().history(n);
  const push = (r: Parameters<ReturnType<typeof petsHelpers>['push']>[0], before: string) => h().push(r, before);

  it('a failed fetch leaves the pet as it was, shows the error and is retried with backoff', async () => {
    const flaky = w.source.addRepository(w.installationId, { name: 'flaky', seed: false });
    commitFiles(flaky, 'first', { 'README.md': '# flaky\n' });
    flaky.wc.push('HEAD:refs/heads/main');
    await push(flaky, ZERO);
    await synced('acme/flaky');
    const before = await pet('acme/flaky');
    // GitHub loses the repository for a while.
    const hidden = `${flaky.bare}.hidden`;
    fs.renameSync(flaky.bare, hidden);
    const head = flaky.wc.head();
    commitFiles(flaky, 'second', { 'src/a.ts': 'export const a = 1;\n' });
    await push(flaky, head);
    const failed = await until('the fetch to fail', async () => {
      const p = await pet('acme/flaky');
      return p?.sync.status === 'failed' && p.sync.failures >= 2 ? p : null;
    }, 60_000);
    expect(failed.sync.error).toMatch(/^fetching main failed: /);
    expect(failed.sync.next_attempt_at).not.toBeNull();
    expect(failed.health).toBe(before.health);
    expect(failed.sync.error).not.toMatch(/ghs_|x-access-token:|Authorization/i);
    // Back again: the next retry succeeds and the commit is analysed.
    fs.renameSync(hidden, flaky.bare);
    flaky.wc.push('HEAD:refs/heads/main');
    const ok = await until('a retry to succeed', async () => {
      const p = await pet('acme/flaky');
      return p?.sync.status === 'idle' && p.sync.error === null ? p : null;
    }, 60_000);
    expect(ok.sync.failures).toBe(0);
    expect((await commits('acme/flaky')).map((c) => c.subject)).toContain('second');
  });

  it('a deleted repository’s pet dies ("repository deleted") and its cache is removed', async () => {
    const doomed = w.source.addRepository(w.installationId, { name: 'doomed', seed: false });
    commitFiles(doomed, 'first', { 'README.md': '# doomed\n' });
    doomed.wc.push('HEAD:refs/heads/main');
    await push(doomed, ZERO);
    await synced('acme/doomed');
    const cache = path.join(w.t.config.pets.cacheDir, `${doomed.json.id}.git`);
    expect(fs.existsSync(cache)).toBe(true);
    await w.deliver('repository', w.source.repositoryPayload(w.installationId, doomed, 'deleted'));
    const p = await until('the pet to die', async () => ((await pet('acme/doomed'))?.life_state === 'dead' ? pet('acme/doomed') : null), 30_000);
    expect(p).toMatchObject({ life_state: 'dead', death_cause: 'repository deleted', repository_deleted: true });
    expect(fs.existsSync(cache)).toBe(false);
    expect((await history('acme/doomed')).at(-1)).toMatchObject({ kind: 'death', reason: 'repository deleted' });
  });
});
