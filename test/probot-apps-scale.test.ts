/**
 * Scale-out of a hosted Probot app on PostgreSQL: one `switchyard web` and two `switchyard worker
 * --app` processes on one database, 1,000 deliveries. Each (app, delivery) runs exactly once — the
 * fake GitHub sees each delivery's one request once, never twice — and every run completes.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createPostgresDatabaseUrl, postgresAvailable } from './support/databases.js';
import { freePort, spawnSwitchyard, type ServerProcess } from './support/process.js';
import { deliveryHeaders, TEST_SECRET } from './support/sign.js';
import { issuesPayload, startFakeGitHub, type FakeGitHub } from './support/fake-github/index.js';
import { openPostgres } from '../src/db/index.js';

const APP = `export default (app) => {
  app.on('issues.opened', async (context) => {
    await context.octokit.rest.issues.get(context.issue());
  });
};`;

describe.skipIf(!postgresAvailable)('a hosted Probot app scaled out on PostgreSQL', () => {
  const procs: ServerProcess[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') for (const p of procs) console.error(`--- switchyard ${p.port ?? 'worker'}:\n${p.output.join('').slice(-20_000)}`);
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('one web and two workers run the app once per delivery for 1,000 deliveries', async () => {
    const total = 1000;
    const fake: FakeGitHub = await startFakeGitHub();
    cleanups.push(() => fake.close());
    const gh = fake.createApp({ permissions: { metadata: 'read', issues: 'write' } });
    const inst = fake.addInstallation({ account: { login: 'acme', type: 'Organization' } }).id;
    const repoId = Number(fake.addRepository(inst, { name: 'widgets' }).id);
    for (let n = 1; n <= total; n++) fake.addIssue(repoId, { number: n, title: `Issue ${n}` });

    const pg = await createPostgresDatabaseUrl();
    cleanups.push(() => pg.drop());
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-probot-scale-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    const appFile = path.join(dataDir, 'reader.mjs');
    fs.writeFileSync(appFile, APP);
    const env = {
      DATABASE_URL: pg.url,
      DATABASE_POOL_SIZE: '4',
      SWITCHYARD_DATA_DIR: dataDir,
      WEBHOOK_SECRET: TEST_SECRET,
      APP_ID: String(gh.id),
      PRIVATE_KEY: gh.privateKey,
      GITHUB_URL: fake.url,
      GITHUB_API_URL: fake.apiUrl,
    };
    const port = await freePort();
    // The web process only stores deliveries; the workers load the app and run it.
    procs.push(
      ...(await Promise.all([
        spawnSwitchyard('web', env, port),
        spawnSwitchyard('worker', env, null, ['--app', appFile]),
        spawnSwitchyard('worker', env, null, ['--app', appFile]),
      ])),
    );

    const deliveries = new Map<string, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < total) {
          const n = ++next;
          const id = randomUUID();
          const body = JSON.stringify(issuesPayload(fake, inst, repoId, n, 'opened'));
          const res = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders('issues', body, id), body });
          expect(res.status, `delivery ${n}: ${res.status === 202 ? '' : await res.text()}`).toBe(202);
          deliveries.set(id, n);
        }
      }),
    );

    const db = openPostgres(pg.url);
    cleanups.push(() => db.close());
    const deadline = Date.now() + 480_000;
    for (;;) {
      const r = await db.kysely.selectFrom('probot_app_runs').select((eb) => eb.fn.countAll<number>().as('n')).where('status', 'in', ['succeeded', 'failed', 'dead']).executeTakeFirstOrThrow();
      if (Number(r.n) >= total) break;
      if (Date.now() > deadline) throw new Error(`only ${r.n} of ${total} runs finished`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const runs = await db.kysely.selectFrom('probot_app_runs').select(['app', 'delivery_id', 'status', 'attempts']).execute();
    expect(runs).toHaveLength(total);
    expect(new Set(runs.map((r) => r.app))).toEqual(new Set(['reader']));
    expect(runs.filter((r) => r.status !== 'succeeded' || r.attempts !== 1)).toEqual([]);
    expect(new Set(runs.map((r) => r.delivery_id))).toEqual(new Set(deliveries.keys()));
    // The handler's side effect at GitHub: each delivery's issue read exactly once.
    const reads = new Map<number, number>();
    for (const r of fake.requests) {
      const m = /\/repos\/acme\/widgets\/issues\/(\d+)$/.exec(r.path);
      if (r.method === 'GET' && m) reads.set(Number(m[1]), (reads.get(Number(m[1])) ?? 0) + 1);
    }
    expect(reads.size).toBe(total);
    expect([...reads.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    console.log(`probot apps scale-out: ${total} deliveries, ${runs.length} runs, each handler once`);
  }, 600_000);
});
