/**
 * `conversations.status_comment_claimed_at`: the agents' status comment is made once per issue,
 * whatever the number of worker processes. Before posting a new comment a process claims the
 * conversation row (set while `status_comment_id` is null and no fresh claim exists); the others
 * wait for the comment's id and update it in place. A claim older than a minute (its process died
 * mid-post) may be taken again; the comment's marker finds what that process may have posted.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../open-database.js';
import { columnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema.alterTable('conversations').addColumn('status_comment_claimed_at', t.timestamp).execute();
}
