/**
 * Validation against Gitea's own Swagger 2.0 description (../shared/api-specs/gitea-swagger.v1.json,
 * Gitea v1.26.3): finds the operation by method + path template, checks the request body against
 * its `in: body` parameter and the response against the status's schema (`#/responses/…` →
 * `#/definitions/…`), with ajv. A status the operation does not list is an error too.
 *
 * The file lives outside this repository; when it is missing (a fresh clone without ../shared),
 * validation is off and `giteaSpecNotice()` says so (tests print it and skip what needs it).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import type { FormatsPlugin } from 'ajv-formats';

const addFormats = createRequire(import.meta.url)('ajv-formats') as FormatsPlugin;

type Json = Record<string, unknown>;

interface Operation {
  operationId: string;
  template: string;
  regex: RegExp;
  method: string;
  bodySchema: Json | null;
  responses: Record<string, Json>;
}

export const GITEA_SPEC_PATH = process.env.GITEA_SWAGGER ?? path.resolve(import.meta.dirname, '../../../../shared/api-specs/gitea-swagger.v1.json');

let loaded: { spec: Json; ops: Operation[]; ajv: Ajv } | null | undefined;
const validators = new Map<string, ValidateFunction>();

/** A visible notice when the description is missing (null when it is there). */
export function giteaSpecNotice(): string | null {
  return fs.existsSync(GITEA_SPEC_PATH) ? null : `NOTICE: ${GITEA_SPEC_PATH} is missing: the fake Gitea runs without checking its responses against Gitea's Swagger description`;
}

function load(): typeof loaded {
  if (loaded !== undefined) return loaded;
  if (!fs.existsSync(GITEA_SPEC_PATH)) return (loaded = null);
  const spec = JSON.parse(fs.readFileSync(GITEA_SPEC_PATH, 'utf8')) as Json;
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateSchema: false });
  addFormats(ajv);
  for (const f of ['int64', 'int32', 'uint64', 'uint32']) ajv.addFormat(f, true);
  ajv.addSchema({ $id: 'gitea.json', definitions: spec.definitions as Json, responses: spec.responses as Json });
  const ops: Operation[] = [];
  for (const [template, item] of Object.entries(spec.paths as Record<string, Json>)) {
    for (const [method, raw] of Object.entries(item)) {
      if (method === 'parameters') continue;
      const op = raw as { operationId: string; parameters?: Json[]; responses: Record<string, Json> };
      const body = (op.parameters ?? []).find((p) => p.in === 'body');
      const regex = new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '([^/]+)')}$`);
      ops.push({ operationId: op.operationId, template, regex, method: method.toUpperCase(), bodySchema: (body?.schema as Json | undefined) ?? null, responses: op.responses });
    }
  }
  // Literal segments win over {params} (e.g. /repos/search before /repos/{owner}).
  ops.sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
  return (loaded = { spec, ops, ajv });
}

/** The operation for a request path below `/api/v1` (null when unknown or validation is off). */
export function findGiteaOperation(method: string, apiPath: string): Operation | null {
  const l = load();
  if (!l) return null;
  return l.ops.find((o) => o.method === method && o.regex.test(apiPath)) ?? null;
}

/** Rewrites local `#/definitions/X` refs to the registered document. */
function rebase(schema: Json): Json {
  return JSON.parse(JSON.stringify(schema).replace(/"#\/(definitions|responses)\//g, '"gitea.json#/$1/')) as Json;
}

function validator(key: string, schema: Json): ValidateFunction {
  let v = validators.get(key);
  if (!v) {
    v = load()!.ajv.compile(rebase(schema));
    validators.set(key, v);
  }
  return v;
}

const describe = (v: ValidateFunction) => (v.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ');

/** Problems with a request body (empty when fine or when validation is off). */
export function giteaRequestProblems(op: Operation | null, body: unknown): string[] {
  if (!op?.bodySchema) return [];
  const v = validator(`${op.operationId}:request`, op.bodySchema);
  return v(body) ? [] : [`${op.operationId} request body: ${describe(v)}`];
}

/**
 * Statuses Gitea sends that its description leaves out (each is an assumption of the fake, read
 * from Gitea's handlers, not from the description): createOrgRepo shares createCurrentUserRepo's
 * code (routers/api/v1/repo/repo.go, CreateUserRepo), which answers 409 when the name is taken.
 */
const UNDOCUMENTED: Record<string, number[]> = { createOrgRepo: [409] };

/** Problems with a response (empty when fine or when validation is off). */
export function giteaResponseProblems(op: Operation | null, status: number, body: unknown): string[] {
  if (!op) return [];
  const spec = load()!.spec;
  // 401 comes from the authentication middleware (the description's global securityDefinitions), before any operation.
  if (status === 401 || UNDOCUMENTED[op.operationId]?.includes(status)) return [];
  let resp = op.responses[String(status)];
  if (!resp) return [`${op.operationId} (${op.method} ${op.template}): status ${status} is not listed (${Object.keys(op.responses).join(', ')})`];
  if (typeof resp.$ref === 'string') resp = (spec.responses as Record<string, Json>)[resp.$ref.replace('#/responses/', '')] ?? {};
  const schema = resp.schema as Json | undefined;
  if (!schema) return [];
  const v = validator(`${op.operationId}:${status}`, schema);
  return v(body) ? [] : [`${op.operationId} ${status} response: ${describe(v)}`];
}
