/** Pull requests API (installation token): list and get. */
import { json, paginate } from './http-kit.js';
import { pullRequest } from './ci-representations.js';
import type { PullRequestRecord } from './ci-state.js';
import { idParam, notFound, repoAccess } from './repo-access.js';
import type { Router } from './router.js';

/** Registers `GET /repos/{owner}/{repo}/pulls` and `GET /repos/{owner}/{repo}/pulls/{pull_number}`. */
export function registerPullRoutes(router: Router): void {
  router.add('GET', '/repos/{owner}/{repo}/pulls', (ctx) => {
    const { state, urls } = ctx.services;
    const { repo } = repoAccess(ctx, [['pull_requests', 'read']]);
    const wanted = ctx.query.get('state') ?? 'open';
    if (!['open', 'closed', 'all'].includes(wanted)) {
      return json(422, { message: 'Validation Failed', errors: [{ resource: 'Search', field: 'state', code: 'invalid' }], documentation_url: ctx.docsUrl, status: '422' });
    }
    const sort = ctx.query.get('sort') ?? 'created';
    if (!['created', 'updated', 'popularity', 'long-running'].includes(sort)) {
      return json(422, { message: 'Validation Failed', errors: [{ resource: 'Search', field: 'sort', code: 'invalid' }], documentation_url: ctx.docsUrl, status: '422' });
    }
    const direction = ctx.query.get('direction') ?? (sort === 'created' ? 'desc' : 'asc');
    const head = ctx.query.get('head');
    const base = ctx.query.get('base');
    const sign = direction === 'asc' ? 1 : -1;
    const order = (a: PullRequestRecord, b: PullRequestRecord) => sign * ((sort === 'updated' ? a.updatedAt - b.updatedAt : a.createdAt - b.createdAt) || a.number - b.number);
    const pulls = [...state.ci.pullRequests.values()]
      .filter((p) => p.repoId === repo.id)
      .filter((p) => wanted === 'all' || p.state === wanted)
      .filter((p) => {
        if (!head) return true;
        const [user, ref] = head.includes(':') ? head.split(':', 2) : [undefined, head];
        return p.head.ref === ref && (user === undefined || user.toLowerCase() === repo.owner.login.toLowerCase());
      })
      .filter((p) => !base || p.base.ref === base)
      .sort(order);
    const { page, link } = paginate(pulls, ctx.query, ctx.publicUrl);
    return json(200, page.map((p) => pullRequest({ urls, state }, p, false)), link ? { link } : undefined);
  });

  router.add('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', (ctx) => {
    const { state, urls } = ctx.services;
    const { repo } = repoAccess(ctx, [['pull_requests', 'read']]);
    const found = state.ci.findPullRequest(repo.id, idParam(ctx, 'pull_number'));
    if (!found) throw notFound(ctx);
    return json(200, pullRequest({ urls, state }, found, true));
  });
}
