/** The embedded queue claims due jobs per (name, state) in run_at order: index exactly that. */
import type { Kysely } from 'kysely';
import type { Dialect } from '../open-database.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== 'sqlite') return;
  await db.schema.createIndex('jobs_claim').on('jobs').columns(['name', 'state', 'run_at', 'id']).execute();
}
