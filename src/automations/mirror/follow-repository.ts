/**
 * What happens on the target when something happens to a repository on GitHub, after the event's
 * transaction has committed (these call the forge's API):
 * - renamed or transferred: the mirror follows by itself (it is keyed by the GitHub repository);
 *   the copy is renamed too where the forge allows it (`repo_renamed`), else the log says it keeps
 *   its name;
 * - deleted on GitHub: syncing stops and the copy is kept, archived where the forge supports it
 *   (`repo_archived`);
 * - mirroring stopped (un-starred, removed): the target's `on_remove` says keep (default), archive
 *   or delete the copy.
 * Failures are logged (`<action>_failed`) and never lose anything; the daily reconciliation tries
 * pending renames again.
 */
import type { Database } from '../../db/index.js';
import type { SecretBox } from '../../identity/index.js';
import type { Logger } from '../../log/index.js';
import { SyncFailure } from './errors.js';
import { pathForTarget } from './membership.js';
import { getMirror, getRepositoryFacts, getTarget, insertLog, updateMirror } from './repo.js';
import { adapterFor, checkTargetAddress } from './sync-mirror.js';
import type { Config } from '../../config/index.js';

export type FollowAction = { kind: 'rename' | 'archive' | 'delete' | 'on_remove'; mirrorId: string };

export interface FollowDeps {
  db: Database;
  box: SecretBox;
  config: Pick<Config, 'mirror'>;
  log: Logger;
}

/** Carries out one follow-up action; never throws. */
export async function follow(deps: FollowDeps, action: FollowAction): Promise<void> {
  const { db } = deps;
  const mirror = await getMirror(db.kysely, action.mirrorId);
  if (!mirror) return;
  const target = await getTarget(db.kysely, mirror.target_id);
  const repo = await getRepositoryFacts(db.kysely, mirror.repository_id);
  if (!target || !repo) return;
  const logStep = (event: string, message: string, details?: Record<string, unknown>, errorCode?: string) =>
    insertLog(db.kysely, { repo_mirror_id: mirror.id, sync_id: null, event, message, details: details ?? null, error_code: errorCode ?? null });
  let kind = action.kind;
  if (kind === 'on_remove') {
    if (target.on_remove === 'keep') return;
    kind = target.on_remove;
  }
  const exists = mirror.target_url !== null;
  try {
    if (kind === 'rename') {
      const newPath = pathForTarget(target, repo);
      if (newPath === mirror.target_path) return;
      if (!exists) {
        await updateMirror(db.kysely, mirror.id, { target_path: newPath });
        await logStep('rename_followed', `${repo.full_name}: the mirror will be created at ${newPath}`, { from: mirror.target_path, to: newPath });
        return;
      }
      await checkTargetAddress(deps.config, target.base_url);
      const adapter = adapterFor(deps.box, target);
      if (!adapter.rename) {
        await logStep('rename_followed', `${repo.full_name} was renamed on GitHub; the mirror follows it, and the copy on ${adapter.place} keeps its name ${mirror.target_path} (plain git targets cannot rename)`, { from: mirror.target_path, wanted: newPath });
        return;
      }
      const renamed = await adapter.rename({ id: mirror.target_repo_id, path: mirror.target_path }, newPath.slice(newPath.lastIndexOf('/') + 1));
      await updateMirror(db.kysely, mirror.id, { target_path: renamed.path, target_url: renamed.cloneUrl, target_repo_id: renamed.id ?? mirror.target_repo_id });
      await logStep('repo_renamed', `renamed the copy on ${adapter.place} from ${mirror.target_path} to ${renamed.path}, following ${repo.full_name}`, { from: mirror.target_path, to: renamed.path });
      return;
    }
    if (!exists) return;
    await checkTargetAddress(deps.config, target.base_url);
    const adapter = adapterFor(deps.box, target);
    if (kind === 'archive') {
      if (!adapter.archive) {
        await logStep('copy_kept', `the copy at ${mirror.target_path} on ${adapter.place} is kept as it is (${target.kind} targets cannot be archived by Switchyard)`);
        return;
      }
      await adapter.archive({ id: mirror.target_repo_id, path: mirror.target_path });
      await logStep('repo_archived', `archived the copy at ${mirror.target_path} on ${adapter.place}`);
      return;
    }
    if (kind === 'delete') {
      if (!adapter.remove) {
        await logStep('copy_kept', `the copy at ${mirror.target_path} is kept (${target.kind} targets cannot delete repositories)`);
        return;
      }
      await adapter.remove({ id: mirror.target_repo_id, path: mirror.target_path });
      await updateMirror(db.kysely, mirror.id, { target_url: null, target_repo_id: null });
      await logStep('repo_deleted', `deleted the copy at ${mirror.target_path} on ${adapter.place} (the target is set to delete copies that stop being mirrored)`);
    }
  } catch (err) {
    const message = err instanceof SyncFailure ? err.message : err instanceof Error ? err.message : String(err);
    deps.log.warn({ mirrorId: mirror.id, action: kind, err: message }, 'a follow-up action on a mirror target failed');
    await logStep(`${kind}_failed`, `could not ${kind} the copy at ${mirror.target_path}: ${message}`, undefined, err instanceof SyncFailure ? err.code : undefined).catch(() => undefined);
  }
}
