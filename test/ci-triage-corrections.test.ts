/**
 * CI triage learns each repository from its maintainers: a diagnosis is corrected through the API
 * (the lines that really are the failure, or "not this"), the correction is stored and shown, and
 * the repository's next failure of the same kind is ranked by it — with the lines that matched its
 * history marked — while another repository's identical failure is not. Bad corrections change
 * nothing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { json, until } from './support/wait.js';
import { startTestApp, type TestApp } from './support/app.js';
import { TEST_API_TOKEN } from './support/sign.js';
import { checkRunPayload, installationPayload, startFakeGitHub, type FakeGitHub } from './support/fake-github/index.js';

/** A failure told only in the project's own words: nothing in it reads as a tool's error format. */
const budgetLog = (kb: number, pad: number) =>
  [
    '2026-11-20T10:00:00.0000000Z ##[group]Run npm run check',
    '2026-11-20T10:00:01.0000000Z > widgets@1.0.0 check',
    ...Array.from({ length: pad }, (_, i) => `2026-11-20T10:00:02.0000000Z   chunk-${i}.js  ${10 + i} kB  within budget`),
    '2026-11-20T10:00:03.0000000Z Error: lint reported 3 warnings (treated as notes)',
    ...Array.from({ length: 5 }, (_, i) => `2026-11-20T10:00:04.0000000Z   note ${i}: prefer const`),
    `2026-11-20T10:00:05.0000000Z   vendor.js  ${kb} kB  exceeds its budget of 600 kB`,
    '2026-11-20T10:00:05.0000000Z Bundle budget check did not pass',
    '2026-11-20T10:00:06.0000000Z ##[error]Process completed with exit code 1.',
  ].join('\n');

describe.each(dialects)('CI triage corrections and per-repository learning (%s)', (dialect) => {
  let fake: FakeGitHub;
  let t: TestApp;
  let installationId: number;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${t.url}${path}`, { ...init, headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const analysisOf = (checkRunId: number) => t.app.db.kysely.selectFrom('analysis_results').selectAll().where('check_run_github_id', '=', checkRunId).executeTakeFirst();

  beforeAll(async () => {
    fake = await startFakeGitHub();
    const app = fake.createApp({ permissions: { metadata: 'read', checks: 'write', actions: 'write', pull_requests: 'write', issues: 'write', contents: 'read' } });
    t = await startTestApp(dialect, { APP_ID: String(app.id), PRIVATE_KEY: app.privateKey, WEBHOOK_SECRET: app.webhookSecret, GITHUB_URL: fake.url, GITHUB_API_URL: fake.apiUrl, PETS_ENABLED: 'false' });
    fake.setWebhookTarget(`${t.url}/api/github/webhooks`, app.webhookSecret);
    installationId = fake.addInstallation({ account: { login: 'acme', type: 'Organization' } }).id;
    fake.addRepository(installationId, { name: 'widgets', defaultBranch: 'main' });
    fake.addRepository(installationId, { name: 'gadgets', defaultBranch: 'main' });
    expect((await fake.deliver('installation', installationPayload(fake, installationId))).statusCode).toBe(202);
    await t.settle();
  });
  afterEach(() => fake.assertValid());
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const failJob = async (repoName: string, sha: string, log: string) => {
    const repoId = Number(fake.listRepositories(installationId).find((r) => r.name === repoName)!.id);
    const run = fake.addWorkflowRun(repoId, { name: 'CI', headSha: sha, headBranch: 'main', event: 'push', status: 'completed', conclusion: 'failure', jobs: [{ name: 'check', conclusion: 'failure', log }] });
    const checkRunId = run.jobs[0]!.checkRunId;
    expect((await fake.deliver('check_run', checkRunPayload(fake, installationId, checkRunId, 'completed'))).statusCode).toBe(202);
    return { checkRunId, analysis: await until(`the diagnosis of ${checkRunId}`, () => analysisOf(checkRunId)) };
  };

  it('stores a correction, shows it, and ranks the repository’s next failure by it (and no other repository’s)', async () => {
    const first = budgetLog(612, 10);
    const { checkRunId } = await failJob('widgets', '1'.repeat(40), first);
    const lines = first.split('\n');
    const vendor = lines.findIndex((l) => l.includes('vendor.js')) + 1;

    // Bad corrections: a clear error, nothing stored.
    for (const body of [{ lines: [[5, 2]] }, { lines: [[1, 100_000]] }, { lines: [] }, { lines: [[1, 2]], not_this: true }, {}]) {
      const res = await api(`/api/checks/${checkRunId}/corrections`, { method: 'POST', body: JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error?: unknown }).error).toBeTruthy();
    }
    const past = await api(`/api/checks/${checkRunId}/corrections`, { method: 'POST', body: JSON.stringify({ lines: [[lines.length + 5, lines.length + 6]] }) });
    expect(past.status).toBe(400);
    expect((await json(api(`/api/checks/${checkRunId}`))).correction).toBeNull();
    expect(await t.app.db.kysely.selectFrom('triage_line_history').select('id').execute()).toHaveLength(0);
    expect((await api('/api/checks/999999999/corrections', { method: 'POST', body: JSON.stringify({ not_this: true }) })).status).toBe(404);

    // The maintainer selects the two lines that really are the failure.
    const res = await api(`/api/checks/${checkRunId}/corrections`, { method: 'POST', body: JSON.stringify({ lines: [[vendor, vendor + 1]] }) });
    expect(res.status).toBe(201);
    const stored = (await res.json()) as { id: string; learned_lines: number };
    expect(stored).toMatchObject({ verdict: 'lines', lines: [[vendor, vendor + 1]], author: 'operator' });
    expect(stored.learned_lines).toBeGreaterThanOrEqual(2);
    const detail = await json(api(`/api/checks/${checkRunId}`));
    expect(detail.correction).toMatchObject({ id: stored.id, verdict: 'lines', lines: [[vendor, vendor + 1]] });

    // The next failure of this repository's job, elsewhere in a longer log, is found by its history.
    const second = budgetLog(655, 30);
    const secondVendor = second.split('\n').findIndex((l) => l.includes('vendor.js')) + 1;
    const next = await failJob('widgets', '2'.repeat(40), second);
    const nextLines = JSON.parse(next.analysis.failure_lines) as Array<[number, number]>;
    expect(nextLines.some(([a, b]) => a <= secondVendor && secondVendor <= b)).toBe(true);
    const nextDetail = await json(api(`/api/checks/${next.checkRunId}`));
    expect(nextDetail.analysis.history_lines).toContain(secondVendor);

    // Another repository's identical failure knows nothing of it.
    const other = await failJob('gadgets', '3'.repeat(40), second);
    expect((await json(api(`/api/checks/${other.checkRunId}`))).analysis.history_lines).toEqual([]);
  });

  it('takes "not this" and replaces what an earlier correction of the same check run taught', async () => {
    const { checkRunId, analysis } = await failJob('widgets', '4'.repeat(40), budgetLog(700, 3));
    const reported = JSON.parse(analysis.failure_lines) as Array<[number, number]>;
    expect(reported.length).toBeGreaterThan(0);
    const a = await api(`/api/checks/${checkRunId}/corrections`, { method: 'POST', body: JSON.stringify({ lines: [[2, 2]] }) });
    expect(a.status).toBe(201);
    const b = await api(`/api/checks/${checkRunId}/corrections`, { method: 'POST', body: JSON.stringify({ not_this: true }) });
    expect(b.status).toBe(201);
    const stored = (await b.json()) as { id: string };
    expect(stored).toMatchObject({ verdict: 'not_this', lines: [], previous_lines: reported });
    expect((await json(api(`/api/checks/${checkRunId}`))).correction).toMatchObject({ id: stored.id, verdict: 'not_this' });
    const rows = await t.app.db.kysely.selectFrom('triage_line_history').select(['source', 'weight']).where('check_run_github_id', '=', checkRunId).execute();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.source === 'rejected' && Number(r.weight) === -1)).toBe(true);
  });
});
