/**
 * Backfill (job `pets.backfill`): the whole history of a pet's branch up to the tip its first sync
 * saw (`backfill_target`), analysed in the background in slices of PETS_BACKFILL_SLICE_SECONDS.
 * Each batch of analyses commits with the position reached (`backfill_cursor`, `backfill_done`);
 * a slice that runs out of time queues the next one, so a long history never holds a job past its
 * lease, and a crashed or stopped process resumes from the cursor (`<cursor>..<target>`: the
 * analyser walks in topological order, so everything before the cursor is its ancestor and done;
 * analyses stored already are skipped by the unique (repository, sha)). Backfill jobs have their
 * own concurrency (PETS_BACKFILL_CONCURRENCY), so webhooks and push syncs never queue behind them.
 * Only commits of the last PETS_HEALTH_WINDOW_DAYS move health; older ones are analysed and shown.
 */
import { runGit } from '../../git/index.js';
import { analyseRange, enqueueBackfill, petCachePath, type SyncDeps } from './sync-pet.js';
import * as repo from './repo.js';

/** What the cache's HEAD points at while a backfill starts: its target. */
const BACKFILL_REF = 'refs/switchyard/pets-backfill';

/** Runs one slice of a pet's backfill. */
export async function backfillSlice(deps: SyncDeps, entityId: string, opts: { sliceSeconds?: number } = {}): Promise<'done' | 'more' | 'waiting' | 'gone'> {
  const { db, config, log } = deps;
  const e = await repo.getEntity(db.kysely, entityId);
  if (!e) return 'gone';
  if (e.backfill_status === 'done' || e.backfill_status === 'empty') return 'done';
  const target = e.backfill_target;
  if (!target) return 'waiting'; // the first sync sets the target and queues the backfill
  const gitDir = petCachePath(config.pets.cacheDir, e.github_repository_id);
  const now = deps.now().toISOString();
  try {
    let total = e.backfill_total;
    if (total === null) {
      total = Number((await runGit({ git: config.mirror.git, args: ['--git-dir', gitDir, 'rev-list', '--count', target], signal: deps.signal })).stdout.trim());
    }
    await repo.updateEntity(db.kysely, e.id, { backfill_status: 'running', backfill_total: total, backfill_error: null, backfill_started_at: e.backfill_started_at ?? now });
    // The analyser reads a single sha as that one commit, and no range as HEAD's whole history: the
    // cache's HEAD points at a ref of ours, set to the target, for a first slice.
    let range: string | undefined;
    if (e.backfill_cursor && e.backfill_cursor !== target) range = `${e.backfill_cursor}..${target}`;
    else {
      await runGit({ git: config.mirror.git, args: ['--git-dir', gitDir, 'update-ref', BACKFILL_REF, target], signal: deps.signal });
      await runGit({ git: config.mirror.git, args: ['--git-dir', gitDir, 'symbolic-ref', 'HEAD', BACKFILL_REF], signal: deps.signal });
    }
    const deadline = Date.now() + (opts.sliceSeconds ?? config.pets.backfillSliceSeconds) * 1000;
    const r = await analyseRange(deps, e.id, gitDir, range, 'backfill', {
      deadline,
      onBatch: async (last) => {
        await repo.updateEntity(db.kysely, e.id, { backfill_cursor: last.sha, backfill_done: Math.min(total, await repo.countAnalyses(db.kysely, e.id)) });
      },
    });
    if (r.complete) {
      await repo.updateEntity(db.kysely, e.id, { backfill_status: 'done', backfill_cursor: target, backfill_done: total, backfill_finished_at: deps.now().toISOString() }, true);
      log.info({ pet: e.id, commits: total }, 'pet backfill done');
      return 'done';
    }
    const after = (await repo.getEntity(db.kysely, e.id))!;
    await enqueueBackfill(deps, e.id, `${after.backfill_cursor ?? 'start'}`);
    return 'more';
  } catch (err) {
    if (deps.signal.aborted) {
      const after = await repo.getEntity(db.kysely, e.id);
      await enqueueBackfill(deps, e.id, `${after?.backfill_cursor ?? 'start'}:resume`);
      return 'more';
    }
    await repo.updateEntity(db.kysely, e.id, { backfill_error: (err instanceof Error ? err.message : String(err)).slice(0, 2000) });
    throw err;
  }
}

/** After the last attempt failed: the backfill shows as failed (retry with POST /reanalyze or `pets backfill`). */
export async function backfillFailed(deps: Pick<SyncDeps, 'db'>, entityId: string): Promise<void> {
  await repo.updateEntity(deps.db.kysely, entityId, { backfill_status: 'failed' });
}
