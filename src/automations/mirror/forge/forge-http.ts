/**
 * HTTP calls to a forge's REST API, with a timeout, and failures turned into SyncFailures:
 * network errors, timeouts, 429 and 5xx are transient; 401 is a refused token; 403 a missing
 * permission. Every other status goes back to the adapter, which knows what 404 or 409 means.
 * Response text in messages is scrubbed of the token and cut short.
 */
import { scrubSecrets } from '../../../log/index.js';
import { FAILURE_CODES, SyncFailure } from '../errors.js';

export interface ForgeResponse {
  status: number;
  text: string;
  /** The parsed JSON body (undefined when it is not JSON). */
  json: unknown;
}

export interface ForgeHttpOptions {
  baseUrl: string;
  /** Headers on every request (authorization). */
  headers: Record<string, string>;
  place: string;
  credentialHint: string;
  secrets: Array<string | null | undefined>;
  timeoutMs?: number;
}

export interface ForgeHttp {
  request(method: string, path: string, body?: unknown, opts?: { query?: Record<string, string> }): Promise<ForgeResponse>;
  /** A SyncFailure for an answer the adapter did not expect. */
  unexpected(res: ForgeResponse, what: string): SyncFailure;
  readonly scrub: (text: string) => string;
}

export function createForgeHttp(o: ForgeHttpOptions): ForgeHttp {
  const base = o.baseUrl.replace(/\/+$/, '');
  const secrets = o.secrets.filter((s): s is string => typeof s === 'string' && s.length > 0);
  const scrub = (t: string) => scrubSecrets(t, secrets).replace(/\s+/g, ' ').trim().slice(0, 300);
  const timeoutMs = o.timeoutMs ?? 30_000;

  const request: ForgeHttp['request'] = async (method, path, body, opts) => {
    const url = new URL(`${base}${path}`);
    for (const [k, v] of Object.entries(opts?.query ?? {})) url.searchParams.set(k, v);
    const what = `${method} ${url.pathname}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { accept: 'application/json', 'user-agent': 'Switchyard mirror', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...o.headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'manual',
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const reason = e.name === 'TimeoutError' ? `no answer within ${Math.round(timeoutMs / 1000)} s` : (e.cause?.code ?? e.message);
      throw new SyncFailure(FAILURE_CODES.targetUnreachable, 'transient', `${o.place} could not be reached (${what}: ${scrub(reason)})`, { cause: err });
    }
    const text = await res.text().catch(() => '');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const answer = { status: res.status, text, json };
    if (res.status === 401) {
      throw new SyncFailure(FAILURE_CODES.targetAuth, 'auth', `${o.place} refused the token (401 to ${what}: ${scrub(text) || 'Unauthorized'}): check ${o.credentialHint}`);
    }
    if (res.status === 403) {
      throw new SyncFailure(FAILURE_CODES.targetForbidden, 'permission', `${o.place} denied ${what} (403: ${scrub(text) || 'Forbidden'}): ${o.credentialHint} lacks the permission`);
    }
    if (res.status === 429 || res.status >= 500) {
      // OneDev answers a duplicate name with 500: let the adapter look at that one.
      if (!(res.status === 500 && /already used/i.test(text))) {
        throw new SyncFailure(FAILURE_CODES.targetUnreachable, 'transient', `${o.place} answered ${res.status} to ${what}: ${scrub(text) || res.statusText}`);
      }
    }
    if (res.status >= 300 && res.status < 400) {
      throw new SyncFailure(FAILURE_CODES.targetInvalid, 'config', `${o.place} redirected ${what} to ${scrub(res.headers.get('location') ?? '?')}: check the target's base URL`);
    }
    return answer;
  };

  return {
    request,
    unexpected: (res, what) =>
      new SyncFailure(FAILURE_CODES.targetInvalid, 'config', `${o.place} answered ${res.status} to ${what}: ${scrub(res.text) || '(empty)'}`),
    scrub,
  };
}

/** Joins path segments, encoding each. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
