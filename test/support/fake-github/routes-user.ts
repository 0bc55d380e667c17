/** REST routes authenticated with a user access token from the OAuth web flow (`gho_…` / `ghu_…`). */
import { requireUserToken } from './auth.js';
import { json, paginate } from './http-kit.js';
import { installation, privateUser } from './representations.js';
import type { Router } from './router.js';
import type { InstallationRecord } from './state.js';

/** Registers `GET /user` and `GET /user/installations`. */
export function registerUserRoutes(router: Router): void {
  router.add('GET', '/user', (ctx) => {
    const { state, urls } = ctx.services;
    const token = requireUserToken(state, ctx.credentials, ctx.docsUrl, 'Resource not accessible by integration');
    const user = state.findAccountById(token.userId);
    if (!user) return json(401, { message: 'Bad credentials', documentation_url: ctx.docsUrl, status: '401' });
    return json(200, privateUser(urls, user));
  });

  router.add('GET', '/user/installations', (ctx) => {
    const { state, urls } = ctx.services;
    const token = requireUserToken(state, ctx.credentials, ctx.docsUrl, 'You must authenticate with an access token authorized to a GitHub App in order to list installations');
    const granted = [...(state.userInstallations.get(token.userId) ?? [])]
      .map((id) => state.installations.get(id))
      .filter((i): i is InstallationRecord => i !== undefined && i.appId === token.appId)
      .sort((a, b) => a.id - b.id);
    const app = state.requireApp(token.appId);
    const { page, link } = paginate(granted, ctx.query, ctx.publicUrl);
    return json(200, { total_count: granted.length, installations: page.map((i) => installation(urls, i, app)) }, link ? { link } : undefined);
  });
}
