/**
 * Repository pets end to end, on SQLite and PostgreSQL, with real git: the fake GitHub (its App,
 * installation tokens and webhooks) with its repositories behind git http-backend, fixture
 * histories made by the test, and a real Switchyard.
 *
 * A repository gets its pet on install and its history backfilled (only recent commits move
 * health); a push moves health by the analysed commit's delta, explained per component, and the
 * badge's ETag changes (304 while it does not); replaying the push changes nothing; a force push
 * marks the commits that left the branch orphaned; pushes to other branches are ignored; another
 * analysed branch; private repositories' images need the pet's secret URL (failures: pets-failures.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { installationRepositoriesPayload } from './support/fake-github/index.js';
import { startMirrorWorld, until, type MirrorWorld } from './support/git-server/mirror-world.js';
import type { SourceRepository } from './support/git-server/github-source.js';
import { commitFiles, petsHelpers, ZERO } from './support/pets.js';

const DAY = 86_400_000;
// An AWS-access-key-shaped string made at run time (no literal secret in the repository).
const AWS_KEY = ['AKIA', 'Q3EGRHJ7', 'ZK4LMN2X'].join('');

const branchy = (name: string) =>
  [
    `export function ${name}(xs: number[], mode: string): number {`,
    '  let total = 0;',
    '  for (const x of xs) {',
    '    if (x > 10 && mode === "a") total += x;',
    '    else if (x < 0 || mode === "b") total -= x;',
    '    else if (x === 0) continue;',
    '    switch (mode) { case "c": total *= 2; break; case "d": total /= 2; break; default: total += 1; }',
    '    while (total > 1000) total = total > 5000 ? total / 10 : total - 100;',
    '  }',
    '  return total;',
    '}',
    '',
  ].join('\n');

describe.each(dialects)('repository pets (%s)', (dialect) => {
  let w: MirrorWorld;
  let repo: SourceRepository;

  beforeAll(async () => {
    w = await startMirrorWorld(dialect, { PETS_ENABLED: 'true', PETS_RETRY_BASE_MS: '200', PETS_BACKFILL_SLICE_SECONDS: '30' });
  });

  afterAll(async () => {
    await w?.close();
  });

  const h = () => petsHelpers(w);
  const pet = (n: string) => h().pet(n);
  const entityRow = (n: string) => h().entityRow(n);
  const idle = (names: string[]) => h().idle(names);
  const synced = (n: string) => h().synced(n);
  const commits = (n: string) => h().commits(n);
  const history = (n: string) => h().history(n);
  const push = (r: SourceRepository, before: string, ref?: string, extra?: Record<string, unknown>) => h().push(r, before, ref, extra);

  it('a repository gets a pet on install; its history is backfilled and only recent commits move health', async () => {
    repo = w.source.addRepository(w.installationId, { name: 'widgets', seed: false });
    const old = commitFiles(repo, 'an old helper', { 'src/old.ts': branchy('old') }, new Date(Date.now() - 200 * DAY));
    const recent = commitFiles(repo, 'add sum with tests', { 'src/sum.ts': 'export const sum = (a: number, b: number) => a + b;\n', 'test/sum.test.ts': "import { sum } from '../src/sum';\nit('adds', () => expect(sum(1, 2)).toBe(3));\nit('adds zero', () => expect(sum(0, 2)).toBe(2));\n" });
    repo.wc.push('HEAD:refs/heads/main');
    await w.deliver('installation_repositories', installationRepositoriesPayload(w.fake, w.installationId, 'added', [repo.json.id]));

    const p = await until('the backfill to finish', async () => ((await pet('acme/widgets'))?.backfill.status === 'done' ? pet('acme/widgets') : null), 60_000);
    expect(p).toMatchObject({ repository: 'acme/widgets', github_repository_id: repo.json.id, life_state: 'alive', generation: 1, backfill: { status: 'done', done: 2, total: 2 }, sync: { status: 'idle', error: null } });
    expect(p.name).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
    const list = await commits('acme/widgets');
    expect(list.map((c) => c.sha)).toEqual([recent, old]);
    const [r, o] = list;
    expect(o).toMatchObject({ applied: 'too_old', applied_delta: 0, source: 'backfill', orphaned: false });
    expect(r).toMatchObject({ applied: 'applied', source: 'backfill' });
    expect(p.health).toBe(Math.max(0, Math.min(100, 100 + r.health_delta)));
    expect(r.applied_delta).toBe(p.health - 100);
    // The same name every time for the same repository id.
    expect((await pet('acme/widgets')).name).toBe(p.name);
  });

  it('a push moves health by the analysed commit, explained per component; the badge gets a new ETag; a replay changes nothing', async () => {
    const reset = await w.api('/api/pets/acme/widgets', { method: 'PATCH', body: { health: 50, secret_url: 'enable' } });
    expect(reset.status).toBe(200);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const p0: any = await reset.json();
    expect(p0).toMatchObject({ health: 50, band: 'okay', badge: { secret_url: true } });
    expect((await history('acme/widgets')).at(-1)).toMatchObject({ kind: 'manual_reset', health_before: expect.any(Number), health_after: 50 });

    // A private repository: the images need the secret URL.
    const plain = await fetch(`${w.t.url}/pets/acme/widgets/badge.svg`);
    expect(plain.status).toBe(404);
    expect(await plain.text()).toContain('<svg');
    const badgeUrl = new URL(p0.badge.badge_url as string);
    const badge1 = await fetch(`${w.t.url}${badgeUrl.pathname}${badgeUrl.search}`);
    expect(badge1.status).toBe(200);
    expect(badge1.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(badge1.headers.get('cache-control')).toBe('no-cache');
    const etag1 = badge1.headers.get('etag')!;
    expect(await badge1.text()).toContain('50 okay');

    const before = repo.wc.head();
    const bad = commitFiles(repo, 'wire up the client', {
      'src/client.ts': `${branchy('route')}const awsKey = "${AWS_KEY}";\nconsole.log("debug", awsKey);\n// TODO: remove the key\nexport const client = { awsKey };\n`,
    });
    repo.wc.push('HEAD:refs/heads/main');
    await push(repo, before);
    await synced('acme/widgets');

    const detail = await w.json(`/api/pets/acme/widgets/commits/${bad}`);
    expect(detail.sha).toBe(bad);
    expect(detail.components_sum).toBe(Object.values(detail.breakdown as Record<string, { points: number }>).reduce((s, c) => s + c.points, 0));
    expect(detail.health_delta).toBe(Math.max(-20, Math.min(20, detail.components_sum)));
    for (const c of Object.values(detail.breakdown as Record<string, { points: number; reason: string }>)) expect(c.reason.length).toBeGreaterThan(0);
    expect(detail.health_delta).toBeLessThan(0);
    const secret = (detail.findings as Array<{ component: string; file: string; line: number | null }>).find((f) => f.component === 'secrets');
    expect(secret).toMatchObject({ file: 'src/client.ts', line: expect.any(Number) });
    const p1 = await pet('acme/widgets');
    expect(JSON.stringify(detail)).not.toContain(AWS_KEY);
    expect(p1.health).toBe(Math.max(0, 50 + detail.health_delta));
    expect(detail).toMatchObject({ applied: 'applied', applied_delta: p1.health - 50, source: 'push', orphaned: false });
    const last = (await history('acme/widgets')).at(-1);
    expect(last).toMatchObject({ kind: 'commit_analysis', sha: bad, health_before: 50, health_after: p1.health, delta: p1.health - 50 });
    expect(w.t.logs.join('')).not.toContain(AWS_KEY);

    const badge2 = await fetch(`${w.t.url}${badgeUrl.pathname}${badgeUrl.search}`);
    const etag2 = badge2.headers.get('etag')!;
    expect(etag2).not.toBe(etag1);
    expect(await badge2.text()).toContain(`${p1.health} ${p1.band}`);
    const notModified = await fetch(`${w.t.url}${badgeUrl.pathname}${badgeUrl.search}`, { headers: { 'if-none-match': etag2 } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('etag')).toBe(etag2);
    expect(await notModified.text()).toBe('');
    const creature = await fetch(`${w.t.url}/pets/acme/widgets.svg${badgeUrl.search}`);
    expect(creature.status).toBe(200);
    expect(await creature.text()).toMatch(/^<svg [^>]*><title>[^<]+<\/title>[^]*<\/svg>$/);
    // People who may see the pet get its creature through the API (private repositories too).
    const own = await w.api('/api/pets/acme/widgets/creature.svg');
    expect(own.status).toBe(200);
    expect(own.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await own.text()).toMatch(/^<svg /);

    // Replaying the push (a new delivery of the same event) changes nothing.
    const commitsBefore = await commits('acme/widgets');
    const historyBefore = await history('acme/widgets');
    await push(repo, before);
    await synced('acme/widgets');
    expect((await pet('acme/widgets')).health).toBe(p1.health);
    expect(await commits('acme/widgets')).toEqual(commitsBefore);
    expect(await history('acme/widgets')).toEqual(historyBefore);
    const badge3 = await fetch(`${w.t.url}${badgeUrl.pathname}${badgeUrl.search}`, { headers: { 'if-none-match': etag2 } });
    expect(badge3.status).toBe(304);
  });

  it('a force push marks the commits that left the branch orphaned; the rewritten commit is new', async () => {
    const gone = repo.wc.head();
    repo.wc.git('reset', '--quiet', '--hard', 'HEAD~1');
    const rewritten = commitFiles(repo, 'wire up the client, without the key', { 'src/client.ts': 'export const client = {};\n', 'test/client.test.ts': "it('exists', () => {});\n" });
    repo.wc.git('push', '--quiet', '--force', repo.bare, 'HEAD:refs/heads/main');
    const healthBefore = (await pet('acme/widgets')).health;
    await push(repo, gone, 'refs/heads/main', { forced: true });
    await synced('acme/widgets');
    const list = await commits('acme/widgets');
    expect(list.find((c) => c.sha === gone)).toMatchObject({ orphaned: true });
    const fresh = list.find((c) => c.sha === rewritten);
    expect(fresh).toMatchObject({ orphaned: false, source: 'push', applied: 'applied' });
    expect((await pet('acme/widgets')).health).toBe(Math.max(0, Math.min(100, healthBefore + fresh.health_delta)));
    // Every analysed sha once.
    expect(new Set(list.map((c) => c.sha)).size).toBe(list.length);
  });

  it('a push with a binary, a 20 MB file and a revert is analysed without parsing what it should not, one row per commit', async () => {
    const before = repo.wc.head();
    const bin = path.join(repo.wc.dir, 'assets/logo.bin');
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    fs.writeFileSync(bin, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    const binary = commitFiles(repo, 'add the logo', {});
    const big = commitFiles(repo, 'add the data dump', { 'data/dump.csv': `${'id,value,comment\n'}${Array.from({ length: 400_000 }, (_, i) => `${i},${i * 3},row ${i} of the dump`).join('\n')}\n` });
    expect(fs.statSync(path.join(repo.wc.dir, 'data/dump.csv')).size).toBeGreaterThan(10 * 1024 * 1024);
    repo.wc.git('revert', '--no-edit', big);
    const revert = repo.wc.head();
    repo.wc.push('HEAD:refs/heads/main');
    const started = Date.now();
    await push(repo, before);
    await synced('acme/widgets');
    expect(Date.now() - started).toBeLessThan(60_000);
    const list = await commits('acme/widgets');
    for (const sha of [binary, big, revert]) expect(list.filter((c) => c.sha === sha)).toHaveLength(1);
    const dump = await w.json(`/api/pets/acme/widgets/commits/${big}`);
    expect(dump.additions).toBeGreaterThan(400_000);
    expect((dump.notes as string[]).join('\n')).toMatch(/data\/dump\.csv/);
    expect(dump.health_delta).toBe(Math.max(-20, Math.min(20, dump.components_sum)));
    const logo = await w.json(`/api/pets/acme/widgets/commits/${binary}`);
    expect(logo.files_changed).toBe(1);
    expect(logo.health_delta).toBe(Math.max(-20, Math.min(20, logo.components_sum)));
    const rev = await w.json(`/api/pets/acme/widgets/commits/${revert}`);
    expect(rev.subject).toMatch(/^Revert "add the data dump"/);
  });

  it('a push to another branch or a tag is ignored', async () => {
    const countBefore = (await commits('acme/widgets')).length;
    const seqBefore = (await entityRow('acme/widgets'))!.requested_seq;
    repo.wc.checkout('topic', true);
    commitFiles(repo, 'on a topic branch', { 'src/topic.ts': 'export const t = 1;\n' });
    repo.wc.push('HEAD:refs/heads/topic');
    await push(repo, ZERO, 'refs/heads/topic');
    repo.wc.git('tag', 'v1');
    repo.wc.push('refs/tags/v1');
    await push(repo, ZERO, 'refs/tags/v1');
    repo.wc.checkout('main');
    await w.t.settle();
    await until('automation jobs to finish', () => idle(['automation.run', 'pets.sync']), 30_000);
    expect((await entityRow('acme/widgets'))!.requested_seq).toBe(seqBefore);
    expect((await commits('acme/widgets')).length).toBe(countBefore);
  });

  it('another analysed branch: its history is analysed, what is only on the old one is orphaned, and its pushes count', async () => {
    const topicTip = repo.wc.head('topic');
    const before = repo.wc.head();
    const mainOnly = commitFiles(repo, 'only on main', { 'src/main-only.ts': 'export const m = 1;\n' });
    repo.wc.push('HEAD:refs/heads/main');
    await push(repo, before);
    await synced('acme/widgets');
    expect((await commits('acme/widgets')).find((c) => c.sha === mainOnly)).toMatchObject({ orphaned: false });
    const res = await w.api('/api/pets/acme/widgets', { method: 'PATCH', body: { branch: 'topic' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ branch: 'topic', branch_setting: 'topic' });
    const p = await until('the topic branch analysed', async () => {
      const x = await pet('acme/widgets');
      return x?.backfill.status === 'done' && x.sync.head_sha === topicTip ? x : null;
    }, 60_000);
    expect(p.branch).toBe('topic');
    const list = await commits('acme/widgets');
    expect(list.find((c) => c.sha === topicTip)).toMatchObject({ orphaned: false });
    expect(list.find((c) => c.sha === mainOnly)).toMatchObject({ orphaned: true });
    // Back to the default branch: main's commits are on the branch again.
    expect((await w.api('/api/pets/acme/widgets', { method: 'PATCH', body: { branch: null } })).status).toBe(200);
    await until('main again', async () => {
      const x = await pet('acme/widgets');
      return x?.backfill.status === 'done' && x.sync.head_sha === mainOnly ? x : null;
    }, 60_000);
    expect((await commits('acme/widgets')).find((c) => c.sha === mainOnly)).toMatchObject({ orphaned: false });
  });

  it('unknown repositories answer 404 with a neutral image; private ones without the key too', async () => {
    for (const u of ['/pets/nobody/nothing.svg', '/pets/nobody/nothing/badge.svg', '/pets/acme/widgets.svg', '/pets/acme/widgets.svg?key=wrong']) {
      const res = await fetch(`${w.t.url}${u}`);
      expect(res.status, u).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
      expect(await res.text()).toMatch(/^<svg [^]*<title>[^]*<\/svg>$/);
    }
    expect((await w.api('/api/pets/nobody/nothing')).status).toBe(404);
  });
});
