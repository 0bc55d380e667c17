/** REST routes authenticated with an installation access token (`token ghs_…` / `Bearer ghs_…`). */
import { requireInstallationToken } from './auth.js';
import { json, paginate } from './http-kit.js';
import { repository } from './representations.js';
import type { Router } from './router.js';

const NEEDS_INSTALLATION_TOKEN = 'You must authenticate with an installation access token in order to list repositories for an installation.';

/** Registers `GET /installation/repositories` and `DELETE /installation/token`. */
export function registerInstallationRoutes(router: Router): void {
  router.add('GET', '/installation/repositories', (ctx) => {
    const { state, urls } = ctx.services;
    const { token, installation } = requireInstallationToken(state, ctx.credentials, ctx.docsUrl, NEEDS_INSTALLATION_TOKEN);
    const repos = state.tokenRepositories(token);
    const { page, link } = paginate(repos, ctx.query, ctx.publicUrl);
    return json(
      200,
      {
        total_count: repos.length,
        repository_selection: token.repositoryIds ? 'selected' : installation.repositorySelection,
        repositories: page.map((r) => repository(urls, r)),
      },
      link ? { link } : undefined,
    );
  });

  router.add('DELETE', '/installation/token', (ctx) => {
    const { state } = ctx.services;
    const { token } = requireInstallationToken(state, ctx.credentials, ctx.docsUrl, 'Resource not accessible by integration');
    state.installationTokens.delete(token.token);
    return { status: 204 };
  });
}
