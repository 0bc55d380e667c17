/**
 * Administration of targets and rules (used by the API and the CLI): validation, encryption of
 * the token (write-only: it is never returned), the address policy, connection tests, and what
 * changing a target or a rule does to its mirrors.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/index.js';
import type { Database } from '../../db/index.js';
import { parseJson, toBool } from '../../db/index.js';
import type { SecretBox } from '../../identity/index.js';
import type { Logger } from '../../log/index.js';
import { MirrorInvalid, MirrorRuleNotFound, MirrorTargetNameTaken, MirrorTargetNotFound, MirrorUrlRefused } from './errors.js';
import { follow } from './follow-repository.js';
import { adapterFor } from './sync-mirror.js';
import type { ConnectionCheck } from './forge/index.js';
import { addSource, applyRules, pathForTarget, removeSources } from './membership.js';
import * as repo from './repo.js';
import type { CreateRuleBody, CreateTargetBody, PatchTargetBody } from './schema.js';
import { isSourceOfRule, templateProblem } from './service.js';
import { checkTargetUrl } from './url-policy.js';
import { isUuid } from '../../db/index.js';

export interface ManageDeps {
  db: Database;
  box: SecretBox;
  config: Pick<Config, 'mirror'>;
  log: Logger;
  wake(): void;
}

export const TOKEN_COLUMN = 'mirror_targets.token';

export interface PresentedTarget {
  id: string;
  name: string;
  kind: repo.TargetRow['kind'];
  base_url: string;
  namespace: string | null;
  username: string | null;
  has_token: boolean;
  visibility: 'same' | 'private';
  name_template: string;
  push_backups: boolean;
  on_remove: 'keep' | 'archive' | 'delete';
  max_concurrency: number | null;
  enabled: boolean;
  last_test_at: string | null;
  last_test_ok: boolean | null;
  last_test_message: string | null;
  created_at: string;
  updated_at: string;
}

/** A target as the API shows it: never the token. */
export function presentTarget(t: repo.TargetRow): PresentedTarget {
  return {
    id: t.id,
    name: t.name,
    kind: t.kind,
    base_url: t.base_url,
    namespace: t.namespace,
    username: t.username,
    has_token: t.token !== null,
    visibility: t.visibility,
    name_template: t.name_template,
    push_backups: toBool(t.push_backups),
    on_remove: t.on_remove,
    max_concurrency: t.max_concurrency,
    enabled: toBool(t.enabled),
    last_test_at: t.last_test_at,
    last_test_ok: t.last_test_ok === null ? null : toBool(t.last_test_ok),
    last_test_message: t.last_test_message,
    created_at: t.created_at,
    updated_at: t.updated_at,
  };
}

export function presentRule(r: repo.RuleRow) {
  return {
    id: r.id,
    target_id: r.target_id,
    kind: r.kind,
    users: r.kind === 'starred' ? parseJson<string[]>(r.users, []) : null,
    installation_id: r.installation_id === null ? null : Number(r.installation_id),
    repositories: r.kind === 'repositories' ? parseJson<string[]>(r.repositories, []) : null,
    pattern: r.pattern,
    created_at: r.created_at,
  };
}

/** A target by id or name. */
export async function findTarget(db: Database, idOrName: string): Promise<repo.TargetRow> {
  const t = isUuid(idOrName) ? await repo.getTarget(db.kysely, idOrName) : await repo.getTargetByName(db.kysely, idOrName);
  if (!t) throw new MirrorTargetNotFound(idOrName);
  return t;
}

async function validateTarget(deps: ManageDeps, t: { kind: string; base_url: string; namespace: string | null | undefined; name_template: string }): Promise<void> {
  const problem = templateProblem(t.name_template, t.kind);
  if (problem) throw new MirrorInvalid(problem);
  if ((t.kind === 'gitea' || t.kind === 'gitlab') && !t.namespace) {
    throw new MirrorInvalid(`${t.kind} targets need a namespace: the ${t.kind === 'gitea' ? 'organization or user' : 'group or user path'} repositories are created under`);
  }
  if (t.kind !== 'git' && t.base_url.includes('{path}')) throw new MirrorInvalid('only git targets take a {path} template in base_url');
  if (t.kind !== 'git' && /\.git\/?$/.test(t.base_url)) throw new MirrorInvalid(`base_url is the ${t.kind} server's address (https://host), not a repository URL`);
  await checkTargetUrl(t.base_url.replace('{path}', 'x'), { allowed: deps.config.mirror.allowedAddresses }, 'base_url');
}

export async function createTarget(deps: ManageDeps, body: CreateTargetBody): Promise<PresentedTarget> {
  const baseUrl = body.base_url.replace(/\/+$/, '');
  const namespace = body.namespace?.replace(/^\/+|\/+$/g, '') || null;
  await validateTarget(deps, { kind: body.kind, base_url: baseUrl, namespace, name_template: body.name_template });
  if (await repo.getTargetByName(deps.db.kysely, body.name)) throw new MirrorTargetNameTaken(body.name);
  try {
    const row = await repo.insertTarget(deps.db.kysely, {
      name: body.name,
      kind: body.kind,
      base_url: baseUrl,
      namespace,
      username: body.username || null,
      token: body.token ? deps.box.seal(body.token, TOKEN_COLUMN) : null,
      visibility: body.visibility,
      name_template: body.name_template,
      push_backups: body.push_backups,
      on_remove: body.on_remove,
      max_concurrency: body.max_concurrency ?? null,
      enabled: body.enabled,
    });
    deps.log.info({ target: row.name, kind: row.kind }, 'mirror target added');
    return presentTarget(row);
  } catch (err) {
    if (/unique|duplicate/i.test(String((err as Error).message))) throw new MirrorTargetNameTaken(body.name);
    throw err;
  }
}

export async function updateTarget(deps: ManageDeps, idOrName: string, body: PatchTargetBody): Promise<PresentedTarget> {
  const current = await findTarget(deps.db, idOrName);
  const next = {
    kind: current.kind,
    base_url: (body.base_url ?? current.base_url).replace(/\/+$/, ''),
    namespace: body.namespace === undefined ? current.namespace : body.namespace?.replace(/^\/+|\/+$/g, '') || null,
    name_template: body.name_template ?? current.name_template,
  };
  await validateTarget(deps, next);
  if (body.name && body.name.toLowerCase() !== current.name.toLowerCase() && (await repo.getTargetByName(deps.db.kysely, body.name))) throw new MirrorTargetNameTaken(body.name);
  const connectionChanged =
    body.token !== undefined ||
    next.base_url !== current.base_url ||
    next.namespace !== current.namespace ||
    next.name_template !== current.name_template ||
    (body.username !== undefined && body.username !== current.username) ||
    (body.enabled === true && !toBool(current.enabled));
  const updated = await deps.db.kysely.transaction().execute(async (tx) => {
    const row = await repo.updateTarget(tx, current.id, {
      ...(body.name !== undefined ? { name: body.name } : {}),
      base_url: next.base_url,
      namespace: next.namespace,
      name_template: next.name_template,
      ...(body.username !== undefined ? { username: body.username || null } : {}),
      ...(body.token !== undefined ? { token: body.token === null ? null : deps.box.seal(body.token, TOKEN_COLUMN) } : {}),
      ...(body.visibility !== undefined ? { visibility: body.visibility } : {}),
      ...(body.push_backups !== undefined ? { push_backups: body.push_backups } : {}),
      ...(body.on_remove !== undefined ? { on_remove: body.on_remove } : {}),
      ...(body.max_concurrency !== undefined ? { max_concurrency: body.max_concurrency } : {}),
      ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
    });
    if (!row) throw new MirrorTargetNotFound(idOrName);
    // Mirrors not created on the target yet go where the new settings say.
    if (next.namespace !== current.namespace || next.name_template !== current.name_template) {
      for (const m of await repo.mirrorsOfTarget(tx, row.id)) {
        if (m.target_url !== null) continue;
        const facts = await repo.getRepositoryFacts(tx, m.repository_id);
        if (facts) await repo.updateMirror(tx, m.id, { target_path: pathForTarget(row, facts) });
      }
    }
    // A fixed credential, address or naming: what failed because of it gets another chance.
    if (connectionChanged) await repo.resetForRetry(tx, await repo.failedMirrorsOfTarget(tx, row.id));
    return row;
  });
  if (connectionChanged) deps.wake();
  deps.log.info({ target: updated.name, fields: Object.keys(body).filter((k) => k !== 'token').concat(body.token !== undefined ? ['token'] : []) }, 'mirror target changed');
  return presentTarget(updated);
}

export async function deleteTarget(deps: ManageDeps, idOrName: string): Promise<void> {
  const t = await findTarget(deps.db, idOrName);
  await repo.deleteTarget(deps.db.kysely, t.id);
  fs.rmSync(path.join(deps.config.mirror.cacheDir, t.id), { recursive: true, force: true });
  deps.log.info({ target: t.name }, 'mirror target removed (copies on the forge stay)');
}

/** Tests a target's address, credentials and namespace; records the result on the target. */
export async function testTarget(deps: ManageDeps, idOrName: string): Promise<{ ok: boolean; checks: ConnectionCheck[] }> {
  const t = await findTarget(deps.db, idOrName);
  const checks: ConnectionCheck[] = [];
  try {
    const url = await checkTargetUrl(t.base_url.replace('{path}', 'x'), { allowed: deps.config.mirror.allowedAddresses }, 'base_url');
    checks.push({ name: 'address', ok: true, message: `${url.host} is an allowed address${url.protocol === 'http:' ? ' (plain http: the token travels unencrypted; prefer https)' : ''}` });
  } catch (err) {
    checks.push({ name: 'address', ok: false, message: err instanceof MirrorUrlRefused ? err.message : String(err) });
  }
  if (checks[0]!.ok) {
    try {
      if (!t.token) checks.push({ name: 'token', ok: t.kind === 'git', message: t.kind === 'git' ? 'no token: git will push without credentials' : 'no token is set' });
      const adapter = adapterFor(deps.box, t);
      if (t.token || t.kind === 'git') checks.push(...(await adapter.test()));
    } catch (err) {
      checks.push({ name: 'token', ok: false, message: err instanceof Error ? err.message : String(err) });
    }
  }
  const ok = checks.every((c) => c.ok);
  await repo.updateTarget(deps.db.kysely, t.id, {
    last_test_at: new Date().toISOString(),
    last_test_ok: ok,
    last_test_message: checks.map((c) => `${c.ok ? 'ok' : 'FAIL'} ${c.name}: ${c.message}`).join('\n').slice(0, 2000),
  });
  return { ok, checks };
}

/** Adds a rule and applies it at once to the repositories Switchyard knows. */
export async function createRule(deps: ManageDeps, targetIdOrName: string, body: CreateRuleBody): Promise<{ rule: ReturnType<typeof presentRule>; started: number }> {
  const t = await findTarget(deps.db, targetIdOrName);
  const { db } = deps;
  const result = await db.kysely.transaction().execute(async (tx) => {
    const rule = await repo.insertRule(tx, {
      target_id: t.id,
      kind: body.kind,
      users: body.kind === 'starred' ? JSON.stringify([...new Set(body.users.map((u) => u.toLowerCase()))]) : null,
      installation_id: body.kind === 'installation' ? body.installation_id : null,
      repositories: body.kind === 'repositories' ? JSON.stringify([...new Set(body.repositories)]) : null,
      pattern: body.kind === 'pattern' ? body.pattern : null,
    });
    let started = 0;
    if (body.kind !== 'starred' && toBool(t.enabled)) {
      const rules = [{ ...rule, target_enabled: true }];
      let afterId: string | undefined;
      for (;;) {
        const page = await repo.liveRepositories(tx, { installationId: body.kind === 'installation' ? body.installation_id : undefined, afterId, limit: 500 });
        for (const r of page) started += (await applyRules(tx, db.dialect, r, deps.config.mirror.maxRetries, rules)).length;
        if (page.length < 500) break;
        afterId = page[page.length - 1]!.id;
      }
    }
    return { rule, started };
  });
  if (result.started > 0) deps.wake();
  deps.log.info({ target: t.name, rule: result.rule.id, kind: body.kind, started: result.started }, 'mirror rule added');
  return { rule: presentRule(result.rule), started: result.started };
}

/** Removes a rule; mirrors it alone kept stop (their copies are handled as the target's on_remove says). */
export async function deleteRule(deps: ManageDeps, ruleId: string): Promise<{ stopped: number }> {
  const { db } = deps;
  const rule = isUuid(ruleId) ? await repo.getRule(db.kysely, ruleId) : undefined;
  if (!rule) throw new MirrorRuleNotFound(ruleId);
  const stopped = await db.kysely.transaction().execute(async (tx) => {
    const ids: string[] = [];
    for (const m of await repo.mirrorsOfTarget(tx, rule.target_id)) {
      if (await removeSources(tx, m, (s) => isSourceOfRule(s, rule.id), `rule ${rule.id} (${rule.kind}) was removed`)) ids.push(m.id);
    }
    await repo.deleteRule(tx, rule.id);
    return ids;
  });
  for (const id of stopped) await follow(deps, { kind: 'on_remove', mirrorId: id });
  return { stopped: stopped.length };
}

/** Mirrors one repository to a target by hand (source `manual`). */
export async function addManualMirror(deps: ManageDeps, targetIdOrName: string, repository: repo.RepositoryFacts): Promise<{ mirrorId: string; started: boolean }> {
  const t = await findTarget(deps.db, targetIdOrName);
  const r = await deps.db.kysely.transaction().execute((tx) => addSource(tx, deps.db.dialect, t, repository, 'manual', deps.config.mirror.maxRetries));
  if (!r) throw new MirrorInvalid(`${repository.full_name} was deleted on GitHub: there is nothing to mirror`);
  deps.wake();
  return r;
}
