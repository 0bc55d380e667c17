/**
 * CI triage end to end against the fake GitHub (every answer checked against GitHub's OpenAPI
 * description): a failed check run announced by webhook is diagnosed with its failure lines, one
 * comment appears on the pull request, a platform failure is re-run once, the passing re-run marks
 * the check flaky and resolves the comment; polling finds a failure no webhook announced; a
 * repository that keeps failing goes to `error` and comes back; a manual check is recorded.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { json, until } from './support/wait.js';
import { startTestApp, type TestApp } from './support/app.js';
import { TEST_API_TOKEN } from './support/sign.js';
import { checkRunPayload, installationPayload, startFakeGitHub, type FakeGitHub, type Json } from './support/fake-github/index.js';
import { pollRepository, POLL_JOB } from '../src/automations/ci-triage/index.js';

const NETWORK_LOG = [
  '2026-11-20T10:00:00.0000000Z ##[group]Run npm ci',
  '2026-11-20T10:00:01.0000000Z npm ci',
  ...Array.from({ length: 40 }, (_, i) => `2026-11-20T10:00:0${i % 10}.0000000Z npm http fetch GET 200 https://registry.npmjs.org/pkg-${i} 12ms (cache hit)`),
  '2026-11-20T10:01:02.0000000Z npm ERR! code ETIMEDOUT',
  '2026-11-20T10:01:02.0000000Z npm ERR! errno ETIMEDOUT',
  '2026-11-20T10:01:02.0000000Z npm ERR! network request to https://registry.npmjs.org/left-pad failed, reason: connect ETIMEDOUT 104.16.0.35:443',
  '2026-11-20T10:01:02.0000000Z npm ERR! network This is a problem related to network connectivity.',
  '2026-11-20T10:01:03.0000000Z ##[error]Process completed with exit code 1.',
].join('\n');

const COMPILE_LOG = [
  '2026-11-20T11:00:00.0000000Z ##[group]Run mvn -B compile',
  ...Array.from({ length: 30 }, (_, i) => `2026-11-20T11:00:01.0000000Z [INFO] Downloaded from central: https://repo.maven.apache.org/maven2/org/lib${i}/1.0/lib${i}-1.0.jar`),
  '2026-11-20T11:00:05.0000000Z [INFO] Compiling 42 source files to /home/runner/work/widgets/target/classes',
  '2026-11-20T11:00:06.0000000Z [ERROR] COMPILATION ERROR :',
  '2026-11-20T11:00:06.0000000Z [ERROR] /home/runner/work/widgets/src/main/java/com/acme/Widget.java:[12,9] cannot find symbol',
  '2026-11-20T11:00:06.0000000Z   symbol:   class Gadget',
  '2026-11-20T11:00:06.0000000Z   location: class com.acme.Widget',
  '2026-11-20T11:00:07.0000000Z [INFO] BUILD FAILURE',
  '2026-11-20T11:00:07.0000000Z ##[error]Process completed with exit code 1.',
].join('\n');

describe.each(dialects)('CI triage (%s)', (dialect) => {
  let fake: FakeGitHub;
  let t: TestApp;
  let installationId: number;
  let repoId: number;
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${t.url}${path}`, { ...init, headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const analysisOf = (checkRunId: number) => t.app.db.kysely.selectFrom('analysis_results').selectAll().where('check_run_github_id', '=', checkRunId).executeTakeFirst();
  const pullRequestPayload = (number: number, action: string): Json => {
    const repo = fake.getRepository(repoId);
    return { action, number, pull_request: fake.getPullRequest(repoId, number), repository: repo, installation: { id: installationId }, sender: repo.owner as Json };
  };

  beforeAll(async () => {
    fake = await startFakeGitHub();
    const app = fake.createApp({ permissions: { metadata: 'read', checks: 'write', actions: 'write', pull_requests: 'write', issues: 'write', contents: 'read' } });
    // The pets would fetch these repositories from github.com (no git server here): off, as in the mirror's tests.
    t = await startTestApp(dialect, { APP_ID: String(app.id), PRIVATE_KEY: app.privateKey, WEBHOOK_SECRET: app.webhookSecret, GITHUB_URL: fake.url, GITHUB_API_URL: fake.apiUrl, PETS_ENABLED: 'false' });
    fake.setWebhookTarget(`${t.url}/api/github/webhooks`, app.webhookSecret);
    installationId = fake.addInstallation({ account: { login: 'acme', type: 'Organization' } }).id;
    repoId = Number(fake.addRepository(installationId, { name: 'widgets', defaultBranch: 'main' }).id);
    expect((await fake.deliver('installation', installationPayload(fake, installationId))).statusCode).toBe(202);
    await t.settle();
  });
  afterEach(() => fake.assertValid());
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('diagnoses a failed check from its webhook, comments once, re-runs it, and marks it flaky when the re-run passes', async () => {
    fake.addWorkflowRun(repoId, { name: 'CI', headSha: 'b'.repeat(40), headBranch: 'main', status: 'completed', conclusion: 'success', jobs: [{ name: 'install', conclusion: 'success', log: NETWORK_LOG.replace(/npm ERR!.*\n/g, '').replace('##[error]Process completed with exit code 1.', 'added 812 packages in 9s') }] });
    const sha = 'a'.repeat(40);
    const pr = fake.addPullRequest(repoId, { title: 'Add widgets', head: { ref: 'feature', sha }, base: { ref: 'main', sha: 'b'.repeat(40) } });
    const number = Number(pr.number);
    expect((await fake.deliver('pull_request', pullRequestPayload(number, 'opened'))).statusCode).toBe(202);
    const run = fake.addWorkflowRun(repoId, { name: 'CI', headSha: sha, headBranch: 'feature', event: 'pull_request', status: 'completed', conclusion: 'failure', jobs: [{ name: 'install', conclusion: 'failure', log: NETWORK_LOG }] });
    const checkRunId = run.jobs[0]!.checkRunId;
    expect((await fake.deliver('check_run', checkRunPayload(fake, installationId, checkRunId, 'completed'))).statusCode).toBe(202);

    const analysis = await until('the diagnosis', () => analysisOf(checkRunId));
    expect(analysis.category).toBe('network_timeout');
    expect(analysis.recommended_action).toBe('rerun');
    const lines = JSON.parse(analysis.failure_lines) as Array<[number, number]>;
    const etimedout = NETWORK_LOG.split('\n').findIndex((l) => l.includes('network request to')) + 1;
    expect(lines.some(([a, b]) => a <= etimedout && etimedout <= b)).toBe(true);
    expect(analysis.root_cause).toMatch(/ETIMEDOUT/);

    // Re-run once, one comment.
    await until('the re-run request', async () => fake.rerunRequests.length === 1);
    await until('the triage comment', async () => fake.comments(repoId, number).length === 1);
    await t.settle();
    const comment = fake.comments(repoId, number)[0]!;
    expect(String(comment.body)).toContain('install');
    expect(String(comment.body)).toContain('network timeout');

    // The API shows the diagnosis, its lines and the log kept.
    const detail = await json(admin(`/api/checks/${checkRunId}`));
    expect(detail.analysis).toMatchObject({ category: 'network_timeout', recommended_action: 'rerun', log_available: true });
    expect(detail.fix_attempts).toHaveLength(1);
    expect(detail.fix_attempts[0].status).toBe('requested');
    const logText = await (await admin(`/api/checks/${checkRunId}/log`)).text();
    expect(logText).toContain('network request to https://registry.npmjs.org/left-pad failed');
    const failing = await json(admin('/api/checks?repository=acme/widgets'));
    expect(failing.items.map((c: { github_id: number }) => c.github_id)).toContain(checkRunId);

    // The re-run passes: the attempt succeeds, the check is flaky for this commit, the comment resolves in place.
    await fake.completeRerun(run.id, { conclusion: 'success', deliver: true });
    await until('the settled attempt', async () => (await json(admin(`/api/checks/${checkRunId}`))).fix_attempts[0].status === 'succeeded');
    expect((await analysisOf(checkRunId))!.category).toBe('flaky');
    await until('the resolved comment', async () => String(fake.comments(repoId, number)[0]?.body).includes('Resolved'));
    expect(fake.comments(repoId, number)).toHaveLength(1);
    const flaky = await json(admin('/api/checks/flaky?repository=acme/widgets'));
    expect(flaky.items).toEqual([expect.objectContaining({ repository: 'acme/widgets', check_name: 'install', flaky_commits: 1 })]);

    // Another failure on the same commit is not re-run again.
    expect(fake.rerunRequests).toHaveLength(1);
  });

  it('finds by polling a failure that no webhook announced, and diagnoses it as the code’s fault', async () => {
    const sha = 'c'.repeat(40);
    const pr = fake.addPullRequest(repoId, { title: 'Use gadgets', head: { ref: 'gadgets', sha }, base: { ref: 'main' } });
    const run = fake.addWorkflowRun(repoId, { name: 'Build', headSha: sha, headBranch: 'gadgets', event: 'pull_request', status: 'completed', conclusion: 'failure', jobs: [{ name: 'compile', conclusion: 'failure', log: COMPILE_LOG }] });
    const checkRunId = run.jobs[0]!.checkRunId;
    // A secondary rate limit on the way is waited out.
    fake.failNext('GET', /\/check-runs$/, { status: 403, headers: { 'retry-after': '1' } });
    await t.app.queue.enqueue(t.app.db.kysely, POLL_JOB, {});
    const analysis = await until('the polled diagnosis', () => analysisOf(checkRunId), 30_000);
    expect(analysis.category).toBe('compilation');
    expect(analysis.recommended_action).toBe('fix_code');
    const errorLine = COMPILE_LOG.split('\n').findIndex((l) => l.includes('cannot find symbol')) + 1;
    expect(JSON.parse(analysis.failure_lines).some(([a, b]: [number, number]) => a <= errorLine && errorLine <= b)).toBe(true);
    const stored = await t.app.db.kysely.selectFrom('pull_requests').select(['last_checked_at']).where('number', '=', Number(pr.number)).executeTakeFirstOrThrow();
    expect(stored.last_checked_at).not.toBeNull();
    const repo = await t.app.db.kysely.selectFrom('repositories').select(['last_polled_at', 'status']).where('full_name', '=', 'acme/widgets').executeTakeFirstOrThrow();
    expect(repo).toMatchObject({ status: 'active' });
    // fix_code failures are not re-run.
    expect(fake.rerunRequests).toHaveLength(1);
  });

  it('records a manual check in the pull request’s history', async () => {
    const res = await admin('/api/repositories/acme/widgets/pulls/1/refresh', { method: 'POST', body: '{}' });
    expect(res.status, await res.clone().text()).toBe(200);
    const pr = await json(admin('/api/repositories/acme/widgets/pulls/1'));
    expect(pr.state_history.map((h: { trigger: string }) => h.trigger)).toContain('manual_check');
    expect((await admin('/api/repositories/acme/widgets/pulls/999/refresh', { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('puts a repository that keeps failing in error, and brings it back when a poll succeeds', async () => {
    const repo = await t.app.db.kysely.selectFrom('repositories').select(['id']).where('full_name', '=', 'acme/widgets').executeTakeFirstOrThrow();
    const deps = { db: t.app.db, queue: t.app.queue, clients: () => t.app.github.clients(), log: t.app.http.log as never };
    fake.failNext('GET', /\/repos\/acme\/widgets\/pulls$/, { status: 422 }, 5);
    for (let i = 0; i < 5; i++) await pollRepository(deps, repo.id);
    let row = await t.app.db.kysely.selectFrom('repositories').select(['status', 'failure_count', 'next_poll_at']).where('id', '=', repo.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'error', failure_count: 5 });
    expect(Date.parse(row.next_poll_at!)).toBeGreaterThan(Date.now() + 20 * 60_000);
    await pollRepository(deps, repo.id);
    row = await t.app.db.kysely.selectFrom('repositories').select(['status', 'failure_count', 'next_poll_at']).where('id', '=', repo.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'active', failure_count: 0 });
  });

  it('reports as a “Switchyard triage” check run when a repository asks for it, updated in place, and falls back to a comment when GitHub refuses', async () => {
    const gizmos = Number(fake.addRepository(installationId, { name: 'gizmos', defaultBranch: 'main' }).id);
    const openPr = async (title: string, sha: string) => {
      const pr = fake.addPullRequest(gizmos, { title, head: { ref: title.replace(/\W+/g, '-'), sha }, base: { ref: 'main' } });
      const repo = fake.getRepository(gizmos);
      const payload = { action: 'opened', number: pr.number, pull_request: fake.getPullRequest(gizmos, Number(pr.number)), repository: repo, installation: { id: installationId }, sender: repo.owner as Json };
      expect((await fake.deliver('pull_request', payload)).statusCode).toBe(202);
      await t.settle();
      return Number(pr.number);
    };
    const checkRunRequests = () => fake.requests.filter((r) => /\/repos\/acme\/gizmos\/check-runs/.test(r.path) && r.method !== 'GET');
    const reviewOf = (number: number) =>
      t.app.db.kysely.selectFrom('reviews as v').innerJoin('pull_requests as p', 'p.id', 'v.pull_request_id').innerJoin('repositories as r', 'r.id', 'p.repository_id').select(['v.github_check_run_id', 'v.github_comment_id', 'v.status']).where('r.full_name', '=', 'acme/gizmos').where('p.number', '=', number).executeTakeFirst();

    const sha = 'd'.repeat(40);
    const number = await openPr('Gizmo support', sha);
    const res = await admin('/api/repositories/acme/gizmos/triage-config', { method: 'PATCH', body: JSON.stringify({ check_run: true }) });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ check_run: true, comment: true });

    const failed = fake.addWorkflowRun(gizmos, { name: 'Build', headSha: sha, headBranch: 'gizmo-support', event: 'pull_request', status: 'completed', conclusion: 'failure', jobs: [{ name: 'compile', conclusion: 'failure', log: COMPILE_LOG }] });
    expect((await fake.deliver('check_run', checkRunPayload(fake, installationId, failed.jobs[0]!.checkRunId, 'completed'))).statusCode).toBe(202);
    const review = await until('the triage check run', async () => (await reviewOf(number))?.github_check_run_id ?? null);
    await t.settle();
    const report = fake.getCheckRun(Number(review));
    expect(report).toMatchObject({ name: 'Switchyard triage', head_sha: sha, status: 'completed', conclusion: 'neutral' });
    const output = report.output as { title: string; summary: string };
    expect(output.title).toBe('1 failing: compile (compilation)');
    expect(output.summary).toContain('cannot find symbol');
    expect(output.summary).not.toContain('<!--');
    expect(fake.comments(gizmos, number)).toHaveLength(0);

    // GitHub announces Switchyard's own check run: it is neither diagnosed nor reported again.
    const before = checkRunRequests().length;
    expect((await fake.deliver('check_run', checkRunPayload(fake, installationId, Number(review), 'completed'))).statusCode).toBe(202);
    await t.settle();
    await until('no triage job left', async () => (await t.app.queue.stats()).filter((q) => q.name.startsWith('ci_triage.') && q.name !== 'ci_triage.poll').every((q) => q.queued + q.running === 0));
    expect(checkRunRequests()).toHaveLength(before);
    expect(await analysisOf(Number(review))).toBeUndefined();

    // The compile job passes when re-run by hand: the same check run turns green, in place.
    const fixed = fake.addWorkflowRun(gizmos, { name: 'Build', headSha: sha, headBranch: 'gizmo-support', event: 'pull_request', status: 'completed', conclusion: 'success', jobs: [{ name: 'compile', conclusion: 'success', log: 'BUILD SUCCESS' }] });
    expect((await fake.deliver('check_run', checkRunPayload(fake, installationId, fixed.jobs[0]!.checkRunId, 'completed'))).statusCode).toBe(202);
    await until('the resolved check run', async () => fake.getCheckRun(Number(review)).conclusion === 'success');
    expect((fake.getCheckRun(Number(review)).output as { title: string }).title).toBe('Resolved: no failing checks');
    // The report's row is saved after GitHub answers (settle() waits for receipts, not for jobs).
    await until('the resolved review', async () => (await reviewOf(number))?.status === 'resolved');
    expect(checkRunRequests().filter((r) => r.method === 'POST')).toHaveLength(1);

    // GitHub refuses the check run (403): the report is a comment instead.
    const sha2 = 'e'.repeat(40);
    const number2 = await openPr('Gizmo colours', sha2);
    fake.failNext('POST', /\/repos\/acme\/gizmos\/check-runs$/, { status: 403, body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/checks/runs#create-a-check-run', status: '403' } });
    const failed2 = fake.addWorkflowRun(gizmos, { name: 'Build', headSha: sha2, headBranch: 'gizmo-colours', event: 'pull_request', status: 'completed', conclusion: 'failure', jobs: [{ name: 'compile', conclusion: 'failure', log: COMPILE_LOG }] });
    expect((await fake.deliver('check_run', checkRunPayload(fake, installationId, failed2.jobs[0]!.checkRunId, 'completed'))).statusCode).toBe(202);
    await until('the fallback comment', async () => fake.comments(gizmos, number2).length === 1);
    expect(String(fake.comments(gizmos, number2)[0]!.body)).toContain('compilation');
    const fallback = await until('the fallback review', async () => (await reviewOf(number2))?.github_comment_id ? reviewOf(number2) : null);
    expect(fallback?.github_check_run_id).toBeNull();
  });

  it('lets an administrator turn re-runs off for a repository', async () => {
    const res = await admin('/api/repositories/acme/widgets/triage-config', { method: 'PATCH', body: JSON.stringify({ rerun: false, poll_interval_minutes: 10 }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ rerun: false, comment: true, poll_interval_minutes: 10 });
    expect((await admin('/api/repositories/acme/widgets/triage-config', { method: 'PATCH', body: JSON.stringify({ rerun: 'yes' }) })).status).toBe(400);
  });
});
