/**
 * `setup_codes`: the one-time setup code of a server with no administrator (src/identity/setup-code.ts).
 * One row at most (id 'first-admin'), holding only a keyed hash of the code; deleted once an
 * administrator exists. In the database so that every web process accepts the same code.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../open-database.js';
import { columnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('setup_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('issued_by', 'text', (c) => c.notNull()) // start, web, doctor
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
}
