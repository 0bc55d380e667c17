/**
 * Which repositories are mirrored where: adding a reason (source) to mirror a repository to a
 * target creates the mirror or re-activates it; removing the last reason stops it (the copy stays,
 * unless the target says to archive or delete it: see follow-repository.ts). Each start and stop
 * is written to the sync log, so the log is also the audit trail of why a mirror exists.
 */
import type { Database, Executor } from '../../db/index.js';
import { toBool } from '../../db/index.js';
import { FAILURE_CODES } from './errors.js';
import { forgeFor } from './forge/index.js';
import {
  getTarget,
  insertLog,
  insertMirror,
  listRules,
  lockMirror,
  mirrorAtPath,
  mirrorsOfRepository,
  requestSync,
  updateMirror,
  type MirrorRow,
  type RepositoryFacts,
  type TargetRow,
} from './repo.js';
import { parseSources, renderName, ruleSelects, sourceKey, withoutSources, withSource } from './service.js';

/** Where a repository goes on a target (its name template, the forge's naming rules, the namespace). */
export function pathForTarget(target: TargetRow, repo: Pick<RepositoryFacts, 'owner' | 'name' | 'full_name'>): string {
  const adapter = forgeFor({ id: target.id, name: target.name, kind: target.kind, baseUrl: target.base_url, namespace: target.namespace, username: target.username, token: null });
  return adapter.pathFor(renderName(target.name_template, repo));
}

export interface AddResult {
  mirrorId: string;
  /** True when the mirror is new or was stopped before. */
  started: boolean;
}

/** Mirrors `repo` to `target` for one more reason (idempotent). Deleted repositories are skipped. */
export async function addSource(tx: Executor, dialect: Database['dialect'], target: TargetRow, repo: RepositoryFacts, source: string, maxRetries: number): Promise<AddResult | null> {
  if (repo.is_deleted) return null;
  let row = await lockMirror(tx, dialect, target.id, repo.id);
  if (!row) {
    const path = pathForTarget(target, repo);
    const taken = await mirrorAtPath(tx, target.id, path, repo.id);
    const inserted = await insertMirror(tx, {
      target_id: target.id,
      repository_id: repo.id,
      target_path: path,
      sources: JSON.stringify([source]),
      max_retries: maxRetries,
      ...(taken
        ? {
            sync_status: 'failed' as const,
            error_code: FAILURE_CODES.pathTaken,
            error_message: `${path} on target ${target.name} is already the mirror of ${taken.full_name}: give the target a name_template with {owner} (e.g. {owner}-{name})`,
            due_at: null,
          }
        : {}),
    });
    row = await lockMirror(tx, dialect, target.id, repo.id);
    if (!row) throw new Error(`mirror of ${repo.full_name} to ${target.name} vanished`);
    if (inserted) {
      await insertLog(tx, { repo_mirror_id: row.id, sync_id: null, event: 'mirroring_started', message: `mirroring ${repo.full_name} to ${target.name} at ${path} (${describeSource(source)})`, details: { source, path } });
      return { mirrorId: row.id, started: true };
    }
  }
  const sources = parseSources(row.sources);
  const active = toBool(row.is_active);
  if (active && sources.includes(source)) return { mirrorId: row.id, started: false };
  await updateMirror(tx, row.id, { sources: JSON.stringify(withSource(sources, source)), is_active: true, stopped_reason: null });
  if (!active) {
    await requestSync(tx, { mirrorIds: [row.id] }, { force: row.sync_status !== 'permanent_failure' && !(row.sync_status === 'failed' && row.next_retry_at === null) });
    await insertLog(tx, { repo_mirror_id: row.id, sync_id: null, event: 'mirroring_started', message: `mirroring ${repo.full_name} to ${target.name} again (${describeSource(source)})`, details: { source, resumed: true } });
  }
  return { mirrorId: row.id, started: !active };
}

/** Removes sources from a mirror; the mirror stops when none is left. Returns true when it stopped. */
export async function removeSources(tx: Executor, row: MirrorRow, drop: (source: string) => boolean, reason: string): Promise<boolean> {
  const sources = parseSources(row.sources);
  const left = withoutSources(sources, drop);
  if (left.length === sources.length) return false;
  if (left.length > 0 || !toBool(row.is_active)) {
    await updateMirror(tx, row.id, { sources: JSON.stringify(left) });
    return false;
  }
  await updateMirror(tx, row.id, { sources: '[]', is_active: false, stopped_reason: reason, due_at: null });
  await insertLog(tx, { repo_mirror_id: row.id, sync_id: null, event: 'mirroring_stopped', message: `mirroring stopped: ${reason}; the copy on the target stays`, details: { reason, removed: sources.filter(drop) } });
  return true;
}

/** Stops a mirror whatever its sources (the repository was deleted, removed, or the App uninstalled). */
export async function stopMirror(tx: Executor, row: MirrorRow, reason: string): Promise<boolean> {
  if (!toBool(row.is_active)) return false;
  await updateMirror(tx, row.id, { is_active: false, stopped_reason: reason, due_at: null });
  await insertLog(tx, { repo_mirror_id: row.id, sync_id: null, event: 'mirroring_stopped', message: `mirroring stopped: ${reason}; the copy on the target stays`, details: { reason } });
  return true;
}

/** Re-activates mirrors stopped only because GitHub access went away, when it comes back. */
export async function resumeAfterAccess(tx: Executor, repo: RepositoryFacts): Promise<string[]> {
  const resumed: string[] = [];
  for (const row of await mirrorsOfRepository(tx, repo.id)) {
    if (toBool(row.is_active) || !row.stopped_reason?.startsWith('GitHub access') || parseSources(row.sources).length === 0) continue;
    await updateMirror(tx, row.id, { is_active: true, stopped_reason: null });
    await requestSync(tx, { mirrorIds: [row.id] }, { force: true });
    await insertLog(tx, { repo_mirror_id: row.id, sync_id: null, event: 'mirroring_started', message: `mirroring ${repo.full_name} again: the GitHub App can read it again`, details: { resumed: true } });
    resumed.push(row.id);
  }
  return resumed;
}

/**
 * Applies the installation, list and pattern rules of every enabled target to a repository
 * (idempotent). Returns the mirrors that started.
 */
export async function applyRules(tx: Executor, dialect: Database['dialect'], repo: RepositoryFacts, maxRetries: number, rules?: Awaited<ReturnType<typeof listRules>>): Promise<string[]> {
  if (repo.is_deleted) return [];
  const started: string[] = [];
  const targets = new Map<string, TargetRow | undefined>();
  for (const rule of rules ?? (await listRules(tx))) {
    if (!rule.target_enabled || !ruleSelects(rule, repo)) continue;
    if (!targets.has(rule.target_id)) targets.set(rule.target_id, await getTarget(tx, rule.target_id));
    const target = targets.get(rule.target_id);
    if (!target) continue;
    const r = await addSource(tx, dialect, target, repo, sourceKey(rule), maxRetries);
    if (r?.started) started.push(r.mirrorId);
  }
  return started;
}

/** A source key in words. */
export function describeSource(source: string): string {
  if (source === 'manual') return 'added by hand';
  const star = /^star:[^:]+:(.+)$/.exec(source);
  if (star) return star[1] === '*' ? 'starred' : `starred by ${star[1]}`;
  return `rule ${source.replace(/^rule:/, '')}`;
}
