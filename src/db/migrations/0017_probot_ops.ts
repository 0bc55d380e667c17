/**
 * Operating hosted Probot apps across processes.
 *
 * GitHub's rate limits, shared by every process (src/github/rate-limit-gate.ts): one row per
 * bucket GitHub counts separately (`installation:<id>`, `app:<id>`) saying until when GitHub asked
 * us to stop (a 429 or 403 with `retry-after`, an exhausted primary limit's `x-ratelimit-reset`, a
 * secondary limit). Every process reads it before a request to that bucket and waits.
 *
 * `probot_app_runs.claimed_by`: the job whose run a `running` row is. When that same job runs again
 * (the queue only does that once its previous run is over: its process died, or its lease ended),
 * it takes the row back at once instead of waiting for the row's own lease.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../open-database.js';
import { columnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('github_rate_limits')
    .addColumn('bucket', 'text', (c) => c.primaryKey())
    .addColumn('limited_until', t.timestamp, (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.alterTable('probot_app_runs').addColumn('claimed_by', 'text').execute();
}
