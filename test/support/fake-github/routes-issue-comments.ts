/**
 * Issue comments API (installation token) on the fake's pull requests and issues: list, create, get,
 * update and delete. An app comments as its bot (`<slug>[bot]`, `performed_via_github_app` set). On a pull
 * request GitHub accepts either the `issues` or the `pull_requests` permission.
 */
import { json, paginate, type FakeResponse } from './http-kit.js';
import { issueComment } from './ci-representations.js';
import type { CommentRecord } from './ci-state.js';
import { idParam, notFound, repoAccess, type PermissionNeed, type RepoAccess } from './repo-access.js';
import type { RouteContext, Router } from './router.js';

const MAX_BODY = 65536;
const READ: readonly PermissionNeed[] = [['issues', 'read'], ['pull_requests', 'read']];
const WRITE: readonly PermissionNeed[] = [['issues', 'write'], ['pull_requests', 'write']];

function commentIn(ctx: RouteContext, access: RepoAccess): CommentRecord {
  const found = ctx.services.state.ci.comments.get(idParam(ctx, 'comment_id'));
  if (!found || found.repoId !== access.repo.id) throw notFound(ctx);
  return found;
}

/** The `body` of a create/update, or GitHub's 422. */
function commentBody(ctx: RouteContext): string | FakeResponse {
  const body = ctx.body().body;
  if (body === undefined) return json(422, { message: 'Invalid request.\n\n"body" wasn\'t supplied.', documentation_url: ctx.docsUrl, status: '422' });
  if (typeof body !== 'string') return json(422, { message: `Invalid request.\n\nFor 'properties/body', ${JSON.stringify(body)} is not a string.`, documentation_url: ctx.docsUrl, status: '422' });
  if (body.length > MAX_BODY) {
    return json(422, {
      message: 'Validation Failed',
      errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: `body is too long (maximum is ${MAX_BODY} characters)` }],
      documentation_url: ctx.docsUrl,
      status: '422',
    });
  }
  if (body.trim() === '') {
    return json(422, { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }], documentation_url: ctx.docsUrl, status: '422' });
  }
  return body;
}

/** Registers the issue-comment routes. */
export function registerIssueCommentRoutes(router: Router): void {
  router.add('GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments', (ctx) => {
    const { state, urls } = ctx.services;
    const access = repoAccess(ctx, READ);
    const number = idParam(ctx, 'issue_number');
    if (!state.ci.findPullRequest(access.repo.id, number) && !state.ci.findIssue(access.repo.id, number)) throw notFound(ctx);
    const since = ctx.query.get('since');
    const sinceMs = since ? Date.parse(since) : Number.NaN;
    const all = state.ci.commentsOn(access.repo.id, number).filter((c) => Number.isNaN(sinceMs) || c.updatedAt >= sinceMs);
    const { page, link } = paginate(all, ctx.query, ctx.publicUrl);
    return json(200, page.map((c) => issueComment({ urls, state }, c)), link ? { link } : undefined);
  });

  router.add('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', (ctx) => {
    const { state, urls } = ctx.services;
    const access = repoAccess(ctx, WRITE);
    const number = idParam(ctx, 'issue_number');
    const pr = state.ci.findPullRequest(access.repo.id, number) ?? (state.ci.findIssue(access.repo.id, number) ? { locked: false } : undefined);
    if (!pr) throw notFound(ctx);
    const body = commentBody(ctx);
    if (typeof body !== 'string') return body;
    if (pr.locked) return json(403, { message: 'Unable to create comment because issue is locked.', documentation_url: ctx.docsUrl, status: '403' });
    const comment = state.ci.addComment(access.repo.id, number, body, state.ci.botFor(access.app), access.app.id);
    return json(201, issueComment({ urls, state }, comment), { location: `${urls.api}/repos/${access.repo.owner.login}/${access.repo.name}/issues/comments/${comment.id}` });
  });

  router.add('GET', '/repos/{owner}/{repo}/issues/comments/{comment_id}', (ctx) => {
    const { state, urls } = ctx.services;
    const access = repoAccess(ctx, READ);
    return json(200, issueComment({ urls, state }, commentIn(ctx, access)));
  });

  router.add('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', (ctx) => {
    const { state, urls } = ctx.services;
    const access = repoAccess(ctx, WRITE);
    const comment = commentIn(ctx, access);
    const body = commentBody(ctx);
    if (typeof body !== 'string') return body;
    comment.body = body;
    comment.updatedAt = Date.now();
    return json(200, issueComment({ urls, state }, comment));
  });

  router.add('DELETE', '/repos/{owner}/{repo}/issues/comments/{comment_id}', (ctx) => {
    const { state } = ctx.services;
    const access = repoAccess(ctx, WRITE);
    const comment = commentIn(ctx, access);
    state.ci.comments.delete(comment.id);
    return { status: 204 };
  });
}
