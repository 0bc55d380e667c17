/**
 * Validates what the fake LLM servers send against the providers' own descriptions in
 * ../shared/api-specs (OpenAI's openapi.yaml, Anthropic's Stainless OpenAPI JSON), as that
 * folder's README says: Ajv 2020-12, `strict: false`, no formats, OpenAPI 3.0 `nullable` turned
 * into 3.1 types first, stream events checked against the union member their `type` names.
 * When ../shared is absent the validator says so once (a visible notice) and checks nothing.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import YAML from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
/**
 * Where the descriptions live: SWITCHYARD_API_SPECS, or the repository's sibling `../shared/api-specs`
 * (one more level up for a git worktree under a folder of worktrees).
 */
export const SPECS_DIR =
  process.env.SWITCHYARD_API_SPECS ??
  [path.resolve(repoRoot, '../shared/api-specs'), path.resolve(repoRoot, '../../shared/api-specs')].find((d) => fs.existsSync(d)) ??
  path.resolve(repoRoot, '../shared/api-specs');
const OPENAI_FILE = path.join(SPECS_DIR, 'openai-openapi.yaml');
const ANTHROPIC_FILE = path.join(SPECS_DIR, 'anthropic-messages.openapi.json');

let noticeShown = false;
export function specsAvailable(): boolean {
  const ok = fs.existsSync(OPENAI_FILE) && fs.existsSync(ANTHROPIC_FILE);
  if (!ok && !noticeShown) {
    noticeShown = true;
    console.warn(`\n*** NOTICE: ${SPECS_DIR} is absent: the fake LLM servers' answers are NOT validated against the providers' API descriptions.\n`);
  }
  return ok;
}

/** OpenAPI 3.0 `nullable: true` → 3.1 (`type: [T, "null"]`, or `anyOf` with null). Returns how many. */
export function normaliseNullable(node: unknown): number {
  let n = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    for (const child of Object.values(o)) walk(child);
    if (o.nullable === true) {
      n++;
      delete o.nullable;
      if (typeof o.type === 'string') {
        o.type = [o.type, 'null'];
        if (Array.isArray(o.enum) && !o.enum.includes(null)) o.enum = [...o.enum, null];
      } else if (Array.isArray(o.type)) {
        if (!o.type.includes('null')) o.type = [...o.type, 'null'];
      } else {
        const copy = { ...o };
        for (const k of Object.keys(o)) delete o[k];
        o.anyOf = [copy, { type: 'null' }];
      }
    }
  };
  walk(node);
  return n;
}

/** OpenAI's 3 MB YAML takes seconds to parse: parsed once per machine into a cache file keyed by its hash. */
function loadOpenAi(): Record<string, unknown> {
  const text = fs.readFileSync(OPENAI_FILE);
  const hash = crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
  const cache = path.join(os.tmpdir(), `switchyard-openai-spec-${hash}.json`);
  try {
    return JSON.parse(fs.readFileSync(cache, 'utf8')) as Record<string, unknown>;
  } catch {
    const doc = YAML.parse(text.toString('utf8')) as Record<string, unknown>;
    normaliseNullable(doc);
    const tmp = `${cache}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(doc));
    fs.renameSync(tmp, cache);
    return doc;
  }
}

export interface SpecValidator {
  /** Errors (empty when valid) of `data` against `#/components/schemas/<name>` of the vendor's description. */
  check(vendor: 'openai' | 'anthropic', schema: string, data: unknown): string[];
}

let shared: SpecValidator | null | undefined;

/** The validator, or null when the descriptions are absent (after a visible notice). */
export function specValidator(): SpecValidator | null {
  if (shared !== undefined) return shared;
  if (!specsAvailable()) return (shared = null);
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: false });
  const openai = loadOpenAi();
  const anthropic = JSON.parse(fs.readFileSync(ANTHROPIC_FILE, 'utf8')) as Record<string, unknown>;
  ajv.addSchema({ $id: 'openai', components: openai.components });
  ajv.addSchema({ $id: 'anthropic', components: anthropic.components });
  const compiled = new Map<string, ValidateFunction>();
  shared = {
    check(vendor, schema, data) {
      const key = `${vendor}#${schema}`;
      let fn = compiled.get(key);
      if (!fn) {
        fn = ajv.compile({ $ref: `${vendor}#/components/schemas/${schema}` });
        compiled.set(key, fn);
      }
      if (fn(data)) return [];
      return (fn.errors ?? []).slice(0, 5).map((e) => `${schema}${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
    },
  };
  return shared;
}
