/**
 * GitHub's rate limits, shared by every process (src/github/rate-limit-gate.ts): one row per
 * bucket GitHub counts separately (`installation:<id>`, `app:<id>`) saying until when GitHub asked
 * us to stop (a 429 or 403 with `retry-after`, an exhausted primary limit's `x-ratelimit-reset`, a
 * secondary limit). Every process reads it before a request to that bucket and waits.
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
}
