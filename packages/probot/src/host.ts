/**
 * Hosting a Probot app inside Switchyard (`@switchyard/probot/host`).
 *
 * Glossary:
 * - app function: what a Probot app exports (`export default (app) => { app.on(…) }`).
 * - subscriptions: the event names the app passed to `app.on`, checked against @octokit/webhooks'
 *   list; `onAny` subscribes to every event.
 * - hosted app: one Probot instance per app, loaded once per process; each delivery is handed to
 *   `receive`, which runs every handler of that app for the event, as Probot does, with an
 *   installation client whose tokens come from the host.
 */
import { emitterEventNames } from '@octokit/webhooks';
import type { Logger } from 'pino';
import { ProbotOctokit, type ApplicationFunction, type ApplicationFunctionOptions } from 'probot';
import { createHostAuth, type HostRateLimits, type HostTokens } from './host-auth.js';
import { HOST, Probot } from './probot.js';

export { createHostAuth, type HostRateLimits, type HostTokens } from './host-auth.js';
export { HOST, type HostHooks } from './probot.js';

/** Why an app could not be loaded (the server starts without it and says this). */
export class AppLoadError extends Error {
  readonly code = 'PROBOT_APP_LOAD_FAILED';
  constructor(
    readonly app: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${app}: ${message}`, options);
    this.name = 'AppLoadError';
  }
}

export const GET_ROUTER_MESSAGE =
  'app.getRouter() was removed in Probot 12 and is not supported. Port the route to the `addHandler` option of your app function: ' +
  '`export default (app, { addHandler }) => { addHandler((req, res) => { if (!req.url?.startsWith("/apps/<app>/")) return false; …; return true; }) }` — on Switchyard its routes are served under /apps/<app>/.';

export interface HostedAppOptions {
  /** The app's name in Switchyard (URL-safe). */
  name: string;
  appFn: unknown;
  /** The app's folder (the `cwd` option apps receive). */
  cwd: string;
  appId: number;
  /** GitHub's REST API (GITHUB_API_URL). */
  baseUrl: string;
  tokens: HostTokens;
  /** GitHub's rate limits shared by the host's processes (without it: Probot's own, per process). */
  rateLimits?: HostRateLimits;
  /** The app's pino logger (the host tags it with the app's name). */
  log: Logger;
  /** Receives the app's `addHandler` handlers. */
  addHandler: ApplicationFunctionOptions['addHandler'];
  /** Retries of one request on 5xx and network errors inside a handler (Probot's default: 3). */
  requestRetries?: number;
}

export interface HostedApp {
  name: string;
  /** Event names (`issues`, `issues.opened`) the app subscribes to; `*` when it used `onAny`. */
  events: string[];
  probot: Probot;
  /** Runs the app's handlers for one delivery; rejects as Probot's `receive` does (AggregateError). */
  receive(event: { id: string; name: string; payload: Record<string, unknown> }): Promise<void>;
}

const KNOWN_EVENTS = new Set<string>(emitterEventNames);

/** Loads an app function into its own Probot instance; throws AppLoadError when it cannot run here. */
export async function loadHostedApp(o: HostedAppOptions): Promise<HostedApp> {
  const appFn = resolveAppFunction(o.appFn);
  if (!appFn) throw new AppLoadError(o.name, 'exports no function (a Probot app exports `(app, options) => …` as its default export or module.exports)');
  const events = new Set<string>();
  const invalid: string[] = [];
  const retries = o.requestRetries ?? 3;
  const Octokit = ProbotOctokit.defaults({
    authStrategy: createHostAuth(o.tokens, o.rateLimits),
    retry: { enabled: retries > 0, retries },
    throttle: {
      // Wait once for a short reset; past that the handler's error reaches the host, which retries
      // the whole job later, honouring retry-after.
      onRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < 1 && retryAfter <= 60,
      onSecondaryRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < 1 && retryAfter <= 60,
    },
  });
  const probot = new Probot({
    appId: o.appId,
    // The host's auth strategy signs every request; Probot only checks that a key is set.
    privateKey: 'hosted-by-switchyard',
    baseUrl: o.baseUrl,
    log: o.log,
    Octokit: Octokit as typeof ProbotOctokit,
    [HOST]: {
      on(names) {
        for (const n of names) {
          if (!KNOWN_EVENTS.has(n)) invalid.push(n);
          else events.add(n);
        }
      },
      onAny() {
        events.add('*');
      },
      onError() {},
      getRouter() {
        throw new AppLoadError(o.name, GET_ROUTER_MESSAGE);
      },
    },
  });
  try {
    await probot.load(appFn, { cwd: o.cwd, addHandler: o.addHandler });
  } catch (err) {
    if (err instanceof AppLoadError) throw err;
    throw new AppLoadError(o.name, `threw while loading: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (invalid.length > 0) throw new AppLoadError(o.name, `subscribes to unknown event names: ${invalid.map((n) => JSON.stringify(n)).join(', ')}`);
  return {
    name: o.name,
    events: [...events].sort(),
    probot,
    receive: (event) => probot.receive(event as never),
  };
}

/** The app function of a module: its default export, a CommonJS export, or the module itself. */
export function resolveAppFunction(mod: unknown): ApplicationFunction | null {
  if (typeof mod === 'function') return mod as ApplicationFunction;
  if (mod && typeof mod === 'object') {
    const d = (mod as { default?: unknown }).default;
    if (typeof d === 'function') return d as ApplicationFunction;
    // `export default` compiled to CommonJS and imported from ESM: { default: { default: fn } }.
    if (d && typeof d === 'object' && typeof (d as { default?: unknown }).default === 'function') return (d as { default: ApplicationFunction }).default;
  }
  return null;
}
