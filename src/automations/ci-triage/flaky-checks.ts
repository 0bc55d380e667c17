/**
 * Flakiness per check name: a commit on which a check failed and then passed (a re-run, or the
 * same commit checked again) is one flaky commit. Computed from check run history, so it counts
 * flakes whether Switchyard re-ran them or a person did.
 */
import { sql } from 'kysely';
import type { Database } from '../../db/index.js';
import type { Scope } from '../../http/auth-context.js';

export interface FlakyCheck {
  repository: string;
  check_name: string;
  flaky_commits: number;
  runs: number;
  failures: number;
  flake_rate: number;
  last_flake_at: string | null;
}

export async function listFlakyChecks(db: Database, p: { scope: Scope; repositoryId?: string; since: Date }): Promise<FlakyCheck[]> {
  if (!p.scope.all && p.scope.installationIds.length === 0) return [];
  const since = p.since.toISOString();
  // Per (repository, name, sha): did a failure come before a later success?
  let perCommit = db.kysely
    .selectFrom('check_runs as c')
    .innerJoin('repositories as r', 'r.id', 'c.repository_id')
    .select((eb) => [
      'c.repository_id',
      'r.full_name',
      'c.name',
      'c.head_sha',
      eb.fn.countAll<number>().as('runs'),
      eb.fn.sum<number>(eb.case().when('c.conclusion', 'in', ['failure', 'timed_out']).then(1).else(0).end()).as('failures'),
      eb.fn.min<string>(eb.case().when('c.conclusion', 'in', ['failure', 'timed_out']).then(eb.ref('c.completed_at')).end()).as('first_failure'),
      eb.fn.max<string>(eb.case().when('c.conclusion', '=', 'success').then(eb.ref('c.completed_at')).end()).as('last_success'),
    ])
    .where('c.status', '=', 'completed')
    .where('c.completed_at', '>=', since)
    .groupBy(['c.repository_id', 'r.full_name', 'c.name', 'c.head_sha']);
  if (!p.scope.all) perCommit = perCommit.where('r.installation_id', 'in', p.scope.installationIds);
  if (p.repositoryId) perCommit = perCommit.where('c.repository_id', '=', p.repositoryId);
  const rows = await db.kysely
    .selectFrom(perCommit.as('x'))
    .select((eb) => [
      'x.full_name',
      'x.name',
      eb.fn.sum<number>(eb.case().when(sql<boolean>`x.first_failure is not null and x.last_success is not null and x.last_success > x.first_failure`).then(1).else(0).end()).as('flaky'),
      eb.fn.sum<number>('x.runs').as('runs'),
      eb.fn.sum<number>('x.failures').as('failures'),
      eb.fn.max<string>(eb.case().when(sql<boolean>`x.first_failure is not null and x.last_success is not null and x.last_success > x.first_failure`).then(eb.ref('x.last_success')).end()).as('last_flake_at'),
    ])
    .groupBy(['x.full_name', 'x.name'])
    .execute();
  return rows
    .map((r) => ({
      repository: r.full_name,
      check_name: r.name,
      flaky_commits: Number(r.flaky ?? 0),
      runs: Number(r.runs ?? 0),
      failures: Number(r.failures ?? 0),
      flake_rate: Number(r.runs) > 0 ? Number(r.flaky ?? 0) / Number(r.runs) : 0,
      last_flake_at: r.last_flake_at ?? null,
    }))
    .filter((r) => r.flaky_commits > 0)
    .sort((a, b) => b.flaky_commits - a.flaky_commits || a.repository.localeCompare(b.repository) || a.check_name.localeCompare(b.check_name))
    .slice(0, 500);
}
