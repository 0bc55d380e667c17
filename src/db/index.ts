/** The data layer's public surface. */
export { openDatabase, openSqlite, openPostgres, withSqlite, startCheckpointer, SQLITE_BUSY_TIMEOUT_MS, waitingOutBusy, sqliteDriver } from './open-database.js';
export type { Database, Dialect, Executor, SqliteOptions } from './open-database.js';
export { migrateToLatest, pendingMigrations, MIGRATION_NAMES } from './migrate.js';
export { forUpdate } from './lock-rows.js';
export { newId, nowIso, uuidLowerBound, isUuid, toBool, parseJson } from './ids.js';
export type * from './schema.js';
