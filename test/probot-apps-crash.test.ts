/**
 * kill -9 in the middle of a hosted Probot app's handlers, on both databases: `switchyard start
 * --app` as a real process, deliveries sent while handlers run, the process killed with SIGKILL,
 * then started again. Every acknowledged delivery's app run completes (handlers are at-least-once:
 * a handler the kill interrupted runs again; none is lost), and the fake GitHub saw each delivery's
 * request at least once. The default job lease (300 s) is kept: the restarted process must take
 * back the interrupted runs without waiting for it.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { dialects, createPostgresDatabaseUrl } from './support/databases.js';
import { freePort, spawnSwitchyard, type ServerProcess } from './support/process.js';
import { deliveryHeaders, TEST_SECRET } from './support/sign.js';
import { issuesPayload, startFakeGitHub, type FakeGitHub } from './support/fake-github/index.js';
import { openPostgres, openSqlite, type Database } from '../src/db/index.js';
import { sql } from 'kysely';

// Reads the issue (the side effect the fake counts), then keeps the handler running a while.
const APP = `export default (app) => {
  app.on('issues.opened', async (context) => {
    await context.octokit.rest.issues.get(context.issue());
    await new Promise((resolve) => setTimeout(resolve, 400));
  });
};`;

describe.each(dialects)('a hosted Probot app killed mid-handler (%s)', (dialect) => {
  const cleanups: Array<() => Promise<void>> = [];
  let server: ServerProcess | undefined;
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail' && server) console.error(server.output.join('').slice(-20_000));
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('every acknowledged delivery gets a completed run after kill -9 and a restart', async () => {
    const total = 160;
    const fake: FakeGitHub = await startFakeGitHub();
    cleanups.push(() => fake.close());
    const gh = fake.createApp({ permissions: { metadata: 'read', issues: 'write' } });
    const inst = fake.addInstallation({ account: { login: 'acme', type: 'Organization' } }).id;
    const repoId = Number(fake.addRepository(inst, { name: 'widgets' }).id);
    for (let n = 1; n <= total; n++) fake.addIssue(repoId, { number: n, title: `Issue ${n}` });

    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-probot-crash-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    const appFile = path.join(dataDir, 'reader.mjs');
    fs.writeFileSync(appFile, APP);
    const env: Record<string, string> = {
      SWITCHYARD_DATA_DIR: dataDir,
      WEBHOOK_SECRET: TEST_SECRET,
      APP_ID: String(gh.id),
      PRIVATE_KEY: gh.privateKey,
      GITHUB_URL: fake.url,
      GITHUB_API_URL: fake.apiUrl,
      SWITCHYARD_APPS: appFile,
      RETRY_BASE_MS: '100',
    };
    if (dialect === 'postgres') {
      const pg = await createPostgresDatabaseUrl();
      cleanups.push(() => pg.drop());
      Object.assign(env, { DATABASE_URL: pg.url, DATABASE_POOL_SIZE: '4' });
    }
    const port = await freePort();
    server = await spawnSwitchyard('start', env, port);
    cleanups.push(() => server!.kill());
    const db: Database = dialect === 'postgres' ? openPostgres(env.DATABASE_URL!) : openSqlite(path.join(dataDir, 'switchyard.db'));
    cleanups.push(() => db.close());

    const reads = (n: number) => fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/issues/${n}`) && r.status === 200).length;
    const handlerGets = () => fake.requests.filter((r) => r.method === 'GET' && /\/issues\/\d+$/.test(r.path));
    const handlersStarted = () => handlerGets().length;
    // A handler sleeps 400 ms after its read: one read in the last 250 ms means a run is mid-handler.
    const handlerInFlight = () => handlerGets().some((r) => Date.now() - r.at < 250);
    const killWhenReady = () => acknowledged.size >= 100 && handlersStarted() >= 10 && handlerInFlight();
    const acknowledged = new Map<string, number>();
    let next = 0;
    let killed = false;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < total && !killed) {
          const n = ++next;
          const id = randomUUID();
          const body = JSON.stringify(issuesPayload(fake, inst, repoId, n, 'opened'));
          try {
            const res = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders('issues', body, id), body });
            if (res.status === 202) acknowledged.set(id, n);
            await res.arrayBuffer();
          } catch {
            // reset by the kill: not acknowledged
          }
          // Kill once handlers are running and enough deliveries are in.
          if (!killed && killWhenReady()) {
            killed = true;
            await server!.kill('SIGKILL');
          }
        }
      }),
    );
    // On a busy machine every delivery can be in before ten handlers have started: kill mid-handler then.
    const waitUntil = Date.now() + 120_000;
    while (!killed && Date.now() < waitUntil) {
      if (killWhenReady()) {
        killed = true;
        await server!.kill('SIGKILL');
      } else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(killed).toBe(true);
    // The kill interrupted handlers: their runs were left `running`.
    const interrupted = await db.kysely.selectFrom('probot_app_runs').select('delivery_id').where('status', '=', 'running').execute();
    expect(interrupted.length).toBeGreaterThan(0);

    const restartedAt = Date.now();
    const first = server;
    server = await spawnSwitchyard('start', env, port);
    const deadline = Date.now() + 240_000; // 67 s measured at load average 10
    // Wait for the acknowledged deliveries' runs themselves: deliveries in flight at the kill were
    // stored too (not acknowledged), so a count of all succeeded runs can be reached too early.
    const ackIds = [...acknowledged.keys()];
    for (;;) {
      const r = await db.kysely.selectFrom('probot_app_runs').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'succeeded').where('delivery_id', 'in', ackIds).executeTakeFirstOrThrow();
      if (Number(r.n) >= ackIds.length) break;
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const runs = await db.kysely.selectFrom('probot_app_runs').select(['delivery_id', 'status', 'attempts']).execute();
    const byDelivery = new Map(runs.map((r) => [r.delivery_id, r]));
    const missing = [...acknowledged.keys()].filter((id) => byDelivery.get(id)?.status !== 'succeeded');
    if (missing.length > 0) {
      console.error(await diagnose(db, dialect, missing, [first, server]).catch((err: unknown) => `diagnosis failed: ${String(err)}`));
      for (const id of missing) console.error(`GitHub requests for issue ${acknowledged.get(id)}:`, JSON.stringify(fake.requests.filter((r) => r.path.endsWith(`/issues/${acknowledged.get(id)}`))));
      for (const [i, s] of [first, server].entries()) console.error(`process ${i + 1} warnings and errors:\n` + s.output.join('').split('\n').filter((l) => /"level":[456]0/.test(l)).slice(-50).join('\n'));
    }
    expect(missing, `runs not completed: ${missing.map((id) => `${id}=${byDelivery.get(id)?.status ?? 'no run'}`).slice(0, 10).join(', ')}`).toEqual([]);
    // At least once: each acknowledged delivery's handler reached GitHub; the interrupted ones ran again.
    for (const [id, n] of acknowledged) expect(reads(n), `issue ${n} (delivery ${id})`).toBeGreaterThanOrEqual(1);
    for (const { delivery_id } of interrupted) expect(byDelivery.get(delivery_id)!.attempts).toBeGreaterThanOrEqual(2);
    const twice = [...acknowledged.values()].filter((n) => reads(n) > 1).length;
    console.log(`probot apps kill -9 (${dialect}): ${acknowledged.size} acknowledged, ${interrupted.length} handlers interrupted, ${twice} ran twice, all completed ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the restart began`);
  }, 420_000);
});

/** What became of the runs that did not complete: their rows, their jobs, and what both processes logged about them. */
async function diagnose(db: Database, dialect: string, deliveries: string[], servers: ServerProcess[]): Promise<string> {
  const runs = await db.kysely.selectFrom('probot_app_runs').selectAll().where('delivery_id', 'in', deliveries).execute();
  const receiptIds = runs.map((r) => r.receipt_id);
  const jobs =
    receiptIds.length === 0
      ? []
      : dialect === 'postgres'
        ? (await sql<Record<string, unknown>>`select name, id, state, retry_count, retry_limit, started_on, completed_on, start_after, expire_in::text, output, data from pgboss.job where ${sql.join(receiptIds.map((id) => sql`data::text like ${'%' + id + '%'}`), sql` or `)} union all select name, id, state, retry_count, retry_limit, started_on, completed_on, start_after, expire_in::text, output, data from pgboss.archive where ${sql.join(receiptIds.map((id) => sql`data::text like ${'%' + id + '%'}`), sql` or `)}`.execute(db.kysely)).rows
        : (await sql<Record<string, unknown>>`select * from jobs where ${sql.join(receiptIds.map((id) => sql`payload like ${'%' + id + '%'}`), sql` or `)}`.execute(db.kysely)).rows;
  const needles = [...deliveries, ...receiptIds];
  const logged = servers.map((s, i) => `process ${i + 1}:\n` + s.output.join('').split('\n').filter((line) => needles.some((n) => line.includes(n))).join('\n'));
  return ['runs not completed:', JSON.stringify(runs, null, 1), 'their jobs:', JSON.stringify(jobs, null, 1), ...logged].join('\n');
}
