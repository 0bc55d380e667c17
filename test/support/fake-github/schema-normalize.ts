/**
 * Turns OpenAPI 3.0 schemas from GitHub's description into JSON Schema ajv compiles. Each
 * `#/components/schemas/<name>` becomes its own schema with the absolute id `COMPONENT_BASE + name`
 * (refs are rewritten to it), so ajv compiles every component once and shares it between validators,
 * and only the components a response actually reaches are ever normalized or compiled.
 *
 * Rewrites (each works around something in GitHub's description that plain ajv rejects or gets wrong):
 * - `nullable: true` becomes `anyOf: [{ type: 'null' }, <schema>]`. Ajv's own `nullable` support
 *   throws on `nullable` without a sibling `type` (GitHub has many `{ nullable, allOf/anyOf }`), and
 *   does not add `null` to an `enum`.
 * - `oneOf` + `discriminator.mapping` (e.g. `GET /user`: private-user | public-user) becomes
 *   "matches at least one branch, and the branch the discriminator names when present". Plain
 *   `oneOf` fails there because a private user also satisfies public-user; ajv's `discriminator`
 *   option does not support `mapping`.
 * - `allOf: [Simple User, Enterprise]` becomes `anyOf`. The description inlines the `installation`
 *   schema in `GET /app/installations` with `account: { allOf: [simple-user, enterprise] }` (an
 *   account would have to be both), while `#/components/schemas/installation` has `anyOf`; GitHub
 *   returns a plain user/organization there.
 * - `example`, `examples`, `discriminator`, `xml`, `externalDocs` are dropped (annotations).
 */
import type { JsonObject } from './openapi-spec.js';

const LOCAL_PREFIX = '#/components/schemas/';
/** The absolute id prefix under which each component schema is registered with ajv. */
export const COMPONENT_BASE = 'https://fake-github.invalid/components/schemas/';

const DROPPED = new Set(['nullable', 'example', 'examples', 'discriminator', 'xml', 'externalDocs']);
/** Keywords whose value is a map of name -> schema (the names are data, never keywords). */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas']);
/** Keywords whose value is data, copied as is. */
const DATA = new Set(['enum', 'const', 'required', 'default']);

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function componentRef(ref: string): string {
  return ref.startsWith(LOCAL_PREFIX) ? COMPONENT_BASE + ref.slice(LOCAL_PREFIX.length) : ref;
}

/** The erratum above: an `allOf` of exactly a "Simple User" and an "Enterprise" schema. */
function isUserOrEnterpriseAllOf(allOf: unknown): boolean {
  if (!Array.isArray(allOf) || allOf.length !== 2) return false;
  const titles = allOf.map((s: unknown) => (isObject(s) ? s.title : undefined));
  return titles.includes('Simple User') && titles.includes('Enterprise');
}

/** Converts one OpenAPI schema (recursively) to JSON Schema, pointing component `$ref`s at COMPONENT_BASE. */
export function normalizeSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(normalizeSchema);
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED.has(key)) continue;
    if (DATA.has(key)) out[key] = value;
    else if (key === '$ref' && typeof value === 'string') out[key] = componentRef(value);
    else if (SCHEMA_MAPS.has(key) && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, normalizeSchema(sub)]));
    } else out[key] = normalizeSchema(value);
  }
  const discriminator = schema.discriminator;
  if (Array.isArray(schema.oneOf) && isObject(discriminator) && isObject(discriminator.mapping)) {
    const property = String(discriminator.propertyName);
    out.anyOf = out.oneOf;
    delete out.oneOf;
    out.allOf = [
      ...(Array.isArray(out.allOf) ? out.allOf : []),
      ...Object.entries(discriminator.mapping).map(([value, ref]) => ({
        if: { required: [property], properties: { [property]: { const: value } } },
        then: { $ref: componentRef(String(ref)) },
      })),
    ];
  }
  if (isUserOrEnterpriseAllOf(out.allOf)) {
    out.anyOf = out.allOf;
    delete out.allOf;
  }
  if (schema.nullable === true) return { anyOf: [{ type: 'null' }, out] };
  return out;
}

/** Names of the component schemas `schema` refers to directly (not transitively). */
export function directComponentRefs(schema: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (!isObject(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith(LOCAL_PREFIX)) found.add(value.slice(LOCAL_PREFIX.length));
      else if (key === 'mapping' && isObject(value)) {
        for (const ref of Object.values(value)) if (typeof ref === 'string' && ref.startsWith(LOCAL_PREFIX)) found.add(ref.slice(LOCAL_PREFIX.length));
      } else if (key !== 'example' && key !== 'examples') visit(value);
    }
  };
  visit(schema);
  return found;
}
