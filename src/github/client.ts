/**
 * GitHub API clients for the App, built on @octokit/core with the plugins Probot uses:
 * - auth: @octokit/auth-app signs the App's JWT and fetches installation tokens, cached (shared by
 *   every client of this process) until five minutes before they expire;
 * - @octokit/plugin-throttling: respects primary and secondary rate limits (waits `retry-after`,
 *   retries twice, then gives up and logs);
 * - @octokit/plugin-retry: retries 5xx and network errors;
 * - @octokit/plugin-paginate-rest: `paginate()` follows Link headers;
 * - shared rate limits (rate-limit-gate.ts): each attempt to an installation or the App first
 *   waits while another process (or this one) recorded a limit for it, and records the limits
 *   GitHub reports, so every process respects them (innermost: retries pass through it too);
 * - conditional requests: GETs remember their ETag; a `304 Not Modified` (free of rate limit)
 *   answers from the remembered response.
 * GITHUB_API_URL points every client at GitHub Enterprise Server when set.
 */
import { Octokit } from '@octokit/core';
import { createAppAuth } from '@octokit/auth-app';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type { Logger } from '../log/index.js';
import type { AppCredentials } from './app-credentials.js';
import { appBucket, installationBucket, type RateLimitGate } from './rate-limit-gate.js';

interface SharedRateLimitsOption {
  gate: RateLimitGate;
  /** The client's bucket. */
  bucket: string;
  /** The App's bucket: an installation's token is minted with the App's JWT, on the App's limit. */
  appBucket: string;
}

const MINT_TOKEN = /\/app\/installations\/[^/]+\/access_tokens$/;

/** Sends every request of a client through the shared gate of its bucket (first plugin: innermost hook, under retry and throttling). */
function sharedRateLimits(octokit: Octokit, options: Record<string, unknown>) {
  const shared = options.rateLimits as SharedRateLimitsOption | undefined;
  if (shared) {
    octokit.hook.wrap('request', (request, o) => {
      const bucket = MINT_TOKEN.test(String(o.url)) ? shared.appBucket : shared.bucket;
      return shared.gate.send(bucket, async () => request(o));
    });
  }
  return {};
}

export const SwitchyardOctokit = Octokit.plugin(sharedRateLimits, paginateRest, retry, throttling);
export type GitHubClient = InstanceType<typeof SwitchyardOctokit>;

const USER_AGENT = 'Switchyard (+https://github.com/switchyard)';
const TOKEN_TTL_MS = 55 * 60_000;

export interface GitHubClients {
  /** Authenticated as the App (JWT): /app, /app/installations, /app/hook/deliveries… */
  app(): GitHubClient;
  /** Authenticated as one installation (installation access token, cached). */
  installation(installationId: number): GitHubClient;
  /** Authenticated as a person (their OAuth token). */
  user(token: string): GitHubClient;
  /** Unauthenticated (the manifest conversion). */
  anonymous(): GitHubClient;
  /** How many installation tokens this process has fetched (tests check caching). */
  readonly tokensFetched: number;
  /** False when no GitHub App is configured (app() and installation() would throw). */
  readonly configured: boolean;
  /** The rate limits shared by every process (null: this process's clients only throttle themselves). */
  readonly rateLimits: RateLimitGate | null;
}

interface CachedResponse {
  etag: string;
  response: { status: number; url: string; headers: Record<string, unknown>; data: unknown };
}

/** A bounded map: the oldest entry goes when it is full. */
class BoundedMap<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
}

/** Adds ETag-based conditional GETs to a client; `identity` keeps one caller's answers from another's. */
function withConditionalRequests(octokit: GitHubClient, cache: BoundedMap<CachedResponse>, identity: string): GitHubClient {
  octokit.hook.wrap('request', async (request, options) => {
    if (options.method !== 'GET') return request(options);
    const { url } = octokit.request.endpoint.parse(options);
    const key = `${identity} ${url}`;
    const cached = cache.get(key);
    if (cached) options.headers = { ...options.headers, 'if-none-match': cached.etag };
    try {
      const response = await request(options);
      const etag = response.headers.etag;
      // Copies: paginate() rewrites response.data in place, and the cache must keep GitHub's answer.
      if (typeof etag === 'string') cache.set(key, { etag, response: { status: response.status, url: response.url, headers: { ...response.headers }, data: structuredClone(response.data) } });
      return response;
    } catch (err) {
      if (cached && (err as { status?: number }).status === 304) {
        const { status, url: cachedUrl, headers, data } = cached.response;
        return { status, url: cachedUrl, headers: { ...headers }, data: structuredClone(data) } as never;
      }
      throw err;
    }
  });
  return octokit;
}

export function createGitHubClients(deps: { credentials: AppCredentials | null; apiUrl: string; log: Logger; rateLimits?: RateLimitGate }): GitHubClients {
  const { credentials, apiUrl } = deps;
  const gate = deps.rateLimits ?? null;
  const shared = (bucket: string) => (gate && credentials ? { rateLimits: { gate, bucket, appBucket: appBucket(credentials.appId) } satisfies SharedRateLimitsOption } : {});
  const log = deps.log.child({ component: 'github-client' });
  const etags = new BoundedMap<CachedResponse>(1000);
  const tokenCache = new BoundedMap<{ value: string; at: number }>(5000);
  let tokensFetched = 0;
  const cache = {
    get: (key: string) => {
      const hit = tokenCache.get(key);
      if (!hit) return undefined as unknown as string;
      if (Date.now() - hit.at > TOKEN_TTL_MS) {
        tokenCache.delete(key);
        return undefined as unknown as string;
      }
      return hit.value;
    },
    set: (key: string, value: string) => {
      tokensFetched++;
      tokenCache.set(key, { value, at: Date.now() });
    },
  };

  const base = {
    baseUrl: apiUrl,
    userAgent: USER_AGENT,
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (msg: string) => log.warn(msg),
      error: (msg: string) => log.error(msg),
    },
    throttle: {
      onRateLimit: (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
        log.warn({ method: options.method, url: options.url, retryAfter, retryCount }, 'GitHub rate limit reached');
        return retryCount < 2 && retryAfter <= 120;
      },
      onSecondaryRateLimit: (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
        log.warn({ method: options.method, url: options.url, retryAfter, retryCount }, 'GitHub secondary rate limit reached');
        return retryCount < 2 && retryAfter <= 120;
      },
    },
  };

  const requireCredentials = (): AppCredentials => {
    if (!credentials) throw new Error('No GitHub App is configured: set APP_ID and PRIVATE_KEY, or run the setup wizard');
    return credentials;
  };

  return {
    app() {
      const c = requireCredentials();
      return withConditionalRequests(new SwitchyardOctokit({ ...base, ...shared(appBucket(c.appId)), authStrategy: createAppAuth, auth: { appId: c.appId, privateKey: c.privateKey, cache } }), etags, `app:${c.appId}`);
    },
    installation(installationId) {
      const c = requireCredentials();
      return withConditionalRequests(
        new SwitchyardOctokit({ ...base, ...shared(installationBucket(installationId)), authStrategy: createAppAuth, auth: { appId: c.appId, privateKey: c.privateKey, installationId, cache } }),
        etags,
        `installation:${installationId}`,
      );
    },
    user(token) {
      return new SwitchyardOctokit({ ...base, auth: token });
    },
    anonymous() {
      return new SwitchyardOctokit(base);
    },
    get tokensFetched() {
      return tokensFetched;
    },
    configured: credentials !== null,
    rateLimits: gate,
  };
}
