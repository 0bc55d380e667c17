/**
 * Every change of a pet's health, each in one transaction with the pet's row locked, each writing
 * a `health_history` row: commit analyses (recordAnalyses), daily decay and death (decayPet),
 * revive and manual reset. An analysis is stored once per repository and sha, so replaying a push
 * or re-running a backfill slice changes nothing: only a newly inserted analysis moves health.
 */
import type { Database, Executor } from '../../db/index.js';
import { nowIso } from '../../db/index.js';
import type { CommitAnalysis } from './analyzer/index.js';
import { PetNotDead } from './errors.js';
import * as repo from './repo.js';
import { commitEffect, deathDue, decayDays, DEATH_AFTER_DAYS_AT_ZERO, moveHealth, REVIVE_HEALTH, clampHealth, type HealthChange } from './rules.js';
import type { Updateable } from 'kysely';
import type { AnalysisSource, EntitiesTable } from './tables.js';

export interface HealthDeps {
  db: Database;
  /** Only commits this recent move health. */
  healthWindowDays: number;
  /** The clock (tests pass a fake one). */
  now(): Date;
}

export interface RecordOutcome {
  inserted: number;
  /** Known already (replays, overlapping ranges). */
  known: number;
  /** Known, orphaned, and back on the branch. */
  restored: number;
  /** Known, analysed by an older analyser version, and replaced (health not moved again). */
  refreshed: number;
  healthBefore: number;
  healthAfter: number;
}

/** What `analysis_json` holds: the analyser version, the breakdown, the findings and the notes. */
function analysisJson(a: CommitAnalysis): string {
  return JSON.stringify({ analyzer_version: a.analyzerVersion, breakdown: a.breakdown, findings: a.findings, notes: a.notes });
}

function changePatch(c: HealthChange): Updateable<EntitiesTable> {
  return { health: c.after, life_state: c.life_state, zero_since: c.zero_since };
}

/** Stores analyses (oldest first) for a pet and applies what each does to its health. */
export async function recordAnalyses(deps: HealthDeps, entityId: string, analyses: CommitAnalysis[], source: AnalysisSource): Promise<RecordOutcome> {
  const { db } = deps;
  const now = deps.now();
  return db.kysely.transaction().execute(async (tx) => {
    const e = await repo.lockEntity(tx, entityId, db.dialect);
    if (!e) return { inserted: 0, known: 0, restored: 0, refreshed: 0, healthBefore: 0, healthAfter: 0 };
    const known = await repo.knownShas(tx, e.repository_id, analyses.map((a) => a.sha));
    const state = { health: e.health, life_state: e.life_state, zero_since: e.zero_since };
    const out: RecordOutcome = { inserted: 0, known: 0, restored: 0, refreshed: 0, healthBefore: e.health, healthAfter: e.health };
    let lastCommitAt = e.last_commit_at;
    let changed = false;
    const restore: string[] = [];
    for (const a of analyses) {
      if (lastCommitAt === null || a.committedAt > lastCommitAt) lastCommitAt = a.committedAt;
      const k = known.get(a.sha);
      if (k) {
        out.known++;
        if (k.orphaned) restore.push(k.id);
        if (k.id && k.analyzer_version !== a.analyzerVersion) {
          await repo.refreshAnalysis(tx, k.id, { overall_quality_score: a.overall_quality_score, health_delta: a.health_delta, analysis_json: analysisJson(a), analyzer_version: a.analyzerVersion });
          k.analyzer_version = a.analyzerVersion;
          out.refreshed++;
        }
        continue;
      }
      known.set(a.sha, { id: '', orphaned: false, analyzer_version: a.analyzerVersion });
      const effect = commitEffect(state, a, now, deps.healthWindowDays);
      const change = effect === 'applied' ? moveHealth(state, a.health_delta, nowIso()) : null;
      const id = await repo.insertAnalysis(tx, {
        entity_id: e.id,
        repository_id: e.repository_id,
        sha: a.sha,
        parents: a.parents,
        is_merge: a.isMerge,
        author_name: a.authorName,
        author_email: a.authorEmail,
        authored_at: a.authoredAt,
        committed_at: a.committedAt,
        subject: a.subject.slice(0, 500),
        files_changed: a.filesChanged,
        additions: a.additions,
        deletions: a.deletions,
        overall_quality_score: a.overall_quality_score,
        health_delta: a.health_delta,
        applied_delta: change ? change.after - change.before : 0,
        applied: effect,
        analysis_json: analysisJson(a),
        analyzer_version: a.analyzerVersion,
        source,
      });
      if (id === null) {
        out.known++;
        continue;
      }
      out.inserted++;
      if (change && change.after !== change.before) {
        await repo.insertHistory(tx, {
          entity_id: e.id,
          kind: 'commit_analysis',
          health_before: change.before,
          health_after: change.after,
          life_state: change.life_state,
          generation: e.generation,
          commit_analysis_id: id,
          reason: `${a.sha.slice(0, 7)} ${a.subject.slice(0, 120)}: ${a.health_delta >= 0 ? '+' : ''}${a.health_delta}`,
          // A backfill reconstructs the past (the chart shows its changes when the commits were
          // made); anything else happens now, in the order it is applied.
          occurred_at: source === 'backfill' && a.committedAt < now.toISOString() ? a.committedAt : now.toISOString(),
        });
        Object.assign(state, { health: change.after, life_state: change.life_state, zero_since: change.zero_since });
        changed = true;
      }
    }
    if (restore.length > 0) out.restored = await repo.setOrphaned(tx, restore, false);
    out.healthAfter = state.health;
    if (changed || lastCommitAt !== e.last_commit_at) {
      await repo.updateEntity(tx, e.id, { ...changePatch({ before: e.health, after: state.health, life_state: state.life_state, zero_since: state.zero_since }), last_commit_at: lastCommitAt }, changed);
    }
    return out;
  });
}

async function die(tx: Executor, e: repo.EntityRow, health: number, cause: string, at: string): Promise<void> {
  await repo.insertHistory(tx, { entity_id: e.id, kind: 'death', health_before: health, health_after: 0, life_state: 'dead', generation: e.generation, reason: cause, occurred_at: at });
  await repo.updateEntity(tx, e.id, { health: 0, life_state: 'dead', death_date: at, death_cause: cause, zero_since: e.zero_since ?? at }, true);
}

export interface DecayOutcome {
  days: string[];
  died: boolean;
}

/**
 * Applies the days of decay due on `now`'s day to one pet, then death after seven days at 0. The
 * days come from rules.decayDays (after the grace period, not applied before); `last_decay_on`
 * and the unique (pet, day) history row make a day count once whatever runs twice.
 */
export async function decayPet(deps: HealthDeps & { graceDays: number; defaultDecayPerDay: number }, entityId: string): Promise<DecayOutcome> {
  const { db } = deps;
  const now = deps.now();
  return db.kysely.transaction().execute(async (tx) => {
    const e = await repo.lockEntity(tx, entityId, db.dialect);
    if (!e || e.life_state === 'dead') return { days: [], died: false };
    const facts = await repo.getRepositoryFacts(tx, e.repository_id);
    const rate = e.decay_per_day ?? deps.defaultDecayPerDay;
    const today = now.toISOString().slice(0, 10);
    const days = decayDays({ life_state: e.life_state, last_commit_at: e.last_commit_at, born_at: e.born_at, last_decay_on: e.last_decay_on, archived: facts?.is_archived ?? false, decayPerDay: rate }, today, deps.graceDays);
    const state = { health: e.health, life_state: e.life_state, zero_since: e.zero_since };
    const applied: string[] = [];
    for (const day of days) {
      const at = day === today ? now.toISOString() : `${day}T00:00:00.000Z`;
      const change = moveHealth(state, -rate, at);
      if (change.after !== change.before) {
        const fresh = await repo.insertHistory(tx, {
          entity_id: e.id,
          kind: 'daily_decay',
          health_before: change.before,
          health_after: change.after,
          life_state: change.life_state,
          generation: e.generation,
          decay_day: day,
          reason: `no analysed commit since ${(e.last_commit_at ?? e.born_at).slice(0, 10)}: −${rate} for ${day}`,
          occurred_at: at,
        });
        if (!fresh) continue;
      }
      Object.assign(state, { health: change.after, life_state: change.life_state, zero_since: change.zero_since });
      applied.push(day);
    }
    const last = days[days.length - 1];
    if (last !== undefined) {
      await repo.updateEntity(tx, e.id, { health: state.health, life_state: state.life_state, zero_since: state.zero_since, last_decay_on: last }, state.health !== e.health || state.life_state !== e.life_state);
    }
    if (deathDue(state, now)) {
      await die(tx, { ...e, zero_since: state.zero_since }, state.health, `health stayed at 0 for ${DEATH_AFTER_DAYS_AT_ZERO} days`, now.toISOString());
      return { days: applied, died: true };
    }
    return { days: applied, died: false };
  });
}

/** The repository was deleted on GitHub: the pet dies (cause "repository deleted"). */
export async function repositoryDeleted(deps: Pick<HealthDeps, 'db' | 'now'>, entityId: string): Promise<boolean> {
  const { db } = deps;
  return db.kysely.transaction().execute(async (tx) => {
    const e = await repo.lockEntity(tx, entityId, db.dialect);
    if (!e || e.life_state === 'dead') return false;
    await die(tx, e, e.health, 'repository deleted', deps.now().toISOString());
    return true;
  });
}

/** Revives a dead pet: health 50, generation + 1; its history stays. */
export async function revivePet(deps: Pick<HealthDeps, 'db' | 'now'>, entityId: string, by: string): Promise<void> {
  const { db } = deps;
  await db.kysely.transaction().execute(async (tx) => {
    const e = await repo.lockEntity(tx, entityId, db.dialect);
    if (!e) return;
    if (e.life_state !== 'dead') throw new PetNotDead();
    const at = deps.now().toISOString();
    await repo.insertHistory(tx, { entity_id: e.id, kind: 'revive', health_before: e.health, health_after: REVIVE_HEALTH, life_state: 'alive', generation: e.generation + 1, reason: `revived by ${by}`, occurred_at: at });
    await repo.updateEntity(tx, e.id, { health: REVIVE_HEALTH, life_state: 'alive', generation: e.generation + 1, born_at: at, zero_since: null, death_date: null, death_cause: null, last_decay_on: null }, true);
  });
}

/** Sets health by hand (an administrator's correction); not for dead pets (revive them). */
export async function resetHealth(deps: Pick<HealthDeps, 'db' | 'now'>, entityId: string, health: number, by: string): Promise<void> {
  const { db } = deps;
  await db.kysely.transaction().execute(async (tx) => {
    const e = await repo.lockEntity(tx, entityId, db.dialect);
    if (!e) return;
    if (e.life_state === 'dead') throw new PetNotDead('A dead pet’s health cannot be set: revive it first');
    const at = deps.now().toISOString();
    const change = moveHealth(e, clampHealth(health) - e.health, at);
    if (change.after === change.before) return;
    await repo.insertHistory(tx, { entity_id: e.id, kind: 'manual_reset', health_before: change.before, health_after: change.after, life_state: change.life_state, generation: e.generation, reason: `set to ${change.after} by ${by}`, occurred_at: at });
    await repo.updateEntity(tx, e.id, changePatch(change), true);
  });
}
