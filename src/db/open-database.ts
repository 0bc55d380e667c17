/**
 * Opens the database for either dialect and makes both drivers speak the same shapes
 * (see schema.ts): timestamps as ISO strings, JSON as text, 64-bit integers as numbers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, type Transaction } from 'kysely';
import type { Config } from '../config/index.js';
import type { Schema } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';
/** Anything queries can run on: the database or an open transaction. */
export type Executor = Kysely<Schema> | Transaction<Schema>;

export interface Database {
  dialect: Dialect;
  kysely: Kysely<Schema>;
  /** The raw SQLite handle (embedded mode only), for the ingestion fast path. Use via `withSqlite`. */
  sqlite?: BetterSqlite3.Database;
  /** PostgreSQL connection string (scaled-out mode only), for pg-boss. */
  postgresUrl?: string;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

/**
 * The SQLite driver for this Node.js: better-sqlite3 13 on Node ≥ 22 (Node-API; 12.x aborts at
 * teardown on Node 24.19+, nodejs/node#65446), better-sqlite3 12 on Node 20 (13 needs Node 22).
 * Both are installed: 12 as a dependency, 13 as the optional dependency `better-sqlite3-13`.
 */
export function sqliteDriver(): typeof BetterSqlite3 {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 22) {
    try {
      return require('better-sqlite3-13') as typeof BetterSqlite3;
    } catch {
      // optional dependency missing: fall back to 12
    }
  }
  return require('better-sqlite3') as typeof BetterSqlite3;
}

let pgTypesConfigured = false;
function configurePgTypes(): void {
  if (pgTypesConfigured) return;
  pgTypesConfigured = true;
  const { types } = pg;
  // int8 (counts, GitHub ids) → number: GitHub ids stay far below 2^53.
  types.setTypeParser(20, (v) => Number.parseInt(v, 10));
  // timestamptz / timestamp → ISO-8601 UTC string, as SQLite stores them.
  types.setTypeParser(1184, (v) => new Date(v).toISOString());
  types.setTypeParser(1114, (v) => new Date(`${v}Z`).toISOString());
  // json / jsonb → the text itself; the domain parses JSON the same way on both dialects.
  types.setTypeParser(114, (v) => v);
  types.setTypeParser(3802, (v) => v);
}

/**
 * Wraps better-sqlite3 for Kysely: bound booleans become 0/1 and Dates ISO strings (SQLite binds
 * neither), and prepared statements are cached by SQL text (Kysely prepares every query anew, and
 * preparing costs more than running most of ours).
 */
function sqliteForKysely(db: BetterSqlite3.Database) {
  const norm = (params: ReadonlyArray<unknown>) =>
    params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p instanceof Date ? p.toISOString() : p));
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = (sqlText: string): BetterSqlite3.Statement => {
    let stmt = cache.get(sqlText);
    if (stmt) return stmt;
    // Write transactions take the write lock up front: a deferred transaction that reads first
    // fails with SQLITE_BUSY_SNAPSHOT (no busy wait) when another connection wrote in between.
    stmt = db.prepare(/^begin$/i.test(sqlText.trim()) ? 'begin immediate' : sqlText);
    if (cache.size >= 1000) cache.delete(cache.keys().next().value as string);
    cache.set(sqlText, stmt);
    return stmt;
  };
  return {
    close: () => db.close(),
    prepare(sqlText: string) {
      const stmt = prepare(sqlText);
      return {
        reader: stmt.reader,
        all: (params: ReadonlyArray<unknown>) => waitingOutBusy(() => stmt.all(norm(params))),
        run: (params: ReadonlyArray<unknown>) => waitingOutBusy(() => stmt.run(norm(params))),
        iterate: (params: ReadonlyArray<unknown>) => stmt.iterate(norm(params)) as IterableIterator<unknown>,
      };
    },
  };
}

/** How long a statement waits for another connection's write lock before SQLITE_BUSY surfaces. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;
const nap = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs a statement, retrying in 0.2 ms steps while another connection holds the write lock.
 * SQLite's own busy handler sleeps 1, 2, 5, 10 … 100 ms between tries, which starves whichever
 * embedded thread backs off against one that tries again at once. A statement that failed with
 * SQLITE_BUSY changed nothing (write transactions take the lock at BEGIN IMMEDIATE), so it is
 * safe to run again. (The embedded writer thread waits the same way for its batches.)
 */
export function waitingOutBusy<T>(fn: () => T): T {
  let since = 0;
  for (;;) {
    try {
      return fn();
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e;
      since ||= Date.now();
      if (Date.now() - since > SQLITE_BUSY_TIMEOUT_MS) throw e;
      Atomics.wait(nap, 0, 0, 0.2);
    }
  }
}

export interface SqliteOptions {
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * Checkpoint the WAL on commit once it passes 1,000 pages (SQLite's default). Turn it off only
   * when another connection checkpoints in the background (see startCheckpointer): an automatic
   * checkpoint runs inside the committing call and fsyncs the database file. Off also leaves the
   * WAL file's size alone when it starts over (no `journal_size_limit`): truncating a large WAL
   * inside a commit stalled it for 150 ms; the background checkpointer truncates it when idle.
   */
  autoCheckpoint?: boolean;
}

/** Opens the SQLite file (creating the data dir) with WAL and the configured durability level. */
export function openSqlite(file: string, options: SqliteOptions = {}): Database {
  const { synchronous = 'NORMAL', autoCheckpoint = true } = options;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const Driver = sqliteDriver();
  const sqlite = new Driver(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${synchronous}`);
  sqlite.pragma('foreign_keys = ON');
  // Lock waits are handled by waitingOutBusy (Kysely) and by the receipt writers, in fine steps.
  sqlite.pragma('busy_timeout = 0');
  sqlite.pragma('cache_size = -65536');
  sqlite.pragma('temp_store = MEMORY');
  if (!autoCheckpoint) sqlite.pragma('wal_autocheckpoint = 0');
  // After a checkpoint resets the WAL, truncate the file back to 64 MB at most (with a background
  // checkpointer: never in a commit; it truncates the file itself when writes pause).
  sqlite.pragma(`journal_size_limit = ${autoCheckpoint ? 67108864 : -1}`);
  const kysely = new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqliteForKysely(sqlite) }) });
  return {
    dialect: 'sqlite',
    kysely,
    sqlite,
    async close() {
      await kysely.destroy();
      if (sqlite.open) sqlite.close();
    },
  };
}

/** A JSON `\u0000` escape (not itself escaped, i.e. after an even number of backslashes). */
const JSON_NUL_ESCAPE = /(?<!\\)((?:\\\\)*)\\u0000/g;

/**
 * A parameter PostgreSQL can take: text cannot hold NUL (U+0000) and jsonb refuses the `\u0000`
 * escape ("invalid byte sequence", "unsupported Unicode escape sequence"), so NUL becomes U+FFFD.
 * The payload readers already do this for what the projection writes (payload-readers'
 * columnText); this is the net under every other statement, so odd input is never a 500 on
 * PostgreSQL. Raw delivery bytes are a Buffer (bytea) and stay as received. The escape is only
 * rewritten in text that is a JSON object or array (what goes into jsonb columns).
 */
export function pgSafeParam(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  let out = v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v;
  if (out.includes('\\u0000') && /^\s*[[{]/.test(out)) out = out.replace(JSON_NUL_ESCAPE, '$1\\ufffd');
  return out;
}

/** pg's client with every query's parameters passed through pgSafeParam. */
class NulSafeClient extends pg.Client {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const [first, second] = args as [unknown, unknown];
    if (Array.isArray(second)) args[1] = second.map(pgSafeParam);
    else if (first && typeof first === 'object' && Array.isArray((first as { values?: unknown[] }).values)) {
      const q = first as { values: unknown[] };
      q.values = q.values.map(pgSafeParam);
    }
    return (super.query as (...a: unknown[]) => unknown)(...args);
  }
}

/** Opens a PostgreSQL pool. */
export function openPostgres(url: string, poolSize = 10): Database {
  configurePgTypes();
  const pool = new pg.Pool({ connectionString: url, max: poolSize, Client: NulSafeClient });
  pool.on('error', () => {
    /* idle client errors surface on the next query; keep the process alive */
  });
  const kysely = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return {
    dialect: 'postgres',
    kysely,
    postgresUrl: url,
    async close() {
      await kysely.destroy();
    },
  };
}

/** Opens the database the config names. */
export function openDatabase(config: Config, sqliteOptions: Omit<SqliteOptions, 'synchronous'> = {}): Database {
  return config.database.kind === 'postgres'
    ? openPostgres(config.database.url, config.database.poolSize)
    : openSqlite(config.database.file, { ...sqliteOptions, synchronous: config.sqliteSynchronous });
}

/**
 * Checkpoints the WAL every `intervalMs` (PASSIVE: never blocks readers or writers), so commits
 * elsewhere never pay for a checkpoint. Returns the function that stops it.
 *
 * PASSIVE alone lets the WAL grow without bound under a steady write load: the file only starts
 * over when a writer finds every frame checkpointed and no reader on the WAL, which never happens
 * while commits keep coming (measured: 5.7 GB after 60 s at 1,000 deliveries/s, and processing fell
 * 15 s behind as reads slowed). So once the WAL holds `restartFrames` frames, the tick catches up
 * with a few more PASSIVE passes and then asks for a RESTART checkpoint, which holds writers back
 * while it copies the last frames and waits (up to `restartWaitMs`) for readers to leave the WAL;
 * the next commit then writes from the start of the file. A RESTART costs commits 5–50 ms, so it
 * should be rare: the threshold is about four seconds of writes at the current rate, between 4,096
 * frames (16 MB) and `restartFrames` (at 1,000 deliveries/s, ≈ 25,000 frames/s, the WAL peaks near
 * 450 MB). When writes pause (no new frame since the last tick) a TRUNCATE gives the file's space
 * back.
 */
export function startCheckpointer(db: Database, intervalMs = 1000, options: { restartFrames?: number; restartWaitMs?: number } = {}): () => void {
  const { restartFrames = 100_000, restartWaitMs = 10 } = options;
  type Result = Array<{ busy: number; log: number; checkpointed: number }>;
  let lastLog = -1;
  let framesPerTick = 0;
  const blocking = (s: BetterSqlite3.Database, mode: 'RESTART' | 'TRUNCATE') => {
    s.pragma(`busy_timeout = ${restartWaitMs}`);
    try {
      s.pragma(`wal_checkpoint(${mode})`);
    } finally {
      s.pragma('busy_timeout = 0');
    }
  };
  const tick = (s: BetterSqlite3.Database) => {
    let [passive] = s.pragma('wal_checkpoint(PASSIVE)') as Result;
    if (!passive || passive.log <= 0) return;
    if (passive.log === lastLog && passive.checkpointed === passive.log) {
      blocking(s, 'TRUNCATE'); // idle: nothing committed since the last tick
      lastLog = -1;
      return;
    }
    if (lastLog >= 0 && passive.log > lastLog) framesPerTick = passive.log - lastLog;
    lastLog = passive.log;
    if (passive.log < Math.min(restartFrames, Math.max(4096, 4 * framesPerTick))) return;
    // Each pass copies what was committed during the one before, so the RESTART has little left.
    for (let i = 0; i < 4 && passive && passive.checkpointed === passive.log; i++) {
      const before = passive.log;
      [passive] = s.pragma('wal_checkpoint(PASSIVE)') as Result;
      if (!passive || passive.log - before < 64) break;
    }
    blocking(s, 'RESTART');
    lastLog = -1;
  };
  const timer = setInterval(() => {
    void withSqlite(db, tick).catch(() => undefined);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Runs synchronous work on the raw SQLite handle while holding Kysely's connection, so it never
 * interleaves with a Kysely transaction in flight on the same connection.
 */
export async function withSqlite<T>(db: Database, fn: (sqlite: BetterSqlite3.Database) => T): Promise<T> {
  const sqlite = db.sqlite;
  if (!sqlite) throw new Error('withSqlite needs the embedded SQLite database');
  return db.kysely.connection().execute(async () => fn(sqlite));
}
