/**
 * The pets' queue jobs:
 * - `pets.sync` (one per request, keyed by pet and request number): sync-pet.ts;
 * - `pets.backfill` (keyed by pet and position; PETS_BACKFILL_CONCURRENCY at once): backfill.ts;
 * - `pets.decay` (PETS_DECAY_CRON, daily; the queue fires each slot once across processes): every
 *   living pet's decay and death (health.ts → decayPet); it also gives repositories learned
 *   without an event their pet, and queues backfills that lost their job.
 */
import type { JobContext, Queue } from '../../jobs/index.js';
import { backfillFailed, backfillSlice } from './backfill.js';
import { adoptRepository } from './events.js';
import { decayPet, type HealthDeps } from './health.js';
import * as repo from './repo.js';
import { BACKFILL_JOB, enqueueBackfill, PetBusy, SYNC_JOB, syncPet, type SyncDeps } from './sync-pet.js';

export const DECAY_JOB = 'pets.decay';

export type JobDeps = SyncDeps & HealthDeps & { queue: Queue };

export interface DecayRun {
  pets: number;
  decayed: number;
  days: number;
  died: number;
  adopted: number;
}

/** The daily pass: decay and death for every living pet, at `deps.now()`. */
export async function decayAll(deps: JobDeps): Promise<DecayRun> {
  const { db, config } = deps;
  const out: DecayRun = { pets: 0, decayed: 0, days: 0, died: 0, adopted: 0 };
  for (const facts of await repo.repositoriesWithoutPet(db.kysely, 1000)) {
    await adoptRepository(deps, facts);
    out.adopted++;
  }
  let afterId: string | undefined;
  for (;;) {
    const page = await repo.entitiesPage(db.kysely, { states: ['alive', 'dying'], afterId, limit: 500 });
    for (const e of page) {
      out.pets++;
      const r = await decayPet({ ...deps, graceDays: config.pets.graceDays, defaultDecayPerDay: config.pets.decayPerDay }, e.id);
      if (r.days.length > 0) out.decayed++;
      out.days += r.days.length;
      if (r.died) out.died++;
      if ((e.backfill_status === 'pending' || e.backfill_status === 'running') && e.backfill_target) await enqueueBackfill(deps, e.id, e.backfill_cursor ?? 'start');
    }
    if (page.length < 500) break;
    afterId = page[page.length - 1]!.id;
  }
  deps.log.info(out, 'pet decay applied');
  return out;
}

export function registerPetsJobs(deps: JobDeps): void {
  const { queue, config } = deps;
  queue.register<{ entityId: string }>(
    SYNC_JOB,
    async (p, ctx: JobContext) => {
      try {
        await syncPet(deps, p.entityId, ctx.id);
      } catch (err) {
        if (err instanceof PetBusy) ctx.log.debug({ pet: p.entityId }, err.message);
        throw err;
      }
    },
    { concurrency: 2 },
  );
  queue.register<{ entityId: string }>(
    BACKFILL_JOB,
    async (p, ctx: JobContext) => {
      try {
        await backfillSlice(deps, p.entityId);
      } catch (err) {
        if (ctx.attempt >= ctx.maxAttempts) await backfillFailed(deps, p.entityId);
        throw err;
      }
    },
    { concurrency: config.pets.backfillConcurrency },
  );
  queue.register(DECAY_JOB, async () => {
    await decayAll(deps);
  });
  queue.schedule(DECAY_JOB, config.pets.decayCron);
}
