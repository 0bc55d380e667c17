/**
 * Loads GitHub's official OpenAPI description (from `@octokit/openapi`) once per process, lazily,
 * and finds the operation a request hits by method + path template.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** A JSON object as found in the description (loosely typed on purpose: it is data, not code). */
export type JsonObject = Record<string, unknown>;

export interface OpenApiResponse {
  $ref?: string;
  content?: Record<string, { schema?: JsonObject }>;
}

export interface OpenApiOperation {
  operationId?: string;
  externalDocs?: { url?: string };
  responses?: Record<string, OpenApiResponse>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonObject>; responses: Record<string, OpenApiResponse> };
  'x-webhooks'?: Record<string, { post?: { requestBody?: { content?: Record<string, { schema?: JsonObject }> } } }>;
}

/** The operation a request matched: its path template, HTTP method and the operation object. */
export interface MatchedOperation {
  template: string;
  method: string;
  operation: OpenApiOperation;
}

interface CompiledPath {
  template: string;
  regex: RegExp;
  /** One char per segment, '1' for a literal segment, '0' for a `{param}`: literal segments win. */
  specificity: string;
}

const SPEC_MODULE = '@octokit/openapi/generated/api.github.com.json';

let spec: OpenApiDocument | undefined;
let compiledPaths: CompiledPath[] | undefined;
let loadMs = 0;

/** Returns the parsed description, reading it on first use (about 120 ms for 13 MB of JSON). */
export function loadSpec(): OpenApiDocument {
  if (!spec) {
    const started = performance.now();
    const file = createRequire(import.meta.url).resolve(SPEC_MODULE);
    spec = JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument;
    loadMs = performance.now() - started;
  }
  return spec;
}

/** Milliseconds the one-time read + parse of the description took (0 if not loaded yet). */
export function specLoadMs(): number {
  return loadMs;
}

function compilePaths(doc: OpenApiDocument): CompiledPath[] {
  return Object.keys(doc.paths).map((template) => {
    const segments = template.split('/').slice(1);
    const pattern = segments
      .map((s) => (/^\{[^}]+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    return {
      template,
      regex: new RegExp(`^/${pattern}$`),
      specificity: segments.map((s) => (s.startsWith('{') ? '0' : '1')).join(''),
    };
  });
}

/**
 * Finds the operation for `method` + `path` (a REST path without the `/api/v3` prefix). When several
 * templates match (`/user/installations` vs `/user/{account_id}`), the one with literal segments
 * earliest wins, as GitHub's router does.
 */
export function findOperation(method: string, path: string): MatchedOperation | undefined {
  const doc = loadSpec();
  compiledPaths ??= compilePaths(doc);
  const m = method.toLowerCase();
  let best: CompiledPath | undefined;
  for (const candidate of compiledPaths) {
    if (!candidate.regex.test(path)) continue;
    if (!doc.paths[candidate.template]?.[m]) continue;
    if (!best || candidate.specificity > best.specificity) best = candidate;
  }
  if (!best) return undefined;
  const operation = doc.paths[best.template]?.[m];
  return operation ? { template: best.template, method: m, operation } : undefined;
}

/** Resolves a response object that may be a `$ref` to `#/components/responses/...`. */
export function resolveResponse(response: OpenApiResponse): OpenApiResponse {
  if (!response.$ref) return response;
  const name = response.$ref.split('/').pop() ?? '';
  return loadSpec().components.responses[name] ?? {};
}
