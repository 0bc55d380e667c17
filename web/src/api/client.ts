/**
 * A typed fetch for the Switchyard API. Paths, parameters, bodies and answers come from
 * schema.d.ts, which scripts/gen-api-types.mjs generates from the server's OpenAPI document.
 *
 * @example
 * const page = await api.get('/api/events', { query: { status: 'dead', limit: 50 } });
 * await api.post('/api/events/{delivery_id}/replay', { path: { delivery_id } });
 */
import type { paths } from './schema';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type PathsWith<M extends Method> = { [P in keyof paths]: paths[P] extends Record<M, infer O> ? ([O] extends [never | undefined] ? never : P) : never }[keyof paths];
type Op<P extends keyof paths, M extends Method> = NonNullable<paths[P][M & keyof paths[P]]>;

type QueryOf<O> = O extends { parameters: { query?: infer Q } } ? ([Q] extends [never | undefined] ? never : Q) : never;
type PathOf<O> = O extends { parameters: { path: infer Q } } ? ([Q] extends [never | undefined] ? never : Q) : never;
type BodyOf<O> = O extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
type Json<R> = R extends { content: { 'application/json': infer J } } ? J : never;
type SuccessOf<O> = O extends { responses: infer R }
  ? 200 extends keyof R
    ? Json<R[200]>
    : 201 extends keyof R
      ? Json<R[201]>
      : 202 extends keyof R
        ? Json<R[202]>
        : unknown
  : unknown;

type Options<O> = ([PathOf<O>] extends [never] ? { path?: undefined } : { path: PathOf<O> }) &
  ([QueryOf<O>] extends [never] ? { query?: undefined } : { query?: QueryOf<O> }) &
  ([BodyOf<O>] extends [never] ? { body?: undefined } : { body?: BodyOf<O> }) & { signal?: AbortSignal };

/** The answer type of an operation (`Answer<'/api/events', 'get'>`). */
export type Answer<P extends keyof paths, M extends Method = 'get'> = SuccessOf<Op<P, M>>;
/** The query parameters of an operation. */
export type QueryParams<P extends keyof paths, M extends Method = 'get'> = QueryOf<Op<P, M>>;
/** The JSON body of an operation. */
export type RequestBody<P extends keyof paths, M extends Method> = BodyOf<Op<P, M>>;

/** An error answer of the API: `{"error": code, "message"}` with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The CSRF token of this session (the readable `sy_csrf` cookie), sent with every change. */
export function csrfToken(): string | null {
  const m = /(?:^|;\s*)sy_csrf=([^;]*)/.exec(document.cookie);
  return m?.[1] ? decodeURIComponent(m[1]) : null;
}

/** Builds `/api/x/{id}?a=b` from a path template, its parameters and a query. */
export function buildUrl(template: string, path?: Record<string, string | number>, query?: Record<string, unknown>): string {
  let url = template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const v = path?.[key];
    if (v === undefined) throw new Error(`missing path parameter ${key} for ${template}`);
    return encodeURIComponent(String(v));
  });
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
    const s = qs.toString();
    if (s) url += `?${s}`;
  }
  return url;
}

async function request(method: Method, template: string, opts: { path?: object; query?: object; body?: unknown; signal?: AbortSignal } = {}): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'get') {
    const csrf = csrfToken();
    if (csrf) headers['x-csrf-token'] = csrf;
  }
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(buildUrl(template, opts.path as Record<string, string>, opts.query as Record<string, unknown>), {
      method: method.toUpperCase(),
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK', 'Switchyard did not answer: check that the server is running and your connection.');
  }
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    const e = (data ?? {}) as { error?: string; message?: string };
    throw new ApiError(res.status, e.error ?? `HTTP_${res.status}`, e.message ?? `The server answered ${res.status} ${res.statusText}`);
  }
  return data;
}

function method<M extends Method>(m: M) {
  return <P extends PathsWith<M>>(path: P, ...[opts]: keyof Options<Op<P, M>> extends never ? [] : Partial<Options<Op<P, M>>> extends Options<Op<P, M>> ? [Options<Op<P, M>>?] : [Options<Op<P, M>>]) =>
    request(m, path as string, opts as never) as Promise<SuccessOf<Op<P, M>>>;
}

export const api = {
  get: method('get'),
  post: method('post'),
  put: method('put'),
  patch: method('patch'),
  delete: method('delete'),
};
