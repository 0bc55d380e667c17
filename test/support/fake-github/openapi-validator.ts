/**
 * Validates the fake's JSON responses (and, on request, webhook payloads) against GitHub's official
 * OpenAPI description with ajv. One ajv instance per process; one validator per operation + status,
 * compiled on first use. Component schemas are registered with ajv one by one, only when a
 * validator reaches them, and compiled once (shared by every validator that refers to them).
 */
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FormatsPlugin } from 'ajv-formats';
import { findOperation, loadSpec, resolveResponse, specLoadMs, type JsonObject } from './openapi-spec.js';
import { COMPONENT_BASE, directComponentRefs, normalizeSchema } from './schema-normalize.js';

const addFormats = createRequire(import.meta.url)('ajv-formats') as FormatsPlugin;

let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();
const registered = new Set<string>();
const compileTimes: Record<string, number> = {};

function getAjv(): Ajv {
  if (!ajv) {
    // validateSchema: false - the schemas come from GitHub's description (checking them against the
    // JSON Schema meta-schema would only cost time).
    ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateSchema: false });
    addFormats(ajv);
  }
  return ajv;
}

/** Registers (normalized) the component schemas `schema` reaches, transitively, each once. */
function registerComponents(schema: unknown): void {
  const components = loadSpec().components.schemas;
  const pending = [...directComponentRefs(schema)];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (registered.has(name)) continue;
    registered.add(name);
    const component = components[name] ?? {};
    getAjv().addSchema(normalizeSchema(component) as JsonObject, COMPONENT_BASE + name);
    pending.push(...directComponentRefs(component));
  }
}

function compileCached(key: string, schema: () => JsonObject): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) {
    const started = performance.now();
    const source = schema();
    registerComponents(source);
    validate = getAjv().compile(normalizeSchema(source) as JsonObject);
    compileTimes[key] = performance.now() - started;
    validators.set(key, validate);
  }
  return validate;
}

/**
 * Readable ajv errors: the noise of the `nullable` rewrite (a failed `type: null` branch) and of
 * combinator summaries ("must match a schema in anyOf") is dropped when a specific error remains.
 */
function describe(errors: ErrorObject[] | null | undefined): string {
  const all = errors ?? [];
  const specific = all.filter((e) => !(e.keyword === 'type' && (e.params as { type?: unknown }).type === 'null') && !['anyOf', 'oneOf', 'if'].includes(e.keyword));
  const shown = specific.length > 0 ? specific : all;
  const list = shown.slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`);
  const more = shown.length > 5 ? ` (+${shown.length - 5} more)` : '';
  return list.join('; ') + more;
}

const BASIC_ERROR: JsonObject = { $ref: '#/components/schemas/basic-error' };

/** What to validate: a response of the REST API (path without the `/api/v3` prefix). */
export interface ResponseToValidate {
  method: string;
  path: string;
  status: number;
  /** Parsed JSON body, or undefined for a response without a body. */
  body: unknown;
}

/** The operation's id (for logs) and, when the response does not match the description, why. */
export interface ResponseVerdict {
  operationId?: string;
  template?: string;
  docsUrl?: string;
  error?: string;
}

/** Looks up the operation for a request (loads the description on first use). */
export function operationFor(method: string, path: string): { operationId?: string; template?: string; docsUrl?: string } {
  const found = findOperation(method, path);
  if (!found) return {};
  return { operationId: found.operation.operationId, template: found.template, docsUrl: found.operation.externalDocs?.url };
}

/**
 * Checks a response against the operation matched by method + path template and the response
 * status. Rules: a documented status with `application/json` content is validated against its
 * schema; a documented status without content must have no body; an undocumented error status
 * (>= 400, GitHub documents those only sometimes) is validated against `basic-error`; an
 * undocumented success status, or a path/method absent from the description, is an error.
 */
export function validateResponse(r: ResponseToValidate): ResponseVerdict {
  const found = findOperation(r.method, r.path);
  if (!found) {
    if (r.status === 404) return checkBasicError(r);
    return { error: `${r.method} ${r.path} ${r.status}: no operation in GitHub's OpenAPI description matches this method and path` };
  }
  const { operation, template } = found;
  const verdict: ResponseVerdict = { operationId: operation.operationId, template, docsUrl: operation.externalDocs?.url };
  const label = `${operation.operationId ?? template} (${r.method.toUpperCase()} ${template}) ${r.status}`;
  const documented = operation.responses?.[String(r.status)];
  if (!documented) {
    if (r.status >= 400) {
      const basic = checkBasicError(r);
      return basic.error ? { ...verdict, error: `${label}: ${basic.error}` } : verdict;
    }
    return { ...verdict, error: `${label}: status ${r.status} is not documented for this operation` };
  }
  const schema = resolveResponse(documented).content?.['application/json']?.schema;
  if (!schema) {
    return r.body === undefined ? verdict : { ...verdict, error: `${label}: a body was sent but the description documents none` };
  }
  const validate = compileCached(`${operation.operationId ?? template}:${r.status}`, () => schema);
  if (!validate(r.body)) return { ...verdict, error: `${label}: ${describe(validate.errors)}` };
  return verdict;
}

function checkBasicError(r: ResponseToValidate): ResponseVerdict {
  const validate = compileCached('basic-error', () => BASIC_ERROR);
  if (!validate(r.body)) return { error: `${r.method} ${r.path} ${r.status}: not GitHub's error shape: ${describe(validate.errors)}` };
  return {};
}

/**
 * Validates a webhook payload against the description's `x-webhooks` entry for the event (and
 * action, e.g. `installation_repositories` + `added` -> `installation-repositories-added`).
 * Returns the list of problems (empty when valid).
 */
export function webhookPayloadErrors(event: string, payload: unknown): string[] {
  const hooks = loadSpec()['x-webhooks'] ?? {};
  const action = typeof payload === 'object' && payload !== null ? (payload as { action?: unknown }).action : undefined;
  const base = event.replace(/_/g, '-');
  const key = typeof action === 'string' && hooks[`${base}-${action.replace(/_/g, '-')}`] ? `${base}-${action.replace(/_/g, '-')}` : base;
  const schema = hooks[key]?.post?.requestBody?.content?.['application/json']?.schema;
  if (!schema) return [`no webhook "${key}" in GitHub's OpenAPI description`];
  const validate = compileCached(`webhook:${key}`, () => schema);
  return validate(payload) ? [] : [`webhook ${key}: ${describe(validate.errors)}`];
}

/** Timings for the report/README: the one-time description load and each validator's compile. */
export function validatorStats(): { specLoadMs: number; compileMs: Record<string, number> } {
  return { specLoadMs: specLoadMs(), compileMs: { ...compileTimes } };
}
