/**
 * Runs once before the suite: checks whether PostgreSQL answers and tells every test file through
 * SWITCHYARD_TEST_PG. Without PostgreSQL the PostgreSQL half is skipped with a visible notice,
 * except under CI=true, where that fails the run. It also migrates the run's template databases
 * (one PostgreSQL database, one SQLite file) that databases.ts copies for every migrated test database.
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openPostgres, openSqlite, migrateToLatest } from '../../src/db/index.js';
import { ADMIN_URL, adminQuery, urlFor } from './databases.js';
import { findLeaks, ledgerSize } from './secret-ledger.js';

export default async function setup(project: TestProject): Promise<() => void> {
  const ledger = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-ledger-'));
  // Handed to the test workers through vitest's provide/inject (environment changes made here do
  // not reach workers that a project started earlier).
  project.provide('switchyardLedger', ledger);
  let ok = false;
  let reason = '';
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    ok = true;
  } catch (err) {
    reason = err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
  if (!ok) {
    if (process.env.CI === 'true') {
      throw new Error(`PostgreSQL is required under CI=true but did not answer at ${new URL(ADMIN_URL).host}: ${reason}`);
    }
    console.warn(
      `\n*** NOTICE: PostgreSQL did not answer at ${new URL(ADMIN_URL).host} (${reason}).\n` +
        '*** Every PostgreSQL test is SKIPPED; only the SQLite half of the suite runs.\n',
    );
  }
  process.env.SWITCHYARD_TEST_PG = ok ? '1' : '0';
  // The migrated templates. A name of this run's own: the unit and e2e projects each make theirs, and
  // another run (another worktree) may be running beside this one.
  const templateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-template-'));
  const sqliteTemplate = path.join(templateDir, 'template.db');
  const sqlite = openSqlite(sqliteTemplate);
  await migrateToLatest(sqlite);
  await sqlite.close();
  project.provide('switchyardSqliteTemplate', sqliteTemplate);
  const pgTemplate = ok ? `switchyard_template_${process.pid}_${Math.random().toString(36).slice(2, 10)}` : '';
  if (pgTemplate) {
    await adminQuery(`create database ${pgTemplate}`);
    const db = openPostgres(urlFor(pgTemplate));
    try {
      await migrateToLatest(db);
    } finally {
      // No connection may stay open on a template: CREATE DATABASE … TEMPLATE refuses then.
      await db.close();
    }
  }
  project.provide('switchyardPgTemplate', pgTemplate);
  if (!fs.existsSync('dist/cli/main.js')) {
    console.warn('*** NOTICE: dist/ is missing; tests that start the built server run `npm run build` first.');
  }
  // After the run: no captured server log may contain any secret a test used.
  return async () => {
    if (pgTemplate) await adminQuery(`drop database if exists ${pgTemplate} with (force)`);
    fs.rmSync(templateDir, { recursive: true, force: true });
    const size = ledgerSize(ledger);
    const leaks = findLeaks(ledger);
    fs.rmSync(ledger, { recursive: true, force: true });
    if (leaks.length > 0) {
      throw new Error(`Secrets found in server logs: ${leaks.map((l) => `${l.secret} in ${l.file}`).join(', ')}`);
    }
    if (project.name || size.logs > 0) {
      console.log(`Secret check (${project.name || 'all'}): ${size.secrets} secrets used by the tests, none in ${size.logs} captured server logs.`);
    }
  };
}
