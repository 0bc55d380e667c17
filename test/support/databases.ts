/**
 * Test databases: every test that touches the database runs on both SQLite (a real file in a temp
 * dir) and PostgreSQL (a database created for the test file and dropped after).
 *
 * Fast by templates: the global setup (global-setup.ts) migrates one PostgreSQL database and one
 * SQLite file once per run; a migrated test database is a copy of them (`CREATE DATABASE … TEMPLATE`,
 * a file copy), about 0.2 s instead of 2–3 s of migrations on PostgreSQL. migrateToLatest still runs
 * on the copy (a no-op that proves the template is current). Databases asked for empty (`migrate:
 * false`, createPostgresDatabaseUrl's default) are created empty, for the tests of migrating itself.
 * Dropping a PostgreSQL database takes 1–2 s: drop() starts it and returns, and each test file's
 * afterAll (setup-file.ts) waits for the drops it started, so they run beside the file's next tests.
 *
 * PostgreSQL is reached at TEST_DATABASE_URL, DATABASE_URL, or postgres://postgres@127.0.0.1:5432.
 * When it does not answer, PostgreSQL tests are skipped with a visible notice, except under
 * CI=true, where the global setup fails the run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { openPostgres, openSqlite, migrateToLatest, type Database, type Dialect } from '../../src/db/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The migrated PostgreSQL database that test databases are copied from ('' without PostgreSQL). */
    switchyardPgTemplate: string;
    /** The migrated SQLite file that test databases are copied from. */
    switchyardSqliteTemplate: string;
  }
}

/** A template the global setup provided, or undefined (outside a vitest worker, or none made). */
function template(key: 'switchyardPgTemplate' | 'switchyardSqliteTemplate'): string | undefined {
  try {
    return inject(key) || undefined;
  } catch {
    return undefined;
  }
}

/** Drops started and not yet finished (awaited by waitForDrops, after each test file). */
const pendingDrops = new Set<Promise<void>>();

/** Starts dropping a PostgreSQL database; the promise is kept so the test file waits for it before it ends. */
function startDrop(name: string): Promise<void> {
  const done = adminQuery(`drop database if exists ${name} with (force)`);
  pendingDrops.add(done);
  void done.catch(() => undefined).finally(() => pendingDrops.delete(done));
  return Promise.resolve();
}

/** Waits for every drop this worker started (a failed drop fails here, after the file's tests). */
export async function waitForDrops(): Promise<void> {
  await Promise.all([...pendingDrops]);
}

/** Creates a PostgreSQL database, a copy of the migrated template when `migrated` and there is one. */
async function createPostgresDatabase(name: string, migrated: boolean): Promise<void> {
  const tpl = migrated ? template('switchyardPgTemplate') : undefined;
  await adminQuery(tpl ? `create database ${name} template ${tpl}` : `create database ${name}`);
}

/** One statement on the PostgreSQL server's admin database, on a connection of its own. */
export async function adminQuery(text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}

export const ADMIN_URL =
  process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** True when the global setup found PostgreSQL answering (set in global-setup.ts). */
export const postgresAvailable = process.env.SWITCHYARD_TEST_PG === '1';

/** The dialects to run database tests on. */
export const dialects: Dialect[] = postgresAvailable ? ['sqlite', 'postgres'] : ['sqlite'];

/** The URL of database `dbName` on the test PostgreSQL server. */
export function urlFor(dbName: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${dbName}`;
  return u.toString();
}

export interface TestDatabase {
  dialect: Dialect;
  db: Database;
  /** Where the database lives: a SQLite file path or a postgres:// URL. */
  location: string;
  /** A fresh temp dir for this database (the data dir for SQLite). */
  dataDir: string;
  drop(): Promise<void>;
}

/** Creates an empty, migrated database of the given dialect. */
export async function createTestDatabase(dialect: Dialect, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-test-'));
  if (dialect === 'sqlite') {
    const file = path.join(dataDir, 'switchyard.db');
    if (options.migrate !== false) copySqliteTemplate(file);
    const db = openSqlite(file);
    if (options.migrate !== false) await migrateToLatest(db);
    return {
      dialect,
      db,
      location: file,
      dataDir,
      async drop() {
        await db.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const name = `switchyard_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await createPostgresDatabase(name, options.migrate !== false);
  const url = urlFor(name);
  const db = openPostgres(url);
  if (options.migrate !== false) await migrateToLatest(db);
  return {
    dialect,
    db,
    location: url,
    dataDir,
    async drop() {
      await db.close();
      await startDrop(name);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Creates a PostgreSQL database and returns its URL and a drop function (for servers and child
 * processes, which migrate it themselves): empty, or a copy of the migrated template with `migrated`.
 */
export async function createPostgresDatabaseUrl(options: { migrated?: boolean } = {}): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `switchyard_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await createPostgresDatabase(name, options.migrated === true);
  return {
    url: urlFor(name),
    drop: () => startDrop(name),
  };
}

/** Puts a copy of the migrated SQLite template at `file` (nothing without a template: the caller migrates). */
export function copySqliteTemplate(file: string): void {
  const tpl = template('switchyardSqliteTemplate');
  if (tpl) fs.copyFileSync(tpl, file);
}
