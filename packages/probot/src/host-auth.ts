/**
 * The auth strategy a hosted app's `ProbotOctokit` uses: the same shape as `octokit-auth-probot`
 * (Probot's own), but its tokens come from the host (Switchyard's installation-token cache, shared
 * with the rest of the server) instead of a per-app private key and cache.
 *
 * - `auth({ type: 'event-octokit', event })`: a client for the event's installation, or an
 *   unauthenticated one with Probot's own reason when the event has no installation or revoked it;
 * - `auth({ type: 'installation', installationId, factory })`: what `app.auth(id)` calls;
 * - requests: `token <installation token>` for an installation client, `bearer <app JWT>` for the
 *   App client and for the App-only routes (as @octokit/auth-app does);
 * - rate limits: when the host shares them, each request (each attempt: the auth hook is the
 *   innermost) goes through `limits.send`, which waits while GitHub limits that installation (or
 *   the App) in any of the host's processes and records the limits GitHub reports.
 */
import { createUnauthenticatedAuth } from '@octokit/auth-unauthenticated';

export interface HostTokens {
  /** An installation access token (cached by the host). */
  installationToken(installationId: number): Promise<string>;
  /** A JWT for the App itself. */
  appToken(): Promise<string>;
}

interface StrategyOptions {
  installationId?: number;
  octokit: { constructor: unknown };
  octokitOptions: Record<string, unknown> & { auth?: Record<string, unknown> };
}

interface EventLike {
  name: string;
  payload: { action?: string; installation?: { id?: number } };
}

type Request = ((options: unknown) => Promise<unknown>) & {
  endpoint: { merge(route: unknown, parameters?: unknown): { url: string; headers: Record<string, string> } };
};

// The routes @octokit/auth-app sends with the App's JWT even from an installation client.
const APP_ROUTES = [/^\/app(\/|$)/, /^\/app\/installations(\/\d+)?$/, /^\/marketplace_listing\//, /^\/repos\/[^/]+\/[^/]+\/installation$/, /^\/orgs\/[^/]+\/installation$/, /^\/users\/[^/]+\/installation$/];

function needsAppAuth(url: string): boolean {
  const path = url.replace(/^https?:\/\/[^/]+/, '').replace(/^\/api\/v3/, '').split('?')[0] ?? '';
  if (/^\/app\/installations\/\d+\/access_tokens$/.test(path)) return true;
  return APP_ROUTES.some((r) => r.test(path));
}

/** The host's rate limits, shared across its processes. */
export interface HostRateLimits {
  /** Sends one request for an installation (null: as the App), waiting first while it is limited. */
  send<T>(installationId: number | null, send: () => Promise<T>): Promise<T>;
}

/** Builds the strategy (pass as `authStrategy` to `ProbotOctokit.defaults`). */
export function createHostAuth(tokens: HostTokens, limits?: HostRateLimits) {
  return function hostAuth(options: StrategyOptions) {
    const Octokit = options.octokit.constructor as new (o: Record<string, unknown>) => unknown;
    const unauthenticated = (reason: string) => {
      const { auth: _auth, authStrategy: _s, ...rest } = options.octokitOptions;
      return new Octokit({ ...rest, authStrategy: createUnauthenticatedAuth, auth: { reason } });
    };
    const auth = async (authOptions: { type: string; event?: EventLike; installationId?: number; factory?: (o: Record<string, unknown>) => unknown }) => {
      if (authOptions.type === 'event-octokit' && authOptions.event) {
        const { event } = authOptions;
        const action = event.payload.action;
        const installationId = event.payload.installation?.id;
        const fullEventName = event.name + (action ? `.${action}` : '');
        if (!installationId) {
          return unauthenticated(`Handling a "${fullEventName}" event: an "installation" key is missing. The installation ID cannot be determined`);
        }
        if (event.name === 'installation' && ['suspend', 'deleted'].includes(String(action))) {
          return unauthenticated(`Handling a "${fullEventName}" event: The app's access has been revoked from @octokit (id: ${installationId})`);
        }
        return new Octokit({ ...options.octokitOptions, auth: { ...options.octokitOptions.auth, installationId } });
      }
      if (authOptions.type === 'installation') {
        const installationId = authOptions.installationId ?? options.installationId;
        if (authOptions.factory) {
          const { type: _t, factory, ...rest } = authOptions;
          return factory({ ...rest, octokit: options.octokit, octokitOptions: options.octokitOptions });
        }
        if (!installationId) throw new Error('installationId option is required for installation authentication.');
        return { type: 'token', tokenType: 'installation', installationId, token: await tokens.installationToken(installationId) };
      }
      if (authOptions.type === 'app') return { type: 'app', token: await tokens.appToken() };
      throw new Error(`Auth type "${authOptions.type}" is not supported by the Switchyard host`);
    };
    const hook = async (request: Request, route: unknown, parameters?: unknown) => {
      const endpoint = request.endpoint.merge(route, parameters);
      const installationId = options.installationId && !needsAppAuth(endpoint.url) ? options.installationId : null;
      if (installationId) {
        endpoint.headers.authorization = `token ${await tokens.installationToken(installationId)}`;
      } else {
        endpoint.headers.authorization = `bearer ${await tokens.appToken()}`;
      }
      return limits ? limits.send(installationId, () => request(endpoint)) : request(endpoint);
    };
    return Object.assign(auth, { hook });
  };
}
