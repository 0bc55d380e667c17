/**
 * REST routes authenticated as the app (JWT): the app itself, its installations, installation
 * access tokens and its webhook deliveries (list with cursor pagination, detail, redelivery).
 */
import { requireAppJwt } from './auth.js';
import { githubError, HttpError, json, paginate, pageParams, type FakeResponse } from './http-kit.js';
import { hookDelivery, hookDeliveryItem, installation, installationToken, integration } from './representations.js';
import type { RouteContext, Router } from './router.js';
import type { AppRecord, InstallationRecord, Permissions, RepositoryRecord } from './state.js';

const LEVELS: Record<string, number> = { read: 1, write: 2, admin: 3 };

function numericParam(ctx: RouteContext, name: string): number {
  const raw = ctx.params[name] ?? '';
  if (!/^\d+$/.test(raw)) throw new HttpError(githubError(404, 'Not Found', ctx.docsUrl));
  return Number(raw);
}

function appInstallation(ctx: RouteContext, app: AppRecord): InstallationRecord {
  const found = ctx.services.state.installations.get(numericParam(ctx, 'installation_id'));
  if (!found || found.appId !== app.id) throw new HttpError(githubError(404, 'Not Found', ctx.docsUrl));
  return found;
}

function invalid(ctx: RouteContext, message: string): HttpError {
  return new HttpError(githubError(422, message, ctx.docsUrl));
}

/** Applies the optional `repositories` / `repository_ids` / `permissions` narrowing of a token request. */
function narrowToken(ctx: RouteContext, inst: InstallationRecord): { permissions: Permissions; repositoryIds: number[] | null } {
  const body = ctx.body();
  const { state } = ctx.services;
  const names = body.repositories;
  const ids = body.repository_ids;
  if (names !== undefined && (!Array.isArray(names) || !names.every((n) => typeof n === 'string'))) {
    throw invalid(ctx, `Invalid request.\n\nFor 'properties/repositories', ${JSON.stringify(names)} is not an array of strings.`);
  }
  if (ids !== undefined && (!Array.isArray(ids) || !ids.every((n) => Number.isInteger(n)))) {
    throw invalid(ctx, `Invalid request.\n\nFor 'properties/repository_ids', ${JSON.stringify(ids)} is not an array of integers.`);
  }
  let repositoryIds: number[] | null = null;
  if (names !== undefined || ids !== undefined) {
    const available = inst.repositoryIds.map((id) => state.repositories.get(id)).filter((r): r is RepositoryRecord => r !== undefined);
    const chosen = new Set<number>();
    for (const name of (names ?? []) as string[]) {
      const repo = available.find((r) => r.name.toLowerCase() === name.toLowerCase());
      if (!repo) throw invalid(ctx, 'There is at least one repository that does not exist or is not accessible to the parent installation.');
      chosen.add(repo.id);
    }
    for (const id of (ids ?? []) as number[]) {
      if (!available.some((r) => r.id === id)) throw invalid(ctx, 'There is at least one repository that does not exist or is not accessible to the parent installation.');
      chosen.add(id);
    }
    repositoryIds = [...chosen];
  }
  let permissions: Permissions = { ...inst.permissions };
  if (body.permissions !== undefined) {
    const requested = body.permissions;
    if (typeof requested !== 'object' || requested === null || Array.isArray(requested)) {
      throw invalid(ctx, `Invalid request.\n\nFor 'properties/permissions', ${JSON.stringify(requested)} is not an object.`);
    }
    permissions = {};
    for (const [name, level] of Object.entries(requested)) {
      const granted = inst.permissions[name];
      if (typeof level !== 'string' || !LEVELS[level] || !granted || (LEVELS[granted] ?? 0) < (LEVELS[level] ?? 0)) {
        throw invalid(ctx, 'The permissions requested are not granted to this installation.');
      }
      permissions[name] = level;
    }
  }
  return { permissions, repositoryIds };
}

function deliveryCursor(ctx: RouteContext): number | null {
  const cursor = ctx.query.get('cursor');
  if (cursor === null || cursor === '') return null;
  const m = /^v1_(\d+)$/.exec(cursor);
  if (!m) throw new HttpError(githubError(400, 'Invalid cursor', ctx.docsUrl));
  return Number(m[1]);
}

/** Registers `/app`, `/app/installations…` and `/app/hook/deliveries…`. */
export function registerAppRoutes(router: Router): void {
  router.add('GET', '/app', (ctx) => {
    const app = requireAppJwt(ctx.services.state, ctx.credentials, ctx.docsUrl);
    const count = [...ctx.services.state.installations.values()].filter((i) => i.appId === app.id).length;
    return json(200, integration(ctx.services.urls, app, count));
  });

  router.add('GET', '/app/installations', (ctx) => {
    const app = requireAppJwt(ctx.services.state, ctx.credentials, ctx.docsUrl);
    const all = [...ctx.services.state.installations.values()].filter((i) => i.appId === app.id).sort((a, b) => a.id - b.id);
    const { page, link } = paginate(all, ctx.query, ctx.publicUrl);
    return json(200, page.map((i) => installation(ctx.services.urls, i, app)), link ? { link } : undefined);
  });

  router.add('GET', '/app/installations/{installation_id}', (ctx) => {
    const app = requireAppJwt(ctx.services.state, ctx.credentials, ctx.docsUrl);
    return json(200, installation(ctx.services.urls, appInstallation(ctx, app), app));
  });

  router.add('POST', '/app/installations/{installation_id}/access_tokens', (ctx): FakeResponse => {
    const { state, urls } = ctx.services;
    const app = requireAppJwt(state, ctx.credentials, ctx.docsUrl);
    const inst = appInstallation(ctx, app);
    if (inst.suspendedAt !== null) return githubError(403, 'This installation has been suspended', ctx.docsUrl);
    const { permissions, repositoryIds } = narrowToken(ctx, inst);
    const token = state.issueInstallationToken(inst, permissions, repositoryIds);
    return json(201, installationToken(urls, token, repositoryIds ? state.tokenRepositories(token) : null));
  });

  router.add('GET', '/app/hook/deliveries', (ctx) => {
    const { state, urls } = ctx.services;
    const app = requireAppJwt(state, ctx.credentials, ctx.docsUrl);
    const { perPage } = pageParams(ctx.query);
    const cursor = deliveryCursor(ctx);
    const statusFilter = ctx.query.get('status');
    const newestFirst = state.deliveries
      .filter((d) => d.appId === app.id)
      .map((d) => d.delivery)
      .filter((d) => cursor === null || d.id < cursor)
      .filter((d) => statusFilter !== 'success' || (d.status_code >= 200 && d.status_code < 300))
      .filter((d) => statusFilter !== 'failure' || d.status_code < 200 || d.status_code >= 300)
      .sort((a, b) => b.id - a.id);
    const page = newestFirst.slice(0, perPage);
    const last = page[page.length - 1];
    const headers: Record<string, string> = {};
    if (newestFirst.length > perPage && last) {
      const next = new URL(`${urls.api}/app/hook/deliveries`);
      next.searchParams.set('per_page', String(perPage));
      next.searchParams.set('cursor', `v1_${last.id}`);
      if (statusFilter) next.searchParams.set('status', statusFilter);
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    return json(200, page.map(hookDeliveryItem), headers);
  });

  router.add('GET', '/app/hook/deliveries/{delivery_id}', (ctx) => {
    const { state } = ctx.services;
    const app = requireAppJwt(state, ctx.credentials, ctx.docsUrl);
    const id = numericParam(ctx, 'delivery_id');
    const found = state.deliveries.find((d) => d.appId === app.id && d.delivery.id === id);
    if (!found) return githubError(404, 'Not Found', ctx.docsUrl);
    return json(200, hookDelivery(found.delivery));
  });

  router.add('POST', '/app/hook/deliveries/{delivery_id}/attempts', (ctx) => {
    const { state, webhooks } = ctx.services;
    const app = requireAppJwt(state, ctx.credentials, ctx.docsUrl);
    const id = numericParam(ctx, 'delivery_id');
    const found = state.deliveries.find((d) => d.appId === app.id && d.delivery.id === id);
    if (!found) return githubError(404, 'Not Found', ctx.docsUrl);
    webhooks.redeliverSoon(app, found.delivery);
    return json(202, {});
  });
}
