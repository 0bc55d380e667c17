/**
 * Keeps `pull_requests.failing_checks`: how many checks on the pull request's head commit failed in
 * their latest run (a re-run is a new check run of the same name; the newest one counts). Kept at
 * write time so listing repositories sums a column instead of walking every check run.
 */
import { sql } from 'kysely';
import type { Executor } from '../db/index.js';

export const FAILING_CONCLUSIONS = ['failure', 'timed_out', 'action_required'];

/** Recounts the failing checks of one pull request. */
export async function refreshFailingChecks(tx: Executor, pullRequestId: string): Promise<void> {
  await tx
    .updateTable('pull_requests as p')
    .set({
      failing_checks: (eb) =>
        eb
          .selectFrom('check_runs as c')
          .select((e) => e.fn.countAll<number>().as('n'))
          .whereRef('c.pull_request_id', '=', 'p.id')
          .whereRef('c.head_sha', '=', 'p.head_sha')
          .where('c.conclusion', 'in', FAILING_CONCLUSIONS)
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('check_runs as newer')
                  .select(sql<number>`1`.as('one'))
                  .whereRef('newer.pull_request_id', '=', 'c.pull_request_id')
                  .whereRef('newer.head_sha', '=', 'c.head_sha')
                  .whereRef('newer.name', '=', 'c.name')
                  .whereRef('newer.github_id', '>', 'c.github_id'),
              ),
            ),
          ),
    })
    .where('p.id', '=', pullRequestId)
    .execute();
}
