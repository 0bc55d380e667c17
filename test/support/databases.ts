/**
 * Test databases: every test that touches the database runs on both SQLite (a real file in a temp
 * dir) and PostgreSQL (a database created for the test file and dropped after).
 *
 * PostgreSQL is reached at TEST_DATABASE_URL, DATABASE_URL, or postgres://postgres@127.0.0.1:5432.
 * When it does not answer, PostgreSQL tests are skipped with a visible notice, except under
 * CI=true, where the global setup fails the run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openPostgres, openSqlite, migrateToLatest, type Database, type Dialect } from '../../src/db/index.js';

export const ADMIN_URL =
  process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** True when the global setup found PostgreSQL answering (set in global-setup.ts). */
export const postgresAvailable = process.env.SWITCHYARD_TEST_PG === '1';

/** The dialects to run database tests on. */
export const dialects: Dialect[] = postgresAvailable ? ['sqlite', 'postgres'] : ['sqlite'];

function urlFor(dbName: string): string {
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
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
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
      const a = new pg.Client({ connectionString: ADMIN_URL });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates an empty PostgreSQL database and returns its URL and a drop function (for child processes). */
export async function createPostgresDatabaseUrl(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `switchyard_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    url: urlFor(name),
    async drop() {
      const a = new pg.Client({ connectionString: ADMIN_URL });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}
