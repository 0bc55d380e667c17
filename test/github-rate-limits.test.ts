/**
 * GitHub's rate limits are respected across processes, on both databases: "process" A (its own
 * database connection, clients, token cache and gate) hits a secondary limit or an exhausted
 * primary limit at the fake GitHub; process B's next request for the same installation — from
 * Switchyard's own client or from a hosted Probot app's `context.octokit` — reaches GitHub only
 * after the time GitHub named, while another installation is not held up. A limit longer than the
 * gate waits fails at once with GitHub's shape, which jobs retry later. Asserted on the order and
 * arrival times in the fake's request log, relative to what GitHub answered, not on speed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHostedApp } from '@switchyard/probot/host';
import { dialects, createTestDatabase, type TestDatabase } from './support/databases.js';
import { issuesPayload, startFakeGitHub, type FakeApp, type FakeGitHub, type RequestLogEntry } from './support/fake-github/index.js';
import { openPostgres, openSqlite, type Database } from '../src/db/index.js';
import { createLogger } from '../src/log/index.js';
import { createGitHubClients, createRateLimitGate, type GitHubClients } from '../src/github/index.js';
import { sharedRateLimits } from '../src/automations/probot-apps/index.js';
import { classifyError } from '../src/automations/probot-apps/classify-error.js';

const log = createLogger('silent');

describe.each(dialects)('GitHub rate limits shared across processes (%s)', (dialect) => {
  let fake: FakeGitHub;
  let gh: FakeApp;
  let tdb: TestDatabase;
  let dbB: Database;
  let a: GitHubClients;
  let b: GitHubClients;
  const inst: number[] = [];
  const repos: Array<{ id: number; name: string }> = [];

  const clientsOn = (db: Database) =>
    createGitHubClients({
      credentials: { appId: gh.id, privateKey: gh.privateKey, slug: null, htmlUrl: null, clientId: null, clientSecret: null, webhookSecret: null, source: 'environment' },
      apiUrl: fake.apiUrl,
      log,
      rateLimits: createRateLimitGate({ db, log }),
    });
  const getIssue = (clients: GitHubClients, i: number, number: number) =>
    clients.installation(inst[i]!).request('GET /repos/{owner}/{repo}/issues/{issue_number}', { owner: `org${i}`, repo: repos[i]!.name, issue_number: number });
  const logged = (i: number, number: number): RequestLogEntry[] => fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/repos/org${i}/${repos[i]!.name}/issues/${number}`));
  const waitLogged = async (i: number, number: number, status: number) => {
    for (let n = 0; n < 1200; n++) {
      const hit = logged(i, number).find((r) => r.status === status);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`the fake never answered ${status} to issue ${number}`);
  };

  beforeAll(async () => {
    fake = await startFakeGitHub();
    gh = fake.createApp({ permissions: { metadata: 'read', issues: 'write' } });
    for (let i = 0; i < 4; i++) {
      inst.push(fake.addInstallation({ account: { login: `org${i}`, type: 'Organization' } }).id);
      const repo = fake.addRepository(inst[i]!, { name: `repo${i}` });
      repos.push({ id: Number(repo.id), name: `repo${i}` });
      for (let n = 1; n <= 6; n++) fake.addIssue(Number(repo.id), { number: n, title: `Issue ${n}` });
    }
    tdb = await createTestDatabase(dialect);
    // Process B's own connection to the same database.
    dbB = dialect === 'postgres' ? openPostgres(tdb.location) : openSqlite(tdb.location);
    a = clientsOn(tdb.db);
    b = clientsOn(dbB);
  });
  afterAll(async () => {
    await dbB?.close();
    await tdb?.drop();
    await fake?.close();
  });

  it('a secondary limit (403, retry-after) hit by A holds B\'s next request to that installation, and a hosted app\'s', async () => {
    fake.failNext('GET', /\/repos\/org0\/repo0\/issues\/1$/, { status: 403, headers: { 'retry-after': '2' } });
    const first = getIssue(a, 0, 1);
    const limited = await waitLogged(0, 1, 403);
    await until(async () => (await b.rateLimits!.limitedUntil('installation:' + inst[0])) > 0);

    const hosted = await loadHostedApp({
      name: 'reader',
      appFn: (app: { on: (e: string, h: (c: { octokit: { rest: { issues: { get(p: unknown): Promise<unknown> } } }; issue(p?: object): object }) => Promise<void>) => void }) => {
        app.on('issues.opened', async (context) => {
          await context.octokit.rest.issues.get(context.issue({ issue_number: 3 }));
        });
      },
      cwd: process.cwd(),
      appId: gh.id,
      baseUrl: fake.apiUrl,
      tokens: {
        installationToken: async (id) => ((await b.installation(id).auth({ type: 'installation' })) as { token: string }).token,
        appToken: async () => ((await b.app().auth({ type: 'app' })) as { token: string }).token,
      },
      rateLimits: sharedRateLimits(() => b, () => gh.id),
      log: (await import('pino')).pino({ level: 'silent' }),
      addHandler: () => undefined,
      requestRetries: 0,
    });
    const same = getIssue(b, 0, 2);
    const app = hosted.receive({ id: 'd-1', name: 'issues', payload: issuesPayload(fake, inst[0]!, repos[0]!.id, 1, 'opened') as Record<string, unknown> });
    const other = getIssue(b, 1, 1);
    await Promise.all([first, same, app, other]);

    const [heldByB] = logged(0, 2);
    const [heldByApp] = logged(0, 3);
    const [otherInstallation] = logged(1, 1);
    // GitHub said 2 s from its answer to A: B's requests arrive no earlier, the other installation's at once.
    expect(heldByB!.at).toBeGreaterThanOrEqual(limited.at + 2000);
    expect(heldByApp!.at).toBeGreaterThanOrEqual(limited.at + 2000);
    expect(otherInstallation!.at).toBeLessThan(heldByB!.at);
    expect(heldByB!.status).toBe(200);
    expect(heldByApp!.status).toBe(200);
  });

  it('an exhausted primary limit (429, x-ratelimit-reset) hit by A holds B until the reset', async () => {
    const reset = Math.floor(Date.now() / 1000) + 3;
    fake.failNext('GET', /\/repos\/org2\/repo2\/issues\/1$/, { status: 429, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset), 'x-ratelimit-limit': '5000' } });
    const first = getIssue(a, 2, 1);
    const limited = await waitLogged(2, 1, 429);
    await until(async () => (await b.rateLimits!.limitedUntil('installation:' + inst[2])) > 0);
    const same = getIssue(b, 2, 2);
    const other = getIssue(b, 1, 2);
    await Promise.all([first, same, other]);
    const [heldByB] = logged(2, 2);
    expect(limited.at).toBeLessThan(reset * 1000);
    expect(heldByB!.at).toBeGreaterThanOrEqual(reset * 1000);
    expect(logged(1, 2)[0]!.at).toBeLessThan(heldByB!.at);
  });

  it('a limit longer than the gate waits fails at once, in GitHub\'s shape, for a job to retry later', async () => {
    fake.failNext('GET', /\/repos\/org3\/repo3\/issues\/1$/, { status: 403, headers: { 'retry-after': '3600' } });
    await expect(getIssue(a, 3, 1)).rejects.toMatchObject({ status: 403 });
    const before = fake.requests.length;
    const err = await getIssue(b, 3, 2).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ status: 403, code: 'GITHUB_RATE_LIMITED' });
    expect(String((err as Error).message)).toMatch(/installation:\d+ is limited until/);
    // Nothing reached GitHub for that installation.
    expect(fake.requests.slice(before).filter((r) => r.path.includes('/org3/'))).toEqual([]);
    const verdict = classifyError(err);
    expect(verdict.retry).toBe(true);
    expect(verdict.retry && verdict.retryAfterMs).toBeGreaterThan(3_000_000);
  });
});

async function until(fn: () => Promise<boolean>): Promise<void> {
  for (let n = 0; n < 1200; n++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('timed out');
}
