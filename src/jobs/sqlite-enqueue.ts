/**
 * Writing jobs into the embedded queue's `jobs` table, through Kysely or synchronously through the
 * raw better-sqlite3 handle (the webhook ingestion fast path, inside its own transaction).
 *
 * Glossary:
 * - stored key: the `jobs.key` column holds `<job name>:<key>`, so a key is scoped to its job name
 *   (job names cannot contain `:`); the partial unique index `jobs_key_pending` keeps one pending
 *   (queued, running or retry) job per stored key.
 * - runner wake-up: a started SQLite queue registers itself for its handle, so a synchronous
 *   enqueue wakes it (after the caller's transaction, because the runner needs the connection).
 */
import type BetterSqlite3 from 'better-sqlite3';
import { newId } from '../db/ids.js';
import type { JobsTable } from '../db/schema.js';
import type { EnqueueOptions } from './queue.js';
import { assertJobName, normalizeEnqueueOptions } from './runtime.js';

/** The stored form of a key. */
export function storedKey(name: string, key: string): string {
  return `${name}:${key}`;
}

/** Builds the row for a new job. */
export function newJobRow(name: string, payload: object, options: EnqueueOptions | undefined, now: Date): JobsTable {
  assertJobName(name);
  const o = normalizeEnqueueOptions(options);
  const nowText = now.toISOString();
  return {
    id: newId(),
    name,
    payload: JSON.stringify(payload ?? {}),
    key: o.key === undefined ? null : storedKey(name, o.key),
    state: 'queued',
    attempts: 0,
    max_attempts: o.maxAttempts,
    run_at: (o.runAt ?? now).toISOString(),
    locked_by: null,
    locked_until: null,
    last_error: null,
    created_at: nowText,
    updated_at: nowText,
  };
}

const INSERT_SQL = `insert into jobs (id, name, payload, key, state, attempts, max_attempts, run_at, locked_by, locked_until, last_error, created_at, updated_at)
values (@id, @name, @payload, @key, @state, @attempts, @max_attempts, @run_at, @locked_by, @locked_until, @last_error, @created_at, @updated_at)
on conflict do nothing`;

const insertStatements = new WeakMap<BetterSqlite3.Database, BetterSqlite3.Statement>();
const wakers = new WeakMap<BetterSqlite3.Database, Set<() => void>>();

/**
 * Inserts a job synchronously with a cached prepared statement; returns false when a pending job
 * with the same key already exists. Call it inside the caller's better-sqlite3 transaction (via
 * `withSqlite`); the job exists if and only if that transaction commits. Started runners on this
 * handle are woken automatically.
 */
export function enqueueSqliteSync(sqlite: BetterSqlite3.Database, name: string, payload: object, options?: EnqueueOptions): boolean {
  let stmt = insertStatements.get(sqlite);
  if (!stmt) {
    stmt = sqlite.prepare(INSERT_SQL);
    insertStatements.set(sqlite, stmt);
  }
  const inserted = stmt.run(newJobRow(name, payload, options, new Date())).changes > 0;
  if (inserted) {
    const set = wakers.get(sqlite);
    // setImmediate: the caller still holds the connection; the runner polls once it is released.
    if (set) for (const wake of set) setImmediate(wake);
  }
  return inserted;
}

/** Registers a runner to wake when a job is inserted synchronously; returns the unregister function. */
export function onSyncEnqueue(sqlite: BetterSqlite3.Database, wake: () => void): () => void {
  let set = wakers.get(sqlite);
  if (!set) {
    set = new Set();
    wakers.set(sqlite, set);
  }
  set.add(wake);
  return () => set.delete(wake);
}
