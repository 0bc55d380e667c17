/**
 * Repository pets: a creature per repository whose health follows the quality of its commits. The
 * slice's public surface: `createPetsSlice` composes its event subscription, jobs and routes; the
 * rest is for the CLI. See README.md.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/index.js';
import type { Database } from '../../db/index.js';
import type { SecretBox } from '../../identity/index.js';
import type { Queue } from '../../jobs/index.js';
import type { Logger } from '../../log/index.js';
import type { AutomationRegistry } from '../registry.js';
import { PETS_EVENTS, petsEventHandler } from './events.js';
import { imageRoutes } from './image-routes.js';
import { decayAll, registerPetsJobs, type DecayRun, type JobDeps } from './jobs.js';
import { backfillSlice } from './backfill.js';
import { restartBackfill } from './manage.js';
import { getEntity, requestSync } from './repo.js';
import { petsRoutes } from './routes.js';
import { syncPet } from './sync-pet.js';
import './tables.js';

export type { DecayRun } from './jobs.js';
export type { PetItem } from './schema.js';
export type { PetRow } from './repo.js';
export { DECAY_JOB } from './jobs.js';
export { SYNC_JOB, BACKFILL_JOB, petCachePath } from './sync-pet.js';
export { findPetByName, listPets, listHistory, listAnalyses, findAnalysis } from './repo.js';
export { presentPet, presentHistory, presentCommit, presentCommitDetail } from './present.js';
export { restartBackfill, requestPetSync } from './manage.js';
export { sparklines } from './routes.js';
export { bandOf, typeFromLanguage, generatedName } from './rules.js';
export { creatureImage, lookOf } from './image-routes.js';
export { creatureSvg, LOOKS, neutralSvg } from './art/creatures.js';
export { badgeSvg } from './art/badge.js';
export type { EntityType, Band, LifeState } from './tables.js';

export interface PetsSliceDeps {
  config: Config;
  db: Database;
  queue: Queue;
  registry: AutomationRegistry;
  box: SecretBox;
  log: Logger;
  /** An installation access token (the GitHub App's), for fetching. */
  sourceToken(installationId: number): Promise<string>;
  /** The clock (tests pass a fake one). */
  now?: () => Date;
}

export interface PetsSlice {
  /** The API (/api/pets…) and the public images (/pets/…). */
  routes(app: FastifyInstance): Promise<void>;
  /** Runs the daily decay now (at `now`, default the slice's clock). */
  decay(now?: Date): Promise<DecayRun>;
  /**
   * Analyses a pet's whole history again in this process (the CLI): a first sync when the pet has
   * never fetched, then backfill slices until done. `onProgress` gets (done, total) after each batch.
   */
  backfillNow(entityId: string, onProgress?: (done: number, total: number | null) => void): Promise<'done' | 'empty' | 'failed'>;
  /** Stops running syncs and backfills (they resume from their progress in another run). */
  stop(): void;
}

export function createPetsSlice(deps: PetsSliceDeps): PetsSlice {
  const { config, db, box, queue } = deps;
  const log = deps.log.child({ slice: 'pets' });
  const now = deps.now ?? (() => new Date());
  const stopping = new AbortController();
  const jobDeps: JobDeps = {
    db,
    config,
    queue,
    log,
    sourceToken: deps.sourceToken,
    signal: stopping.signal,
    healthWindowDays: config.pets.healthWindowDays,
    now,
  };
  if (config.pets.enabled) {
    deps.registry.on('pets', PETS_EVENTS, petsEventHandler(jobDeps));
    registerPetsJobs(jobDeps);
  }
  const routeDeps = { db, queue, box, now, publicUrl: config.publicUrl, defaultDecayPerDay: config.pets.decayPerDay };
  return {
    async routes(app) {
      await petsRoutes(app, routeDeps);
      await imageRoutes(app, { db, box });
    },
    decay: (at) => decayAll({ ...jobDeps, now: at ? () => at : now }),
    async backfillNow(entityId, onProgress) {
      const first = await getEntity(db.kysely, entityId);
      if (!first) return 'failed';
      if (first.head_sha === null) {
        await requestSync(db.kysely, entityId);
        if ((await syncPet(jobDeps, entityId, `cli:${process.pid}`)) === 'failed') return 'failed';
      }
      await restartBackfill({ db, now, queue }, { id: entityId }, { enqueue: false });
      const timer = setInterval(() => {
        void getEntity(db.kysely, entityId).then((e) => e && onProgress?.(e.backfill_done, e.backfill_total));
      }, 500);
      try {
        await backfillSlice(jobDeps, entityId, { sliceSeconds: Infinity });
      } finally {
        clearInterval(timer);
      }
      const e = await getEntity(db.kysely, entityId);
      onProgress?.(e?.backfill_done ?? 0, e?.backfill_total ?? null);
      return e?.backfill_status === 'done' ? 'done' : e?.backfill_status === 'empty' ? 'empty' : 'failed';
    },
    stop: () => stopping.abort(),
  };
}
