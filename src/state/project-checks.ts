/**
 * Projects CI events: check_suite, check_run (linked to its pull request through `pull_requests[]`
 * or the head sha), workflow_run and workflow_job. A re-run is a new check run (new id) of the same
 * name and head sha, so history is kept. Progress never goes backwards: a late `in_progress` never
 * overwrites a `completed`.
 */
import type { Executor } from '../db/index.js';
import { newId, nowIso } from '../db/index.js';
import { arr, num, objAt, str, toIsoTimestamp, type Obj } from '../payload-readers/index.js';
import type { EventContext } from '../automations/registry.js';
import { refreshFailingChecks } from './refresh-failing-checks.js';

const STATUS_RANK: Record<string, number> = { requested: 0, waiting: 1, pending: 1, queued: 2, in_progress: 3, completed: 4 };
const rank = (s: string | null | undefined) => (s ? (STATUS_RANK[s] ?? 2) : -1);

/** Finds the pull request a check belongs to: by number from `pull_requests[]`, else by head sha. */
async function findPullRequestId(tx: Executor, repositoryId: string, headSha: string, prs: unknown[]): Promise<string | null> {
  const numbers = prs.map((p) => num((p as Obj)?.number)).filter((n): n is number => n !== null);
  if (numbers.length > 0) {
    const byNumber = await tx.selectFrom('pull_requests').select('id').where('repository_id', '=', repositoryId).where('number', 'in', numbers).orderBy('number', 'desc').executeTakeFirst();
    if (byNumber) return byNumber.id;
  }
  const bySha = await tx
    .selectFrom('pull_requests')
    .select('id')
    .where('repository_id', '=', repositoryId)
    .where('head_sha', '=', headSha)
    .orderBy('state', 'desc') // 'open' sorts before 'merged'/'closed' descending
    .orderBy('number', 'desc')
    .executeTakeFirst();
  return bySha?.id ?? null;
}

export async function projectCheckSuite(ctx: EventContext, tx: Executor): Promise<void> {
  const s = objAt(ctx.payload, 'check_suite');
  const githubId = num(s?.id);
  const headSha = str(s?.head_sha);
  if (!s || githubId === null || !headSha || !ctx.repositoryId) return;
  const now = nowIso();
  const updatedAt = toIsoTimestamp(s.updated_at);
  const values = {
    head_sha: headSha,
    head_branch: str(s.head_branch),
    status: str(s.status),
    conclusion: str(s.conclusion),
    app_slug: str(objAt(s, 'app')?.slug),
    github_updated_at: updatedAt,
  };
  await tx
    .insertInto('check_suites')
    .values({ id: newId(), repository_id: ctx.repositoryId, github_id: githubId, ...values, created_at: now, updated_at: now })
    .onConflict((oc) => {
      const u = oc.column('github_id').doUpdateSet({ ...values, updated_at: now });
      return updatedAt ? u.where((eb) => eb.or([eb('check_suites.github_updated_at', 'is', null), eb('check_suites.github_updated_at', '<=', updatedAt)])) : u;
    })
    .execute();
}

export async function projectCheckRun(ctx: EventContext, tx: Executor): Promise<void> {
  const c = objAt(ctx.payload, 'check_run');
  if (!c || !ctx.repositoryId) return;
  await upsertCheckRun(tx, ctx.repositoryId, c);
}

/** Upserts a check run from a GitHub check run object (webhook payload or REST answer); never goes backwards. */
export async function upsertCheckRun(tx: Executor, repositoryId: string, c: Obj): Promise<void> {
  const githubId = num(c.id);
  const headSha = str(c.head_sha);
  if (githubId === null || !headSha) return;
  const ctx = { repositoryId };
  const now = nowIso();
  const status = str(c.status) ?? 'queued';
  const output = objAt(c, 'output');
  const prId = await findPullRequestId(tx, ctx.repositoryId, headSha, arr(c.pull_requests));
  const values = {
    check_suite_github_id: num(objAt(c, 'check_suite')?.id),
    name: str(c.name) ?? '',
    head_sha: headSha,
    status,
    conclusion: str(c.conclusion),
    started_at: toIsoTimestamp(c.started_at),
    completed_at: toIsoTimestamp(c.completed_at),
    details_url: str(c.details_url),
    html_url: str(c.html_url),
    app_slug: str(objAt(c, 'app')?.slug),
    output_title: str(output?.title),
    output_summary: str(output?.summary),
  };
  const existing = await tx.selectFrom('check_runs').select(['id', 'status', 'pull_request_id']).where('github_id', '=', githubId).executeTakeFirst();
  if (!existing) {
    await tx
      .insertInto('check_runs')
      .values({ id: newId(), repository_id: ctx.repositoryId, github_id: githubId, pull_request_id: prId, ...values, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('github_id').doNothing())
      .execute();
  } else if (rank(status) < rank(existing.status)) {
    // A late, older status: keep the newer one, but learn the pull request link if we lacked it.
    if (!existing.pull_request_id && prId) await tx.updateTable('check_runs').set({ pull_request_id: prId }).where('id', '=', existing.id).execute();
  } else {
    await tx
      .updateTable('check_runs')
      .set({ ...values, pull_request_id: prId ?? existing.pull_request_id, updated_at: now })
      .where('id', '=', existing.id)
      .execute();
  }
  const linked = prId ?? existing?.pull_request_id;
  if (linked) await refreshFailingChecks(tx, linked);
}

export async function projectWorkflowRun(ctx: EventContext, tx: Executor): Promise<void> {
  const r = objAt(ctx.payload, 'workflow_run');
  const githubId = num(r?.id);
  const headSha = str(r?.head_sha);
  if (!r || githubId === null || !headSha || !ctx.repositoryId) return;
  const now = nowIso();
  const updatedAt = toIsoTimestamp(r.updated_at);
  const values = {
    workflow_id: num(r.workflow_id),
    name: str(r.name),
    head_sha: headSha,
    head_branch: str(r.head_branch),
    event: str(r.event),
    status: str(r.status),
    conclusion: str(r.conclusion),
    run_number: num(r.run_number),
    run_attempt: num(r.run_attempt),
    html_url: str(r.html_url),
    github_created_at: toIsoTimestamp(r.created_at),
    github_updated_at: updatedAt,
  };
  await tx
    .insertInto('workflow_runs')
    .values({ id: newId(), repository_id: ctx.repositoryId, github_id: githubId, ...values, created_at: now, updated_at: now })
    .onConflict((oc) => {
      const u = oc.column('github_id').doUpdateSet({ ...values, updated_at: now });
      return updatedAt ? u.where((eb) => eb.or([eb('workflow_runs.github_updated_at', 'is', null), eb('workflow_runs.github_updated_at', '<=', updatedAt)])) : u;
    })
    .execute();
}

export async function projectWorkflowJob(ctx: EventContext, tx: Executor): Promise<void> {
  const j = objAt(ctx.payload, 'workflow_job');
  const githubId = num(j?.id);
  const runId = num(j?.run_id);
  if (!j || githubId === null || runId === null || !ctx.repositoryId) return;
  const now = nowIso();
  const status = str(j.status) ?? 'queued';
  const values = {
    run_github_id: runId,
    name: str(j.name) ?? '',
    head_sha: str(j.head_sha),
    status,
    conclusion: str(j.conclusion),
    started_at: toIsoTimestamp(j.started_at),
    completed_at: toIsoTimestamp(j.completed_at),
    runner_name: str(j.runner_name),
    labels: JSON.stringify(arr(j.labels)),
    html_url: str(j.html_url),
  };
  const existing = await tx.selectFrom('workflow_jobs').select(['id', 'status']).where('github_id', '=', githubId).executeTakeFirst();
  if (!existing) {
    await tx
      .insertInto('workflow_jobs')
      .values({ id: newId(), repository_id: ctx.repositoryId, github_id: githubId, ...values, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('github_id').doNothing())
      .execute();
  } else if (rank(status) >= rank(existing.status)) {
    await tx.updateTable('workflow_jobs').set({ ...values, updated_at: now }).where('id', '=', existing.id).execute();
  }
}
