/** A minimal method + path-template router, and the context every route handler receives. */
import type { IncomingHttpHeaders } from 'node:http';
import type { Credentials } from './auth.js';
import type { BlobStorage } from './blob-storage.js';
import type { FakeResponse } from './http-kit.js';
import type { Urls } from './representations.js';
import type { FakeState } from './state.js';
import type { WebhookDispatcher } from './webhook-sender.js';

/** What routes share: the state, the fake's URLs, the webhook dispatcher and the log blob storage. */
export interface Services {
  state: FakeState;
  urls: Urls;
  webhooks: WebhookDispatcher;
  /** Short-lived job-log URLs (the target of `GET …/actions/jobs/{job_id}/logs`). */
  blobs: BlobStorage;
}

export interface RouteContext {
  method: string;
  /** The path without the `/api/v3` prefix for API routes; the full path for web routes. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The parsed JSON or form body (`{}` when empty); throws GitHub's 400 for malformed JSON. */
  body(): Record<string, unknown>;
  credentials: Credentials;
  /** The operation's documentation URL (used in error bodies, as GitHub does). */
  docsUrl: string;
  /** The request URL as the client addressed it (for `Link` headers). */
  publicUrl: string;
  services: Services;
}

export type Handler = (ctx: RouteContext) => FakeResponse | Promise<FakeResponse>;

interface Route {
  method: string;
  regex: RegExp;
  names: string[];
  handler: Handler;
}

/** Routes `METHOD /path/{param}` templates to handlers. */
export class Router {
  private readonly routes: Route[] = [];

  /** Registers `handler` for `method` + `template` (e.g. `/app/installations/{installation_id}`). */
  add(method: string, template: string, handler: Handler): this {
    const names: string[] = [];
    const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    this.routes.push({ method: method.toUpperCase(), regex: new RegExp(`^${pattern}$`), names, handler });
    return this;
  }

  /** The handler and decoded path parameters for a request, if any route matches. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method.toUpperCase()) continue;
      const m = route.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1] ?? '');
      });
      return { handler: route.handler, params };
    }
    return undefined;
  }
}
