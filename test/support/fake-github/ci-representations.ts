/** Renders the CI records of `ci-state.ts` as GitHub's JSON (the shapes of GitHub's OpenAPI description). */
import { isoSeconds, nodeId } from './ids.js';
import { integration, repository, simpleUser, type AccountJson, type Json, type Urls } from './representations.js';
import type { CheckApp, CheckRunRecord, CheckSuiteRecord, CiState, CommentRecord, ExternalAppRecord, JobRecord, PullRequestRecord, StepSpec, WorkflowRunRecord } from './ci-state.js';
import type { AccountRecord, FakeState, RepositoryRecord } from './state.js';

/** Everything the renderers need. */
export interface CiContext {
  urls: Urls;
  state: FakeState;
}

const iso = (ms: number | null): string | null => (ms === null ? null : isoSeconds(ms));

/** `simple-user` for any account, including an app's bot (`type: Bot`). */
export function account(urls: Urls, a: AccountRecord): AccountJson {
  const json = simpleUser(urls, a);
  if (a.type !== 'Bot') return json;
  // GitHub percent-encodes the brackets of `name[bot]` in a bot's API URLs (`/users/x%5Bbot%5D`).
  const raw = `/users/${a.login}`;
  const encoded = `/users/${encodeURIComponent(a.login)}`;
  const out: AccountJson = { ...json, node_id: nodeId('Bot', a.id), html_url: `${urls.web}/apps/${a.login.replace(/\[bot\]$/, '')}` };
  for (const [key, value] of Object.entries(out)) if (typeof value === 'string' && value.includes(raw)) out[key] = value.replace(raw, encoded);
  return out;
}

function repoApi(urls: Urls, r: RepositoryRecord): string {
  return `${urls.api}/repos/${r.owner.login}/${r.name}`;
}

function repoWeb(urls: Urls, r: RepositoryRecord): string {
  return `${urls.web}/${r.owner.login}/${r.name}`;
}

/** `minimal-repository`: the repository as workflow runs embed it (no counts, no timestamps). */
export function minimalRepository(urls: Urls, r: RepositoryRecord): Json {
  const full = repository(urls, r);
  const keep = [
    'id', 'node_id', 'name', 'full_name', 'private', 'owner', 'html_url', 'description', 'fork', 'url', 'forks_url', 'keys_url', 'collaborators_url', 'teams_url', 'hooks_url',
    'issue_events_url', 'events_url', 'assignees_url', 'branches_url', 'tags_url', 'blobs_url', 'git_tags_url', 'git_refs_url', 'trees_url', 'statuses_url', 'languages_url',
    'stargazers_url', 'contributors_url', 'subscribers_url', 'subscription_url', 'commits_url', 'git_commits_url', 'comments_url', 'issue_comment_url', 'contents_url',
    'compare_url', 'merges_url', 'archive_url', 'downloads_url', 'issues_url', 'pulls_url', 'milestones_url', 'notifications_url', 'labels_url', 'releases_url', 'deployments_url',
  ];
  return Object.fromEntries(keep.map((k) => [k, full[k]]));
}

/** `integration` for the app of a check suite / check run. */
export function checkAppJson(ctx: CiContext, app: CheckApp): Json {
  if (app.kind === 'fake') return integration(ctx.urls, ctx.state.requireApp(app.appId));
  return externalAppJson(ctx.urls, app.app);
}

function externalAppJson(urls: Urls, a: ExternalAppRecord): Json {
  return {
    id: a.id,
    slug: a.slug,
    node_id: nodeId('App', a.id),
    client_id: `Iv1.${a.id.toString(16).padStart(16, '0')}`,
    owner: simpleUser(urls, a.owner),
    name: a.name,
    description: a.description,
    external_url: a.externalUrl,
    html_url: `${urls.web}/apps/${a.slug}`,
    created_at: isoSeconds(a.createdAt),
    updated_at: isoSeconds(a.updatedAt),
    permissions: { ...a.permissions },
    events: [...a.events],
  };
}

/** `pull-request-minimal`: how check runs, check suites and workflow runs list their pull requests. */
export function pullRequestMinimal(urls: Urls, state: FakeState, p: PullRequestRecord): Json {
  const r = state.requireRepository(p.repoId);
  const repo = { id: r.id, url: repoApi(urls, r), name: r.name };
  return { id: p.id, number: p.number, url: `${repoApi(urls, r)}/pulls/${p.number}`, head: { ref: p.head.ref, sha: p.head.sha, repo }, base: { ref: p.base.ref, sha: p.base.sha, repo } };
}

function pullsFor(ctx: CiContext, repoId: number, explicit: number[] | null, sha: string, branch?: string | null): Json[] {
  const ci = ctx.state.ci;
  const records = explicit
    ? explicit.map((n) => ci.findPullRequest(repoId, n)).filter((p): p is PullRequestRecord => p !== undefined)
    : ci.pullRequestsAt(repoId, sha, branch);
  return records.map((p) => pullRequestMinimal(ctx.urls, ctx.state, p));
}

function label(urls: Urls, r: RepositoryRecord, name: string): Json {
  const id = [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  return { id, node_id: nodeId('Label', id), url: `${repoApi(urls, r)}/labels/${encodeURIComponent(name)}`, name, description: '', color: 'ededed', default: false };
}

/** `pull-request-simple` (list items); `full` adds the fields of `pull-request` (`GET …/pulls/{n}`). */
export function pullRequest(ctx: CiContext, p: PullRequestRecord, full: boolean): Json {
  const { urls, state } = ctx;
  const r = state.requireRepository(p.repoId);
  const api = `${repoApi(urls, r)}/pulls/${p.number}`;
  const issue = `${repoApi(urls, r)}/issues/${p.number}`;
  const html = `${repoWeb(urls, r)}/pull/${p.number}`;
  const repoJson = repository(urls, r);
  const user = account(urls, p.user);
  const side = (s: { ref: string; sha: string }) => ({ label: `${r.owner.login}:${s.ref}`, ref: s.ref, sha: s.sha, user: simpleUser(urls, r.owner), repo: repoJson });
  const json: Json = {
    url: api,
    id: p.id,
    node_id: nodeId('PullRequest', p.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issue,
    commits_url: `${api}/commits`,
    review_comments_url: `${api}/comments`,
    review_comment_url: `${repoApi(urls, r)}/pulls/comments{/number}`,
    comments_url: `${issue}/comments`,
    statuses_url: `${repoApi(urls, r)}/statuses/${p.head.sha}`,
    number: p.number,
    state: p.state,
    locked: p.locked,
    title: p.title,
    user,
    body: p.body,
    labels: p.labels.map((name) => label(urls, r, name)),
    milestone: null,
    active_lock_reason: null,
    created_at: isoSeconds(p.createdAt),
    updated_at: isoSeconds(p.updatedAt),
    closed_at: iso(p.closedAt),
    merged_at: iso(p.mergedAt),
    merge_commit_sha: p.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: side(p.head),
    base: side(p.base),
    _links: {
      self: { href: api },
      html: { href: html },
      issue: { href: issue },
      comments: { href: `${issue}/comments` },
      review_comments: { href: `${api}/comments` },
      review_comment: { href: `${repoApi(urls, r)}/pulls/comments{/number}` },
      commits: { href: `${api}/commits` },
      statuses: { href: `${repoApi(urls, r)}/statuses/${p.head.sha}` },
    },
    author_association: p.user.id === r.owner.id ? 'OWNER' : 'CONTRIBUTOR',
    auto_merge: null,
    draft: p.draft,
  };
  if (!full) return json;
  const comments = state.ci.commentsOn(p.repoId, p.number).length;
  return {
    ...json,
    merged: p.merged,
    mergeable: p.state === 'open' ? true : null,
    rebaseable: p.state === 'open' ? true : null,
    mergeable_state: p.state !== 'open' ? 'unknown' : p.draft ? 'draft' : 'clean',
    merged_by: p.merged ? simpleUser(urls, r.owner) : null,
    comments,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 1,
    deletions: 0,
    changed_files: 1,
  };
}

function checkRunHtmlUrl(urls: Urls, state: FakeState, c: CheckRunRecord): string {
  const r = state.requireRepository(c.repoId);
  return c.workflowRunId !== null ? `${repoWeb(urls, r)}/actions/runs/${c.workflowRunId}/job/${c.id}` : `${repoWeb(urls, r)}/runs/${c.id}`;
}

/** `check-run` (REST). */
export function checkRun(ctx: CiContext, c: CheckRunRecord): Json {
  const { urls, state } = ctx;
  const r = state.requireRepository(c.repoId);
  const suite = state.ci.requireSuite(c.suiteId);
  const url = `${repoApi(urls, r)}/check-runs/${c.id}`;
  const html = checkRunHtmlUrl(urls, state, c);
  const app = checkAppJson(ctx, suite.app);
  return {
    id: c.id,
    name: c.name,
    node_id: nodeId('CheckRun', c.id),
    head_sha: c.headSha,
    external_id: c.externalId,
    url,
    html_url: html,
    // Without a details_url GitHub links the app's homepage.
    details_url: c.workflowRunId !== null ? html : (c.detailsUrl ?? (app.external_url as string)),
    status: c.status,
    conclusion: c.conclusion,
    started_at: iso(c.startedAt),
    completed_at: iso(c.completedAt),
    output: { title: c.output.title, summary: c.output.summary, text: c.output.text, annotations_count: c.annotations.length, annotations_url: `${url}/annotations` },
    check_suite: { id: c.suiteId },
    app,
    pull_requests: pullsFor(ctx, c.repoId, c.pullRequests, c.headSha),
  };
}

/** `check-annotation`. */
export function checkAnnotations(ctx: CiContext, c: CheckRunRecord): Json[] {
  const r = ctx.state.requireRepository(c.repoId);
  return c.annotations.map((a) => ({
    path: a.path,
    blob_href: `${repoWeb(ctx.urls, r)}/blob/${c.headSha}/${a.path}`,
    start_line: a.start_line,
    end_line: a.end_line,
    start_column: a.start_column ?? null,
    end_column: a.end_column ?? null,
    annotation_level: a.annotation_level,
    title: a.title ?? null,
    message: a.message,
    raw_details: a.raw_details ?? null,
  }));
}

/** Status and conclusion of a check suite, from its latest check runs. */
export function suiteStatus(ci: CiState, suite: CheckSuiteRecord): { status: string; conclusion: string | null } {
  const runs = ci.suiteRuns(suite.id);
  if (runs.length === 0) return { status: 'queued', conclusion: null };
  if (runs.some((r) => r.status !== 'completed')) return { status: runs.some((r) => r.status === 'in_progress') ? 'in_progress' : 'queued', conclusion: null };
  const c = runs.map((r) => r.conclusion);
  const order = ['action_required', 'cancelled', 'timed_out', 'failure', 'neutral', 'success', 'skipped'];
  const conclusion = order.find((o) => c.includes(o as never)) ?? 'success';
  return { status: 'completed', conclusion: conclusion === 'skipped' && c.some((x) => x !== 'skipped') ? 'success' : conclusion };
}

/** The `check_suite` of a `check_run` webhook (`simple-check-suite`), as GitHub sends it. */
export function simpleCheckSuite(ctx: CiContext, suite: CheckSuiteRecord): Json {
  const { urls, state } = ctx;
  const r = state.requireRepository(suite.repoId);
  const { status, conclusion } = suiteStatus(state.ci, suite);
  return {
    id: suite.id,
    node_id: nodeId('CheckSuite', suite.id),
    head_branch: suite.headBranch,
    head_sha: suite.headSha,
    status,
    conclusion,
    url: `${repoApi(urls, r)}/check-suites/${suite.id}`,
    before: null,
    after: suite.headSha,
    pull_requests: pullsFor(ctx, suite.repoId, null, suite.headSha),
    app: checkAppJson(ctx, suite.app),
    created_at: isoSeconds(suite.createdAt),
    updated_at: isoSeconds(suite.updatedAt),
  };
}

function headCommit(w: WorkflowRunRecord): Json {
  const author = { name: w.actor.name ?? w.actor.login, email: `${w.actor.id}+${w.actor.login}@users.noreply.github.com` };
  return { id: w.headSha, tree_id: fakeTree(w.headSha), message: w.displayTitle, timestamp: isoSeconds(w.createdAt), author, committer: { name: 'GitHub', email: 'noreply@github.com' } };
}

function fakeTree(sha: string): string {
  return [...sha].reverse().join('');
}

/** `workflow-run`. */
export function workflowRun(ctx: CiContext, w: WorkflowRunRecord, excludePullRequests = false): Json {
  const { urls, state } = ctx;
  const r = state.requireRepository(w.repoId);
  const api = `${repoApi(urls, r)}/actions/runs/${w.id}`;
  const minimal = minimalRepository(urls, r);
  return {
    id: w.id,
    name: w.name,
    node_id: nodeId('WorkflowRun', w.id),
    head_branch: w.headBranch,
    head_sha: w.headSha,
    path: w.path,
    display_title: w.displayTitle,
    run_number: w.runNumber,
    event: w.event,
    status: w.status,
    conclusion: w.conclusion,
    workflow_id: w.workflowId,
    check_suite_id: w.checkSuiteId,
    check_suite_node_id: nodeId('CheckSuite', w.checkSuiteId),
    url: api,
    html_url: `${repoWeb(urls, r)}/actions/runs/${w.id}`,
    pull_requests: excludePullRequests ? [] : pullsFor(ctx, w.repoId, w.pullRequests, w.headSha, w.headBranch),
    created_at: isoSeconds(w.createdAt),
    updated_at: isoSeconds(w.updatedAt),
    actor: account(urls, w.actor),
    run_attempt: w.runAttempt,
    referenced_workflows: [],
    run_started_at: isoSeconds(w.runStartedAt),
    triggering_actor: account(urls, w.triggeringActor),
    jobs_url: `${api}/jobs`,
    logs_url: `${api}/logs`,
    check_suite_url: `${repoApi(urls, r)}/check-suites/${w.checkSuiteId}`,
    artifacts_url: `${api}/artifacts`,
    cancel_url: `${api}/cancel`,
    rerun_url: `${api}/rerun`,
    previous_attempt_url: w.runAttempt > 1 ? `${api}/attempts/${w.runAttempt - 1}` : null,
    workflow_url: `${repoApi(urls, r)}/actions/workflows/${w.workflowId}`,
    head_commit: headCommit(w),
    repository: minimal,
    head_repository: minimal,
    head_repository_id: r.id,
  };
}

function steps(job: JobRecord, check: CheckRunRecord): Json[] {
  const at = (ms: number | null) => iso(ms);
  if (check.status !== 'completed' && check.status !== 'in_progress') return [];
  const given: StepSpec[] = job.steps ?? [
    { name: 'Set up job', conclusion: 'success' },
    { name: `Run ${job.name}`, conclusion: check.status === 'completed' ? check.conclusion : null, status: check.status === 'completed' ? 'completed' : 'in_progress' },
    ...(check.status === 'completed' ? [{ name: 'Complete job', conclusion: 'success' }] : []),
  ];
  return given.map((s, i) => {
    const status = s.status ?? (check.status === 'completed' ? 'completed' : 'in_progress');
    return {
      name: s.name,
      status,
      conclusion: status === 'completed' ? (s.conclusion ?? check.conclusion) : null,
      number: i + 1,
      started_at: at(check.startedAt),
      completed_at: status === 'completed' ? at(check.completedAt ?? check.startedAt) : null,
    };
  });
}

/** `job`. */
export function job(ctx: CiContext, j: JobRecord): Json {
  const { urls, state } = ctx;
  const check = state.ci.requireCheckRun(j.id);
  const run = state.ci.requireRun(j.runId);
  const r = state.requireRepository(run.repoId);
  const assigned = check.status === 'in_progress' || check.status === 'completed';
  return {
    id: j.id,
    run_id: j.runId,
    run_url: `${repoApi(urls, r)}/actions/runs/${j.runId}`,
    run_attempt: j.runAttempt,
    node_id: nodeId('Job', j.id),
    head_sha: run.headSha,
    url: `${repoApi(urls, r)}/actions/jobs/${j.id}`,
    html_url: `${repoWeb(urls, r)}/actions/runs/${j.runId}/job/${j.id}`,
    status: check.status,
    conclusion: check.conclusion,
    created_at: isoSeconds(j.createdAt),
    started_at: isoSeconds(check.startedAt ?? j.createdAt),
    completed_at: iso(check.completedAt),
    name: j.name,
    steps: steps(j, check),
    check_run_url: `${repoApi(urls, r)}/check-runs/${j.id}`,
    labels: [...j.labels],
    runner_id: assigned ? 2 : null,
    runner_name: assigned ? 'GitHub Actions 2' : null,
    runner_group_id: assigned ? 2 : null,
    runner_group_name: assigned ? 'GitHub Actions' : null,
    workflow_name: run.name,
    head_branch: run.headBranch,
  };
}

/** `issue-comment`. */
export function issueComment(ctx: CiContext, c: CommentRecord): Json {
  const { urls, state } = ctx;
  const r = state.requireRepository(c.repoId);
  const url = `${repoApi(urls, r)}/issues/comments/${c.id}`;
  const isPull = state.ci.findPullRequest(c.repoId, c.issueNumber) !== undefined;
  return {
    id: c.id,
    node_id: nodeId('IssueComment', c.id),
    url,
    html_url: `${repoWeb(urls, r)}/${isPull ? 'pull' : 'issues'}/${c.issueNumber}#issuecomment-${c.id}`,
    body: c.body,
    user: account(urls, c.user),
    created_at: isoSeconds(c.createdAt),
    updated_at: isoSeconds(c.updatedAt),
    issue_url: `${repoApi(urls, r)}/issues/${c.issueNumber}`,
    author_association: c.appId !== null ? 'NONE' : c.user.id === r.owner.id ? 'OWNER' : 'CONTRIBUTOR',
    performed_via_github_app: c.appId !== null ? integration(urls, state.requireApp(c.appId)) : null,
    reactions: { url: `${url}/reactions`, total_count: 0, '+1': 0, '-1': 0, laugh: 0, hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0 },
  };
}
