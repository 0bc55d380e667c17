/**
 * GitHub Actions API (installation token): workflow runs, their jobs, one job, a job's log (302 to
 * a short-lived blob URL) and re-running a run's failed jobs.
 */
import { githubError, json, paginate, type FakeResponse } from './http-kit.js';
import { job, workflowRun } from './ci-representations.js';
import type { CiState, JobRecord, WorkflowRunRecord } from './ci-state.js';
import { idParam, notFound, repoAccess, type RepoAccess } from './repo-access.js';
import type { RouteContext, Router } from './router.js';

const RUN_STATUSES = new Set(['queued', 'in_progress', 'completed', 'waiting', 'requested', 'pending']);
const RUN_CONCLUSIONS = new Set(['action_required', 'cancelled', 'failure', 'neutral', 'skipped', 'stale', 'success', 'timed_out']);

function runIn(ctx: RouteContext, access: RepoAccess): WorkflowRunRecord {
  const found = ctx.services.state.ci.workflowRuns.get(idParam(ctx, 'run_id'));
  if (!found || found.repoId !== access.repo.id) throw notFound(ctx);
  return found;
}

function jobIn(ctx: RouteContext, access: RepoAccess): JobRecord {
  const { ci } = ctx.services.state;
  const found = ci.jobs.get(idParam(ctx, 'job_id'));
  if (!found || ci.workflowRuns.get(found.runId)?.repoId !== access.repo.id) throw notFound(ctx);
  return found;
}

/** The log GitHub would show for a completed job nobody seeded a log for. */
export function generatedLog(ci: CiState, j: JobRecord): Buffer {
  const check = ci.requireCheckRun(j.id);
  const run = ci.requireRun(j.runId);
  const at = (ms: number | null) => `${new Date(ms ?? Date.now()).toISOString().replace('Z', '0000Z')}`;
  const lines = [
    `${at(check.startedAt)} Requested labels: ${j.labels.join(', ')}`,
    `${at(check.startedAt)} Job defined at: ${run.path}@refs/heads/${run.headBranch ?? 'main'}`,
    `${at(check.startedAt)} ##[group]Run ${j.name}`,
    `${at(check.startedAt)} ##[endgroup]`,
    ...(check.conclusion === 'failure' ? [`${at(check.completedAt)} ##[error]Process completed with exit code 1.`] : []),
    `${at(check.completedAt)} Cleaning up orphan processes`,
  ];
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

function jobsPage(ctx: RouteContext, jobs: JobRecord[]): FakeResponse {
  const { state, urls } = ctx.services;
  const { page, link } = paginate(jobs, ctx.query, ctx.publicUrl);
  return json(200, { total_count: jobs.length, jobs: page.map((j) => job({ urls, state }, j)) }, link ? { link } : undefined);
}

/** Registers the workflow-run, job, job-log and re-run routes. */
export function registerActionsRoutes(router: Router): void {
  router.add('GET', '/repos/{owner}/{repo}/actions/runs', (ctx) => {
    const { state, urls } = ctx.services;
    const access = repoAccess(ctx, [['actions', 'read']]);
    const q = ctx.query;
    const branch = q.get('branch');
    const status = q.get('status');
    const event = q.get('event');
    const headSha = q.get('head_sha');
    const actor = q.get('actor');
    const suiteId = q.get('check_suite_id');
    const exclude = q.get('exclude_pull_requests') === 'true';
    const runs = [...state.ci.workflowRuns.values()]
      .filter((r) => r.repoId === access.repo.id)
      .filter((r) => branch === null || r.headBranch === branch)
      .filter((r) => event === null || r.event === event)
      .filter((r) => headSha === null || r.headSha === headSha.toLowerCase())
      .filter((r) => actor === null || r.actor.login.toLowerCase() === actor.toLowerCase())
      .filter((r) => suiteId === null || String(r.checkSuiteId) === suiteId)
      .filter((r) => {
        if (status === null) return true;
        if (RUN_STATUSES.has(status)) return r.status === status;
        if (RUN_CONCLUSIONS.has(status)) return r.conclusion === status;
        return false;
      })
      .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
    const { page, link } = paginate(runs, q, ctx.publicUrl);
    return json(200, { total_count: runs.length, workflow_runs: page.map((r) => workflowRun({ urls, state }, r, exclude)) }, link ? { link } : undefined);
  });

  router.add('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}', (ctx) => {
    const { state, urls } = ctx.services;
    const access = repoAccess(ctx, [['actions', 'read']]);
    return json(200, workflowRun({ urls, state }, runIn(ctx, access), ctx.query.get('exclude_pull_requests') === 'true'));
  });

  router.add('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}/jobs', (ctx) => {
    const access = repoAccess(ctx, [['actions', 'read']]);
    const run = runIn(ctx, access);
    const filter = ctx.query.get('filter') ?? 'latest';
    if (filter !== 'latest' && filter !== 'all') return githubError(422, `Invalid request.\n\nFor 'filter', ${JSON.stringify(filter)} is not one of ["latest","all"].`, ctx.docsUrl);
    return jobsPage(ctx, ctx.services.state.ci.runJobs(run.id, filter));
  });

  router.add('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs', (ctx) => {
    const access = repoAccess(ctx, [['actions', 'read']]);
    const run = runIn(ctx, access);
    const attempt = idParam(ctx, 'attempt_number');
    if (attempt < 1 || attempt > run.runAttempt) throw notFound(ctx);
    return jobsPage(ctx, ctx.services.state.ci.runJobs(run.id, attempt));
  });

  router.add('GET', '/repos/{owner}/{repo}/actions/jobs/{job_id}', (ctx) => {
    const { state, urls } = ctx.services;
    const access = repoAccess(ctx, [['actions', 'read']]);
    return json(200, job({ urls, state }, jobIn(ctx, access)));
  });

  router.add('GET', '/repos/{owner}/{repo}/actions/jobs/{job_id}/logs', (ctx) => {
    const { state, blobs } = ctx.services;
    const access = repoAccess(ctx, [['actions', 'read']]);
    const found = jobIn(ctx, access);
    // GitHub has no log to hand out before the job finished: the same 404 as an unknown job.
    if (state.ci.requireCheckRun(found.id).status !== 'completed') throw notFound(ctx);
    const location = blobs.sign(found.id, found.log ?? generatedLog(state.ci, found));
    return { status: 302, headers: { location, 'content-type': 'text/html;charset=utf-8' }, text: '' };
  });

  router.add('POST', '/repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs', (ctx) => {
    const { state } = ctx.services;
    const access = repoAccess(ctx, [['actions', 'write']]);
    const run = runIn(ctx, access);
    const body = ctx.body();
    const debug = body.enable_debug_logging;
    if (debug !== undefined && typeof debug !== 'boolean') {
      return githubError(422, `Invalid request.\n\nFor 'properties/enable_debug_logging', ${JSON.stringify(debug)} is not a boolean.`, ctx.docsUrl);
    }
    const refusal = state.ci.rerunRefusal(run);
    if (refusal) return githubError(403, refusal, ctx.docsUrl);
    const jobs = state.ci.startRerun(run);
    state.ci.rerunRequests.push({
      runId: run.id,
      repositoryId: access.repo.id,
      attempt: run.runAttempt,
      jobNames: jobs.map((j) => j.name),
      enableDebugLogging: debug === true,
      installationId: access.installation.id,
      at: Date.now(),
    });
    return json(201, {});
  });
}
