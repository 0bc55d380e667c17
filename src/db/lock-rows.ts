/** Row locking that reads the same on both dialects. */
import type { SelectQueryBuilder } from 'kysely';
import type { Dialect } from './open-database.js';

/**
 * Adds `FOR UPDATE` on PostgreSQL. SQLite needs none: its write transaction already excludes
 * every other writer, and the embedded process has a single connection.
 */
export function forUpdate<DB, TB extends keyof DB, O>(qb: SelectQueryBuilder<DB, TB, O>, dialect: Dialect): SelectQueryBuilder<DB, TB, O> {
  return dialect === 'postgres' ? qb.forUpdate() : qb;
}
