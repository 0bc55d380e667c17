/**
 * What Switchyard's agents call (installation token), on the fake's issues and pull requests:
 * `GET …/issues/{n}` (an issue, or the issue view of a pull request), `GET
 * …/collaborators/{username}/permission`, `POST …/pulls` (the head branch must exist in the test's
 * git server, see `fake.setBranchResolver`; one open pull request per head), and
 * `POST …/pulls/{n}/reviews` (recorded in `fake.reviews()`).
 */
import { json } from './http-kit.js';
import { isoSeconds, nodeId } from './ids.js';
import { account, pullRequest, type CiContext } from './ci-representations.js';
import type { IssueRecord, ReviewRecord } from './ci-state.js';
import { simpleUser, type Json } from './representations.js';
import { idParam, notFound, repoAccess } from './repo-access.js';
import type { RouteContext, Router } from './router.js';
import type { RepositoryRecord } from './state.js';

function repoApi(ctx: CiContext, r: RepositoryRecord): string {
  return `${ctx.urls.api}/repos/${r.owner.login}/${r.name}`;
}

function labelJson(ctx: CiContext, r: RepositoryRecord, name: string): Json {
  const id = [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  return { id, node_id: nodeId('Label', id), url: `${repoApi(ctx, r)}/labels/${encodeURIComponent(name)}`, name, description: '', color: 'ededed', default: false };
}

/** `issue` (REST), also the base of the `issues` / `issue_comment` webhook's `issue`. */
export function issueJson(ctx: CiContext, i: IssueRecord): Json {
  const r = ctx.state.requireRepository(i.repoId);
  const api = `${repoApi(ctx, r)}/issues/${i.number}`;
  const comments = ctx.state.ci.commentsOn(i.repoId, i.number).length;
  return {
    id: i.id,
    node_id: nodeId('Issue', i.id),
    url: api,
    repository_url: repoApi(ctx, r),
    labels_url: `${api}/labels{/name}`,
    comments_url: `${api}/comments`,
    events_url: `${api}/events`,
    html_url: `${ctx.urls.web}/${r.owner.login}/${r.name}/issues/${i.number}`,
    number: i.number,
    state: i.state,
    state_reason: null,
    title: i.title,
    body: i.body,
    user: account(ctx.urls, i.user),
    labels: i.labels.map((n) => labelJson(ctx, r, n)),
    assignee: i.assignees[0] ? account(ctx.urls, i.assignees[0]) : null,
    assignees: i.assignees.map((a) => account(ctx.urls, a)),
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments,
    closed_at: null,
    created_at: isoSeconds(i.createdAt),
    updated_at: isoSeconds(i.updatedAt),
    author_association: i.user.id === r.owner.id ? 'OWNER' : 'CONTRIBUTOR',
    reactions: { url: `${api}/reactions`, total_count: 0, '+1': 0, '-1': 0, laugh: 0, hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0 },
    timeline_url: `${api}/timeline`,
    performed_via_github_app: null,
  };
}

/** `pull-request-review`. */
export function reviewJson(ctx: CiContext, rv: ReviewRecord): Json {
  const r = ctx.state.requireRepository(rv.repoId);
  const html = `${ctx.urls.web}/${r.owner.login}/${r.name}/pull/${rv.pullNumber}`;
  return {
    id: rv.id,
    node_id: nodeId('PullRequestReview', rv.id),
    user: account(ctx.urls, rv.user),
    body: rv.body,
    state: rv.event === 'COMMENT' ? 'COMMENTED' : rv.event === 'APPROVE' ? 'APPROVED' : 'CHANGES_REQUESTED',
    html_url: `${html}#pullrequestreview-${rv.id}`,
    pull_request_url: `${repoApi(ctx, r)}/pulls/${rv.pullNumber}`,
    _links: { html: { href: `${html}#pullrequestreview-${rv.id}` }, pull_request: { href: `${repoApi(ctx, r)}/pulls/${rv.pullNumber}` } },
    submitted_at: isoSeconds(rv.submittedAt),
    commit_id: rv.commitId,
    author_association: 'NONE',
  };
}

function validation(ctx: RouteContext, message: string, errors?: unknown[]) {
  return json(422, { message, ...(errors ? { errors } : {}), documentation_url: ctx.docsUrl, status: '422' });
}

/** Registers the routes the agents call. */
export function registerAgentRoutes(router: Router): void {
  router.add('GET', '/repos/{owner}/{repo}/issues/{issue_number}', (ctx) => {
    const c: CiContext = { urls: ctx.services.urls, state: ctx.services.state };
    const { repo } = repoAccess(ctx, [['issues', 'read']]);
    const number = idParam(ctx, 'issue_number');
    const issue = c.state.ci.findIssue(repo.id, number);
    if (issue) return json(200, issueJson(c, issue));
    const pr = c.state.ci.findPullRequest(repo.id, number);
    if (!pr) throw notFound(ctx);
    const p = pullRequest(c, pr, false);
    return json(200, {
      ...issueJson(c, { id: pr.id, number: pr.number, repoId: pr.repoId, title: pr.title, body: pr.body, user: pr.user, state: pr.state, labels: pr.labels, assignees: [], createdAt: pr.createdAt, updatedAt: pr.updatedAt }),
      pull_request: { url: p.url, html_url: p.html_url, diff_url: p.diff_url, patch_url: p.patch_url, merged_at: p.merged_at },
    });
  });

  router.add('GET', '/repos/{owner}/{repo}/collaborators/{username}/permission', (ctx) => {
    const { state, urls } = ctx.services;
    const { repo } = repoAccess(ctx, [['metadata', 'read']]);
    const login = ctx.params.username ?? '';
    const user = state.findAccount(login);
    if (!user) throw notFound(ctx);
    const role = user.id === repo.owner.id ? 'admin' : (state.ci.collaborators.get(`${repo.id}:${login.toLowerCase()}`) ?? 'read');
    // `permission` is the legacy level (admin, write, read, none); `role_name` the role.
    const permission = role === 'maintain' ? 'write' : role === 'triage' ? 'read' : role;
    return json(200, {
      permission,
      role_name: role,
      user: { ...simpleUser(urls, user), permissions: { pull: true, triage: role !== 'read', push: ['write', 'maintain', 'admin'].includes(role), maintain: ['maintain', 'admin'].includes(role), admin: role === 'admin' }, role_name: role },
    });
  });

  router.add('POST', '/repos/{owner}/{repo}/pulls', (ctx) => {
    const c: CiContext = { urls: ctx.services.urls, state: ctx.services.state };
    const access = repoAccess(ctx, [['pull_requests', 'write']]);
    const b = ctx.body();
    const head = typeof b.head === 'string' ? b.head.replace(/^[^:]+:/, '') : '';
    const base = typeof b.base === 'string' ? b.base : '';
    if (typeof b.title !== 'string' || !b.title.trim()) return validation(ctx, 'Validation Failed', [{ resource: 'PullRequest', field: 'title', code: 'missing_field' }]);
    const headSha = c.state.ci.branchHead?.(access.repo.id, head);
    const baseSha = c.state.ci.branchHead?.(access.repo.id, base);
    if (!headSha) return validation(ctx, 'Validation Failed', [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
    if (!baseSha) return validation(ctx, 'Validation Failed', [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    const open = [...c.state.ci.pullRequests.values()].find((p) => p.repoId === access.repo.id && p.head.ref === head && p.state === 'open');
    if (open) return validation(ctx, 'Validation Failed', [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${access.repo.owner.login}:${head}.` }]);
    const bot = c.state.ci.botFor(access.app);
    const pr = c.state.ci.addPullRequest(access.repo.id, { title: b.title, body: typeof b.body === 'string' ? b.body : null, head: { ref: head, sha: headSha }, base: { ref: base, sha: baseSha }, draft: b.draft === true });
    pr.user = bot;
    return json(201, pullRequest(c, pr, true), { location: `${c.urls.api}/repos/${access.repo.owner.login}/${access.repo.name}/pulls/${pr.number}` });
  });

  router.add('POST', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', (ctx) => {
    const c: CiContext = { urls: ctx.services.urls, state: ctx.services.state };
    const access = repoAccess(ctx, [['pull_requests', 'write']]);
    const pr = c.state.ci.findPullRequest(access.repo.id, idParam(ctx, 'pull_number'));
    if (!pr) throw notFound(ctx);
    const b = ctx.body();
    const event = b.event === undefined ? 'PENDING' : b.event;
    if (event !== 'COMMENT' && event !== 'APPROVE' && event !== 'REQUEST_CHANGES') return validation(ctx, 'Validation Failed', [{ resource: 'PullRequestReview', field: 'event', code: 'invalid' }]);
    if ((event === 'COMMENT' || event === 'REQUEST_CHANGES') && (typeof b.body !== 'string' || !b.body.trim())) return validation(ctx, 'Unprocessable Entity', ['Body is required for event ' + event]);
    const review: ReviewRecord = {
      id: c.state.ci.reviewIds.take((n) => c.state.ci.reviews.some((r) => r.id === n)),
      repoId: access.repo.id,
      pullNumber: pr.number,
      user: c.state.ci.botFor(access.app),
      appId: access.app.id,
      body: typeof b.body === 'string' ? b.body : '',
      event,
      commitId: typeof b.commit_id === 'string' ? b.commit_id : pr.head.sha,
      submittedAt: Date.now(),
    };
    c.state.ci.reviews.push(review);
    return json(200, reviewJson(c, review));
  });
}
