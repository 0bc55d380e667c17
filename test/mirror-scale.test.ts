/**
 * Fifty repositories mirrored at once, on SQLite and PostgreSQL, within the limits: at most
 * MIRROR_TARGET_CONCURRENCY syncs per target (or the target's own max_concurrency) and
 * MIRROR_CONCURRENCY overall, measured from the sync log (each sync's sync_started →
 * sync_completed interval).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { FakeOneDev } from './support/fake-forge/index.js';
import { installationRepositoriesPayload } from './support/fake-github/index.js';
import { refsOf } from './support/git-server/index.js';
import { startMirrorWorld, until, type MirrorWorld } from './support/git-server/mirror-world.js';
import { recordSecret } from './support/secret-ledger.js';

const TOKEN = 'onedev-scale-token-1c2d3e4f';
const REPOS = 50;

/** The most intervals open at one time. */
function maxOverlap(intervals: Array<[number, number]>): number {
  const points = intervals.flatMap(([a, b]) => [[a, 1] as const, [b, -1] as const]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let max = 0;
  for (const [, d] of points) max = Math.max(max, (open += d));
  return max;
}

describe.each(dialects)('fifty repositories at once (%s)', (dialect) => {
  let w: MirrorWorld;
  let onedev: FakeOneDev;

  beforeAll(async () => {
    recordSecret(TOKEN);
    onedev = await FakeOneDev.start();
    onedev.addToken(TOKEN);
    w = await startMirrorWorld(dialect, { MIRROR_CONCURRENCY: '4', MIRROR_TARGET_CONCURRENCY: '2', WORKER_CONCURRENCY: '16' });
  });
  afterAll(async () => {
    await w?.close();
    await onedev?.close();
  });

  it('mirrors all of them, never more than 2 per target and 4 overall', async () => {
    const first = w.source.addRepository(w.installationId, { name: 'repo-a00' });
    const repos = [first];
    for (let i = 1; i < REPOS; i++) repos.push(w.source.addRepository(w.installationId, { name: `repo-${'abc'[i % 3]}${String(i).padStart(2, '0')}`, template: first }));
    await w.deliver('installation_repositories', installationRepositoriesPayload(w.fake, w.installationId, 'added', repos.map((r) => r.json.id)));
    // Three targets (three namespaces of one OneDev), each picking its share by pattern.
    for (const letter of ['a', 'b', 'c']) {
      expect((await w.api('/api/mirror/targets', { body: { name: `od-${letter}`, kind: 'onedev', base_url: onedev.url, namespace: `ns-${letter}`, token: TOKEN } })).status).toBe(201);
    }
    const t0 = Date.now();
    let started = 0;
    for (const letter of ['a', 'b', 'c']) started += ((await w.json(`/api/mirror/targets/od-${letter}/rules`, { body: { kind: 'pattern', pattern: `acme/repo-${letter}*` } })) as { started: number }).started;
    expect(started).toBe(REPOS);

    await until(
      'every mirror completed',
      async () => {
        const status = (await w.json('/api/mirror/status')) as { totals: Record<string, number> };
        return status.totals.completed === REPOS;
      },
      150_000,
    );
    const seconds = (Date.now() - t0) / 1000;

    const perTarget = new Map<string, Array<[number, number]>>();
    for (const r of repos) {
      const logs = (await w.json(`/api/mirror/repositories/${r.fullName}/logs`)).items as Array<{ event: string; target: string; sync_id: string; created_at: string }>;
      const start = logs.find((l) => l.event === 'sync_started')!;
      const end = logs.find((l) => l.event === 'sync_completed' && l.sync_id === start.sync_id)!;
      const list = perTarget.get(start.target) ?? [];
      list.push([Date.parse(start.created_at), Date.parse(end.created_at)]);
      perTarget.set(start.target, list);
      const letter = r.json.name[5]!;
      expect(refsOf(onedev.repoDir(`ns-${letter}/${r.json.name}`)).get('refs/heads/main')).toBe(refsOf(r.bare).get('refs/heads/main'));
    }
    const overall = maxOverlap([...perTarget.values()].flat());
    const byTarget = Object.fromEntries([...perTarget].map(([t, list]) => [t, maxOverlap(list)]));
    console.log(`${dialect}: ${REPOS} first syncs in ${seconds.toFixed(1)} s; most at once: ${overall} overall, per target ${JSON.stringify(byTarget)}`);
    expect(overall).toBeLessThanOrEqual(4);
    expect(overall).toBeGreaterThanOrEqual(3);
    for (const n of Object.values(byTarget)) expect(n).toBeLessThanOrEqual(2);
    onedev.assertValid();
  });
});
