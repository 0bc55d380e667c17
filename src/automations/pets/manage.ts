/**
 * Changing a pet's settings and asking for work, shared by the API and the CLI: rename, type
 * override, analysed branch, decay rate, the secret URL of a private repository's images, a
 * manual health reset, revive, re-analysis and backfill.
 */
import crypto from 'node:crypto';
import type { Database } from '../../db/index.js';
import type { SecretBox } from '../../identity/index.js';
import type { Queue } from '../../jobs/index.js';
import { AppError } from '../../http/app-error.js';
import { resetHealth, revivePet } from './health.js';
import { SECRET_COLUMN } from './present.js';
import * as repo from './repo.js';
import { typeFromLanguage } from './rules.js';
import type { PatchBody } from './schema.js';
import { enqueueBackfill, enqueueSync } from './sync-pet.js';
import type { EntitiesTable } from './tables.js';
import type { Updateable } from 'kysely';

export interface ManageDeps {
  db: Database;
  queue: Queue;
  box: SecretBox;
  now(): Date;
}

/** Applies a PATCH; `isAdmin` gates the manual health reset. */
export async function patchPet(deps: ManageDeps, pet: repo.PetRow, body: PatchBody, who: { name: string; isAdmin: boolean }): Promise<void> {
  const patch: Updateable<EntitiesTable> = {};
  let visible = false;
  if (body.name !== undefined && body.name !== pet.name) {
    patch.name = body.name;
    visible = true;
  }
  if (body.entity_type !== undefined) {
    patch.entity_type = body.entity_type ?? typeFromLanguage(pet.language);
    patch.type_overridden = body.entity_type !== null;
    visible = true;
  }
  if (body.decay_per_day !== undefined) patch.decay_per_day = body.decay_per_day;
  if (body.secret_url !== undefined) {
    if (body.secret_url === 'disable') patch.badge_secret = null;
    else if (body.secret_url === 'rotate' || !pet.badge_secret) patch.badge_secret = deps.box.seal(crypto.randomBytes(18).toString('base64url'), SECRET_COLUMN);
  }
  const branchChanged = body.branch !== undefined && body.branch !== pet.branch;
  if (branchChanged) {
    // Another branch: its history is followed from its own tip (a new backfill); analyses of the
    // old branch stay (those that are not on the new one show as orphaned after the first sync).
    Object.assign(patch, { branch: body.branch, head_sha: null, backfill_status: 'pending', backfill_target: null, backfill_cursor: null, backfill_done: 0, backfill_total: null, backfill_error: null, backfill_started_at: null, backfill_finished_at: null });
  }
  if (body.health !== undefined && !who.isAdmin) throw new AppError('FORBIDDEN', 403, 'Only an administrator may set a pet’s health');
  if (Object.keys(patch).length > 0) await repo.updateEntity(deps.db.kysely, pet.id, patch, visible);
  if (body.health !== undefined) await resetHealth(deps, pet.id, body.health, who.name);
  if (branchChanged) await requestPetSync(deps, pet.id);
}

/** Queues a sync of the pet (a failed one gets a fresh start). */
export async function requestPetSync(deps: Pick<ManageDeps, 'db' | 'queue'>, entityId: string): Promise<void> {
  await repo.updateEntity(deps.db.kysely, entityId, { sync_failures: 0 });
  const seq = await repo.requestSync(deps.db.kysely, entityId);
  await enqueueSync(deps, entityId, seq);
}

/** Analyses what is new now, and with `history`, the whole history again (health never moves twice). */
export async function reanalyzePet(deps: ManageDeps, pet: repo.PetRow, history: boolean): Promise<void> {
  if (history) await restartBackfill(deps, pet);
  await requestPetSync(deps, pet.id);
}

/** Starts the history backfill again from the beginning (commits analysed already are skipped unless an older analyser made them). */
export async function restartBackfill(deps: Pick<ManageDeps, 'db' | 'queue' | 'now'>, pet: Pick<repo.EntityRow, 'id'>, opts: { enqueue: boolean } = { enqueue: true }): Promise<void> {
  const e = await repo.getEntity(deps.db.kysely, pet.id);
  if (!e) return;
  const target = e.head_sha;
  await repo.updateEntity(deps.db.kysely, e.id, {
    backfill_status: target ? 'pending' : e.backfill_status === 'empty' ? 'empty' : 'pending',
    backfill_target: target,
    backfill_cursor: null,
    backfill_done: 0,
    backfill_total: null,
    backfill_error: null,
    backfill_started_at: null,
    backfill_finished_at: null,
  });
  if (target && opts.enqueue) await enqueueBackfill(deps, e.id, `restart:${deps.now().getTime()}`);
}

export async function revive(deps: ManageDeps, pet: repo.PetRow, by: string): Promise<void> {
  await revivePet(deps, pet.id, by);
}
