/**
 * A pet's life with a fake clock, on SQLite and PostgreSQL: three days of grace, then decay one day
 * at a time (a missed day caught up once, never twice), death after seven days at 0, a dead pet
 * unmoved by commits, revive at 50 one generation later; and scoping: two people on two
 * installations each see only their own pets (in lists, pages and actions).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { installationRepositoriesPayload, pushPayload } from './support/fake-github/index.js';
import { startMirrorWorld, until, type MirrorWorld } from './support/git-server/mirror-world.js';
import type { SourceRepository } from './support/git-server/github-source.js';
import { createUser, grantInstallation, sessionClient, signIn, type Client } from './support/users.js';

const DAY = 86_400_000;

describe.each(dialects)('a pet’s life (%s)', (dialect) => {
  let w: MirrorWorld;
  let repo: SourceRepository;
  let lastCommitDay: string;

  beforeAll(async () => {
    w = await startMirrorWorld(dialect, { PETS_ENABLED: 'true', PETS_RETRY_BASE_MS: '200' });
  });

  afterAll(async () => {
    await w?.close();
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const pet = async (fullName: string, client?: Client): Promise<any> => {
    const res = client ? await client.fetch(`/api/pets/${fullName}`) : await w.api(`/api/pets/${fullName}`);
    return res.status === 200 ? res.json() : null;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const history = async (fullName: string): Promise<any[]> => (await w.json(`/api/pets/${fullName}/history`)).items;
  const dayAt = (day: string, offsetDays: number, hour = 12) => new Date(Date.parse(`${day}T00:00:00.000Z`) + offsetDays * DAY + hour * 3_600_000);
  const addRepo = async (installationId: number, name: string): Promise<SourceRepository> => {
    const r = w.source.addRepository(installationId, { name, seed: false });
    fs.writeFileSync(path.join(r.wc.dir, 'README.md'), `# ${name}\n`);
    r.wc.git('add', '-A');
    r.wc.git('commit', '--quiet', '-m', 'first');
    r.wc.push('HEAD:refs/heads/main');
    await w.deliver('installation_repositories', installationRepositoriesPayload(w.fake, installationId, 'added', [r.json.id]));
    return r;
  };
  const backfilled = (fullName: string) => until(`${fullName} backfilled`, async () => ((await pet(fullName))?.backfill.status === 'done' ? pet(fullName) : null), 60_000);

  it('decays after three days of grace, one day at a time; a missed day is caught up once, never twice', async () => {
    repo = await addRepo(w.installationId, 'sprockets');
    const p0 = await backfilled('acme/sprockets');
    lastCommitDay = (p0.last_commit_at as string).slice(0, 10);
    const set = await w.api('/api/pets/acme/sprockets', { method: 'PATCH', body: { health: 70, decay_per_day: 10 } });
    expect(set.status).toBe(200);
    const decay = (offset: number) => w.t.app.pets.decay(dayAt(lastCommitDay, offset));

    await decay(3); // the last day of grace
    expect((await pet('acme/sprockets')).health).toBe(70);
    await decay(4);
    expect((await pet('acme/sprockets')).health).toBe(60);
    await decay(4); // the same day again: nothing
    expect((await pet('acme/sprockets')).health).toBe(60);
    // The run of day 5 is missed: day 6 applies days 5 and 6, once.
    await decay(6);
    await decay(6);
    const p = await pet('acme/sprockets');
    expect(p).toMatchObject({ health: 40, band: 'okay', life_state: 'alive' });
    const rows = (await history('acme/sprockets')).filter((h) => h.kind === 'daily_decay');
    expect(rows.map((h) => [h.decay_day, h.health_before, h.health_after])).toEqual([
      [dayAt(lastCommitDay, 4).toISOString().slice(0, 10), 70, 60],
      [dayAt(lastCommitDay, 5).toISOString().slice(0, 10), 60, 50],
      [dayAt(lastCommitDay, 6).toISOString().slice(0, 10), 50, 40],
    ]);
    expect(rows.every((h) => /no analysed commit since/.test(h.reason))).toBe(true);
  });

  it('dies after seven days at 0; a dead pet takes no health changes; revive restarts at 50 one generation later', async () => {
    await w.api('/api/pets/acme/sprockets', { method: 'PATCH', body: { decay_per_day: 25 } });
    const decay = (offset: number) => w.t.app.pets.decay(dayAt(lastCommitDay, offset));
    await decay(8); // days 7 and 8: 40 → 15 → 0
    let p = await pet('acme/sprockets');
    expect(p).toMatchObject({ health: 0, band: 'dying', life_state: 'dying' });
    expect(p.zero_since.slice(0, 10)).toBe(dayAt(lastCommitDay, 8).toISOString().slice(0, 10));
    await decay(14); // six days at 0
    expect((await pet('acme/sprockets')).life_state).toBe('dying');
    const run = await decay(15); // seven days at 0
    expect(run.died).toBeGreaterThanOrEqual(1);
    p = await pet('acme/sprockets');
    expect(p).toMatchObject({ life_state: 'dead', health: 0, death_cause: 'health stayed at 0 for 7 days', generation: 1 });
    expect((await history('acme/sprockets')).at(-1)).toMatchObject({ kind: 'death', life_state: 'dead' });
    const dead = await fetch(`${w.t.url}/pets/acme/sprockets.svg`);
    expect(dead.status).toBe(404); // private repository, no secret URL

    // Commits of a dead pet are analysed but move nothing.
    const before = repo.wc.head();
    fs.writeFileSync(path.join(repo.wc.dir, 'a.ts'), 'export const a = 1;\n');
    repo.wc.git('add', '-A');
    repo.wc.git('commit', '--quiet', '-m', 'while dead');
    repo.wc.push('HEAD:refs/heads/main');
    await w.deliver('push', pushPayload(w.fake, w.installationId, repo.json.id, { before, after: repo.wc.head() }));
    const c = await until('the commit analysed', async () => (await w.json(`/api/pets/acme/sprockets/commits`)).items.find((x: { sha: string }) => x.sha === repo.wc.head()), 60_000);
    expect(c).toMatchObject({ applied: 'dead', applied_delta: 0 });
    expect((await pet('acme/sprockets')).health).toBe(0);
    await decay(20);
    expect((await pet('acme/sprockets')).life_state).toBe('dead');

    const revived = await w.api('/api/pets/acme/sprockets/revive', { method: 'POST' });
    expect(revived.status).toBe(200);
    expect(await revived.json()).toMatchObject({ life_state: 'alive', health: 50, generation: 2, death_date: null });
    // (The revive happens at the real time, before the fake clock's death: find it by kind.)
    expect((await history('acme/sprockets')).find((h) => h.kind === 'revive')).toMatchObject({ health_before: 0, health_after: 50, generation: 2, life_state: 'alive' });
    const again = await w.api('/api/pets/acme/sprockets/revive', { method: 'POST' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: string }).error).toBe('PET_NOT_DEAD');
  });

  it('an empty repository’s pet waits at 100 and does not decay', async () => {
    const empty = w.source.addRepository(w.installationId, { name: 'empty', seed: false });
    await w.deliver('installation_repositories', installationRepositoriesPayload(w.fake, w.installationId, 'added', [empty.json.id]));
    const p = await until('the empty pet synced', async () => ((await pet('acme/empty'))?.backfill.status === 'empty' ? pet('acme/empty') : null), 60_000);
    expect(p).toMatchObject({ health: 100, life_state: 'alive', last_commit_at: null });
    await w.t.app.pets.decay(new Date(Date.now() + 30 * DAY));
    expect((await pet('acme/empty')).health).toBe(100);
  });

  it('a backfill interrupted after a batch resumes from its cursor when the daily job queues it again; nothing is analysed twice', async () => {
    const r = w.source.addRepository(w.installationId, { name: 'resumable', seed: false });
    const shas: string[] = [];
    for (let i = 0; i < 5; i++) {
      fs.writeFileSync(path.join(r.wc.dir, `f${i}.ts`), `export const v${i} = ${i};\n`);
      r.wc.git('add', '-A');
      r.wc.git('commit', '--quiet', '-m', `change ${i}`);
      shas.push(r.wc.head());
    }
    r.wc.push('HEAD:refs/heads/main');
    await w.deliver('installation_repositories', installationRepositoriesPayload(w.fake, w.installationId, 'added', [r.json.id]));
    await backfilled('acme/resumable');
    const db = w.t.app.db.kysely;
    const e = await db.selectFrom('entities as e').innerJoin('repositories as r', 'r.id', 'e.repository_id').select(['e.id']).where('r.full_name', '=', 'acme/resumable').executeTakeFirstOrThrow();
    // The state a process killed after its second commit leaves: two analyses stored with the
    // cursor at the second, the backfill still "running", no job left.
    await db.deleteFrom('commit_analyses').where('entity_id', '=', e.id).where('sha', 'in', shas.slice(2)).execute();
    await db.updateTable('entities').set({ backfill_status: 'running', backfill_cursor: shas[1]!, backfill_done: 2, backfill_finished_at: null }).where('id', '=', e.id).execute();
    await w.t.app.pets.decay(new Date());
    const p = await backfilled('acme/resumable');
    expect(p.backfill).toMatchObject({ status: 'done', done: 5, total: 5 });
    const list = (await w.json('/api/pets/acme/resumable/commits')).items as Array<{ sha: string }>;
    expect(list.map((c) => c.sha)).toEqual([...shas].reverse());
  });

  it('two people on two installations each see only their own pets', async () => {
    const other = w.fake.addInstallation({ account: { login: 'globex', type: 'Organization' } });
    await addRepo(other.id, 'gadgets');
    await backfilled('globex/gadgets');
    const alice = await createUser(w.t, { username: 'alice' });
    const bob = await createUser(w.t, { username: 'bob' });
    await grantInstallation(w.t, alice.id, w.installationId);
    await grantInstallation(w.t, bob.id, other.id);
    const a = sessionClient(w.t, await signIn(w.t, alice), 'alice');
    const b = sessionClient(w.t, await signIn(w.t, bob), 'bob');
    const names = async (c: Client) => ((await (await c.fetch('/api/pets')).json()) as { items: Array<{ repository: string }> }).items.map((x) => x.repository).sort();
    expect(await names(a)).toEqual(['acme/empty', 'acme/resumable', 'acme/sprockets']);
    expect(await names(b)).toEqual(['globex/gadgets']);
    expect(await pet('globex/gadgets', a)).toBeNull();
    expect(await pet('acme/sprockets', b)).toBeNull();
    for (const [c, path_] of [
      [a, '/api/pets/globex/gadgets/history'],
      [a, '/api/pets/globex/gadgets/commits'],
      [b, '/api/pets/acme/sprockets/commits'],
    ] as const) {
      expect((await c.fetch(path_)).status, path_).toBe(404);
    }
    const s = await signIn(w.t, bob);
    const patch = await fetch(`${w.t.url}/api/pets/acme/sprockets`, { method: 'PATCH', headers: { cookie: `sy_session=${s.token}`, 'x-csrf-token': s.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Stolen' }) });
    expect(patch.status).toBe(404);
    expect((await pet('acme/sprockets')).name).not.toBe('Stolen');
    // A user may not set health by hand (administrators only).
    const setHealth = await fetch(`${w.t.url}/api/pets/globex/gadgets`, { method: 'PATCH', headers: { cookie: `sy_session=${s.token}`, 'x-csrf-token': s.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ health: 1 }) });
    expect(setHealth.status).toBe(403);
    const list = (await (await a.fetch('/api/pets')).json()) as { items: Array<{ sparkline: Array<{ health: number }> }> };
    expect(list.items.every((x) => x.sparkline.length >= 2)).toBe(true);
  });
});
