/**
 * `event_receipts.counted`: whether the delivery has been added to its repository's `event_count`
 * and `last_event_at`. On PostgreSQL the webhook request no longer updates the repository row (every
 * delivery of a busy repository waited for that one row lock: 97 vs 315 deliveries/s acknowledged
 * at 32 connections); processing counts it once, in its own transaction, and this flag makes a
 * retry or a replay count nothing twice. SQLite still counts inside the ingestion batch (one writer,
 * no lock to wait for) and stores receipts as counted. Rows that exist already were counted.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../open-database.js';
import { columnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema.alterTable('event_receipts').addColumn('counted', t.bool, (c) => c.notNull().defaultTo(dialect === 'postgres' ? sql`true` : sql`1`)).execute();
}
