/**
 * Serves the built dashboard (web/, built by `npm run build` into dist/web) at `/`:
 * - files under `/assets/` have content hashes in their names: cached for a year, immutable;
 * - every other path that is not an API route and not a file gets `index.html` (the dashboard's
 *   router draws the page, its own 404 included), revalidated on every load;
 * - unknown `/api/…` paths stay JSON 404s (the API's not-found handler).
 * When the build is missing the server still runs: pages answer 503 with how to build it.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { htmlPage } from '../http/html-page.js';
import { staticFiles, type StaticFile } from './static-files.js';

/** Where `npm run build` puts the dashboard (the same from src/ under the tests and from dist/). */
export const DEFAULT_DASHBOARD_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/**
 * What the dashboard's page may load: only this server, and avatars from GitHub. On GitHub
 * Enterprise Server avatars come from the server itself (`https://<host>/avatars/u/…`) or, with
 * subdomain isolation, from `https://avatars.<host>`: both are allowed when `githubUrl` is not
 * github.com.
 */
export function contentSecurityPolicy(githubUrl = 'https://github.com'): string {
  const avatars = ['https://avatars.githubusercontent.com', 'https://*.githubusercontent.com'];
  // The setup wizard posts the App manifest to GitHub (…/settings/apps/new): the only form that leaves.
  let githubOrigin = 'https://github.com';
  try {
    const url = new URL(githubUrl);
    githubOrigin = url.origin;
    if (url.hostname !== 'github.com') avatars.push(url.origin, `${url.protocol}//avatars.${url.host}`);
  } catch {
    // an invalid GITHUB_URL is refused by the config; nothing to add
  }
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data: ${avatars.join(' ')}`,
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    `form-action 'self' ${githubOrigin}`,
    "frame-ancestors 'none'",
  ].join('; ');
}

export interface DashboardDeps {
  /** The built dashboard's directory (default: dist/web). */
  root?: string;
  /** GitHub's web address (GITHUB_URL): its avatars may be shown. */
  githubUrl?: string;
}

function buildMissingPage(root: string): string {
  return htmlPage(
    'Dashboard not built',
    `<h1>The dashboard has not been built</h1>
<p>Switchyard is running — webhooks and the API at <a href="/api/docs"><code>/api/docs</code></a> work — but the web dashboard's files are missing from <code>${root.replace(/[&<>"']/g, '')}</code>.</p>
<p>Build it, then reload this page:</p>
<pre><code>npm run build</code></pre>
<p class="muted"><code>npm start</code> builds it for you.</p>`,
  );
}

export async function dashboardRoutes(app: FastifyInstance, deps: DashboardDeps = {}): Promise<void> {
  const root = deps.root ?? DEFAULT_DASHBOARD_ROOT;
  const files = staticFiles(root);
  const csp = contentSecurityPolicy(deps.githubUrl);
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    app.log.warn({ root }, 'the dashboard is not built (run `npm run build`); the API works without it');
  }

  const send = async (req: FastifyRequest, reply: FastifyReply, file: StaticFile, cacheControl: string) => {
    void reply.header('cache-control', cacheControl).header('etag', file.etag).header('vary', 'Accept-Encoding').header('x-content-type-options', 'nosniff');
    if (req.headers['if-none-match'] === file.etag) return reply.code(304).send();
    const { body, encoding } = await files.encode(file, req.headers['accept-encoding']);
    if (encoding) void reply.header('content-encoding', encoding);
    return reply.type(file.type).send(body);
  };

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const urlPath = req.url.split('?')[0] ?? '/';
    if (urlPath === '/api' || urlPath.startsWith('/api/')) return reply.callNotFound();
    const asset = urlPath !== '/' && urlPath !== '/index.html' ? await files.get(urlPath) : null;
    if (asset) return send(req, reply, asset, urlPath.startsWith('/assets/') ? IMMUTABLE : REVALIDATE);
    // A missing file (it has an extension) is a 404, not the page: a stale tab asking for an old
    // chunk should fail plainly rather than parse HTML as JavaScript.
    if (/\.[a-z0-9]+$/i.test(urlPath) && urlPath !== '/index.html') {
      return reply.code(404).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send('Not found');
    }
    const index = await files.get('/index.html');
    if (!index) {
      return reply.code(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(buildMissingPage(files.root));
    }
    void reply
      .header('content-security-policy', csp)
      .header('referrer-policy', 'same-origin')
      .header('x-frame-options', 'DENY')
      .header('permissions-policy', 'camera=(), microphone=(), geolocation=()');
    return send(req, reply, index, REVALIDATE);
  };

  // Static routes (`/setup/callback`, `/healthz`, the API) win over the wildcard; `/setup` is a dashboard page.
  app.get('/', { schema: { hide: true } }, handler);
  app.get('/*', { schema: { hide: true } }, handler);
}
