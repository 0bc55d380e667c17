/** HTTP building blocks shared by the routes: responses, GitHub's error shape, bodies, ETags, pagination. */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A response a route produces; `json` bodies of API routes are validated against the description. */
export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  /** A JSON body. */
  json?: unknown;
  /** A non-JSON body (HTML pages, form-encoded OAuth answers); set `content-type` in headers. */
  text?: string;
}

/** Thrown by route code to answer with `response` (e.g. a 401); the router catches it. */
export class HttpError extends Error {
  constructor(readonly response: FakeResponse) {
    super(`HTTP ${response.status}`);
  }
}

export const DOCS_ROOT = 'https://docs.github.com/rest';

/** GitHub's JSON error body: `{ message, documentation_url, status }` (status is a string). */
export function githubError(status: number, message: string, documentationUrl: string = DOCS_ROOT, headers?: Record<string, string>): FakeResponse {
  return { status, headers, json: { message, documentation_url: documentationUrl, status: String(status) } };
}

/** A JSON response. */
export function json(status: number, body: unknown, headers?: Record<string, string>): FakeResponse {
  return { status, json: body, headers };
}

/** A small HTML page, as GitHub's web UI answers. */
export function htmlPage(status: number, title: string, message: string, headers?: Record<string, string>): FakeResponse {
  const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', ...headers },
    text: `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${escape(title)} · GitHub</title></head><body><main><h1>${escape(title)}</h1><p>${escape(message)}</p></main></body></html>\n`,
  };
}

/** A 302 redirect. */
export function redirect(location: string): FakeResponse {
  return { status: 302, headers: { location, 'content-type': 'text/html; charset=utf-8' }, text: `<html><body>You are being <a href="${location.replace(/"/g, '&quot;')}">redirected</a>.</body></html>` };
}

/** Reads the whole request body. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/**
 * Parses a JSON or form-encoded body into an object (empty when absent). Throws HttpError 400
 * with GitHub's "Problems parsing JSON" for malformed JSON.
 */
export function parseBody(raw: Buffer, contentType: string | undefined): Record<string, unknown> {
  const text = raw.toString('utf8');
  if (text.trim() === '') return {};
  if ((contentType ?? '').includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new HttpError(githubError(400, 'Problems parsing JSON'));
}

/** A weak ETag over the serialized body, in GitHub's format (`W/"<sha256 hex>"`). */
export function etagFor(body: string): string {
  return `W/"${createHash('sha256').update(body).digest('hex')}"`;
}

/** True when an `If-None-Match` header matches `etag` (weak comparison, lists and `*` allowed). */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

/** `per_page` (default 30, max 100) and `page` (from 1) as GitHub reads them. */
export function pageParams(query: URLSearchParams): { perPage: number; page: number } {
  const perPage = Number.parseInt(query.get('per_page') ?? '', 10);
  const page = Number.parseInt(query.get('page') ?? '', 10);
  return { perPage: Number.isFinite(perPage) && perPage > 0 ? Math.min(perPage, 100) : 30, page: Number.isFinite(page) && page > 0 ? page : 1 };
}

/**
 * One page of `items` and GitHub's `Link` header for page-based pagination:
 * `<…?per_page=2&page=2>; rel="next", <…?per_page=2&page=3>; rel="last"` (plus `prev`/`first`
 * after page 1). `requestUrl` is the public URL of the request (its other query parameters are kept).
 */
export function paginate<T>(items: T[], query: URLSearchParams, requestUrl: string): { page: T[]; link?: string } {
  const { perPage, page } = pageParams(query);
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const linkTo = (n: number) => {
    const url = new URL(requestUrl);
    url.searchParams.set('page', String(n));
    return url.toString();
  };
  const parts: string[] = [];
  if (page > 1) parts.push(`<${linkTo(Math.min(page - 1, lastPage))}>; rel="prev"`);
  if (page < lastPage) parts.push(`<${linkTo(page + 1)}>; rel="next"`, `<${linkTo(lastPage)}>; rel="last"`);
  if (page > 1) parts.push(`<${linkTo(1)}>; rel="first"`);
  return { page: slice, link: parts.length ? parts.join(', ') : undefined };
}
