/**
 * Bringing a pet up to date with its branch (job `pets.sync`, one request = one job, keyed by pet
 * and request number):
 *
 * 1. take the pet's lease (one sync per pet across processes; a busy pet retries later);
 * 2. fetch the analysed branch into the pet's bare cache, `<PETS_CACHE_DIR>/<GitHub repository
 *    id>.git`, with the installation token through the environment only (src/git);
 * 3. analyse `<last analysed tip>..<new tip>` from the cache — for one push exactly its
 *    `before..after`, several pushes coalesce — never the payload's commit list (it can be
 *    truncated); each analysis is stored once and moves health once (health.ts);
 * 4. after a force push (the old tip is no longer an ancestor), analyses that left the branch are
 *    marked `orphaned` (kept, never applied again); a rewritten commit is a new commit;
 * 5. record the request covered; a request that came in meanwhile queues one more sync.
 *
 * The first sync of a pet analyses nothing itself: it records the tip and queues the backfill of
 * the whole history (backfill.ts). A failed fetch leaves health as it was, shows the error on the
 * pet and retries with exponential backoff (PETS_RETRY_BASE_MS, doubling, capped at an hour,
 * eight times; a new push tries again after that).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/index.js';
import { cacheExists, GitCommandFailed, removeStaleLocks, runGit } from '../../git/index.js';
import type { Queue } from '../../jobs/index.js';
import type { Logger } from '../../log/index.js';
import { analyzeCommits, type CommitAnalysis } from './analyzer/index.js';
import { recordAnalyses, type HealthDeps } from './health.js';
import * as repo from './repo.js';
import { typeFromLanguage } from './rules.js';

export const SYNC_JOB = 'pets.sync';
export const BACKFILL_JOB = 'pets.backfill';
const MAX_FETCH_FAILURES = 8;
const LEASE_SECONDS = 900;
const BATCH = 100;

export interface SyncDeps extends HealthDeps {
  config: Pick<Config, 'pets'> & { github: Pick<Config['github'], 'gitUrl'>; mirror: Pick<Config['mirror'], 'git' | 'lowSpeedLimit' | 'lowSpeedTime'> };
  queue: Queue;
  log: Logger;
  /** An installation access token (the GitHub App's), for fetching. */
  sourceToken(installationId: number): Promise<string>;
  /** Aborted when the process stops. */
  signal: AbortSignal;
}

/** Where a pet's bare cache lives (by GitHub repository id: renames change nothing on disk). */
export function petCachePath(cacheDir: string, githubRepositoryId: number): string {
  return path.join(cacheDir, `${githubRepositoryId}.git`);
}

/** Queues a sync for the request numbered `seq` (its own key: a request is never dropped). */
export async function enqueueSync(deps: Pick<SyncDeps, 'db' | 'queue'>, entityId: string, seq: number, runAt?: Date, suffix = ''): Promise<void> {
  await deps.queue.enqueue(deps.db.kysely, SYNC_JOB, { entityId }, { key: `${SYNC_JOB}:${entityId}:${seq}${suffix}`, maxAttempts: 30, ...(runAt ? { runAt } : {}) });
}

/** Queues the next slice of a pet's backfill (keyed by how far it got, so a slice runs once). */
export async function enqueueBackfill(deps: Pick<SyncDeps, 'db' | 'queue'>, entityId: string, position: string): Promise<void> {
  await deps.queue.enqueue(deps.db.kysely, BACKFILL_JOB, { entityId }, { key: `${BACKFILL_JOB}:${entityId}:${position}`, maxAttempts: 5 });
}

/** A pet whose lease another process holds: the job is retried later. */
export class PetBusy extends Error {
  constructor() {
    super('another process is syncing this pet; trying again later');
    this.name = 'PetBusy';
  }
}

/** git's output, for a run in the cache. */
async function git(deps: SyncDeps, gitDir: string, args: string[]): Promise<string> {
  return (await runGit({ git: deps.config.mirror.git, args: ['--git-dir', gitDir, ...args], signal: deps.signal })).stdout;
}

/** Fetches the branch into the cache; returns its tip, or null when the branch does not exist (yet). */
export async function fetchBranch(deps: SyncDeps, facts: repo.RepositoryFacts, branch: string): Promise<{ gitDir: string; tip: string | null }> {
  const { config } = deps;
  const gitDir = petCachePath(config.pets.cacheDir, facts.github_id);
  if (!cacheExists(gitDir)) {
    fs.mkdirSync(path.dirname(gitDir), { recursive: true });
    fs.rmSync(gitDir, { recursive: true, force: true });
    await runGit({ git: config.mirror.git, args: ['init', '--bare', '--quiet', gitDir], signal: deps.signal });
  } else {
    // Only one sync per pet runs (its lease): a lock file here is a killed git's.
    removeStaleLocks(gitDir);
  }
  if (facts.installation_id === null) throw new Error(`${facts.full_name} is in no installation of the GitHub App: nothing to fetch it with`);
  const url = `${config.github.gitUrl}/${facts.full_name}.git`;
  const ref = `refs/heads/${branch}`;
  try {
    await runGit({
      git: config.mirror.git,
      args: ['--git-dir', gitDir, 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', url, `+${ref}:${ref}`],
      credential: { url, username: 'x-access-token', password: await deps.sourceToken(facts.installation_id) },
      lowSpeed: { limit: config.mirror.lowSpeedLimit, time: config.mirror.lowSpeedTime },
      signal: AbortSignal.any([deps.signal, AbortSignal.timeout(30 * 60_000)]),
    });
  } catch (err) {
    if (err instanceof GitCommandFailed && /couldn't find remote ref|no such ref|fatal: invalid refspec/i.test(err.stderr)) return { gitDir, tip: null };
    throw err;
  }
  const tip = (await git(deps, gitDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => '')).trim();
  return { gitDir, tip: tip || null };
}

/** 'yes' when `a` is an ancestor of `b`, 'no' when not, 'unknown' when the cache lacks `a`. */
async function isAncestor(deps: SyncDeps, gitDir: string, a: string, b: string): Promise<'yes' | 'no' | 'unknown'> {
  try {
    await runGit({ git: deps.config.mirror.git, args: ['--git-dir', gitDir, 'merge-base', '--is-ancestor', a, b], signal: deps.signal });
    return 'yes';
  } catch (err) {
    if (err instanceof GitCommandFailed && err.exitCode === 1) return 'no';
    return 'unknown';
  }
}

/** Analyses a range from the cache in batches; returns how many commits were new. */
export async function analyseRange(deps: SyncDeps, entityId: string, gitDir: string, range: string | undefined, source: 'push' | 'backfill' | 'reanalyze', stop?: { deadline: number; onBatch(last: CommitAnalysis, n: number): Promise<void> }): Promise<{ inserted: number; seen: number; complete: boolean }> {
  let batch: CommitAnalysis[] = [];
  let inserted = 0;
  let seen = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const last = batch[batch.length - 1]!;
    inserted += (await recordAnalyses(deps, entityId, batch, source)).inserted;
    seen += batch.length;
    const n = batch.length;
    batch = [];
    await stop?.onBatch(last, n);
  };
  const ac = new AbortController();
  const signal = AbortSignal.any([deps.signal, ac.signal]);
  for await (const a of analyzeCommits({ gitDir, range, git: deps.config.mirror.git, signal })) {
    batch.push(a);
    if (batch.length >= BATCH) {
      await flush();
      if (stop && Date.now() > stop.deadline) {
        ac.abort();
        return { inserted, seen, complete: false };
      }
    }
    if (deps.signal.aborted) break;
  }
  await flush();
  return { inserted, seen, complete: !deps.signal.aborted };
}

/** Marks a pet's analyses that are no longer reachable from `tip` as orphaned; returns how many. */
async function markOrphans(deps: SyncDeps, entityId: string, gitDir: string, tip: string): Promise<number> {
  const reachable = new Set((await git(deps, gitDir, ['rev-list', tip])).split('\n').filter(Boolean));
  const gone = (await repo.liveAnalysisShas(deps.db.kysely, entityId)).filter((r) => !reachable.has(r.sha)).map((r) => r.id);
  return gone.length === 0 ? 0 : repo.setOrphaned(deps.db.kysely, gone, true);
}

function retryDelay(base: number, failures: number): number {
  const ceiling = Math.min(base * 2 ** Math.max(0, failures - 1), 3_600_000);
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** The `pets.sync` job. */
export async function syncPet(deps: SyncDeps, entityId: string, jobId: string): Promise<'synced' | 'covered' | 'failed' | 'gone'> {
  const { db, log } = deps;
  const e0 = await repo.getEntity(db.kysely, entityId);
  if (!e0) return 'gone';
  if (e0.synced_seq >= e0.requested_seq && e0.sync_status !== 'pending') return 'covered';
  if (!(await repo.claimLease(db.kysely, entityId, jobId, LEASE_SECONDS))) throw new PetBusy();
  try {
    const e = (await repo.getEntity(db.kysely, entityId))!;
    const seq = e.requested_seq;
    const facts = await repo.getRepositoryFacts(db.kysely, e.repository_id);
    if (!facts || facts.is_deleted) {
      await repo.updateEntity(db.kysely, e.id, { synced_seq: seq, sync_status: 'idle' });
      return 'gone';
    }
    if (!e.type_overridden && typeFromLanguage(facts.language) !== e.entity_type) {
      await repo.updateEntity(db.kysely, e.id, { entity_type: typeFromLanguage(facts.language) }, true);
    }
    const branch = e.branch ?? facts.default_branch ?? 'main';
    await repo.updateEntity(db.kysely, e.id, { sync_status: 'syncing' });
    let fetched: { gitDir: string; tip: string | null };
    try {
      fetched = await fetchBranch(deps, facts, branch);
    } catch (err) {
      if (deps.signal.aborted) throw err;
      const failures = e.sync_failures + 1;
      const message = err instanceof Error ? err.message : String(err);
      const retry = failures < MAX_FETCH_FAILURES ? new Date(Date.now() + retryDelay(deps.config.pets.retryBaseMs, failures)) : null;
      await repo.updateEntity(db.kysely, e.id, { sync_status: 'failed', sync_error: `fetching ${branch} failed: ${message}`.slice(0, 2000), sync_failures: failures, next_sync_at: retry?.toISOString() ?? null });
      log.warn({ pet: e.id, repository: facts.full_name, failures, retryAt: retry }, 'pet fetch failed');
      if (retry) await enqueueSync(deps, e.id, seq, retry, `:retry:${failures}`);
      return 'failed';
    }
    const { gitDir, tip } = fetched;
    let orphaned = 0;
    let inserted = 0;
    if (tip === null) {
      // An empty repository (or a branch not created yet): the pet waits at its health.
      if (e.backfill_status === 'pending') await repo.updateEntity(db.kysely, e.id, { backfill_status: 'empty' });
    } else if (e.head_sha === null || e.backfill_status === 'empty') {
      await repo.updateEntity(db.kysely, e.id, { head_sha: tip, backfill_target: tip, backfill_status: 'pending', backfill_cursor: null });
      await enqueueBackfill(deps, e.id, `start:${tip}`);
      // Another branch than before (a settings change): what is not on this one is orphaned.
      if ((await repo.countAnalyses(db.kysely, e.id)) > 0) orphaned = await markOrphans(deps, e.id, gitDir, tip);
    } else if (e.head_sha !== tip) {
      const ancestry = await isAncestor(deps, gitDir, e.head_sha, tip);
      if (ancestry === 'unknown') {
        // The cache lost the old tip (it was removed and fetched again): the history is analysed
        // again from the new tip; analyses stored already are skipped.
        await repo.updateEntity(db.kysely, e.id, { backfill_target: tip, backfill_status: 'pending', backfill_cursor: null, backfill_total: null });
        await enqueueBackfill(deps, e.id, `refetch:${tip}`);
      } else {
        inserted = (await analyseRange(deps, e.id, gitDir, `${e.head_sha}..${tip}`, 'push')).inserted;
      }
      if (ancestry !== 'yes') orphaned = await markOrphans(deps, e.id, gitDir, tip);
    }
    const after = (await repo.getEntity(db.kysely, e.id))!;
    const more = after.requested_seq > seq;
    await repo.updateEntity(db.kysely, e.id, { head_sha: tip ?? after.head_sha, synced_seq: seq, sync_status: more ? 'pending' : 'idle', sync_error: null, sync_failures: 0, next_sync_at: null, last_synced_at: deps.now().toISOString() }, orphaned > 0);
    if (more) await enqueueSync(deps, e.id, after.requested_seq);
    log.info({ pet: e.id, repository: facts.full_name, branch, tip, inserted, orphaned }, 'pet synced');
    return 'synced';
  } finally {
    await repo.releaseLease(db.kysely, entityId, jobId);
  }
}

/** Removes a pet's cache (its repository was deleted). */
export function removePetCache(cacheDir: string, githubRepositoryId: number): void {
  fs.rmSync(petCachePath(cacheDir, githubRepositoryId), { recursive: true, force: true });
}
