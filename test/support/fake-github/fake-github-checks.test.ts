/**
 * Tests of the fake GitHub's CI-triage surface (pull requests, checks, GitHub Actions runs/jobs/logs,
 * re-runs, issue comments), driven by @octokit/core + @octokit/auth-app as Switchyard uses them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Octokit } from '@octokit/core';
import { createAppAuth } from '@octokit/auth-app';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { request } from '@octokit/request';
import { verify } from '@octokit/webhooks-methods';
import { checkRunPayload, startFakeGitHub, webhookPayloadErrors, type FakeApp, type FakeGitHub } from './index.js';

const PaginatingOctokit = Octokit.plugin(paginateRest);
const SHA_A = 'a'.repeat(40);
const SHA_B = 'b'.repeat(40);
const SHA_C = 'c'.repeat(40);

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Rejection {
  status?: number;
  message: string;
  response?: { headers: Record<string, string>; data: { message: string; errors?: unknown[] } };
}

async function rejection(promise: Promise<unknown>): Promise<Rejection> {
  try {
    await promise;
  } catch (err) {
    return err as Rejection;
  }
  throw new Error('expected the promise to reject');
}

let fake: FakeGitHub;
let app: FakeApp;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let installationId: number;
let repoId: number;
let octokit: InstanceType<typeof PaginatingOctokit>;
const R = { owner: 'acme', repo: 'widgets' };

/** A raw installation token (for fetch-level checks). */
async function installationToken(id = installationId): Promise<string> {
  const auth = createAppAuth({ appId: app.id, privateKey: app.privateKey, installationId: id, request: request.defaults({ baseUrl: fake.apiUrl }) });
  return (await auth({ type: 'installation' })).token;
}

beforeAll(async () => {
  receiver = await startReceiver();
  fake = await startFakeGitHub({ webhookUrl: receiver.url, webhookSecret: 'ci-secret' });
  app = fake.createApp({
    name: 'Switchyard CI',
    permissions: { metadata: 'read', checks: 'write', actions: 'write', pull_requests: 'read', issues: 'write' },
    events: ['check_run', 'pull_request'],
  });
  const inst = fake.addInstallation({ account: { login: 'acme', type: 'Organization' }, repositorySelection: 'selected' });
  installationId = inst.id;
  repoId = fake.addRepository(installationId, { name: 'widgets', private: true }).id;
  octokit = new PaginatingOctokit({ baseUrl: fake.apiUrl, authStrategy: createAppAuth, auth: { appId: app.id, privateKey: app.privateKey, installationId } });
});

afterAll(async () => {
  await fake.close();
  await receiver.close();
});

afterEach(() => {
  fake.assertValid();
});

describe('pull requests', () => {
  it('lists open pull requests newest first with Link pagination, and gets one', async () => {
    for (let i = 1; i <= 3; i++) fake.addPullRequest(repoId, { title: `PR ${i}`, head: { ref: `feature-${i}`, sha: i === 1 ? SHA_A : String(i).repeat(40) }, base: { ref: 'main' }, user: 'mona' });
    fake.addPullRequest(repoId, { title: 'Old', head: { ref: 'old', sha: 'd'.repeat(40) }, base: { ref: 'main' }, state: 'closed' });
    const page1 = await octokit.request('GET /repos/{owner}/{repo}/pulls', { ...R, per_page: 2 });
    expect(page1.data.map((p) => p.number)).toEqual([3, 2]);
    expect(page1.headers.link).toContain('rel="next"');
    const all = await octokit.paginate('GET /repos/{owner}/{repo}/pulls', { ...R, per_page: 2 });
    expect(all.map((p) => p.title)).toEqual(['PR 3', 'PR 2', 'PR 1']);
    const closed = await octokit.request('GET /repos/{owner}/{repo}/pulls', { ...R, state: 'closed' });
    expect(closed.data.map((p) => p.title)).toEqual(['Old']);
    const byHead = await octokit.request('GET /repos/{owner}/{repo}/pulls', { ...R, head: 'acme:feature-1' });
    expect(byHead.data.map((p) => p.number)).toEqual([1]);
    const one = await octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { ...R, pull_number: 1 });
    expect(one.data).toMatchObject({ number: 1, state: 'open', merged: false, head: { ref: 'feature-1', sha: SHA_A, label: 'acme:feature-1' }, base: { ref: 'main' }, user: { login: 'mona' } });
    await expect(octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { ...R, pull_number: 99 })).rejects.toMatchObject({ status: 404 });
  });

  it('answers If-None-Match with a free 304 until the pull request changes', async () => {
    const token = await installationToken();
    const get = (etag?: string) => fetch(`${fake.apiUrl}/repos/acme/widgets/pulls/2`, { headers: { authorization: `token ${token}`, ...(etag ? { 'if-none-match': etag } : {}) } });
    const first = await get();
    const etag = first.headers.get('etag') ?? '';
    const used = first.headers.get('x-ratelimit-used');
    const again = await get(etag);
    expect(again.status).toBe(304);
    expect(again.headers.get('x-ratelimit-used')).toBe(used);
    fake.updatePullRequest(repoId, 2, { head: { sha: SHA_B }, title: 'PR 2 (rebased)' });
    const changed = await get(etag);
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(((await changed.json()) as { head: { sha: string } }).head.sha).toBe(SHA_B);
  });
});

describe('checks', () => {
  let ciRun: { id: number; jobs: { id: number; name: string }[] };

  beforeAll(() => {
    ciRun = fake.addWorkflowRun(repoId, {
      name: 'CI',
      headSha: SHA_A,
      headBranch: 'feature-1',
      status: 'completed',
      conclusion: 'failure',
      jobs: [
        { name: 'build', status: 'completed', conclusion: 'success' },
        { name: 'test', status: 'completed', conclusion: 'failure', log: 'setup\nFAIL src/a.test.ts\nError: expected 1 to be 2\n' },
      ],
    });
    fake.addCheckRun(repoId, { name: 'codecov/patch', headSha: SHA_A, app: 'codecov', conclusion: 'neutral', output: { title: 'Coverage', summary: '80%' } });
  });

  it('lists the check runs of a commit (by sha or branch), with filters, and GitHub Actions check ids equal job ids', async () => {
    const res = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ...R, ref: SHA_A });
    expect(res.data.total_count).toBe(3);
    const test = res.data.check_runs.find((c) => c.name === 'test');
    expect(test).toMatchObject({ id: ciRun.jobs[1]?.id, status: 'completed', conclusion: 'failure', app: { slug: 'github-actions', id: 15368 }, pull_requests: [{ number: 1 }] });
    expect(test?.html_url).toBe(`${fake.url}/acme/widgets/actions/runs/${ciRun.id}/job/${ciRun.jobs[1]?.id}`);
    expect(res.data.check_runs.find((c) => c.name === 'codecov/patch')?.app?.slug).toBe('codecov');
    const byBranch = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ...R, ref: 'feature-1', check_name: 'build' });
    expect(byBranch.data.check_runs.map((c) => c.id)).toEqual([ciRun.jobs[0]?.id]);
    const paged = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ...R, ref: SHA_A, per_page: 2 });
    expect(paged.data.check_runs).toHaveLength(2);
    expect(paged.headers.link).toContain('page=2>; rel="next"');
    const queued = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ...R, ref: SHA_A, status: 'queued' });
    expect(queued.data.total_count).toBe(0);
    await expect(octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ...R, ref: 'f'.repeat(40) })).rejects.toMatchObject({ status: 422 });
  });

  it('gets one check run and its annotations', async () => {
    const id = ciRun.jobs[1]?.id ?? 0;
    fake.addAnnotations(id, [{ path: 'src/a.test.ts', start_line: 3, end_line: 3, annotation_level: 'failure', message: 'expected 1 to be 2', title: 'a.test.ts' }]);
    const one = await octokit.request('GET /repos/{owner}/{repo}/check-runs/{check_run_id}', { ...R, check_run_id: id });
    expect(one.data.output).toMatchObject({ annotations_count: 1 });
    const annotations = await octokit.request('GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations', { ...R, check_run_id: id });
    expect(annotations.data).toEqual([
      expect.objectContaining({ path: 'src/a.test.ts', start_line: 3, annotation_level: 'failure', message: 'expected 1 to be 2', blob_href: `${fake.url}/acme/widgets/blob/${SHA_A}/src/a.test.ts` }),
    ]);
    await expect(octokit.request('GET /repos/{owner}/{repo}/check-runs/{check_run_id}', { ...R, check_run_id: 1 })).rejects.toMatchObject({ status: 404 });
  });

  it('answers the check-runs list with a free 304 whose ETag changes with the data', async () => {
    const token = await installationToken();
    const url = `${fake.apiUrl}/repos/acme/widgets/commits/${SHA_A}/check-runs`;
    const first = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const etag = first.headers.get('etag') ?? '';
    const again = await fetch(url, { headers: { authorization: `Bearer ${token}`, 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('x-ratelimit-used')).toBe(first.headers.get('x-ratelimit-used'));
    const codecov = (await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ...R, ref: SHA_A, check_name: 'codecov/patch' })).data.check_runs[0];
    fake.updateCheckRun(Number(codecov?.id ?? 0), { conclusion: 'success', output: { summary: '91%' } });
    const changed = await fetch(url, { headers: { authorization: `Bearer ${token}`, 'if-none-match': etag } });
    expect(changed.status).toBe(200);
  });

  it('creates and updates the app own check run; refuses to touch another app check run', async () => {
    const created = await octokit.request('POST /repos/{owner}/{repo}/check-runs', {
      ...R,
      name: 'Switchyard triage',
      head_sha: SHA_A,
      status: 'in_progress',
      output: { title: 'Triaging', summary: 'Looking at 1 failed job' },
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ name: 'Switchyard triage', status: 'in_progress', conclusion: null, app: { id: app.id, slug: 'switchyard-ci' }, external_id: '', details_url: 'https://example.com' });
    const updated = await octokit.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
      ...R,
      check_run_id: created.data.id,
      conclusion: 'neutral',
      output: { title: 'Flaky', summary: 'test failed, re-run passed', annotations: [{ path: 'src/a.test.ts', start_line: 3, end_line: 3, annotation_level: 'warning', message: 'flaky' }] },
    });
    expect(updated.data).toMatchObject({ status: 'completed', conclusion: 'neutral', output: { title: 'Flaky', annotations_count: 1 } });
    expect(updated.data.completed_at).toEqual(expect.any(String));
    const foreign = await rejection(octokit.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', { ...R, check_run_id: ciRun.jobs[0]?.id ?? 0, conclusion: 'success' }));
    expect(foreign.status).toBe(403);
    expect(foreign.response?.data.message).toBe('Invalid app_id `15368` - check run can only be modified by the GitHub App that created it.');
    const noSha = await rejection(octokit.request('POST /repos/{owner}/{repo}/check-runs', { ...R, name: 'x' } as never));
    expect(noSha).toMatchObject({ status: 422, response: { data: { message: 'Invalid request.\n\n"head_sha" wasn\'t supplied.' } } });
    await expect(octokit.request('POST /repos/{owner}/{repo}/check-runs', { ...R, name: 'x', head_sha: SHA_C })).rejects.toMatchObject({ status: 422 });
  });

  it('builds check_run webhook payloads that are valid against x-webhooks', () => {
    const job = ciRun.jobs[1]?.id ?? 0;
    expect(webhookPayloadErrors('check_run', checkRunPayload(fake, installationId, job, 'completed'))).toEqual([]);
    expect(webhookPayloadErrors('check_run', checkRunPayload(fake, installationId, job, 'rerequested'))).toEqual([]);
    const own = fake.addCheckRun(repoId, { name: 'queued thing', headSha: SHA_A, app: 'switchyard-ci' });
    expect(webhookPayloadErrors('check_run', checkRunPayload(fake, installationId, Number(own.id), 'created'))).toEqual([]);
    const payload = checkRunPayload(fake, installationId, job);
    expect(payload).toMatchObject({ action: 'completed', check_run: { id: job, check_suite: { head_sha: SHA_A, conclusion: 'failure' } }, organization: { login: 'acme' } });
  });
});

describe('GitHub Actions runs, jobs and logs', () => {
  let run: { id: number; jobs: { id: number; name: string }[] };
  const bigLog = Buffer.from(Array.from({ length: 60_000 }, (_, i) => `2024-01-01T00:00:00.0000000Z line ${i} ${'x'.repeat(60)}`).join('\n'));

  beforeAll(() => {
    run = fake.addWorkflowRun(repoId, {
      name: 'Nightly',
      headSha: SHA_B,
      headBranch: 'feature-2',
      event: 'push',
      status: 'in_progress',
      conclusion: null,
      jobs: [
        { name: 'lint', status: 'completed', conclusion: 'failure', log: bigLog },
        { name: 'e2e', status: 'in_progress' },
      ],
    });
  });

  it('lists and gets workflow runs with filters', async () => {
    const all = await octokit.request('GET /repos/{owner}/{repo}/actions/runs', R);
    expect(all.data.total_count).toBe(2);
    expect(all.data.workflow_runs[0]).toMatchObject({ id: run.id, name: 'Nightly', status: 'in_progress', run_attempt: 1, event: 'push', head_sha: SHA_B });
    const failed = await octokit.request('GET /repos/{owner}/{repo}/actions/runs', { ...R, status: 'failure' });
    expect(failed.data.workflow_runs.map((r) => r.name)).toEqual(['CI']);
    const bySha = await octokit.request('GET /repos/{owner}/{repo}/actions/runs', { ...R, head_sha: SHA_B, event: 'push', branch: 'feature-2' });
    expect(bySha.data.workflow_runs.map((r) => r.id)).toEqual([run.id]);
    const one = await octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', { ...R, run_id: run.id });
    expect(one.data).toMatchObject({ id: run.id, jobs_url: `${fake.apiUrl}/repos/acme/widgets/actions/runs/${run.id}/jobs`, pull_requests: [{ number: 2 }] });
  });

  it('lists a run jobs and gets one job', async () => {
    const jobs = await octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs', { ...R, run_id: run.id });
    expect(jobs.data.jobs.map((j) => [j.name, j.status, j.conclusion])).toEqual([
      ['lint', 'completed', 'failure'],
      ['e2e', 'in_progress', null],
    ]);
    const job = await octokit.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}', { ...R, job_id: run.jobs[0]?.id ?? 0 });
    expect(job.data).toMatchObject({ id: run.jobs[0]?.id, run_id: run.id, run_attempt: 1, check_run_url: `${fake.apiUrl}/repos/acme/widgets/check-runs/${run.jobs[0]?.id}`, workflow_name: 'Nightly' });
    expect(job.data.steps?.map((s) => s.conclusion)).toEqual(['success', 'failure', 'success']);
  });

  it('redirects job logs to a short-lived URL on another origin that streams the raw log', async () => {
    const jobId = run.jobs[0]?.id ?? 0;
    // Octokit follows the 302 (fetch drops the token on the cross-origin hop, as against GitHub).
    const followed = await octokit.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs', { ...R, job_id: jobId });
    expect(followed.status).toBe(200);
    expect(Buffer.byteLength(String(followed.data))).toBe(bigLog.length);
    expect(fake.logDownloads.at(-1)).toMatchObject({ jobId, status: 200, authorization: false });

    const token = await installationToken();
    const res = await fetch(`${fake.apiUrl}/repos/acme/widgets/actions/jobs/${jobId}/logs`, { headers: { authorization: `token ${token}` }, redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = res.headers.get('location') ?? '';
    expect(location.startsWith(`${fake.blobUrl}/_logs/`)).toBe(true);
    expect(new URL(location).origin).not.toBe(new URL(fake.url).origin);
    expect(new URL(location).searchParams.get('se')).toMatch(/Z$/);
    const blob = await fetch(location);
    expect(blob.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(Buffer.from(await blob.arrayBuffer()).equals(bigLog)).toBe(true);
    const tail = await fetch(location, { headers: { range: 'bytes=-20' } });
    expect(tail.status).toBe(206);
    expect(await tail.text()).toBe(bigLog.subarray(bigLog.length - 20).toString());
    fake.expireLogUrls();
    const expired = await fetch(location);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('<Code>AuthenticationFailed</Code>');
  });

  it('answers 404 for the log of an unfinished or unknown job', async () => {
    await expect(octokit.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs', { ...R, job_id: run.jobs[1]?.id ?? 0 })).rejects.toMatchObject({ status: 404 });
    await expect(octokit.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs', { ...R, job_id: 42 })).rejects.toMatchObject({ status: 404 });
    await expect(octokit.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}', { ...R, job_id: 42 })).rejects.toMatchObject({ status: 404 });
  });

  it('re-runs failed jobs: 403 while running, 201 after, then completeRerun makes attempt 2 and delivers check_run', async () => {
    const refused = await rejection(octokit.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs', { ...R, run_id: run.id }));
    expect(refused).toMatchObject({ status: 403, response: { data: { message: 'This workflow is already running' } } });
    fake.updateJob(run.jobs[1]?.id ?? 0, { conclusion: 'success' });
    fake.updateWorkflowRun(run.id, { status: 'completed', conclusion: 'failure' });

    const accepted = await octokit.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs', { ...R, run_id: run.id });
    expect(accepted.status).toBe(201);
    expect(accepted.data).toEqual({});
    expect(fake.rerunRequests.at(-1)).toMatchObject({ runId: run.id, repositoryId: repoId, attempt: 2, jobNames: ['lint'], installationId });
    const during = await octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs', { ...R, run_id: run.id });
    const newLint = during.data.jobs.find((j) => j.name === 'lint');
    expect(newLint).toMatchObject({ status: 'queued', run_attempt: 2 });
    expect(newLint?.id).not.toBe(run.jobs[0]?.id);
    await expect(octokit.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs', { ...R, job_id: newLint?.id ?? 0 })).rejects.toMatchObject({ status: 404 });

    receiver.received.length = 0;
    const done = await fake.completeRerun(run.id, { conclusion: 'success', log: 'lint ok\n', deliver: true });
    expect(done).toMatchObject({ runId: run.id, runAttempt: 2, conclusion: 'success', jobs: [{ id: newLint?.id, name: 'lint', conclusion: 'success' }] });
    expect(done.deliveries).toEqual([expect.objectContaining({ statusCode: 200 })]);
    const [delivery] = receiver.received;
    expect(delivery?.headers['x-github-event']).toBe('check_run');
    expect(await verify('ci-secret', delivery?.body ?? '', String(delivery?.headers['x-hub-signature-256']))).toBe(true);
    const payload = JSON.parse(delivery?.body ?? '{}') as Record<string, unknown>;
    expect(webhookPayloadErrors('check_run', payload)).toEqual([]);
    expect(payload).toMatchObject({ action: 'completed', check_run: { id: newLint?.id, name: 'lint', head_sha: SHA_B, conclusion: 'success' }, installation: { id: installationId } });

    const latest = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ...R, ref: SHA_B, check_name: 'lint' });
    expect(latest.data.check_runs.map((c) => [c.id, c.conclusion])).toEqual([[newLint?.id, 'success']]);
    const every = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ...R, ref: SHA_B, check_name: 'lint', filter: 'all' });
    expect(every.data.total_count).toBe(2);
    const allJobs = await octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs', { ...R, run_id: run.id, filter: 'all' });
    expect(allJobs.data.total_count).toBe(3);
    const firstAttempt = await octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs', { ...R, run_id: run.id, attempt_number: 1 });
    expect(firstAttempt.data.jobs.map((j) => j.id)).toEqual(run.jobs.map((j) => j.id));
    const after = await octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', { ...R, run_id: run.id });
    expect(after.data).toMatchObject({ status: 'completed', conclusion: 'success', run_attempt: 2, previous_attempt_url: `${fake.apiUrl}/repos/acme/widgets/actions/runs/${run.id}/attempts/1` });
    const log = await octokit.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs', { ...R, job_id: newLint?.id ?? 0 });
    expect(log.data).toBe('lint ok\n');
    // Nothing left to re-run.
    await expect(octokit.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs', { ...R, run_id: run.id })).rejects.toMatchObject({ status: 403 });
  });
});

describe('re-runs without an API request', () => {
  it('completeRerun re-runs the failed jobs itself (as a click on "Re-run failed jobs" would) and refuses a run with nothing to re-run', async () => {
    const run = fake.addWorkflowRun(repoId, {
      name: 'Docs',
      headSha: SHA_C,
      headBranch: 'docs',
      status: 'completed',
      conclusion: 'failure',
      jobs: [
        { name: 'spell', conclusion: 'failure' },
        { name: 'links', conclusion: 'timed_out' },
        { name: 'build', conclusion: 'success' },
      ],
    });
    const done = await fake.completeRerun(run.id, { conclusion: 'success', jobs: { links: { conclusion: 'failure', log: 'timeout again\n' } } });
    expect(done).toMatchObject({ runAttempt: 2, conclusion: 'failure', deliveries: [] });
    expect(done.jobs.map((j) => [j.name, j.conclusion])).toEqual([
      ['spell', 'success'],
      ['links', 'failure'],
    ]);
    expect(fake.listJobs(run.id).map((j) => [j.name, j.run_attempt])).toEqual([
      ['build', 1],
      ['spell', 2],
      ['links', 2],
    ]);
    const green = fake.addWorkflowRun(repoId, { name: 'Green', headSha: SHA_C, headBranch: 'docs', status: 'completed', conclusion: 'success', jobs: [{ name: 'ok', conclusion: 'success' }] });
    await expect(fake.completeRerun(green.id, { conclusion: 'success' })).rejects.toThrow(/cannot be re-run/);
  });
});

describe('issue comments', () => {
  it('creates, updates and lists the app comment on a pull request', async () => {
    fake.addComment(repoId, 1, { body: 'Please look at CI', user: 'mona' });
    const created = await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...R, issue_number: 1, body: '<!-- switchyard:triage -->\nChecking…' });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ user: { login: 'switchyard-ci[bot]', type: 'Bot' }, performed_via_github_app: { id: app.id }, html_url: `${fake.url}/acme/widgets/pull/1#issuecomment-${created.data.id}` });
    const updated = await octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { ...R, comment_id: created.data.id, body: '<!-- switchyard:triage -->\n1 flaky job re-run' });
    expect(updated.data.body).toBe('<!-- switchyard:triage -->\n1 flaky job re-run');
    const listed = await octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...R, issue_number: 1 });
    expect(listed.data.map((c) => c.user?.login)).toEqual(['mona', 'switchyard-ci[bot]']);
    expect(fake.comments(repoId, 1).map((c) => c.body)).toEqual(['Please look at CI', '<!-- switchyard:triage -->\n1 flaky job re-run']);
    const tooLong = await rejection(octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { ...R, comment_id: created.data.id, body: 'x'.repeat(65537) }));
    expect(tooLong).toMatchObject({ status: 422, response: { data: { message: 'Validation Failed' } } });
    await expect(octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...R, issue_number: 77, body: 'hi' })).rejects.toMatchObject({ status: 404 });
    const extra = await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...R, issue_number: 1, body: 'duplicate' });
    expect((await octokit.request('GET /repos/{owner}/{repo}/issues/comments/{comment_id}', { ...R, comment_id: extra.data.id })).data.body).toBe('duplicate');
    expect((await octokit.request('DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}', { ...R, comment_id: extra.data.id })).status).toBe(204);
    expect(fake.comments(repoId, 1)).toHaveLength(2);
  });
});

describe('repository access', () => {
  it('hides private repositories the installation cannot see, lets public ones be read but not written, and checks permissions', async () => {
    const other = fake.addInstallation({ account: { login: 'elsewhere' } });
    fake.addRepository(other.id, { name: 'secret', private: true });
    const openRepo = fake.addRepository(other.id, { name: 'open', private: false });
    fake.addPullRequest(openRepo.id, { title: 'Public PR', head: { ref: 'x', sha: SHA_C }, base: { ref: 'main' } });
    await expect(octokit.request('GET /repos/{owner}/{repo}/pulls', { owner: 'elsewhere', repo: 'secret' })).rejects.toMatchObject({ status: 404 });
    expect((await octokit.request('GET /repos/{owner}/{repo}/pulls', { owner: 'elsewhere', repo: 'open' })).data).toHaveLength(1);
    const write = await rejection(octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner: 'elsewhere', repo: 'open', issue_number: 1, body: 'hi' }));
    expect(write).toMatchObject({ status: 403, response: { data: { message: 'Resource not accessible by integration' } } });

    // An installation without the checks permission.
    const narrow = fake.createApp({ name: 'Narrow App', permissions: { metadata: 'read' } });
    const narrowInst = fake.addInstallation({ appId: narrow.id, account: { login: 'acme' } });
    fake.addRepository(narrowInst.id, { name: 'gadgets', private: true });
    const narrowOctokit = new Octokit({ baseUrl: fake.apiUrl, authStrategy: createAppAuth, auth: { appId: narrow.id, privateKey: narrow.privateKey, installationId: narrowInst.id } });
    const denied = await rejection(narrowOctokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { owner: 'acme', repo: 'gadgets', ref: SHA_A }));
    expect(denied).toMatchObject({ status: 403, response: { headers: { 'x-accepted-github-permissions': 'checks=read' } } });

    const noAuth = await fetch(`${fake.apiUrl}/repos/acme/widgets/pulls`);
    expect(noAuth.status).toBe(401);
    const auth = createAppAuth({ appId: app.id, privateKey: app.privateKey, request: request.defaults({ baseUrl: fake.apiUrl }) });
    const jwt = (await auth({ type: 'app' })).token;
    expect((await fetch(`${fake.apiUrl}/repos/acme/widgets/pulls`, { headers: { authorization: `Bearer ${jwt}` } })).status).toBe(403);
  });
});

describe('failure injection and validation on the CI routes', () => {
  it('injects secondary rate limits (403 and 429 with retry-after) and 5xx, on the API and the log URL', async () => {
    fake.failNext('GET', /\/check-runs$/, { status: 403, headers: { 'retry-after': '3' } });
    const limited = await rejection(octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ...R, ref: SHA_A }));
    expect(limited).toMatchObject({ status: 403, response: { headers: { 'retry-after': '3' } } });
    expect(limited.response?.data.message).toMatch(/secondary rate limit/);
    fake.failNext('GET', /\/pulls$/, { status: 429 });
    await expect(octokit.request('GET /repos/{owner}/{repo}/pulls', R)).rejects.toMatchObject({ status: 429, response: { headers: { 'retry-after': '1' } } });
    const small = fake.addWorkflowRun(repoId, { name: 'Small', headSha: SHA_A, headBranch: 'feature-1', status: 'completed', conclusion: 'success', jobs: [{ name: 'ok', conclusion: 'success', log: 'ok\n' }] });
    const jobId = small.jobs[0]?.id ?? 0;
    fake.failNext('GET', /^\/_logs\//, { status: 503 });
    await expect(octokit.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs', { ...R, job_id: jobId })).rejects.toMatchObject({ status: 503 });
    expect((await octokit.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs', { ...R, job_id: jobId })).data).toBe('ok\n');
    expect((await octokit.request('GET /repos/{owner}/{repo}/pulls', R)).status).toBe(200);
  });

  it('catches a corrupted check-runs, workflow-run and comment response with the OpenAPI validator', async () => {
    fake.corruptNext(/\/check-runs$/, (body) => {
      const first = (body as { check_runs: Record<string, unknown>[] }).check_runs[0];
      if (first) first.status = 'exploded';
    });
    await expect(octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ...R, ref: SHA_A })).rejects.toMatchObject({ status: 500 });
    fake.corruptNext(/\/actions\/runs$/, (body) => {
      delete (body as { workflow_runs: Record<string, unknown>[] }).workflow_runs[0]?.head_sha;
    });
    await expect(octokit.request('GET /repos/{owner}/{repo}/actions/runs', R)).rejects.toMatchObject({ status: 500 });
    fake.corruptNext(/\/comments$/, (body) => ({ ...(body as object), id: 'nope' }));
    await expect(octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...R, issue_number: 1, body: 'x' })).rejects.toMatchObject({ status: 500 });
    expect(fake.validationErrors).toEqual([
      expect.stringMatching(/^checks\/list-for-ref .* 200: \/check_runs\/0\/status must be equal to one of the allowed values/),
      expect.stringMatching(/^actions\/list-workflow-runs-for-repo .* 200: \/workflow_runs\/0 must have required property 'head_sha'/),
      expect.stringMatching(/^issues\/create-comment .* 201: \/id must be integer/),
    ]);
    fake.validationErrors.length = 0;
  });
});
